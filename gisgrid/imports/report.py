"""The import report: every row's outcome, its counts, what was written; as JSON and XLSX.

The report names rows by their row number in the file and says where each led (the
registry's address, the grid) and why not; it never repeats a row's personal fields
(household head, phone), which stay in the caller's own file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gisgrid.imports.xlsx import write_xlsx

__all__ = ["STATUSES", "ImportReport"]

STATUSES = ("matched", "ambiguous", "unmatched", "duplicate")

_XLSX_COLUMNS = (("row", "行号"), ("status", "状态"), ("confidence", "置信度"), ("address", "登记地址"),
                 ("match", "匹配地址"), ("grid_code", "网格编码"), ("grid_name", "网格名称"),
                 ("candidates", "候选"), ("reason", "原因"), ("duplicate_of", "重复于行"), ("key", "键"))
_STATUS_ZH = {"matched": "已匹配", "ambiguous": "有歧义", "unmatched": "未匹配", "duplicate": "重复"}


@dataclass(slots=True)
class ImportReport:
    """What an import found and did (``written`` is None for a dry run)."""

    kind: str
    dry_run: bool
    file: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    written: dict[str, int] | None = None
    #: Active plans whose stored assignment was recomputed (households or shops written).
    assigned: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows in all and per status."""
        c = Counter(r["status"] for r in self.rows)
        return {"rows": len(self.rows), **{s: c.get(s, 0) for s in STATUSES}}

    def to_dict(self) -> dict[str, Any]:
        """The report as the API sends it (``--json`` prints the same)."""
        return {"kind": self.kind, "dry_run": self.dry_run, "file": self.file, "counts": self.counts(),
                "written": self.written, "assigned": self.assigned, "rows": self.rows}

    def to_xlsx(self) -> bytes:
        """The report as a workbook: a summary sheet (汇总) and one row per register row (明细)."""
        summary: list[list[Any]] = [["导入 import", self.kind],
                                    ["试运行 dry run", "是 yes" if self.dry_run else "否 no"]]
        for k, v in self.file.items():
            summary.append([k, v if not isinstance(v, dict) else ", ".join(f"{a}={b}" for a, b in v.items())])
        for k, v in self.counts().items():
            summary.append([f"{_STATUS_ZH.get(k, '行数')} {k}", v])
        for k, v in (self.written or {}).items():
            summary.append([f"written {k}", v])
        return write_xlsx([("汇总 summary", summary), ("明细 rows", self._detail())])

    def _detail(self) -> Iterator[list[Any]]:
        yield [f"{zh} {en}" for en, zh in _XLSX_COLUMNS]
        for r in self.rows:
            grid = r.get("grid") or {}
            cands = "; ".join(f"{c['address']} ({c['confidence']})" for c in r.get("candidates") or [])
            yield [r["row"], f"{_STATUS_ZH[r['status']]} {r['status']}", r.get("confidence"),
                   r.get("address"), r.get("match"), grid.get("code"), grid.get("name"),
                   cands or None, r.get("reason"), r.get("duplicate_of"), r.get("key")]
