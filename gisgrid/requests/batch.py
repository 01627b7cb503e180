"""Taking many requests in at once (the 12345 hotline forwarding, patrol apps syncing after
being offline): all or none, each routed and answered exactly as it would be alone.

Every request is checked and routed in memory first (:func:`route_intake`, the single
intake's own steps); the first one that fails stops the batch with its error, its message
and details naming its index, before anything is written. Then the batch is stored
set-based (:mod:`gisgrid.db.request_batch_store`: three statements whatever its size), and
each request's likely duplicates are the open requests already stored and the earlier
requests of its batch, as if they had been posted one after the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from gisgrid.db.request_batch_store import insert_requests
from gisgrid.errors import EmptyInputError, GisGridError, InvalidInputError, TooLargeError
from gisgrid.lookup.index import LookupIndex
from gisgrid.requests.intake import DUPLICATE_M, Intake, Routed, Rules, route_intake
from gisgrid.rules import utc_now

__all__ = ["MAX_BATCH", "check_batch_size", "take_in_batch", "take_in_group"]

#: Most requests in one batch: a batch is one transaction (its rows locked until it
#: commits) and one answer held in memory; more is refused with 413 naming the limit.
MAX_BATCH = 1000


def check_batch_size(count: int, *, limit: int = MAX_BATCH) -> None:
    """Refuse an empty batch (400 ``empty_input``) or one over ``limit`` (413 ``too_large``)."""
    if count == 0:
        raise EmptyInputError('the batch holds no request: send {"requests": [<request>, ...]}')
    if count > limit:
        raise TooLargeError(f"at most {limit:,} requests per batch, got {count:,}: split it",
                            details={"limit": limit, "limit_name": "max_batch_requests"})


def at_index(exc: GisGridError, index: int) -> GisGridError:
    """The same error, its message and details naming the batch item it is about."""
    out = type(exc)(f"requests[{index}]: {exc.message}", details={**(exc.details or {}), "index": index})
    out.__dict__.update({k: v for k, v in exc.__dict__.items() if k not in ("message", "details")})
    return out


def take_in_batch(session: Session, docs: Sequence[dict[str, Any]], *, index: LookupIndex, rules: Rules,
                  resolve_address: Callable[[str], dict[str, Any]] | None = None,
                  actor: str | None = None, now: dt.datetime | None = None,
                  limit: int = MAX_BATCH) -> list[dict[str, Any]]:
    """Store every request of ``docs`` routed, or none; the answer of each, in order.

    Parameters
    ----------
    session : Session
        The unit of work (the caller commits: the batch is one transaction).
    docs : sequence of dict
        Request documents, each as ``POST /v1/requests`` takes it.
    index, rules, resolve_address, actor
        As :func:`gisgrid.requests.take_in`.
    now : datetime, optional
        When the batch was received (default now; an item's ``reported_at`` wins).
    limit : int
        Most requests accepted (:data:`MAX_BATCH`).

    Returns
    -------
    list of dict
        Per request, the answer :func:`gisgrid.requests.take_in` gives.

    Raises
    ------
    EmptyInputError, TooLargeError
        No request, or more than ``limit``.
    GisGridError
        The first request that fails, as it would fail alone, with ``details["index"]``.

    Examples
    --------
    >>> answers = take_in_batch(session, [{"lon": 109.74, "lat": 38.29, "category": "parking"}] * 2,
    ...                         index=index, rules=Rules.load(session))  # doctest: +SKIP
    >>> answers[1]["duplicates"][0]["id"] == answers[0]["id"]  # doctest: +SKIP
    True
    """
    if not isinstance(docs, Sequence) or isinstance(docs, str | bytes):
        raise InvalidInputError('the batch must be a list of requests')
    check_batch_size(len(docs), limit=limit)
    received = now or utc_now()
    routed: list[Routed] = []
    for i, doc in enumerate(docs):
        try:
            routed.append(route_intake(Intake.from_dict(doc), index=index, rules=rules,
                                       resolve_address=resolve_address, now=received))
        except GisGridError as exc:
            raise at_index(exc, i) from exc
    stored = insert_requests(session, [r.row() for r in routed], actor=actor, duplicates_within_m=DUPLICATE_M)
    return [r.answer(rid, dups) for r, (rid, dups) in zip(routed, stored, strict=True)]


def take_in_group(session: Session, items: Sequence[tuple[dict[str, Any], str | None]], *,
                  index: LookupIndex, rules: Rules,
                  resolve_address: Callable[[str], dict[str, Any]] | None = None,
                  now: dt.datetime | None = None) -> list[dict[str, Any] | GisGridError]:
    """Independent intakes (document, actor) written together (group commit): the answer of
    each, or the error it would have met alone. Unlike a batch, one bad request fails only
    itself; the others are stored set-based, each seeing the ones before it as likely
    duplicates, as if they had been posted one after the other. The caller commits."""
    received = now or utc_now()
    out: list[dict[str, Any] | GisGridError] = []
    routed: list[tuple[int, Routed, str | None]] = []
    for i, (doc, actor) in enumerate(items):
        try:
            routed.append((i, route_intake(Intake.from_dict(doc), index=index, rules=rules,
                                           resolve_address=resolve_address, now=received), actor))
            out.append({})
        except GisGridError as exc:
            out.append(exc)
    stored = insert_requests(session, [{**r.row(), "actor": actor} for _, r, actor in routed],
                             actor=None, duplicates_within_m=DUPLICATE_M)
    for (i, r, _), (rid, dups) in zip(routed, stored, strict=True):
        out[i] = r.answer(rid, dups)
    return out
