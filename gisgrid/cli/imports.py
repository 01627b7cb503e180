"""``gisgrid import KIND FILE``: a households, shops, buildings or staff register in."""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from gisgrid.cli.common import session
from gisgrid.imports.columns import FIELDS, KINDS

_COLUMNS_HELP = "; ".join(f"{k}: {', '.join(f'{f} ({v[0]})' for f, v in FIELDS[k].items())}" for k in KINDS)


def _progress(done: int, total: int) -> None:
    end = "\n" if done >= total or not sys.stderr.isatty() else "\r"
    sys.stderr.write(f"matched {done:,} / {total:,} rows{end}")
    sys.stderr.flush()


def import_cmd(
    kind: Annotated[str, typer.Argument(help="households, shops, buildings or staff")],
    file: Annotated[Path, typer.Argument(help="The register: .xlsx/.xls, or .csv in UTF-8 or GB18030",
                                         exists=True, dir_okay=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Match and report only; write nothing")] = False,
    report: Annotated[Path | None, typer.Option(
        "-r", "--report", help="Write the row-by-row report here (.xlsx, or .json)")] = None,
    sheet: Annotated[str | None, typer.Option(help="The workbook's sheet (default: the first)")] = None,
    column: Annotated[list[str] | None, typer.Option(
        "--column", help="FIELD=HEADER for a header not recognised by name (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole report as JSON")] = False,
) -> None:
    """Import a register: every row matched to its building, unit and grid; all or nothing.

    Re-importing the same register changes nothing; a changed row updates its record (by
    the register's id column, or the address). Fields and some of the headers recognised
    are listed below (full list: README, "Register imports").
    """
    from gisgrid.imports import import_register

    if kind not in KINDS:
        raise typer.BadParameter(f"one of {', '.join(KINDS)}", param_hint="KIND")
    given = {}
    for c in column or []:
        fld, _, header = c.partition("=")
        if not header:
            raise typer.BadParameter("FIELD=HEADER, e.g. building=楼号", param_hint="--column")
        given[fld.strip()] = header.strip()
    with session(dry_run=dry_run, announce=not as_json) as s:
        rep = import_register(s, kind, file.read_bytes(), filename=file.name, sheet=sheet,
                              columns=given or None, dry_run=dry_run, actor="cli",
                              progress=_progress if not as_json else None)
        if report is not None:
            body = rep.to_xlsx() if report.suffix.lower() != ".json" else json.dumps(
                rep.to_dict(), ensure_ascii=False, indent=1).encode()
            report.write_bytes(body)
    if as_json:
        typer.echo(json.dumps(rep.to_dict(), ensure_ascii=False))
        return
    c = rep.counts()
    typer.echo(f"{file.name}: {c['rows']:,} rows: {c['matched']:,} matched, {c['ambiguous']:,} ambiguous, "
               f"{c['unmatched']:,} unmatched, {c['duplicate']:,} duplicate")
    if rep.written is not None:
        w = rep.written
        typer.echo(f"written: {w['inserted']:,} inserted, {w['updated']:,} updated, "
                   f"{w['unchanged']:,} unchanged")
    if report is not None:
        typer.echo(f"report -> {report}")


import_cmd.__doc__ = inspect.cleandoc(import_cmd.__doc__ or "") + "\n\n" + _COLUMNS_HELP.replace("; ", "\n\n")
