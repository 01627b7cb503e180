"""Liveness and database health."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.errors import error_body
from api.schemas.errors import route_responses
from api.schemas.health import Health

log = logging.getLogger("gisgrid.api")
router = APIRouter(tags=["health"])


@router.get("/health", summary="Is the service up and is PostGIS reachable?",
            response_model=Health, responses=route_responses(503))
def health(request: Request) -> Any:
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means "unhealthy"
        # The reason (host, port, driver text) goes to the log, never to the client.
        log.warning("health: database unreachable: %s", exc)
        return JSONResponse(error_body("database_unavailable", "the database is unreachable"),
                            status_code=503)
    return {"status": "ok", "database": "ok"}
