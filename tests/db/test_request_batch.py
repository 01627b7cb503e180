"""Batch intake on the real database: each request stored and answered exactly as alone, all or none.

Each test runs in a transaction rolled back afterwards (the ``session`` fixture).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.address.lookup import lookup_address
from gisgrid.crs import wgs84_to_gcj02
from gisgrid.errors import InvalidInputError, OutsideCoverageError, TooLargeError, UnknownCategoryError
from gisgrid.lookup.point import index_for
from gisgrid.requests import Intake, Rules, take_in, take_in_batch
from gisgrid.requests.batch import take_in_group
from gisgrid.rules import CHINA_TZ

NOW = dt.datetime(2026, 12, 4, 16, 30, tzinfo=CHINA_TZ)      # a Friday afternoon: deadlines cross a weekend


def _place(session: Session, community: str, *, table: str = "household", kind: str = "residential"
           ) -> tuple[float, float]:
    return tuple(session.execute(text(f"""
        SELECT ST_X(t.location), ST_Y(t.location) FROM {table} t
        JOIN admin_area c ON c.name = :c AND ST_Covers(c.boundary, t.location)
        JOIN grid g ON ST_Covers(g.boundary, t.location) AND g.kind = :k
        JOIN plan p ON p.id = g.plan_id AND p.status = 'active'
        ORDER BY t.id LIMIT 1"""), {"c": community, "k": kind}).one())


def _east(lon: float, lat: float, m: float) -> float:
    return lon + m / (111_320.0 * math.cos(math.radians(lat)))


def _docs(session: Session) -> list[dict[str, Any]]:
    """Jinyang in WGS84 and in GCJ-02, a Fuzimiao shop, an address, and three noise requests:
    the 2nd 30 m east of the 1st (a duplicate), the 3rd 60 m east (not), one sanitation between."""
    jlon, jlat = _place(session, "金阳社区")
    glon, glat = wgs84_to_gcj02(jlon, jlat)
    slon, slat = _place(session, "三官会社区", table="shop", kind="business")
    xlon, xlat = _place(session, "学院社区")
    me = {"reporter": {"name": "王秀英", "phone": "13912345678"}, "source": "hotline_12345"}
    return [
        {"lon": jlon, "lat": jlat, "category": "parking", "description": "楼下车辆乱停", **me},
        {"lon": float(glon), "lat": float(glat), "coordsys": "gcj02", "category": "parking", **me},
        {"lon": slon, "lat": slat, "category": "shop_complaint", "source": "wechat"},
        {"address": "金阳小区", "category": "leaking_roof", "photos": ["https://x.example/roof.jpg"]},
        {"lon": xlon, "lat": xlat, "category": "noise", "source": "patrol"},
        {"lon": _east(xlon, xlat, 30), "lat": xlat, "category": "noise", "source": "patrol", **me},
        {"lon": _east(xlon, xlat, 60), "lat": xlat, "category": "noise", "source": "patrol"},
        {"lon": _east(xlon, xlat, 30), "lat": xlat, "category": "sanitation", "title": "垃圾满溢"},
    ]


def _stored(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    rows = session.execute(text("""
        SELECT t.*, ST_AsText(t.location) AS wkt,
               (SELECT json_agg(json_build_object('name', r.name, 'phone', r.phone, 'at', r.at))
                FROM request_reporter r WHERE r.request_id = t.id) AS reporters,
               (SELECT json_agg(json_build_object('kind', e.kind, 'to', e.to_stage, 'at', e.at,
                                                  'actor', e.actor, 'details', e.details))
                FROM request_event e WHERE e.request_id = t.id) AS events
        FROM request t WHERE t.id = ANY(:ids) ORDER BY t.id"""), {"ids": ids})
    return [{k: v for k, v in r._mapping.items() if k not in ("id", "location")} for r in rows]


def _positions(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answers with the batch's own ids replaced by their positions (ids differ run to run)."""
    pos = {a["id"]: f"#{i}" for i, a in enumerate(answers)}
    return [{**a, "id": pos[a["id"]],
             "duplicates": [{**d, "id": pos.get(d["id"], d["id"])} for d in a["duplicates"]]}
            for a in answers]


def test_a_batch_stores_and_answers_each_request_exactly_as_one_by_one_intakes(session: Session) -> None:
    docs = _docs(session)
    index, rules = index_for(session, 1), Rules.load(session)

    def resolve(q: str) -> dict[str, Any]:
        return lookup_address(session, q, rooms=False)

    alone_tx = session.begin_nested()
    alone = [take_in(session, Intake.from_dict(d), index=index, rules=rules, resolve_address=resolve,
                     actor="test", now=NOW) for d in docs]
    alone_rows = _stored(session, [a["id"] for a in alone])
    alone_tx.rollback()
    batch = take_in_batch(session, docs, index=index, rules=rules, resolve_address=resolve, actor="test",
                          now=NOW)
    assert _positions(batch) == _positions(alone)
    assert _stored(session, [a["id"] for a in batch]) == alone_rows
    # and the answers mean what the single intake's tests say they mean
    assert batch[1]["grid"] == batch[0]["grid"] and batch[0]["due_at"] is not None
    assert [o["name"] for o in batch[2]["overlays"]] == ["夫子庙商圈网格"]
    assert batch[0]["id"] in [d["id"] for d in batch[1]["duplicates"]]     # same place, other coordsys
    assert [d["id"] for d in batch[5]["duplicates"] if d["id"] == batch[4]["id"]] == [batch[4]["id"]]
    assert batch[4]["id"] not in [d["id"] for d in batch[6]["duplicates"]]      # 60 m
    assert batch[4]["id"] not in [d["id"] for d in batch[7]["duplicates"]]      # other category
    assert all(batch[5]["id"] not in [d["id"] for d in a["duplicates"]] for a in batch[:5])  # later unseen
    assert len(alone_rows) == len(docs) and sum(1 for r in alone_rows if r["reporters"]) == 3


def test_a_batch_sees_the_open_requests_already_stored(session: Session) -> None:
    docs = _docs(session)
    index, rules = index_for(session, 1), Rules.load(session)
    first = take_in(session, Intake.from_dict(docs[4]), index=index, rules=rules, now=NOW)
    batch = take_in_batch(session, [docs[5], docs[4]], index=index, rules=rules, now=NOW)
    assert first["id"] in [d["id"] for d in batch[0]["duplicates"]]
    # the same place again: the stored one at 0 m, then the batch's earlier request 30 m away
    assert [(d["id"], d["distance_m"]) for d in batch[1]["duplicates"][:2]] == [
        (first["id"], 0.0), (batch[0]["id"], 30.0)]


@pytest.mark.parametrize("bad, error", [
    ({"lon": 100.0, "lat": 30.0, "category": "parking"}, OutsideCoverageError),
    ({"lon": 109.7, "lat": 38.3, "category": "flying_saucer"}, UnknownCategoryError),
    ({"category": "parking"}, InvalidInputError),
    ("not an object", InvalidInputError),
])
def test_one_bad_request_stops_the_batch_naming_its_index_and_nothing_is_written(session: Session, bad,
                                                                                 error) -> None:
    docs = _docs(session)
    before = session.execute(text("SELECT count(*), coalesce(max(id), 0) FROM request")).one()
    with pytest.raises(error) as caught:
        take_in_batch(session, [docs[0], docs[4], bad, docs[5]], index=index_for(session, 1),
                      rules=Rules.load(session), now=NOW)
    assert caught.value.details["index"] == 2 and caught.value.message.startswith("requests[2]: ")
    assert session.execute(text("SELECT count(*), coalesce(max(id), 0) FROM request")).one() == before


def test_a_batch_over_the_limit_or_empty_is_refused(session: Session) -> None:
    docs = _docs(session)
    index, rules = index_for(session, 1), Rules.load(session)
    with pytest.raises(TooLargeError) as caught:
        take_in_batch(session, docs, index=index, rules=rules, limit=len(docs) - 1)
    assert caught.value.details["limit"] == len(docs) - 1
    with pytest.raises(InvalidInputError, match="no request"):
        take_in_batch(session, [], index=index, rules=rules)


def test_a_group_of_single_intakes_fails_only_the_bad_one_and_stores_the_others_as_in_order(
        session: Session) -> None:
    docs = _docs(session)
    index, rules = index_for(session, 1), Rules.load(session)
    outside = {"lon": 100.0, "lat": 30.0, "category": "parking"}
    items = [(docs[4], "a"), (outside, "b"), (docs[5], "c"), ({"category": "parking"}, "d"), (docs[4], "e")]
    before = session.execute(text("SELECT count(*) FROM request")).scalar_one()
    out = take_in_group(session, items, index=index, rules=rules, now=NOW)
    assert isinstance(out[1], OutsideCoverageError) and isinstance(out[3], InvalidInputError)
    assert "index" not in (out[1].details or {})            # its own error, as alone
    a, c, e = out[0], out[2], out[4]
    assert session.execute(text("SELECT count(*) FROM request")).scalar_one() == before + 3
    assert a["id"] < c["id"] < e["id"]
    assert a["id"] in [d["id"] for d in c["duplicates"]] and c["id"] not in [d["id"] for d in a["duplicates"]]
    assert [(d["id"], d["distance_m"]) for d in e["duplicates"][:2]] == [(a["id"], 0.0), (c["id"], 30.0)]
    actors = session.execute(text("""SELECT actor FROM request_event WHERE request_id = ANY(:ids)
        AND kind = 'intake' ORDER BY request_id"""), {"ids": [a["id"], c["id"], e["id"]]}).scalars().all()
    assert actors == ["a", "c", "e"]
    alone_tx = session.begin_nested()
    alone = take_in(session, Intake.from_dict(docs[5]), index=index, rules=rules, now=NOW)
    alone_tx.rollback()
    assert {k: v for k, v in c.items() if k not in ("id", "duplicates")} == {
        k: v for k, v in alone.items() if k not in ("id", "duplicates")}
