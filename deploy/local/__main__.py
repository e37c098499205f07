"""``python -m deploy.local up|down|status|reset|infra-up|infra-down|services-down|fresh --clock <ISO>``."""

import sys

if sys.argv[1:2] == ["fresh"]:
    from deploy.local import fresh

    raise SystemExit(fresh.main(sys.argv[2:]))

from deploy.local import stack

raise SystemExit(stack.main(sys.argv[1:]))
