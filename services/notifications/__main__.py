"""python -m services.notifications"""

from services.notifications.app import SERVICE
from services.runtime.app import run

run(SERVICE)
