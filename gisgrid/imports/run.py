"""Import a register: read it, match every row, report, and write the matched rows at once.

All or nothing: a file that breaks anywhere (its last row included) is refused before
anything is written; the writes run in the caller's transaction, which the caller
commits once (the CLI, the API's worker) or rolls back (a dry run, an error). Only
matched rows are written; ambiguous, unmatched and duplicate rows are reported. A row is
written under a stable key (the register's own id column, else the address it was
matched to), so importing the same register twice changes nothing and a changed row
updates its record instead of adding one (:mod:`gisgrid.db.import_store`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gisgrid.address.answer import GridView
from gisgrid.address.gazetteer import Gazetteer
from gisgrid.address.lookup import address_context
from gisgrid.address.parse import parse_address
from gisgrid.address.text import fold
from gisgrid.db import import_store
from gisgrid.db.audit_store import record_event
from gisgrid.errors import ImportConflictError, InvalidRegisterError
from gisgrid.imports.columns import parse_count
from gisgrid.imports.match import RowMatch, address_text, match_address
from gisgrid.imports.read import MAX_PROBLEMS, Record, Register, read_register
from gisgrid.imports.report import ImportReport

__all__ = ["Progress", "import_register"]

#: ``progress(done, total)``: called as rows are matched (every :data:`STEP` rows) and once at the end.
Progress = Callable[[int, int], None]
STEP = 2_000

_PHONE_RE = re.compile(r"^[0-9+\-() ]{3,20}$")
_ROLES = {"leader": "leader", "网格长": "leader", "组长": "leader",
          "full_time": "full_time", "专职": "full_time", "专职网格员": "full_time",
          "part_time": "part_time", "兼职": "part_time", "兼职网格员": "part_time", "楼栋长": "part_time"}


def _clean(rec: Record, problems: list[dict[str, Any]]) -> dict[str, Any]:
    """Personal and count fields checked: a value that cannot be stored breaks the file."""
    v = rec.values
    out: dict[str, Any] = {}
    if "size" in v:
        size = parse_count(v["size"]) if v["size"] else 1
        if size is None or size < 1:
            problems.append({"row": rec.row, "problem": f"人数 {v['size']!r} is not a head count"})
        out["size"] = size
    if "floors" in v:
        floors = parse_count(v["floors"]) if v["floors"] else None
        if v["floors"] and floors is None:
            problems.append({"row": rec.row, "problem": f"层数 {v['floors']!r} is not a number"})
        out["floors"] = floors
    phone = v.get("phone", "")
    if phone and not _PHONE_RE.match(phone):
        problems.append({"row": rec.row, "problem": f"电话 {phone!r} is not a phone number"})
    out["phone"] = phone or None
    for fld, most in (("head", 50), ("name", 50), ("operator", 50), ("category", 50), ("id", 100)):
        if len(v.get(fld, "")) > most:
            problems.append({"row": rec.row, "problem": f"{fld} longer than {most} characters"})
        out[fld] = v.get(fld) or None
    return out


def _own_key(fields: dict[str, Any]) -> str | None:
    return f"id:{fold(fields['id'])}" if fields.get("id") else None


class _Matcher:
    """Address matches of one import, each distinct text read once."""

    def __init__(self, gaz: Gazetteer, view: GridView, need_unit: bool, doors: bool = False) -> None:
        self.gaz, self.view, self.need_unit, self.doors = gaz, view, need_unit, doors
        self.seen: dict[str, RowMatch] = {}

    def __call__(self, text: str) -> RowMatch:
        m = self.seen.get(text)
        if m is None:
            m = self.seen[text] = match_address(self.gaz, self.view, text, need_unit=self.need_unit,
                                                doors=self.doors)
        return m


def _row(rec: Record, text: str, m: RowMatch) -> dict[str, Any]:
    return {"row": rec.row, "status": m.status, "confidence": m.confidence or None, "address": text,
            "match": m.label, "grid": m.grid, "candidates": m.candidates, "reason": m.reason,
            "duplicate_of": None, "key": None}


_ROOM_RE = re.compile(r"单元([A-Z]?\d+[A-Z]?)(?:室|户|号)?$")


def _room(m: RowMatch, rec: Record, text: str) -> str | None:
    """The room of a row: the registry's (an existing room), the 室 column, or the number
    after 单元 (3栋2单元301), else as the address parser reads it."""
    if m.room:
        return m.room
    room = rec.values.get("room")
    if not room:
        found = _ROOM_RE.search(fold(text))
        room = found.group(1) if found else parse_address(text).room
    return unicodedata.normalize("NFKC", room).upper().removesuffix("室") if room else None


def _households(reg: Register, gaz: Gazetteer, view: GridView, areas: dict[int, tuple[str, str]],
                covers: Callable[[str], bool] | None, progress: Progress | None
                ) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]], list[dict[str, Any]]]:
    match = _Matcher(gaz, view, need_unit=True)
    rows, writes, problems = [], [], []
    first: dict[str, int] = {}
    for n, rec in enumerate(reg.records, 1):
        fields = _clean(rec, problems)
        text = address_text(rec.values)
        m = match(text)
        row = _row(rec, text, m)
        rows.append(row)
        if progress and n % STEP == 0:
            progress(n, len(reg.records))
        if m.status != "matched":
            continue
        district, community = areas[m.building_id]    # type: ignore[index]
        if covers is not None and not covers(community):
            row.update(status="unmatched", reason=f"community {community} is outside your scope")
            continue
        room = _room(m, rec, text)
        if not room:
            row.update(status="unmatched", reason="no room (室) in the row")
            continue
        b = gaz.buildings[m.building_id]    # type: ignore[index]
        place = f"{fold(b.label)}/{m.unit_no}/{fold(room)}"
        key = _own_key(fields) or f"addr:{place}"
        row["key"] = key
        dup = next(((k, first[k]) for k in (key, place) if k in first), None)
        if dup is not None:
            what = "id" if dup[0] == key and key.startswith("id:") else "room"
            row.update(status="duplicate", duplicate_of=dup[1], reason=f"same {what} as row {dup[1]}")
        else:
            first[key] = first[place] = rec.row
            writes.append((key, district, m.building_id, m.unit_id, room,
                           f"{b.label}{m.unit_no}单元{room}室", fields["size"], fields["head"],
                           fields["phone"], m.lon, m.lat))
    return rows, writes, problems


def _buildings(reg: Register, gaz: Gazetteer, view: GridView, areas: dict[int, tuple[str, str]],
               covers: Callable[[str], bool] | None, progress: Progress | None
               ) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]], list[dict[str, Any]]]:
    match = _Matcher(gaz, view, need_unit=False)
    rows, writes, problems = [], [], []
    first: dict[Any, int] = {}
    for rec in reg.records:
        fields = _clean(rec, problems)
        text = address_text(rec.values)
        m = match(text)
        row = _row(rec, text, m)
        rows.append(row)
        if m.status != "matched":
            if m.status == "unmatched":
                row["reason"] += " (new buildings need a footprint: draw them in a GIS and load them)"
            continue
        if covers is not None and not covers(areas[m.building_id][1]):  # type: ignore[index]
            row.update(status="unmatched", reason="outside your scope")
            continue
        key = _own_key(fields) or f"addr:{fold(gaz.buildings[m.building_id].label)}"  # type: ignore[index]
        row["key"] = key
        dup = first.get(key, first.get(m.building_id))
        if dup is not None:
            row.update(status="duplicate", duplicate_of=dup, reason=f"same building as row {dup}")
            continue
        first[key] = first[m.building_id] = rec.row
        writes.append((key, m.building_id, fields["floors"]))
    return rows, writes, problems


def _shops(reg: Register, gaz: Gazetteer, view: GridView, areas: dict[int, tuple[str, str]],
           covers: Callable[[str], bool] | None, progress: Progress | None
           ) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]], list[dict[str, Any]]]:
    match = _Matcher(gaz, view, need_unit=False, doors=True)
    rows, writes, problems = [], [], []
    first: dict[str, int] = {}
    for rec in reg.records:
        fields = _clean(rec, problems)
        text = address_text(rec.values)
        m = match(text)
        row = _row(rec, text, m)
        rows.append(row)
        if not fields["name"]:
            row.update(status="unmatched", reason="no shop name in the row")
            continue
        if m.status != "matched":
            continue
        district, community = (areas[m.building_id] if m.building_id is not None
                               else (m.district, m.community))
        if covers is not None and not covers(community):   # type: ignore[arg-type]
            row.update(status="unmatched", reason="outside your scope")
            continue
        address = rec.values.get("address") or text
        key = _own_key(fields) or f"name:{fold(fields['name'])}@{fold(address)}"[:120]
        row["key"] = key
        if key in first:
            row.update(status="duplicate", duplicate_of=first[key], reason=f"same shop as row {first[key]}")
            continue
        first[key] = rec.row
        writes.append((key, district, fields["name"], fields["category"], fields["operator"],
                       fields["phone"], address, m.lon, m.lat))
    return rows, writes, problems


def _staff(reg: Register, grids: dict[str, dict[str, Any]], covers: Callable[[str], bool] | None
           ) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]], list[dict[str, Any]]]:
    rows, writes, problems = [], [], []
    first: dict[str, int] = {}
    for rec in reg.records:
        fields = _clean(rec, problems)
        grid_text = rec.values.get("grid", "")
        g = grids.get(grid_text) or grids.get(fold(grid_text))
        role = _ROLES.get(fold(rec.values.get("role", "")).lower()) or _ROLES.get(rec.values.get("role", ""))
        row = {"row": rec.row, "status": "matched", "confidence": 1.0, "address": grid_text, "match": None,
               "grid": None if g is None else {k: g[k] for k in ("id", "code", "name")},
               "candidates": [], "reason": None, "duplicate_of": None, "key": None}
        rows.append(row)
        why = ("no name in the row" if not fields["name"] else
               f"no grid {grid_text!r} in the active plans" if g is None else
               f"role {rec.values.get('role', '')!r} is not 网格长, 专职网格员 or 兼职网格员" if role is None
               else
               "outside your scope" if covers is not None and not covers(g["community"]) else None)
        if why:
            row.update(status="unmatched", confidence=None, reason=why)
            continue
        assert g is not None
        row["match"] = g["name"]
        key = _own_key(fields) or f"name:{fields['name']}/{fields['phone'] or ''}"
        row["key"] = key
        if key in first:
            row.update(status="duplicate", duplicate_of=first[key], reason=f"same person as row {first[key]}")
            continue
        first[key] = rec.row
        writes.append((key, g["district_code"], fields["name"], fields["phone"], g["id"], role))
    return rows, writes, problems


def import_register(session: Session, kind: str, data: bytes, *, filename: str | None = None,
                    sheet: str | None = None, columns: dict[str, str] | None = None,
                    dry_run: bool = False, actor: str | None = None,
                    covers: Callable[[str], bool] | None = None,
                    progress: Progress | None = None,
                    context: tuple[Gazetteer, GridView] | None = None) -> ImportReport:
    """Import a households, shops, buildings or staff register (XLSX or CSV).

    Parameters
    ----------
    session : Session
        Where to match and write; the caller commits (or rolls back).
    kind : str
        ``households``, ``shops``, ``buildings`` or ``staff``.
    data : bytes
        The file (see :func:`gisgrid.imports.read.read_register`).
    filename, sheet, columns
        The file's name (for the report), the sheet to read, field → header for headers
        not recognised by name.
    dry_run : bool
        Match and report only: nothing is written.
    actor : str, optional
        Who imports (the audit event's actor).
    covers : callable, optional
        ``covers(community_code)``: rows outside the caller's scope are reported unmatched.
    progress : callable, optional
        ``progress(done, total)`` while rows are matched.
    context : (Gazetteer, GridView), optional
        The address matcher's gazetteer and grid view (default: read from the session).

    Returns
    -------
    ImportReport
        Every row's status (matched, ambiguous, unmatched, duplicate), counts, and what
        was written (inserted, updated, unchanged).

    Raises
    ------
    InvalidRegisterError
        The file cannot be read whole, or a row holds a value that cannot be stored
        (``details["problems"]``); nothing is written.

    Examples
    --------
    >>> rep = import_register(session, "households", open("登记表.csv", "rb").read(),
    ...                       dry_run=True)                                  # doctest: +SKIP
    >>> rep.counts()                                                          # doctest: +SKIP
    {'rows': 5000, 'matched': 4700, 'ambiguous': 100, 'unmatched': 150, 'duplicate': 50}
    """
    reg = read_register(data, kind, sheet=sheet, columns=columns)
    if kind == "staff":
        rows, writes, problems = _staff(reg, import_store.grids_by_code(session), covers)
    else:
        gaz, view = context or address_context(session)
        areas = import_store.building_areas(session)
        step = {"households": _households, "buildings": _buildings, "shops": _shops}[kind]
        rows, writes, problems = step(reg, gaz, view, areas, covers, progress)
    if progress:
        progress(len(reg.records), len(reg.records))
    if problems:
        raise InvalidRegisterError(
            f"{len(problems)} row(s) hold values that cannot be stored (first: row {problems[0]['row']}, "
            f"{problems[0]['problem']}); nothing was imported",
            details={"problems": problems[:MAX_PROBLEMS], "count": len(problems)})
    report = ImportReport(kind, dry_run, {"name": filename, "format": reg.fmt, "encoding": reg.encoding,
                                          "sheet": reg.sheet, "header_row": reg.header_row,
                                          "columns": reg.columns}, rows)
    if dry_run:
        return report
    write = {"households": import_store.write_households, "buildings": import_store.write_buildings,
             "shops": import_store.write_shops, "staff": import_store.write_staff}[kind]
    try:
        with session.begin_nested():
            report.written = write(session, writes)
    except IntegrityError as exc:     # the unique register keys: a concurrent import of the same rows
        raise ImportConflictError("another import wrote the same register rows meanwhile; nothing of "
                                  "this one was written: import it again") from exc
    changed = report.written["inserted"] or report.written["updated"]
    if changed and kind in ("households", "shops"):
        # the stored assignments of the plans in force are a snapshot of who lies where
        # (gisgrid.assign.plan): new and moved households and shops join it now
        from gisgrid.assign.plan import assign_plan

        districts = sorted({w[1] for w in writes})
        for plan_id in import_store.active_plans(session, districts):
            assign_plan(session, plan_id)
            report.assigned.append(plan_id)
    if changed or report.written.get("team_changes"):
        record_event(session, "import", kind, None, actor=actor,
                     details={"file": filename, "counts": report.counts(), "written": report.written})
    return report
