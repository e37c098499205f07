"""``python -m ops``: the same as the ``passpro`` command."""

from ops.cli import main

main()
