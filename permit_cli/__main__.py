"""``python -m permit_cli`` is the ``permit`` command."""

from permit_cli.main import main

main()
