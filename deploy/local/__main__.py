"""``python -m deploy.local up|down|status|reset|infra-up|infra-down|services-down``."""

import sys

from deploy.local.stack import main

raise SystemExit(main(sys.argv[1:]))
