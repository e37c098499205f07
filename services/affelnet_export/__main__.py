"""python -m services.affelnet_export"""

from services.affelnet_export.app import SERVICE
from services.runtime.app import run

run(SERVICE)
