"""``python -m gisgrid.cli``: the same as the ``gisgrid`` command."""

from gisgrid.cli.main import main

main()
