"""A consumer's and an anonymous crawl of every route finds no personal data.

Every route of the app is called (enumerated from the app itself, and checked against
the OpenAPI document, so a new route is crawled without anyone adding it here; a path
or required query parameter without a sample value fails the test until one is given).
Each answer (JSON or HTML) is searched for: staff phone numbers (whole or masked),
staff names (only where the team's names are public, and then only in lookups and
teams), household ids, full room addresses, and the position of any household. The
same crawl by an admin must find each kind of personal data somewhere: the searches
are shown to work, and the crawl to reach the routes that hold it.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from routes import all_routes
from sqlalchemy import Engine, text

from api import create_app

XUEYUAN = "610802001001"
#: Samples for one route instead of the shared ones: a diff answers counts per pair of
#: grids whatever the plans, and the holed copy's diff costs ~15 s a call.
ROUTE_SAMPLES = {"GET /v1/plans/{plan_id}/diff": {"plan_id": 0}}
#: Where the team's names may appear when the setting makes them public.
NAME_ROUTES = {"GET /v1/lookup", "POST /v1/lookup", "GET /v1/grids/{grid_id}/team",
               "GET /v1/lookup/address", "POST /v1/lookup/address",   # the same team as the point lookup
               # a request names its grid's leader and full-time worker, as the lookup does
               "GET /v1/requests", "GET /v1/requests/{request_id}"}
_PAIR = re.compile(r"\[\s*(-?\d{1,3}\.\d+)\s*,\s*(-?\d{1,3}\.\d+)\s*\]"
                   r"|\"lon\":\s*(-?\d{1,3}\.\d+),\s*\"lat\":\s*(-?\d{1,3}\.\d+)")
_SEPARATOR = re.compile(r"[\"'<>\s,:{}\[\]]")
_HOUSEHOLD_ID = re.compile(r"household[:_ ]?(id)?\"?\s*[:=]?\s*\d+|\"household_id\"")


def _room_addresses(body: str) -> Iterator[str]:
    """Each run of text ending in 室 (a room), back to the previous separator."""
    at = body.find("室")
    while at >= 0:
        head = body[max(0, at - 120):at + 1]
        yield _SEPARATOR.split(head)[-1]
        at = body.find("室", at + 1)


@dataclass
class Register:
    """The personal data of the demo, and fast searches for it in a response text."""

    phones: set[str]
    names: set[str]
    rooms: set[str]
    cells: dict[tuple[int, int], list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    #: Reporters' names and phones (of requests): never public, whatever the team setting.
    reporters: set[str] = field(default_factory=set)

    def add_position(self, x: float, y: float) -> None:
        self.cells[(round(x * 1e5), round(y * 1e5))].append((x, y))

    def is_household(self, x: float, y: float) -> bool:
        cx, cy = round(x * 1e5), round(y * 1e5)
        return any(abs(x - hx) < 2e-6 and abs(y - hy) < 2e-6
                   for dx, dy in itertools.product((-1, 0, 1), repeat=2)
                   for hx, hy in self.cells.get((cx + dx, cy + dy), ()))

    def findings(self, body: str) -> dict[str, set[str]]:
        """What of the register a response text holds, by kind."""
        found: dict[str, set[str]] = defaultdict(set)
        found["phone"] = {p for p in self.phones if p in body or p[:3] + "****" + p[-4:] in body}
        found["name"] = {n for n in self.names if n in body}
        found["reporter"] = {p for p in self.reporters if p in body}
        found["household_id"] = {m.group(0) for m in _HOUSEHOLD_ID.finditer(body)}
        found["room_address"] = {a for a in _room_addresses(body) if a in self.rooms}
        pairs = [(a or c, b or d) for a, b, c, d in _PAIR.findall(body)]
        found["position"] = {f"{x},{y}" for x, y in pairs if self.is_household(float(x), float(y))}
        return {k: v for k, v in found.items() if v}


@pytest.fixture(scope="module")
def register(engine: Engine) -> Register:
    with engine.connect() as conn:
        staff = conn.execute(text("SELECT name, phone FROM staff")).all()
        reporters = conn.execute(text("SELECT name, phone FROM request_reporter")).all()
        homes = conn.execute(text("SELECT address, ST_X(location), ST_Y(location) FROM household")).all()
    reg = Register(phones={p for _, p in staff if p}, names={n for n, _ in staff},
                   rooms={a for a, _, _ in homes if a.endswith("室")},
                   reporters={v for row in reporters for v in row if v})
    for _, x, y in homes:
        reg.add_position(x, y)
    assert reg.phones and reg.names and len(reg.rooms) > 1000 and "13700001234" in reg.reporters
    return reg


@pytest.fixture(scope="module")
def samples(engine: Engine) -> Iterator[dict[str, list]]:
    """Values for every path and query parameter: the active plan and a copy of it with a
    hole (households in no grid), area codes, a grid with a team, a household's position
    and its full room address."""
    with engine.begin() as conn:
        active = conn.execute(text("SELECT id FROM plan WHERE status = 'active' ORDER BY id")).scalar()
        holed = conn.execute(text("""
            INSERT INTO plan (scope_id, district_code, name, status, parent_id)
            SELECT scope_id, district_code, 'crawl copy', 'draft', id FROM plan WHERE id = :p RETURNING id
        """), {"p": active}).scalar_one()
        conn.execute(text("""
            INSERT INTO grid (plan_id, community_id, district_code, code, seq, name, kind, boundary)
            SELECT :d, g.community_id, g.district_code, g.code, g.seq, g.name, g.kind,
                   CASE WHEN g.code = (SELECT min(code) FROM grid WHERE plan_id = :p AND kind = 'residential')
                        THEN ST_Multi(ST_Difference(g.boundary, ST_Buffer((
                             SELECT h.location FROM household h WHERE ST_Covers(g.boundary, h.location)
                             ORDER BY h.id LIMIT 1)::geography, 15)::geometry))
                        ELSE g.boundary END
            FROM grid g WHERE g.plan_id = :p
        """), {"p": active, "d": holed})
        grid, grid_code = conn.execute(text("""
            SELECT g.id, g.code FROM grid g JOIN admin_area c ON c.id = g.community_id
            WHERE g.plan_id = :p AND c.code = :c
              AND EXISTS (SELECT 1 FROM grid_staff s WHERE s.grid_id = g.id)
            ORDER BY g.id LIMIT 1"""), {"p": active, "c": XUEYUAN}).one()
        lon, lat, address = conn.execute(text("""
            SELECT ST_X(h.location), ST_Y(h.location), h.address FROM household h
            JOIN building b ON b.id = h.building_id JOIN admin_area c ON c.id = b.community_id
            WHERE c.code = :c AND h.address LIKE '%室' ORDER BY h.id LIMIT 1"""), {"c": XUEYUAN}).one()
        # A request of Xueyuan with a reporter (personal data no outsider may see).
        request_id = conn.execute(text("""SELECT r.id FROM request r
            JOIN admin_area c ON c.id = r.community_id
            WHERE c.code = :c ORDER BY r.id LIMIT 1"""), {"c": XUEYUAN}).scalar_one()
        conn.execute(text("""INSERT INTO request_reporter (request_id, name, phone, first_request_id)
            VALUES (:r, '赵测试员', '13700001234', :r)"""), {"r": request_id})
    yield {"plan_id": [active, holed], "code": ["610802", XUEYUAN, grid_code], "grid_id": [grid],
           "request_id": [request_id], "area": [XUEYUAN, grid_code], "since": [0],
           "fmt": ["json", "xml"], "service_code": ["parking"], "kind": ["households"],
           "lon": [lon], "lat": [lat], "q": [address], "before": [active],
           # OGC API Features: every collection, and the first features of each.
           "collection_id": ["areas", "grids", f"plan-{holed}", "streets", "shops", "resources",
                             "requests"], "feature_id": [1, 2],
           "resource_id": [1],
           # Vector tiles: every layer of a tile over the demo (an old epoch: redirected).
           "epoch": [0], "crs": ["wgs84"], "layer": ["grids", "households", "shops", "requests", "resources"],
           "z": [12], "x": [3296], "y": [1575]}
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM plan WHERE id = :d"), {"d": holed})
        conn.execute(text("DELETE FROM request_reporter WHERE name = '赵测试员'"))


def _requests(app, samples: dict[str, list], positions: list[list[float]]) -> Iterator[tuple[str, str, dict]]:
    """(route key, URL, request kwargs) for every route, method and sample combination."""
    routes = list(all_routes(app.routes))
    documented = app.openapi()["paths"]
    assert set(documented) <= {r.path for r in routes}, "every documented path is crawled"
    for route in routes:
        names = re.findall(r"{(\w+)(?::\w+)?}", route.path)
        missing = [n for n in names if n not in samples]
        assert not missing, f"{route.path}: give the crawl a sample for {missing}"
        for method in sorted((route.methods or set()) - {"HEAD"}):
            key = f"{method} {route.path}"
            query = {}
            operation = documented.get(route.path, {}).get(method.lower(), {})
            for p in operation.get("parameters", []):
                if p["in"] == "query" and (p.get("required") or p["name"] in ("before",)):
                    assert p["name"] in samples, f"{key}: give the crawl a sample for ?{p['name']}"
                    query[p["name"]] = samples[p["name"]][0]
            body = ({"points": positions} if key == "POST /v1/lookup" else
                    {"queries": samples["q"]} if key == "POST /v1/lookup/address" else {})
            only = ROUTE_SAMPLES.get(key, {})
            for values in itertools.product(*([samples[n][only[n]]] if n in only else samples[n]
                                              for n in names)):
                url = route.path
                for n, v in zip(names, values, strict=True):
                    url = re.sub(r"{" + n + r"(?::\w+)?}", str(v), url)
                kwargs = {"params": query} if method == "GET" else {"params": query, "json": body}
                yield key, url, {**kwargs, "method": method}


def crawl(client: TestClient, samples, positions, headers, *,
          reads_only: bool = False) -> dict[str, dict[str, str]]:
    """Every answer's text by route key and URL (``reads_only``: GETs and the batch lookup,
    for a caller whose writes would go through)."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for key, url, kwargs in _requests(client.app, samples, positions):
        if reads_only and kwargs["method"] != "GET" and key not in ("POST /v1/lookup",
                                                                    "POST /v1/lookup/address"):
            continue
        r = client.request(url=url, headers=headers, **kwargs)
        assert r.status_code < 500, (key, url, r.status_code, r.text[:300])
        out[key][url] = r.text
    return out


def _leaks(answers, register: Register, *, names_public: bool) -> list[tuple[str, str, dict]]:
    leaks = []
    for key, by_url in answers.items():
        for url, body in by_url.items():
            found = register.findings(body)
            if names_public and key in NAME_ROUTES:
                found.pop("name", None)
            if found:
                leaks.append((key, url, {k: sorted(v)[:3] for k, v in found.items()}))
    return leaks


@pytest.fixture(scope="module")
def positions(engine: Engine) -> list[list[float]]:
    """Household positions for the batch lookup (every 500th household)."""
    with engine.connect() as conn:
        return [[x, y] for x, y in conn.execute(text(
            "SELECT ST_X(location), ST_Y(location) FROM household WHERE id % 500 = 0 ORDER BY id"))]


@pytest.mark.parametrize("names_public", [True, False], ids=["names public", "names private"])
def test_outsiders_crawl_every_route_and_find_no_personal_data(settings, accounts, samples, positions,
                                                               register, names_public) -> None:
    access = settings.access.model_copy(update={"public_team_names": names_public})
    # With names private only anonymous crawls: a consumer's view is the anonymous one
    # (test_access_settings checks it for the routes that name people).
    callers = (None, "consumer") if names_public else (None,)
    with TestClient(create_app(settings.model_copy(update={"access": access}))) as client:
        for caller in callers:
            headers = accounts[caller].headers if caller else {}
            answers = crawl(client, samples, positions, headers)
            assert len(answers) >= 30, sorted(answers)
            assert _leaks(answers, register, names_public=names_public) == [], caller
            lookups = "".join(answers["GET /v1/lookup"].values())
            assert (register.findings(lookups).get("name") is not None) is names_public


def test_the_same_crawl_by_an_admin_finds_every_kind_of_personal_data(client, accounts, samples,
                                                                      positions, register) -> None:
    answers = crawl(client, samples, positions, accounts["admin"].headers, reads_only=True)
    kinds: dict[str, set[str]] = defaultdict(set)
    for key, by_url in answers.items():
        for body in by_url.values():
            for kind in register.findings(body):
                kinds[kind].add(key)
    assert "GET /v1/grids/{grid_id}/team" in kinds["phone"]
    assert "GET /v1/plans/{plan_id}/coverage" in kinds["household_id"]
    assert {"GET /v1/lookup/address", "GET /v1/areas/{code}/households"} <= kinds["room_address"]
    assert {"GET /v1/lookup/address", "GET /v1/plans/{plan_id}/coverage",
            "GET /v1/areas/{code}/households"} <= kinds["position"]
    assert "GET /v1/lookup" in kinds["name"]
    assert "GET /v1/requests/{request_id}" in kinds["reporter"]   # the admin sees who reported
