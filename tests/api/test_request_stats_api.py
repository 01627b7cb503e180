"""Assessment figures (考核): the route, its parts and its Excel export against a plain oracle.

The oracle reads the stored requests row by row and computes each figure in Python
(numpy's percentile for the p90), independently of the SQL aggregate.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, text

from gisgrid.rules import CHINA_TZ, OPEN_STAGES, today
from tests.api.openapi_check import check

JINYANG = "金阳社区"


def _oracle(engine: Engine, where: str, code: str, first: dt.date, last: dt.date) -> dict:
    lo = dt.datetime.combine(first, dt.time(), CHINA_TZ)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), CHINA_TZ)
    with engine.connect() as conn:
        rows = conn.execute(text(f"""
            SELECT t.stage, t.closed_on_time, t.days_to_close, t.returned, t.due_at
            FROM request t JOIN admin_area c ON c.id = t.community_id LEFT JOIN grid g ON g.id = t.grid_id
            WHERE {where} = :code AND t.reported_at >= :lo AND t.reported_at < :hi"""),
                            {"code": code, "lo": lo, "hi": hi}).all()
    now = dt.datetime.now(dt.UTC)
    rows = [r for r in rows if r.stage != "duplicate"]
    closed = [r for r in rows if r.stage == "closed"]
    days = [r.days_to_close for r in closed]
    return {"received": len(rows), "closed": len(closed),
            "closing_rate": round(len(closed) / len(rows), 4) if rows else None,
            "on_time_rate": (round(sum(bool(r.closed_on_time) for r in closed) / len(closed), 4)
                             if closed else None),
            "overdue_now": sum(1 for r in rows if r.stage in OPEN_STAGES and r.stage != "suspended"
                               and r.due_at is not None and r.due_at < now),
            "mean_days_to_close": round(float(np.mean(days)), 2) if days else None,
            "p90_days_to_close": round(float(np.percentile(days, 90)), 2) if days else None,
            "returned": sum(r.returned for r in rows)}


def _code(engine: Engine, name: str) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT code FROM admin_area WHERE name = :n"), {"n": name}).scalar_one()


@pytest.mark.parametrize("days", [30, 182])
def test_a_communitys_figures_match_the_oracle(client, engine: Engine, days: int) -> None:
    code, last = _code(engine, JINYANG), today()
    first = last - dt.timedelta(days=days - 1)
    body = check(client.get("/v1/requests/stats", params={"area": code, "from": first.isoformat(),
                                                          "to": last.isoformat()}))
    expected = _oracle(engine, "c.code", code, first, last)
    assert {k: body[k] for k in expected} == expected
    assert body["area"] == {"code": code, "name": JINYANG, "level": "community"}
    assert body["received"] > 0 and (days == 30 or body["closed"] > 0)


def test_the_parts_of_a_community_are_its_grids_and_add_up(client, engine: Engine) -> None:
    code = _code(engine, JINYANG)
    first = (today() - dt.timedelta(days=181)).isoformat()
    body = check(client.get("/v1/requests/stats", params={"area": code, "from": first, "parts": "true"}))
    assert body["parts"] and all(p["area"]["level"] == "grid" for p in body["parts"])
    assert sum(p["received"] for p in body["parts"]) == body["received"]
    assert sum(p["closed"] for p in body["parts"]) == body["closed"]
    grid = body["parts"][0]["area"]["code"]
    one = client.get("/v1/requests/stats", params={"area": grid, "from": first}).json()
    assert one["received"] == body["parts"][0]["received"]
    assert one == {**_oracle(engine, "g.code", grid, dt.date.fromisoformat(first), today()),
                   "area": one["area"], "from": first, "to": today().isoformat()}
    district = client.get("/v1/requests/stats",
                          params={"area": "610802", "from": first, "parts": "true"}).json()
    assert district["received"] == sum(p["received"] for p in district["parts"]) > body["received"]


def test_the_excel_export_holds_the_same_figures(client, engine: Engine) -> None:
    code = _code(engine, JINYANG)
    params = {"area": code, "from": (today() - dt.timedelta(days=181)).isoformat()}
    body = client.get("/v1/requests/stats", params={**params, "parts": "true"}).json()
    r = client.get("/v1/requests/stats.xlsx", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    assert f"requests-{code}-" in r.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 1 + len(body["parts"])
    for row, figures in zip(rows, [body, *body["parts"]], strict=True):
        assert row[0] == figures["area"]["code"] and row[1] == figures["area"]["name"]
        assert list(row[3:]) == [figures[k] for k in (
            "received", "closed", "closing_rate", "on_time_rate", "overdue_now", "mean_days_to_close",
            "p90_days_to_close", "returned")]


@pytest.mark.parametrize("params, status, code", [
    ({"area": "999999"}, 404, "not_found"),
    ({"area": "610802", "from": "2026-12-01", "to": "2026-01-01"}, 400, "invalid_input"),
    ({"area": "610802", "from": "1900-01-01", "to": "2026-01-01"}, 400, "invalid_input"),
    ({"area": "61'; DROP TABLE request;--"}, 422, "invalid_request"),
    ({}, 422, "invalid_request"),
    ({"area": "610802", "from": "yesterday"}, 422, "invalid_request"),
])
def test_bad_stats_questions_are_refused(client, params, status, code) -> None:
    for path in ("/v1/requests/stats", "/v1/requests/stats.xlsx"):
        r = client.get(path, params=params)
        assert (r.status_code, check(r)["code"]) == (status, code), (path, r.text)
