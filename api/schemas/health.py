"""``GET /health``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Health(BaseModel):
    """The service answers and PostGIS is reachable (otherwise 503 with the error body)."""

    status: Literal["ok"]
    database: Literal["ok"]
