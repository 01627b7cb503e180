"""Taking a request in: checked, located, routed to the grid that owns its place, registered.

Routing is the lookup's answer for the place (:mod:`gisgrid.lookup`: the owner by the one
rule of :mod:`gisgrid.rules`, the business grids over it, the community and the team),
so a request reaches exactly the grid and team ``GET /v1/lookup`` names; an address
goes through the address matcher (:mod:`gisgrid.address`), whose confidence is kept.

A request routed to a grid is registered (立案) at once and its deadline set from its
category's limit (:class:`Rules`); one located by an address matched with confidence
below :data:`REGISTER_CONFIDENCE` stays ``accepted`` (受理) until a person checks its
place and registers it.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.orm import Session

from gisgrid.db import request_store
from gisgrid.errors import InvalidInputError, OutsideCoverageError, UnknownCategoryError
from gisgrid.lookup.index import LookupIndex
from gisgrid.lookup.point import wgs84_point
from gisgrid.requests.clock import WorkCalendar
from gisgrid.rules import utc_now

__all__ = ["DUPLICATE_M", "REGISTER_CONFIDENCE", "SOURCES", "Intake", "Routed", "Routing", "Rules",
           "RulesCache", "route_answer", "route_intake", "take_in"]

#: Where requests come from (free text is refused: the figures are counted by source).
SOURCES = ("hotline_12345", "patrol", "walk_in", "wechat", "open311", "phone", "app", "letter", "import")
#: Open requests of the same category within this distance are likely duplicates.
DUPLICATE_M = 50.0
#: An address matched with at least this confidence is registered at once.
REGISTER_CONFIDENCE = 0.8
_PHONE = re.compile(r"^[0-9+\-() ]{3,30}$")
_URL = re.compile(r"^https?://[^\s]{1,490}$")
MAX_DESCRIPTION = 2000
MAX_PHOTOS = 10


@dataclass(frozen=True)
class Rules:
    """The configurable rules of requests: categories (limits in working days) and the calendar."""

    limits: dict[str, int]
    names: dict[str, str]
    calendar: WorkCalendar

    @classmethod
    def load(cls, session: Session) -> Rules:
        cats = request_store.categories(session)
        off, on = request_store.holidays(session)
        return cls({c["code"]: int(c["limit_days"]) for c in cats}, {c["code"]: c["name"] for c in cats},
                   WorkCalendar(off, on))

    def limit(self, category: str) -> int:
        """Working days allowed for ``category``, or :class:`UnknownCategoryError`."""
        try:
            return self.limits[category]
        except KeyError:
            raise UnknownCategoryError(
                f"unknown category {category!r}; known: {', '.join(sorted(self.limits))}",
                details={"known": sorted(self.limits)}) from None


class RulesCache:
    """:class:`Rules` read at most every ``max_age_s`` seconds (a server's many intakes)."""

    def __init__(self, max_age_s: float = 5.0) -> None:
        self.max_age_s = max_age_s
        self._rules: Rules | None = None
        self._at = 0.0
        self._lock = threading.Lock()

    def get(self, session: Session) -> Rules:
        with self._lock:
            if self._rules is None or time.monotonic() - self._at > self.max_age_s:
                self._rules, self._at = Rules.load(session), time.monotonic()
            return self._rules

    def invalidate(self) -> None:
        self._rules = None


@dataclass(frozen=True)
class Routing:
    """Where a request goes: the lookup's answer for its place."""

    grid: dict[str, Any]
    overlays: list[dict[str, Any]]
    community: dict[str, Any] | None
    staff: list[dict[str, Any]]


def route_answer(answer: dict[str, Any]) -> Routing:
    """The routing in a lookup (or address lookup) answer."""
    return Routing(answer["grid"], list(answer.get("overlays") or []), answer.get("community"),
                   list(answer.get("staff") or []))


@dataclass(frozen=True)
class Intake:
    """A request as taken in, checked (see :meth:`from_dict`)."""

    category: str
    description: str | None
    source: str
    lon: float | None = None
    lat: float | None = None
    coordsys: str = "wgs84"
    address: str | None = None
    reporter: dict[str, str | None] | None = None
    photos: tuple[str, ...] = ()
    title: str | None = None
    reported_at: dt.datetime | None = None

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Intake:
        """Check a request document (the body of ``POST /v1/requests``, a line of an import).

        Raises
        ------
        InvalidInputError
            A place missing or given twice, an unknown source, a description, reporter or
            photo list out of bounds.
        """
        if not isinstance(doc, dict):
            raise InvalidInputError("a request must be a JSON object")
        has_point = doc.get("lon") is not None or doc.get("lat") is not None
        address = doc.get("address")
        if has_point == (address is not None):
            raise InvalidInputError('give the place either as "lon" and "lat" (with "coordsys") '
                                    'or as "address", not both and not neither')
        category, source = doc.get("category"), doc.get("source", "walk_in")
        if not isinstance(category, str) or not category:
            raise InvalidInputError('"category" is required (GET /v1/requests/categories lists them)')
        if source not in SOURCES:
            raise InvalidInputError(f"source must be one of {', '.join(SOURCES)}, got {source!r}",
                                    details={"known": list(SOURCES)})
        description = doc.get("description")
        if description is not None and (not isinstance(description, str)
                                        or len(description) > MAX_DESCRIPTION):
            raise InvalidInputError(f"description must be text of at most {MAX_DESCRIPTION} characters")
        reporter = _reporter(doc.get("reporter"))
        photos = doc.get("photos") or []
        if (not isinstance(photos, list) or len(photos) > MAX_PHOTOS
                or not all(isinstance(p, str) and _URL.match(p) for p in photos)):
            raise InvalidInputError(f"photos must be a list of at most {MAX_PHOTOS} http(s) URLs")
        if has_point:
            lon, lat = doc.get("lon"), doc.get("lat")
            if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
                raise InvalidInputError('"lon" and "lat" must both be numbers')
        elif not isinstance(address, str) or not address.strip():
            raise InvalidInputError('"address" must be non-empty text')
        title = doc.get("title")
        if title is not None and (not isinstance(title, str) or len(title) > 200):
            raise InvalidInputError("title must be text of at most 200 characters")
        return cls(category=category, description=description, source=source,
                   lon=float(doc["lon"]) if has_point else None, lat=float(doc["lat"]) if has_point else None,
                   coordsys=str(doc.get("coordsys") or "wgs84"), address=address, reporter=reporter,
                   photos=tuple(photos), title=title, reported_at=doc.get("reported_at"))


def _reporter(value: Any) -> dict[str, str | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"name", "phone"}:
        raise InvalidInputError('reporter must be {"name": ..., "phone": ...}')
    name, phone = value.get("name"), value.get("phone")
    if name is not None and (not isinstance(name, str) or len(name) > 50):
        raise InvalidInputError("reporter.name must be text of at most 50 characters")
    if phone is not None and (not isinstance(phone, str) or not _PHONE.match(phone)):
        raise InvalidInputError("reporter.phone must be a phone number (digits, + - ( ) and spaces, 3-30)")
    return {"name": name, "phone": phone}


def take_in(session: Session, intake: Intake, *, index: LookupIndex, rules: Rules,
            resolve_address: Callable[[str], dict[str, Any]] | None = None,
            actor: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Store a request routed to the grid owning its place; its id, routing, deadline and
    likely duplicates.

    Parameters
    ----------
    session : Session
        The unit of work (the caller commits).
    intake : Intake
        The checked request.
    index : LookupIndex
        The grids in force, in memory (the API's lookup cache, or ``index_for`` in the CLI).
    rules : Rules
        Categories and calendar.
    resolve_address : callable, optional
        ``q → address lookup answer`` (``gisgrid.address.lookup_address``); needed for
        requests located by address.
    actor : str, optional
        Who took it in (recorded with the intake).
    now : datetime, optional
        When it was received (default now; ``intake.reported_at`` wins for imports).

    Returns
    -------
    dict
        ``{"id", "stage", "category", "grid", "overlays", "community", "team", "due_at",
        "duplicates"}``: the contract's answer of ``POST /v1/requests``.

    Raises
    ------
    OutsideCoverageError
        The place is outside every grid in force.
    UnknownCategoryError, InvalidInputError, AddressNotFoundError
        As the intake's checks say.

    Examples
    --------
    >>> take_in(session, Intake.from_dict({"lon": 109.74, "lat": 38.29, "category": "parking",
    ...         "source": "patrol"}), index=index, rules=Rules.load(session))["stage"]  # doctest: +SKIP
    'registered'
    """
    routed = route_intake(intake, index=index, rules=rules, resolve_address=resolve_address, now=now)
    rid, duplicates = request_store.insert_request(session, **routed.row(), actor=actor,
                                                   duplicates_within_m=DUPLICATE_M)
    return routed.answer(rid, duplicates)


@dataclass(frozen=True)
class Routed:
    """A checked request with its place, routing, stage and deadline: ready to be stored."""

    intake: Intake
    routing: Routing
    lon: float
    lat: float
    confidence: float | None
    stage: str
    received: dt.datetime
    due: dt.datetime | None
    title: str

    def row(self) -> dict[str, Any]:
        """The storage's arguments (:func:`gisgrid.db.request_store.insert_request`)."""
        i = self.intake
        return {"grid_id": self.routing.grid["id"], "overlay_ids": [o["id"] for o in self.routing.overlays],
                "lon": self.lon, "lat": self.lat, "category": i.category, "title": self.title,
                "description": i.description, "source": i.source, "address": i.address,
                "confidence": self.confidence, "photos": list(i.photos), "reporter": i.reporter,
                "stage": self.stage, "reported_at": self.received, "due_at": self.due}

    def answer(self, rid: int, duplicates: list[dict[str, Any]]) -> dict[str, Any]:
        """The contract's answer of ``POST /v1/requests`` once stored as ``rid``."""
        r = self.routing
        return {"id": rid, "stage": self.stage, "category": self.intake.category, "grid": r.grid,
                "overlays": r.overlays, "community": r.community,
                "team": [s for s in r.staff if s.get("role") in ("leader", "full_time")],
                "due_at": None if self.due is None else self.due.isoformat(), "duplicates": duplicates}


def route_intake(intake: Intake, *, index: LookupIndex, rules: Rules,
                 resolve_address: Callable[[str], dict[str, Any]] | None = None,
                 now: dt.datetime | None = None) -> Routed:
    """Locate and route a checked request, its stage and deadline set (nothing stored).

    Raises as :func:`take_in` does (outside coverage, unknown category, unresolvable address).
    """
    limit = rules.limit(intake.category)
    received = intake.reported_at or now or utc_now()
    confidence = None
    if intake.address is not None:
        if resolve_address is None:
            raise InvalidInputError("this intake cannot resolve addresses; give lon and lat")
        answer = resolve_address(intake.address)
        match = answer["match"]
        confidence = float(match.get("confidence") or 0.0)
        wlon, wlat = _lonlat(match["location"])
        routing = route_answer(answer)
    else:
        assert intake.lon is not None and intake.lat is not None
        wlon, wlat = wgs84_point(intake.lon, intake.lat, intake.coordsys)
        body = index.answer(wlon, wlat)
        if body is None:
            raise OutsideCoverageError(f"({intake.lon}, {intake.lat}) {intake.coordsys} is outside every "
                                       "grid in force: no team to route the request to",
                                       details={"distance_m": None})
        routing = route_answer(orjson.loads(body))
    register = confidence is None or confidence >= REGISTER_CONFIDENCE
    stage = "registered" if register else "accepted"
    due = rules.calendar.deadline(received, limit) if register else None
    return Routed(intake, routing, wlon, wlat, confidence, stage, received, due,
                  intake.title or _title(intake, rules))


def _title(intake: Intake, rules: Rules) -> str:
    text = (intake.description or "").strip().splitlines()[0] if intake.description else ""
    head = rules.names.get(intake.category, intake.category)
    return (f"{head}：{text}" if text else head)[:60]


def _lonlat(location: Any) -> tuple[float, float]:
    if isinstance(location, dict):
        if "coordinates" in location:
            lon, lat = location["coordinates"][:2]
        else:
            lon, lat = location["lon"], location["lat"]
    else:
        lon, lat = location[:2]
    return float(lon), float(lat)
