"""python -m services.scheduling"""

from services.scheduling.app import SERVICE
from services.runtime.app import run

run(SERVICE)
