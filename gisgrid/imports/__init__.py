"""Registers in: households, shops, buildings and staff from the Excel and CSV files offices keep.

``import_register`` (and the report) are loaded on first use: they pull in the address
matcher, which the ``gisgrid`` command should not load for every other verb.
"""

from typing import TYPE_CHECKING, Any

from gisgrid.imports.columns import FIELDS, KINDS
from gisgrid.imports.read import read_register

if TYPE_CHECKING:
    from gisgrid.imports.report import ImportReport
    from gisgrid.imports.run import import_register

__all__ = ["FIELDS", "KINDS", "ImportReport", "import_register", "read_register"]


def __getattr__(name: str) -> Any:
    if name == "import_register":
        from gisgrid.imports.run import import_register

        return import_register
    if name == "ImportReport":
        from gisgrid.imports.report import ImportReport

        return ImportReport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
