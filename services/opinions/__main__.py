"""python -m services.opinions"""

from services.opinions.app import SERVICE
from services.runtime.app import run

run(SERVICE)
