"""``gisgrid plan``: plan versions from the command line (list, create, generate, redraw, edit,
activate, diff). Every command that writes takes ``--dry-run``: it runs the whole change
in a transaction, prints the result, and rolls it back."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from gisgrid.cli.common import new_app, session

plan_app = new_app("Plan versions: drafts, edits, activation, diffs.")
DryRun = Annotated[bool, typer.Option("--dry-run", help="Do everything, print it, roll it back")]
Version = Annotated[int, typer.Option("--version", help="The plan version you are editing")]
MinHouseholds = Annotated[int | None, typer.Option(help="Fewest households a grid may hold "
                                                   "(default: the plan's own bounds)")]
MaxHouseholds = Annotated[int | None, typer.Option(help="Most households a grid may hold "
                                                   "(default: the plan's own bounds)")]



def _session(dry_run: bool = False) -> Any:
    return session(dry_run=dry_run, announce=True)


def _print(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


@plan_app.command("list")
def list_cmd(status: Annotated[str | None, typer.Option(help="draft, active or retired")] = None) -> None:
    """List plan versions, newest first."""
    from gisgrid.db.queries import list_plans

    with _session() as s:
        for p in list_plans(s, status=status):
            typer.echo(f"{p['id']:>5}  {p['status']:<8} v{p['version']:<3} {p['scope']['code']}  "
                       f"{p['grids']:>4} grids  {p['effective_from'] or '-':>10}  {p['name']}")


@plan_app.command("create")
def create_cmd(scope: Annotated[str, typer.Option(help="Area code, e.g. 610802")],
               name: Annotated[str, typer.Option(help="Name of the new version")],
               upload: Annotated[Path | None, typer.Option(help="GeoJSON of grids (properties: "
                                                                 "community, name, kind, code)")] = None,
               min_households: MinHouseholds = None, max_households: MaxHouseholds = None,
               dry_run: DryRun = False) -> None:
    """Create a draft: a copy of the active plan, or the grids of a GeoJSON file.

    The draft's household bounds are the active plan's unless given."""
    from gisgrid.db.queries import get_plan
    from gisgrid.io.geojson import read_features
    from gisgrid.plans.versions import create_draft

    grids = None
    if upload is not None:
        doc = json.loads(upload.read_text(encoding="utf-8"))
        feats = read_features(doc, what=upload.name, geometry_types=("Polygon", "MultiPolygon"),
                              require_id=False)
        grids = [{**(f.get("properties") or {}), "geometry": g}
                 for f, (_, g) in zip(doc["features"], feats, strict=True)]
    with _session(dry_run) as s:
        plan_id = create_draft(s, scope=scope, name=name, grids=grids,
                               source="upload" if upload else "copy_active", author="cli",
                               household_bounds=(min_households, max_households))
        _print(get_plan(s, plan_id))


@plan_app.command("generate")
def generate_cmd(plan: int, community: str, version: Version, min_households: MinHouseholds = None,
                 max_households: MaxHouseholds = None, dry_run: DryRun = False) -> None:
    """Regenerate one community's grids of a draft from its streets and households."""
    from gisgrid.plans.versions import generate_community

    with _session(dry_run) as s:
        _print(generate_community(s, plan, community=community, expected_version=version,
                                  bounds=(min_households, max_households)))


@plan_app.command("edit")
def edit_cmd(plan: int, op: Annotated[str, typer.Argument(help="merge, split, renumber or team")],
             version: Version,
             grids: Annotated[str | None, typer.Option(help="merge: grid ids, comma-separated")] = None,
             grid: Annotated[int | None, typer.Option(help="split, team: the grid")] = None,
             street: Annotated[str | None, typer.Option(help="split: along this street")] = None,
             community: Annotated[str | None, typer.Option(help="renumber: community code")] = None,
             leader: Annotated[int | None, typer.Option(help="team: the grid leader's staff id")] = None,
             full_time: Annotated[int | None, typer.Option(help="team: the full-time worker's id")] = None,
             part_time: Annotated[str | None, typer.Option(help="team: part-time staff ids, a,b")] = None,
             dry_run: DryRun = False) -> None:
    """Edit a draft (the API also moves areas, replaces boundaries and saves the editor's work)."""
    from gisgrid.plans.versions import apply_edit

    args: dict[str, Callable[[], dict[str, Any]]] = {
        "merge": lambda: {"grids": [int(g) for g in (grids or "").split(",") if g]},
        "split": lambda: {"grid": grid, "street": street},
        "renumber": lambda: {"community": community},
        "team": lambda: {"grid": grid, "team": {
            "leader": leader, "full_time": full_time,
            "part_time": [int(x) for x in (part_time or "").split(",") if x]}},
    }
    if op not in args:
        raise typer.BadParameter(f"op must be one of {', '.join(args)}")
    with _session(dry_run) as s:
        _print(apply_edit(s, plan, op, expected_version=version, actor="cli", **args[op]()).to_dict())


@plan_app.command("redraw")
def redraw_cmd(plan: int, version: Version,
               community: Annotated[list[str] | None, typer.Option(
                   help="Community code; repeat for several (default: every community with a grid "
                        "out of bounds)")] = None,
               min_households: Annotated[int | None, typer.Option("--min", help="Fewest households "
                                                                 "per grid (default: the plan's)")] = None,
               max_households: Annotated[int | None, typer.Option("--max", help="Most households "
                                                                 "per grid (default: the plan's)")] = None,
               as_json: Annotated[bool, typer.Option("--json", help="Print the whole answer, "
                                                                    "GeoJSON included")] = False,
               dry_run: DryRun = False) -> None:
    """Fix a draft's grids that broke their household bounds, moving the fewest households."""
    from gisgrid.plans.redraw import redraw_draft

    with _session(dry_run) as s:
        out = redraw_draft(s, plan, expected_version=version, communities=community,
                           min_households=min_households, max_households=max_households,
                           dry_run=dry_run, actor="cli").to_dict()
        if as_json:
            _print(out)
        else:
            typer.echo("\n".join(_redraw_lines(out)))


def _redraw_lines(out: dict[str, Any]) -> list[str]:
    """The redraw's facts for a person: grids out of bounds, the proposal, what moves, the version."""
    lo, hi = out["bounds"]["min"], out["bounds"]["max"]
    head = (f"plan {out['plan_id']}: redrawn, now version {out['version']}" if out["written"]
            else f"plan {out['plan_id']}: nothing written, still version {out['version']}")
    lines = [head, f"bounds: {lo}-{hi} households per grid; communities: "
                   f"{', '.join(out['communities']) or '-'}",
             f"grids out of bounds: {len(out['out_of_bounds'])}"]
    lines += [f"  {g['code']} {g['name']}: {g['households']} households, "
              f"{'below the minimum' if g['bound'] == 'min' else 'above the maximum'} {g['limit']}"
              for g in out["out_of_bounds"]]
    prop = out["proposal"]
    lines.append(f"proposal: {len(prop['grids'])} grids changed or new, {len(prop['removed'])} removed")
    lines += [f"  {g['status']:<8}{g['code'] or g['label']} {g['name'] or ''}"
              f"{' (' + g['label'] + ')' if g['status'] == 'new' else ''}: "
              f"blocks {', '.join(map(str, g['blocks']))}; {g['households_before']} -> "
              f"{g['households']} households" for g in prop["grids"]]
    lines += [f"  removed {g['code']} {g['name']}: its area goes to {g['to']}" for g in prop["removed"]]
    lines += [f"  not fixed: {v['grid']} {v['kind']} ({v['households']} households): {v['suggestion']}"
              for v in prop["violations"]]
    moved = out["moved"]
    lines.append(f"moved: {moved['households']} households, {moved['shops']} shops "
                 f"({moved['blocks']} blocks)")
    return lines + [f"note: {n}" for n in out["notes"]]


@plan_app.command("activate")
def activate_cmd(plan: int, effective_from: Annotated[str | None, typer.Option(
        help="YYYY-MM-DD (default: today in China, UTC+8)")] = None, dry_run: DryRun = False) -> None:
    """Activate a draft; refused when its coverage check fails."""
    from gisgrid.db.queries import get_plan
    from gisgrid.plans.activation import activate_plan

    start = dt.date.fromisoformat(effective_from) if effective_from else None
    with _session(dry_run) as s:
        activate_plan(s, plan, effective_from=start, actor="cli")
        _print(get_plan(s, plan))


@plan_app.command("diff")
def diff_cmd(plan: int, before: Annotated[int | None, typer.Option(
        help="The other plan (default: the one it was made from)")] = None) -> None:
    """Which households and shops move from which grid to which."""
    from gisgrid.db.queries import get_plan
    from gisgrid.plans.versions import diff_plans

    with _session() as s:
        other = before or get_plan(s, plan)["parent_id"]
        if other is None:
            raise typer.BadParameter("the plan has no parent: give --before")
        _print(diff_plans(s, other, plan))
