"""python -m services.scheduling"""

from services.runtime.app import run
from services.scheduling.app import SERVICE

run(SERVICE)
