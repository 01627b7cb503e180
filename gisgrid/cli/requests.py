"""``gisgrid requests``: take requests in from a file, move them, escalate, configure, measure.

``import FILE`` reads JSON lines, a JSON array or CSV (columns ``lon, lat, coordsys,
address, category, description, source, reporter_name, reporter_phone, reported_at,
photos`` with photos separated by ``;``); every request is routed as the API routes it,
and the whole file goes in one transaction: a bad line stops the import (its number is
reported) and nothing is written. Writing verbs take ``--dry-run``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from gisgrid.cli.common import new_app, session
from gisgrid.errors import GisGridError, InvalidInputError

requests_app = new_app("Residents' requests (诉求): import, move, escalate, categories, holidays, stats.")
DryRun = Annotated[bool, typer.Option("--dry-run", help="Do everything, print it, roll it back")]
ACTOR = "cli"


def read_requests(path: Path) -> list[dict[str, Any]]:
    """The request documents of a JSON-lines, JSON or CSV file (see the module docstring)."""
    raw = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        docs = []
        for row in csv.DictReader(raw.splitlines()):
            doc: dict[str, Any] = {k: v for k, v in row.items() if v not in (None, "") and k}
            for k in ("lon", "lat"):
                if k in doc:
                    try:
                        doc[k] = float(doc[k])
                    except ValueError as exc:
                        raise InvalidInputError(f"line {len(docs) + 2}: {k} is not a number") from exc
            name, phone = doc.pop("reporter_name", None), doc.pop("reporter_phone", None)
            if name or phone:
                doc["reporter"] = {"name": name, "phone": phone}
            if "photos" in doc:
                doc["photos"] = [p for p in doc["photos"].split(";") if p]
            docs.append(doc)
        return docs
    text = raw.strip()
    if text.startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@requests_app.command("import")
def import_cmd(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL, JSON or CSV")],
               dry_run: DryRun = False) -> None:
    """Take in every request of FILE, routed to its grid (one transaction: all or nothing;
    written set-based, as ``POST /v1/requests/batch`` writes)."""
    from gisgrid.address.lookup import lookup_address
    from gisgrid.lookup.point import index_for
    from gisgrid.requests import MAX_BATCH, Rules, take_in_batch

    try:
        docs = read_requests(file)
    except (ValueError, InvalidInputError) as exc:
        raise typer.BadParameter(f"{file}: {exc}") from exc
    with session(dry_run=dry_run, announce=True) as s:
        index, rules = index_for(s, len(docs)), Rules.load(s)
        stages: dict[str, int] = {}
        flagged = 0
        # Batches of the API's limit, in one transaction: a batch sees the ones before it.
        for first in range(0, len(docs), MAX_BATCH):
            chunk = []
            for i, doc in enumerate(docs[first:first + MAX_BATCH], start=first + 1):
                try:
                    if isinstance(doc, dict) and isinstance(doc.get("reported_at"), str):
                        doc = {**doc, "reported_at": dt.datetime.fromisoformat(doc["reported_at"])}
                except ValueError as exc:
                    raise InvalidInputError(f"{file.name} request {i}: {exc}; nothing imported") from exc
                chunk.append(doc)
            try:
                taken = take_in_batch(s, chunk, index=index, rules=rules, actor=ACTOR,
                                      resolve_address=lambda q: lookup_address(s, q, rooms=False))
            except GisGridError as exc:     # its own code, the line named
                cause = exc.__cause__ if isinstance(exc.__cause__, GisGridError) else exc
                at = (exc.details or {}).get("index")
                where = f"request {first + at + 1}" if at is not None else f"requests {first + 1}-"
                exc.message = f"{file.name} {where}: {cause.message}; nothing imported"
                raise
            for t in taken:
                stages[t["stage"]] = stages.get(t["stage"], 0) + 1
                flagged += bool(t["duplicates"])
        counts = ", ".join(f"{k} {v}" for k, v in sorted(stages.items()))
        typer.echo(f"{len(docs)} requests taken in: {counts}; {flagged} with likely duplicates")


@requests_app.command("move")
def move_cmd(request_id: int, to: str, note: Annotated[str | None, typer.Option()] = None,
             master: Annotated[int | None, typer.Option(help="For duplicate: the master request")] = None,
             department: Annotated[str | None, typer.Option(help="For referred")] = None,
             dry_run: DryRun = False) -> None:
    """Move a request to another stage (refused unless its stage allows it)."""
    from gisgrid.requests import Rules, move_request

    with session(dry_run=dry_run, announce=True) as s:
        before = move_request(s, request_id, to, rules=Rules.load(s), note=note, actor=ACTOR, master=master,
                              department=department)
    typer.echo(f"request {request_id}: {before['stage']} → {to}")


@requests_app.command("escalate")
def escalate_cmd(dry_run: DryRun = False) -> None:
    """Escalate the overdue open requests (community, then subdistrict); run it from cron."""
    from gisgrid.requests import Rules, escalate_overdue

    with session(dry_run=dry_run, announce=True) as s:
        done = escalate_overdue(s, rules=Rules.load(s), actor=ACTOR)
    for d in done:
        typer.echo(f"request {d['id']}: {d['from']} → {d['to']}")
    typer.echo(f"{len(done)} escalated")


@requests_app.command("categories")
def categories_cmd() -> None:
    """List the categories and their time limits (working days)."""
    from gisgrid.db.request_store import categories

    with session() as s:
        for c in categories(s):
            typer.echo(f"{c['code']:<16} {c['limit_days']:>3} 工作日  {c['name']} / {c['name_en']}")


@requests_app.command("category")
def category_cmd(code: str, days: Annotated[int, typer.Option(min=1, max=365, help="Working days allowed")],
                 name: Annotated[str | None, typer.Option()] = None,
                 name_en: Annotated[str | None, typer.Option()] = None, dry_run: DryRun = False) -> None:
    """Add a category or change its time limit (new registrations only; deadlines set stay)."""
    from gisgrid.db.request_store import set_category

    with session(dry_run=dry_run, announce=True) as s:
        set_category(s, code, limit_days=days, name=name, name_en=name_en)
    typer.echo(f"{code}: {days} working days")


@requests_app.command("holidays")
def holidays_cmd(add: Annotated[list[str] | None, typer.Option(help="Day (YYYY-MM-DD) off")] = None,
                 workday: Annotated[list[str] | None, typer.Option(help="Make-up working day")] = None,
                 remove: Annotated[list[str] | None, typer.Option(help="Day to forget")] = None,
                 name: Annotated[str | None, typer.Option(help="e.g. 国庆节")] = None,
                 dry_run: DryRun = False) -> None:
    """Show the calendar's holidays and make-up working days, or change them."""
    from gisgrid.db.request_store import calendar_days, remove_holiday, set_holiday

    try:
        days = [(dt.date.fromisoformat(d), w) for ds, w in ((add or [], False), (workday or [], True))
                for d in ds]
        gone = [dt.date.fromisoformat(d) for d in remove or []]
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    with session(dry_run=dry_run, announce=bool(days or gone)) as s:
        for day, w in days:
            set_holiday(s, day, workday=w, name=name)
        for day in gone:
            remove_holiday(s, day)
        for d in calendar_days(s):
            typer.echo(f"{d['day']}  {'补班' if d['workday'] else '休'}  {d['name'] or ''}")


@requests_app.command("stats")
def stats_cmd(area: str, start: Annotated[str | None, typer.Option("--from")] = None,
              end: Annotated[str | None, typer.Option("--to")] = None,
              xlsx: Annotated[Path | None, typer.Option(help="Also write the Excel workbook here")] = None,
              ) -> None:
    """The assessment figures of an area (grid, community, subdistrict, district) as JSON."""
    from gisgrid.export.requests import stats_workbook
    from gisgrid.requests import request_stats

    first = dt.date.fromisoformat(start) if start else None
    last = dt.date.fromisoformat(end) if end else None
    with session() as s:
        typer.echo(json.dumps(request_stats(s, area, start=first, end=last, parts=True), ensure_ascii=False,
                              indent=1))
        if xlsx is not None:
            _, data = stats_workbook(s, area, start=first, end=last)
            xlsx.write_bytes(data)
            typer.echo(f"wrote {xlsx}")
