"""CLI verbs for assignment and lookup: ``gisgrid assign`` and ``gisgrid lookup``."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from gisgrid.cli.common import engine as _engine
from gisgrid.cli.common import fail as _fail
from gisgrid.errors import GisGridError

#: Points per batch query when looking up a file.
CHUNK = 10_000



def assign(
    plan: Annotated[int, typer.Option("--plan", help="Plan id (see GET /v1/plans)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compute and report, store nothing")] = False,
) -> None:
    """Recompute the stored household/shop -> grid assignments of a plan; print totals."""
    from gisgrid.assign.plan import assign_plan
    from gisgrid.db.assign_store import assignment_totals
    from gisgrid.db.audit_store import record_event
    from gisgrid.db.engine import make_sessionmaker

    try:
        with make_sessionmaker(_engine())() as session:
            summary = assign_plan(session, plan)
            totals = assignment_totals(session, plan)
            record_event(session, "assign", "plan", plan, actor="cli", details={
                "households": summary.households, "shops": summary.shops,
                "unassigned_households": len(summary.unassigned_households)})
            session.rollback() if dry_run else session.commit()
    except GisGridError as exc:
        _fail(exc)
    for t in totals:
        typer.echo(f"{t['code']}  {t['name']:<16}  {t['kind']:<11}  households {t['households']:>6,}  "
                   f"residents {t['residents']:>7,}  shops {t['shops']:>4,}")
    verb = "would store" if dry_run else "stored"
    typer.echo(f"{verb}: {summary.households:,} households, {summary.shops:,} shops in plan {plan}; "
               f"{summary.on_boundary:,} on a boundary; outside every grid: "
               f"{len(summary.unassigned_households):,} households "
               f"{summary.unassigned_households[:20]}, {len(summary.unassigned_shops):,} shops "
               f"{summary.unassigned_shops[:20]}")


def _flat(result: dict[str, Any] | None) -> dict[str, Any]:
    """One CSV row's lookup columns (team names are left out: personal data)."""
    if result is None:
        return {"grid_code": "", "grid_name": "", "grid_kind": "", "community": "",
                "subdistrict": "", "district": "", "near_boundary": "", "alternatives": "",
                "overlays": ""}
    area = lambda k: (result.get(k) or {}).get("name", "")  # noqa: E731 - tiny accessor
    return {"grid_code": result["grid"]["code"], "grid_name": result["grid"]["name"],
            "grid_kind": result["grid"]["kind"], "community": area("community"),
            "subdistrict": area("subdistrict"), "district": area("district"),
            "near_boundary": str(result["near_boundary"]).lower(),
            "alternatives": ";".join(a["code"] for a in result["alternatives"]),
            "overlays": ";".join(o["code"] for o in result["overlays"])}


def _lookup_file(session: Any, src: Path, out: Path | None, coordsys: str,
                 on: dt.date | None) -> None:
    from gisgrid.lookup.point import index_for, lookup_points

    with src.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    if rows and not {"lon", "lat"} <= set(rows[0]):
        raise typer.BadParameter(f"{src} needs 'lon' and 'lat' columns")
    points = []
    for line, r in enumerate(rows, start=2):      # line 1 is the header
        try:
            points.append([float(r["lon"]), float(r["lat"])])
        except (TypeError, ValueError):
            raise typer.BadParameter(
                f"{src} line {line}: lon and lat must be numbers, got {r['lon']!r}, {r['lat']!r}") from None
    # One read of the grids in force for the whole file.
    index = index_for(session, len(points), on=on)
    results: list[dict[str, Any] | None] = []
    with typer.progressbar(range(0, len(rows), CHUNK), label="looking up",
                           length=(len(rows) + CHUNK - 1) // CHUNK,
                           file=typer.get_text_stream("stderr")) as bar:
        for start in bar:
            results += lookup_points(session, points[start:start + CHUNK],
                                     coordsys=coordsys, on=on, index=index)
    fields = list(rows[0]) + list(_flat(None)) if rows else ["lon", "lat", *_flat(None)]
    sink = out.open("w", newline="", encoding="utf-8") if out else None
    writer = csv.DictWriter(sink or typer.get_text_stream("stdout"), fieldnames=fields)
    writer.writeheader()
    for row, res in zip(rows, results, strict=True):
        writer.writerow({**row, **_flat(res)})
    if sink:
        sink.close()
        inside = sum(r is not None for r in results)
        typer.echo(f"{len(rows):,} points, {inside:,} inside a grid -> {out}", err=True)


def lookup(
    args: Annotated[list[str] | None, typer.Argument(help="LON LAT, or one address in quotes")] = None,
    coordsys: Annotated[str, typer.Option(help="wgs84, cgcs2000, gcj02 or bd09")] = "wgs84",
    date: Annotated[str | None, typer.Option(help="Plans in force on this day, YYYY-MM-DD "
                                                    "(default: today in China)")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="CSV with lon,lat columns")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Output CSV")] = None,
) -> None:
    """Which grid (and team) a point or an address belongs to; or a whole CSV of points."""
    from gisgrid.address.lookup import lookup_address
    from gisgrid.db.engine import make_sessionmaker
    from gisgrid.lookup.point import lookup_point

    args = args or []
    try:
        on = dt.date.fromisoformat(date) if date else None
    except ValueError as exc:
        raise typer.BadParameter(f"--date must be YYYY-MM-DD, got {date!r}") from exc
    if not file and len(args) not in (1, 2):
        raise typer.BadParameter("give LON LAT, an address, or --file points.csv")
    try:
        with make_sessionmaker(_engine())() as session:
            if file:
                _lookup_file(session, file, output, coordsys, on)
                return
            if len(args) == 2:
                try:
                    lon, lat = float(args[0]), float(args[1])
                except ValueError as exc:
                    raise typer.BadParameter("LON and LAT must be numbers") from exc
                result = lookup_point(session, lon, lat, coordsys=coordsys, on=on)
            else:
                result = lookup_address(session, args[0], coordsys=coordsys, on=on)
    except GisGridError as exc:
        _fail(exc)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


def register(app: typer.Typer) -> None:
    """Add ``assign`` and ``lookup`` to the ``gisgrid`` command."""
    app.command("assign")(assign)
    app.command("lookup")(lookup)
