"""``POST /v1/imports``: a register file in (households, shops, buildings, staff), its report out.

The file is the raw body (XLSX, or CSV in UTF-8 or GB18030); it is read, matched and
written in a worker process (``api.heavy``), with the caller's identity and scope: rows
outside the caller's scope are reported, not written. All or nothing, in one transaction.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.auth import Planner
from api.heavy import BULK_BODY, run_heavy
from api.schemas.errors import route_responses
from api.schemas.imports import ImportReport
from api.workers import worker_session
from gisgrid.access import Principal
from gisgrid.errors import InvalidRegisterError
from gisgrid.imports import import_register

router = APIRouter(prefix="/v1/imports", tags=["imports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BINARY = {"schema": {"type": "string", "format": "binary"}}
# The file as sent: XLSX is told from CSV by its signature, whatever the Content-Type says.
_BODY = {BULK_BODY: True, "requestBody": {"required": True, "description": "The register file: XLSX/XLS, "
                                          "or CSV in UTF-8 or GB18030", "content": {
    "application/octet-stream": _BINARY, "text/csv": _BINARY}}}


@router.post("", summary="Import a register (households, shops, buildings, staff) from XLSX or CSV",
             description="Every row is matched to its building, unit and grid through the address "
                         "matcher; only matched rows are written, all in one transaction. `dry_run` "
                         "writes nothing. Re-importing the same file changes nothing; a changed row "
                         "updates its record (by the register's id column, else the address). "
                         "`format=xlsx` answers the report as a workbook.",
             openapi_extra=_BODY,
             responses=route_responses(400, 403, 409, 413, 422, 503, ok=ImportReport,
                                       more={200: {"content": {XLSX: _BINARY}}}))
async def import_file(
    request: Request,
    who: Planner,
    kind: Annotated[Literal["households", "shops", "buildings", "staff"], Query(description="The register")],
    dry_run: Annotated[bool, Query(description="Match and report only: nothing is written")] = False,
    format: Annotated[Literal["json", "xlsx"], Query(description="The report's format")] = "json",  # noqa: A002
    filename: Annotated[str | None, Query(max_length=200, description="The file's name (report)")] = None,
    sheet: Annotated[str | None, Query(max_length=100, description="The workbook's sheet")] = None,
) -> Any:
    raw = await request.body()
    body = await run_heavy(request, import_job, raw, kind, dry_run, format, filename, sheet, who)
    if format == "xlsx":
        return Response(body, media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="import-{kind}-report.xlsx"'})
    return Response(body, media_type="application/json")


def import_job(raw: bytes, kind: str, dry_run: bool, fmt: str, filename: str | None, sheet: str | None,
               who: Principal) -> bytes:
    """``POST /v1/imports`` in a worker: read, match, write (unless a dry run), commit once."""
    if not raw:
        raise InvalidRegisterError("send the register file as the request body")
    covers = None if who.is_admin else who.covers
    with worker_session() as session:
        report = import_register(session, kind, raw, filename=filename, sheet=sheet, dry_run=dry_run,
                                 actor=who.user, covers=covers)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return report.to_xlsx() if fmt == "xlsx" else orjson.dumps(report.to_dict())
