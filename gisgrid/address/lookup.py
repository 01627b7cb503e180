"""Address lookup: a written address to a registry place, its grid, and how sure we are.

The text is tokenised against the gazetteer (:mod:`gisgrid.address.tokens`: names found
anywhere, exactly, as homophones or with a wrong character; numbers with their
markers; landmark cues), its readings are tried against the registry
(:mod:`gisgrid.address.match`) and the answer is shaped with the point lookup's fields
(:mod:`gisgrid.address.answer`). An address that names another city or county in front
(延安市…, 横山区…) is not answered with a place of this district that has the same name.

A server keeps the gazetteer in memory (:class:`gisgrid.address.cache.AddressCache`);
without one, a call builds it from the session (about a second), so a batch should be
one call. Single and batch lookups give the same answers; a batch reads each distinct
text once and asks the point index for all its answers' points in one vectorised call.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy.orm import Session

from gisgrid.address.answer import Draft, GridView, draft_answer, finish_answer
from gisgrid.address.gazetteer import Gazetteer
from gisgrid.address.match import hypotheses, named_mentions
from gisgrid.address.tokens import Tokens, tokenise
from gisgrid.crs import from_wgs84
from gisgrid.db.address_store import gazetteer_sources
from gisgrid.errors import AddressNotFoundError, InvalidInputError
from gisgrid.lookup import point
from gisgrid.rules import today

__all__ = ["MAX_BATCH", "MAX_QUERY", "address_context", "lookup_address", "lookup_addresses",
           "lookup_addresses_json", "resolve", "resolve_all"]

#: Most addresses in one batch, and most characters in one address.
MAX_BATCH = 100_000
MAX_QUERY = 500


def _day(on: dt.date | None) -> dt.date:
    # The one place the address lookup takes today's date (the point lookup's rule).
    return on or today()


def _parsed(tokens: Tokens) -> dict[str, Any]:
    """What the text was read as (for the answer: operators see why)."""
    return {"text": tokens.text,
            "names": [{"text": tokens.text[m.start:m.end], "kinds": sorted(m.kinds), "how": m.how}
                      for m in tokens.mentions],
            "numbers": [{"text": "-".join(n.parts), "marker": n.marker} for n in tokens.numbers],
            "cues": [c for _, c in tokens.cues]}


def _elsewhere(tokens: Tokens) -> str | None:
    """The other city or county the address names in front, if any."""
    foreign = [m for m in tokens.mentions if "foreign" in m.kinds]
    named = named_mentions(tokens)
    if foreign and (not named or foreign[0].start <= named[0].start):
        return tokens.text[foreign[0].start:foreign[0].end]
    return None


def _read(gaz: Gazetteer, view: GridView, query: str, rooms: bool = True
          ) -> tuple[Draft | None, dict[str, Any] | None, str | None]:
    """One query read up to its draft answer: (draft, what the text was read as, why not);
    ``rooms=False``: down to the unit only (see :func:`gisgrid.address.match.hypotheses`)."""
    if not isinstance(query, str) or not query.strip():
        return None, None, "empty"
    tokens = tokenise(gaz, query[:MAX_QUERY])
    elsewhere = _elsewhere(tokens)
    if elsewhere:
        return None, None, f"names {elsewhere}, outside this district"
    draft = draft_answer(gaz, view, hypotheses(gaz, tokens, rooms=rooms))
    return draft, _parsed(tokens), None if draft else "no registry place matches"


def resolve(gaz: Gazetteer, view: GridView, query: str, *, coordsys: str = "wgs84", rooms: bool = True
            ) -> tuple[dict[str, Any] | None, str | None]:
    """One query's answer (None: nothing matches) and, when None, why (``rooms``: see
    :func:`_read`)."""
    draft, parsed, why = _read(gaz, view, query, rooms)
    if draft is None or parsed is None:
        return None, why
    body = view.index.answer(draft.lon, draft.lat)
    return finish_answer(view, draft, body, coordsys, parsed), None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch is built.

    A batch makes hundreds of thousands of small dicts and lists (its answers) that all
    live until it returns; each time enough have been made, the collector walks them and
    the gazetteer's objects again, looking for cycles that none of them form: a third of
    a 10,000-address batch's time (bench/README.md). Reference counting still frees
    everything else as usual. The pause is process-wide (the collector has no other
    switch): other threads' reference cycles wait for the batch to end. A collector
    already paused by someone else is left paused.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def resolve_all(gaz: Gazetteer, view: GridView, queries: Sequence[str], *, coordsys: str = "wgs84",
                rooms: bool = True) -> list[dict[str, Any] | None]:
    """The answers of many queries (None: nothing matches), as :func:`resolve` gives them.

    Each distinct text is read once (a register repeats addresses; repeats get the same
    answer object), the point answers of all the drafts come from one vectorised call of
    the point index, rather than one lookup per answer, and the cyclic garbage collector
    is paused meanwhile (:func:`_collector_paused`).
    """
    with _collector_paused():
        return _resolve_all(gaz, view, queries, coordsys, _as_is, rooms)


def _as_is(answer: dict[str, Any]) -> dict[str, Any]:
    return answer


def _resolve_all(gaz: Gazetteer, view: GridView, queries: Sequence[str], coordsys: str,
                 shape: Callable[[dict[str, Any]], Any], rooms: bool = True) -> list[Any]:
    """:func:`resolve_all`, each answer passed through ``shape`` as soon as it is made."""
    first: dict[Any, int] = {}
    texts = [q if isinstance(q, str) else "" for q in queries]
    for q in texts:
        first.setdefault(q, len(first))
    reads = [_read(gaz, view, q, rooms) for q in first]
    drafts = [(k, d, p) for k, (d, p, _) in enumerate(reads) if d is not None and p is not None]
    bodies = view.bodies([(d.lon, d.lat) for _, d, _ in drafts])
    answers: list[Any] = [None] * len(reads)
    for (k, d, p), body in zip(drafts, bodies, strict=True):
        answers[k] = shape(finish_answer(view, d, body, coordsys, p))
    return [answers[first[q]] for q in texts]


def _check(q: str, coordsys: str) -> None:
    if not isinstance(q, str) or not q.strip():
        raise InvalidInputError("the address query q is empty")
    if len(q) > MAX_QUERY:
        raise InvalidInputError(f"an address has at most {MAX_QUERY} characters, got {len(q)}")
    from_wgs84(0.0, 0.0, coordsys)   # raises UnknownCoordsysError before any work


def address_context(session: Session, *, on: dt.date | None = None) -> tuple[Gazetteer, GridView]:
    """The gazetteer and the grid view of the plans in force on ``on`` (default today),
    read from the session: for many calls of :func:`lookup_address` without a server."""
    gaz = Gazetteer(gazetteer_sources(session))
    return gaz, GridView(gaz, point.index_for(session, point.CELLS_FROM, on=_day(on)))


def _context(session: Session | None, on: dt.date | None, gazetteer: Gazetteer | None,
             view: GridView | None) -> tuple[Gazetteer, GridView]:
    if view is not None and gazetteer is not None:
        return gazetteer, view
    assert session is not None, "give a session, or a gazetteer and its view"
    return address_context(session, on=on)


def lookup_address(session: Session | None, q: str, *, coordsys: str = "wgs84",
                   on: dt.date | None = None, gazetteer: Gazetteer | None = None,
                   view: GridView | None = None, rooms: bool = True) -> dict[str, Any]:
    """Resolve a written address to a registry place, its grid and the grid's team.

    Parameters
    ----------
    session : Session
        Database session (unused when ``gazetteer`` and ``view`` are given).
    q : str
        The address as people write it: formal, hotline text, a shop, a landmark.
    coordsys : str
        Coordinate system of the returned locations (default ``wgs84``).
    on : datetime.date, optional
        The grids are those of the plans in force that day (default: today in China).
    gazetteer, view : optional
        A gazetteer and grid view already in memory (the API's cache).
    rooms : bool
        False: never down to a room (for callers who may not see households).

    Returns
    -------
    dict
        ``{"match": {"address", "confidence", "level", "location", "components",
        "building", "household"}, "grid", "overlays", "community", "subdistrict",
        "district", "near_boundary", "alternatives", "staff", "candidates": [...],
        "parsed": {...}}``. ``level`` is household, building, door, estate, road,
        landmark or community; ``confidence`` estimates the chance that ``grid`` is the
        grid meant (docs/addresses.md has the calibration table).

    Raises
    ------
    AddressNotFoundError
        Nothing in the registry matches, or the address names another city or county.
    InvalidInputError
        Empty or over-long query. (UnknownCoordsysError: unknown coordsys.)

    Examples
    --------
    >>> lookup_address(session, "金林小区3-2-501")["match"]["level"]   # doctest: +SKIP
    'household'
    """
    _check(q, coordsys)
    gaz, grid_view = _context(session, on, gazetteer, view)
    answer, why = resolve(gaz, grid_view, q, coordsys=coordsys, rooms=rooms)
    if answer is None:
        raise AddressNotFoundError(f"no address in the registry matches {q!r}: {why}",
                                   details={"q": q, "reason": why})
    return answer


def lookup_addresses(session: Session | None, queries: Sequence[str], *, coordsys: str = "wgs84",
                     on: dt.date | None = None, gazetteer: Gazetteer | None = None,
                     view: GridView | None = None, rooms: bool = True) -> list[dict[str, Any] | None]:
    """Batch :func:`lookup_address`: one answer per query, None where nothing matches
    (or the query is empty), in input order; the same answers as single lookups (a text
    given twice gets the same answer object twice).

    Examples
    --------
    >>> [r and r["grid"]["code"] for r in lookup_addresses(session, ["星元苑1-1-101", "火星路1号"])]
    ... # doctest: +SKIP
    ['610802001001001', None]
    """
    _check_batch(queries, coordsys)
    gaz, grid_view = _context(session, on, gazetteer, view)
    return resolve_all(gaz, grid_view, queries, coordsys=coordsys, rooms=rooms)


def lookup_addresses_json(session: Session | None, queries: Sequence[str], *, coordsys: str = "wgs84",
                          on: dt.date | None = None, gazetteer: Gazetteer | None = None,
                          view: GridView | None = None, rooms: bool = True,
                          redact: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> bytes:
    """:func:`lookup_addresses` as the JSON document ``{"results": [answer | null, ...]}``.

    The same bytes as ``orjson.dumps({"results": lookup_addresses(...)})``, but each
    answer is serialised as soon as it is made: a batch's answers held as dicts are most
    of its memory and of the garbage collector's work, as bytes neither (the batch route
    sends this). ``redact`` gives each answer as the caller may see it, before it is written.

    Examples
    --------
    >>> lookup_addresses_json(session, ["火星路1号"])                 # doctest: +SKIP
    b'{"results":[null]}'
    """
    _check_batch(queries, coordsys)
    gaz, grid_view = _context(session, on, gazetteer, view)
    with _collector_paused():
        write = orjson.dumps if redact is None else (lambda a: orjson.dumps(redact(a)))
        parts = _resolve_all(gaz, grid_view, queries, coordsys, write, rooms)
    return b'{"results":[' + b",".join(b"null" if p is None else p for p in parts) + b"]}"


def _check_batch(queries: Sequence[str], coordsys: str) -> None:
    if len(queries) > MAX_BATCH:
        raise InvalidInputError(f"at most {MAX_BATCH:,} addresses per batch, got {len(queries):,}")
    from_wgs84(0.0, 0.0, coordsys)      # raises UnknownCoordsysError before any work
