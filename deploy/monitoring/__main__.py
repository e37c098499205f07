"""``python -m deploy.monitoring``: writes the Prometheus and Grafana files of the local stack."""

from deploy.monitoring import HERE, write

for path in write():
    print(f"written {path.relative_to(HERE.parent.parent)}")
