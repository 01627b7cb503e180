"""A grid's household roster (住户名册) as an Excel workbook: personal data, for staff only.

Three sheets: 说明 (the grid, its counts, the notice that the file holds personal data),
住户 (one row per household the grid counts: estate, building, unit, room, address,
size, lon/lat WGS84) and 网格团队 (the 1+1+X team with names and phones). Written with
openpyxl, which the register import also reads with.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from gisgrid.db import export_store
from gisgrid.export.grids import ExportFile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROLE_LABELS = {"leader": "网格长", "full_time": "专职网格员", "part_time": "兼职网格员"}
KIND_LABELS = {"residential": "居民网格", "business": "商圈网格", "special": "专属网格"}
HOUSEHOLD_HEADERS = ("序号", "住户编号", "小区", "楼栋", "单元", "室号", "地址", "人数",
                     "经度(WGS84)", "纬度(WGS84)")
TEAM_HEADERS = ("角色", "姓名", "电话")
NOTICE = "内部资料：本表含居民个人信息，仅供网格工作人员使用，不得外传。"


def _sheet(wb: Workbook, title: str, headers: tuple[str, ...], rows: list[tuple],
           widths: tuple[int, ...]) -> None:
    ws = wb.create_sheet(title)
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(list(row))
    ws.freeze_panes = "A2"
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def roster_workbook(session: Session, plan_id: int, grid_code: str) -> tuple[Workbook, dict]:
    """The roster workbook of one grid, and a summary (grid, households, residents, team).

    Parameters
    ----------
    session : Session
        Database session.
    plan_id : int
        The plan the grid belongs to.
    grid_code : str
        The grid's 15-digit code.

    Returns
    -------
    tuple
        (workbook, summary dict with ``grid``, ``households``, ``residents``, ``team``).

    Raises
    ------
    NotFoundError
        When the plan has no grid with this code.
    """
    grid = export_store.grid_by_code(session, plan_id, grid_code)
    households = export_store.grid_households(session, grid["id"])
    team = export_store.grid_team(session, grid["id"])
    residents = sum(h["size"] for h in households)
    wb = Workbook()
    info = wb.active
    info.title = "说明"
    for pair in (("网格编码", grid["code"]), ("网格名称", grid["name"]),
                 ("类型", KIND_LABELS.get(grid["kind"], grid["kind"])),
                 ("社区", f"{grid['community_name']}（{grid['community_code']}）"),
                 ("方案", f"#{grid['plan_id']} {grid['plan_name']}（{grid['plan_status']}）"),
                 ("户数", len(households)), ("人数", residents), ("团队人数", len(team)),
                 ("生成时间", dt.datetime.now().astimezone().isoformat(timespec="seconds")),
                 ("说明", NOTICE)):
        info.append(list(pair))
    info.column_dimensions["A"].width = 12
    info.column_dimensions["B"].width = 60
    _sheet(wb, "住户", HOUSEHOLD_HEADERS,
           [(i, h["id"], h["estate"], h["building"], h["unit"], h["room"], h["address"], h["size"],
             round(h["lon"], 7), round(h["lat"], 7)) for i, h in enumerate(households, start=1)],
           (6, 10, 16, 10, 6, 8, 48, 6, 13, 13))
    _sheet(wb, "网格团队", TEAM_HEADERS,
           [(ROLE_LABELS.get(t["role"], t["role"]), t["name"], t["phone"]) for t in team], (12, 12, 16))
    summary = {"grid": grid, "households": len(households), "residents": residents, "team": len(team)}
    return wb, summary


def save_roster(session: Session, plan_id: int, grid_code: str, path: Path) -> dict:
    """Write a grid's roster to an .xlsx file; returns the summary of `roster_workbook`."""
    wb, summary = roster_workbook(session, plan_id, grid_code)
    wb.save(path)
    return summary


def roster_community(session: Session, plan_id: int, grid_code: str) -> str:
    """The code of the community whose personal data a grid's roster holds (404: no grid)."""
    return str(export_store.grid_by_code(session, plan_id, grid_code)["community_code"])


def export_roster(session: Session, plan_id: int, grid_code: str) -> ExportFile:
    """A grid's roster as a downloadable .xlsx (``plan-1-grid-610802001001037-roster.xlsx``)."""
    wb, summary = roster_workbook(session, plan_id, grid_code)
    buffer = io.BytesIO()
    wb.save(buffer)
    name = f"plan-{plan_id}-grid-{summary['grid']['code']}-roster.xlsx"
    return ExportFile(name, XLSX, buffer.getvalue())
