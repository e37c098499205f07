"""``python -m deploy.production [definitions --out FILE | secrets]``: the deployment files, or the secrets they use.

With no argument, writes the compose and Kubernetes files. ``definitions`` renders the broker's
definitions with the accounts' passwords from the environment (the compose stack runs it before the
nodes boot); ``secrets`` prints the Kubernetes Secrets, for ``kubectl apply -n passpro -f -``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from deploy.production import HERE, secrets, spec, write

parser = argparse.ArgumentParser(prog="python -m deploy.production")
commands = parser.add_subparsers(dest="command")
render = commands.add_parser("definitions", help="render the broker's definitions from the environment")
render.add_argument("--out", type=Path, required=True)
commands.add_parser("secrets", help="print the Kubernetes Secrets from the environment")
arguments = parser.parse_args()

if arguments.command == "definitions":
    document = json.dumps(secrets.definitions(), indent=1)
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    # The nodes run as another user than this command and must read the password hashes.
    descriptor = os.open(arguments.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(descriptor, "w") as out:
        out.write(document)
    print(f"written {arguments.out}")
elif arguments.command == "secrets":
    print(spec.dump(*secrets.kubernetes(), generated=False), end="")
else:
    for path in write():
        print(f"written {path.relative_to(HERE.parent.parent)}")
