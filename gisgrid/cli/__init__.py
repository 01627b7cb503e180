"""The ``gisgrid`` command line: one module per group of verbs, mirroring the core."""

from gisgrid.cli.main import app, main

__all__ = ["app", "main"]
