"""The demo's requests as real cases: spread over the last six months, in every stage.

The demo file holds ~200 requests with a 2020 day and a status. Loaded, they become
cases handled through :func:`gisgrid.requests.move_request` with the working-day clock,
so every figure (stages, deadlines, overdue, escalation, closing times, returns,
duplicates) comes from the same code that runs for real requests. A fixed seed: the same
cases for the same day. Jinyang's long-standing parking and leaking-roof requests stay
open and overdue, as the report tells. Reporters are synthetic (made-up names, phone
numbers in no real range: 199 0000 xxxx).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from sqlalchemy.orm import Session

from gisgrid.db import request_store
from gisgrid.requests import Rules, escalate_overdue, move_request
from gisgrid.requests.follow import follow_plan
from gisgrid.rules import CHINA_TZ, utc_now

__all__ = ["make_demo_cases"]

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = ["秀英", "建国", "桂兰", "志强", "丽华", "海燕", "国强", "淑珍", "文博", "子涵", "晓东", "玉梅"]
_DUPLICATES = 8


def _hours(t: dt.datetime, h: float) -> dt.datetime:
    return t + dt.timedelta(hours=h)


def _case_path(rng: np.random.Generator, *, long_standing: bool) -> list[tuple[str, float, str | None]]:
    """(stage, hours after the previous step, note) of one case's life."""
    if long_standing:
        return [("dispatched", 3, None), ("in_progress", 30, None)]
    path: list[tuple[str, float, str | None]] = [("dispatched", float(rng.uniform(2, 40)), None)]
    roll = rng.random()
    if roll < 0.08:
        return [*path, ("referred", float(rng.uniform(4, 48)), "转区住建局处理"),
                ("closed", float(rng.uniform(48, 300)), "部门已答复")]
    if roll < 0.18:
        path += [("returned", float(rng.uniform(2, 24)), "非本网格职责，退回重新派遣"),
                 ("dispatched", float(rng.uniform(1, 12)), None)]
    path.append(("in_progress", float(rng.uniform(1, 24)), None))
    if rng.random() < 0.1:
        path += [("suspended", float(rng.uniform(4, 48)), "等待产权单位答复"),
                 ("in_progress", float(rng.uniform(24, 200)), None)]
    work = float(rng.gamma(2.0, 30.0))          # hours of handling: most within days, a tail beyond
    path += [("checked", work, None), ("closed", float(rng.uniform(1, 24)), "居民满意")]
    if rng.random() < 0.15:                      # a case that got stuck somewhere on its way
        return path[:int(rng.integers(0, len(path)))]
    return path


def make_demo_cases(session: Session, district_code: str, plan_id: int, *, seed: int = 12,
                    now: dt.datetime | None = None) -> dict[str, int]:
    """Turn the district's loaded requests into cases over the six months before ``now``.

    Returns the number of requests per stage.
    """
    now = now or utc_now()
    rng = np.random.default_rng(seed)
    rules = Rules.load(session)
    ids = request_store.district_request_ids(session, district_code)
    places = {p["id"]: p for p in request_store.request_places(session, ids)}
    long_standing = set()
    for category in ("parking", "leaking_roof"):
        long_standing |= set([i for i in ids if places[i]["community"] == "金阳社区"
                              and places[i]["category"] == category][:3])
    china_now = now.astimezone(CHINA_TZ)
    received: dict[int, dt.datetime] = {}
    for rid, back in zip(ids, rng.uniform(0, 182, len(ids)), strict=True):
        back = float(rng.uniform(25, 150)) if rid in long_standing else float(back)
        day = (china_now - dt.timedelta(days=back)).replace(
            hour=int(rng.integers(8, 20)), minute=int(rng.integers(0, 60)), second=0, microsecond=0)
        received[rid] = min(day, now - dt.timedelta(minutes=5))
    pairs = _duplicate_pairs(ids, long_standing, received, now)
    for rid in ids:
        p, lon, lat = places[rid], None, None
        master = pairs.get(rid)
        if master is not None:       # a repeat of an earlier request: within 30 m of it, same category
            m = places[master]
            received[rid] = max(received[rid], received[master] + dt.timedelta(hours=2))
            angle, dist = float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(5, 30))
            lon = m["lon"] + dist * math.cos(angle) / (111_320.0 * math.cos(math.radians(m["lat"])))
            lat = m["lat"] + dist * math.sin(angle) / 110_574.0
            request_store.update_request(session, rid, category=m["category"])
            p = {**p, "category": m["category"]}
        request_store.restart(session, rid, received=received[rid], lon=lon, lat=lat,
                              due_at=rules.calendar.deadline(received[rid], rules.limit(p["category"])))
        request_store.add_event(session, rid, "intake", at=received[rid], actor="gisgrid demo",
                                to_stage="registered")
        request_store.add_reporter(session, rid, at=received[rid],
                                   name=_SURNAMES[int(rng.integers(len(_SURNAMES)))]
                                   + _GIVEN[int(rng.integers(len(_GIVEN)))],
                                   phone=f"1990000{int(rng.integers(0, 10_000)):04d}")
    follow_plan(session, plan_id, actor="gisgrid demo")     # every one routed to the active grids
    for dup, master in pairs.items():
        move_request(session, dup, "duplicate", rules=rules, master=master, actor="gisgrid demo",
                     now=_hours(received[dup], 1))
    for rid in ids:
        if rid in pairs:
            continue
        t = received[rid]
        for stage, hours, note in _case_path(rng, long_standing=rid in long_standing):
            t = _hours(t, hours)
            if t >= now:
                break
            move_request(session, rid, stage, rules=rules, note=note, actor="gisgrid demo", now=t)
    escalate_overdue(session, rules=rules, now=now, actor="gisgrid demo")
    counts: dict[str, int] = {}
    for r in request_store.get_requests(session, ids):
        counts[r["stage"]] = counts.get(r["stage"], 0) + 1
    return counts


def _duplicate_pairs(ids: list[int], long_standing: set[int], received: dict[int, dt.datetime],
                     now: dt.datetime) -> dict[int, int]:
    """{duplicate: master}: a few recent requests repeat another recent one."""
    recent = [i for i in ids if received[i] > now - dt.timedelta(days=40) and i not in long_standing]
    return dict(list(zip(recent[1::2], recent[0::2], strict=False))[:_DUPLICATES])
