"""``/v1/requests``: residents' requests (诉求), their stages and the assessment figures."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import AreaRef
from api.schemas.lookup import GridRef
from gisgrid.requests import REQUEST_STAGES, SOURCES

Stage = Literal[REQUEST_STAGES]  # type: ignore[valid-type]
Source = Literal[SOURCES]  # type: ignore[valid-type]


class Reporter(BaseModel):
    """Who reported it (personal data: never in public answers)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=50)
    phone: str | None = Field(None, max_length=30, pattern=r"^[0-9+\-() ]{3,30}$")


class RequestIn(BaseModel):
    """A request to take in: a place (lon/lat in ``coordsys``, or an address), what and who."""

    model_config = ConfigDict(extra="forbid")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    coordsys: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84"
    address: str | None = Field(None, min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=30, description="GET /v1/requests/categories")
    description: str | None = Field(None, max_length=2000)
    title: str | None = Field(None, max_length=200)
    source: Source = "walk_in"
    reporter: Reporter | None = None
    photos: list[str] = Field(default_factory=list, max_length=10)


class TransitionIn(BaseModel):
    """A stage change: where to, and why."""

    model_config = ConfigDict(extra="forbid")
    to: str = Field(max_length=20, description="The stage to go to")
    note: str | None = Field(None, max_length=1000)
    master: int | None = Field(None, ge=1, le=2**31 - 1, description="For duplicate: the master request")
    department: str | None = Field(None, max_length=100, description="For referred: the department")


class TeamMember(BaseModel):
    """The grid's leader or full-time worker (name hidden where team names are not public)."""

    role: str
    name: str | None


class Duplicate(BaseModel):
    """An open request of the same category within 50 m."""

    id: int
    distance_m: float
    stage: Stage


class RequestTaken(BaseModel):
    """The answer of an intake: where the request went."""

    id: int
    stage: Stage
    category: str
    grid: GridRef
    overlays: list[GridRef]
    community: AreaRef | None
    team: list[TeamMember]
    due_at: str | None = Field(description="ISO 8601; null until registered")
    duplicates: list[Duplicate] = Field(description="Likely duplicates, nearest first")


class RequestBatchIn(BaseModel):
    """Many requests at once (``POST /v1/requests/batch``): all taken in, or none."""

    model_config = ConfigDict(extra="forbid")
    requests: list[RequestIn] = Field(description="Each as POST /v1/requests takes it; at most 1,000 "
                                      "(413 beyond)")


class RequestBatchTaken(BaseModel):
    """The answer of a batch: each request's intake answer, in the batch's order."""

    requests: list[RequestTaken]


class RequestEvent(BaseModel):
    """One thing that happened to a request (signed-in callers only)."""

    kind: Literal["intake", "transition", "escalation", "reroute", "merge"]
    from_: str | None = Field(alias="from")
    to: str | None
    at: str
    actor: str | None
    note: str | None
    details: dict[str, Any] | None


class ReporterOut(BaseModel):
    """A reporter: only for the staff of the request's community (and admins)."""

    name: str | None
    phone: str | None
    at: str
    first_request: int = Field(description="The request they reported (another one if merged here)")


class LonLat(BaseModel):
    lon: float
    lat: float


class RequestOut(BaseModel):
    """One request as the caller may see it: the exact place, typed address and reporters
    only for the staff of its community; the history for signed-in callers."""

    id: int
    stage: Stage
    category: str
    title: str
    description: str | None
    source: str
    location: LonLat = Field(description="WGS84; for outsiders the centre of its ~10 m cell")
    address: str | None
    address_confidence: float | None
    photos: list[str]
    grid: GridRef | None
    overlays: list[GridRef]
    community: AreaRef | None
    subdistrict: AreaRef | None
    plan_id: int | None
    team: list[TeamMember]
    reported_at: str
    registered_at: str | None
    due_at: str | None
    overdue: bool
    closed_at: str | None
    closed_on_time: bool | None
    days_to_close: float | None = Field(description="Working days from registration, suspensions left out")
    escalation: Literal["grid", "community", "subdistrict"]
    master: int | None = Field(description="For a duplicate: the request it was merged into")
    referred_to: str | None
    returned: int
    updated_at: str
    duplicates: list[Duplicate] | None = Field(None, description="Open ones: likely duplicates")
    events: list[RequestEvent] | None = Field(None, description="Signed-in callers")
    reporters: list[ReporterOut] | None = Field(None, description="The community's staff, admins")


class RequestPage(BaseModel):
    total: int
    limit: int
    offset: int
    requests: list[RequestOut]


class Category(BaseModel):
    code: str
    name: str
    name_en: str
    limit_days: int = Field(description="Working days from registration to the deadline")


class Categories(BaseModel):
    categories: list[Category]
    stages: list[Stage]
    transitions: dict[str, list[str]]


class AreaNamed(BaseModel):
    code: str
    name: str
    level: str


class StatFigures(BaseModel):
    """The assessment figures of an area for the requests received in a period."""

    area: AreaNamed
    from_: str = Field(alias="from")
    to: str
    received: int
    closed: int
    closing_rate: float | None
    on_time_rate: float | None
    overdue_now: int
    mean_days_to_close: float | None
    p90_days_to_close: float | None
    returned: int


class RequestStats(StatFigures):
    """The figures of an area, and with ``parts=true`` those of each of its parts."""

    parts: list[StatFigures] | None = Field(None, description="With parts=true: one entry per part")
