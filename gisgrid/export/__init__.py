"""Exports for GIS tools and offices: a plan's grids as files, a grid's household roster."""

from gisgrid.export.formats import FORMATS, ExportFormat, export_format
from gisgrid.export.grids import ExportFile, export_grids, grid_frame, save_grids, write_grids
from gisgrid.export.roster import export_roster, roster_workbook, save_roster

__all__ = ["FORMATS", "ExportFile", "ExportFormat", "export_format", "export_grids", "export_roster",
           "grid_frame", "roster_workbook", "save_grids", "save_roster", "write_grids"]
