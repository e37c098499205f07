"""python -m services.enrollment"""

from services.enrollment.app import SERVICE
from services.runtime.app import run

run(SERVICE)
