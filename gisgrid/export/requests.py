"""The assessment figures (考核) of an area as an Excel workbook: the area, then one row per part.

No personal data: counts and rates only. Columns follow :data:`gisgrid.requests.STAT_FIELDS`.
"""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from gisgrid.requests.stats import STAT_FIELDS, request_stats

__all__ = ["HEADERS", "STATS_XLSX", "stats_workbook"]

STATS_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ("代码", "名称", "层级", "受理数", "结案数", "结案率", "按期结案率", "当前超期", "平均办结工作日",
           "90%办结工作日", "退回次数")
LEVELS = {"district": "区县", "subdistrict": "街道", "community": "社区", "grid": "网格"}


def stats_workbook(session: Session, area: str, *, start: dt.date | None = None,
                   end: dt.date | None = None) -> tuple[str, bytes]:
    """(file name, .xlsx bytes) of the figures of ``area`` and of each of its parts.

    Examples
    --------
    >>> name, data = stats_workbook(session, "610802001001")        # doctest: +SKIP
    >>> name
    'requests-610802001001-2026-11-05-2026-12-04.xlsx'
    """
    whole = request_stats(session, area, start=start, end=end, parts=True)
    rows = [whole, *whole["parts"]]
    book = Workbook()
    sheet = book.active
    sheet.title = "诉求考核"
    sheet.append([f"{whole['area']['name']} 诉求考核 {whole['from']} 至 {whole['to']}"])
    sheet["A1"].font = Font(bold=True)
    sheet.append(list(HEADERS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for r in rows:
        level = r["area"]["level"]
        sheet.append([r["area"]["code"], r["area"]["name"], LEVELS.get(level, level),
                      *(r[f] for f in STAT_FIELDS)])
    for col, width in zip("ABCDEFGHIJK", (18, 24, 8, 8, 8, 8, 10, 8, 12, 12, 8), strict=True):
        sheet.column_dimensions[col].width = width
    out = io.BytesIO()
    book.save(out)
    return f"requests-{area}-{whole['from']}-{whole['to']}.xlsx", out.getvalue()
