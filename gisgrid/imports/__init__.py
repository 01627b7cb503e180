"""Registers in: households, shops, buildings and staff from the Excel and CSV files offices keep."""

from gisgrid.imports.columns import FIELDS, KINDS
from gisgrid.imports.read import read_register
from gisgrid.imports.report import ImportReport
from gisgrid.imports.run import import_register

__all__ = ["FIELDS", "KINDS", "ImportReport", "import_register", "read_register"]
