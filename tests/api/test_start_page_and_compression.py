"""The start page leads staff, planners and developers to their pages; text answers are
gzipped for clients that accept it; the staff map's policy lets MapLibre's worker and the
basemaps in and nothing else."""

from __future__ import annotations

import gzip
import re

from sqlalchemy import text
from sqlalchemy.orm import Session


def test_the_start_page_links_to_every_audiences_pages_and_each_link_answers(client,
                                                                            session: Session) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    links = re.findall(r'href="([^"]+)"', r.text)
    active = session.execute(text("SELECT id FROM plan WHERE status = 'active'")).scalars().all()
    assert {"/maps/", "/maps/grids", "/docs", "/redoc", "/ogc", "/health"} <= set(links)
    assert {f"/maps/plans/{p}/planner" for p in active} <= set(links)
    for section in ("start-staff", "start-planners", "start-developers"):
        assert f'id="{section}"' in r.text
    for link in links:
        answer = client.get(link, follow_redirects=False)
        assert answer.status_code in (200, 303), (link, answer.status_code)   # 303: sign in first


def test_text_answers_are_gzipped_for_clients_that_accept_it(client) -> None:
    plain = client.get("/maps/grids", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    packed = client.get("/maps/grids", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert abs(len(packed.content) - len(plain.content)) < 200   # the same page (folium ids differ)
    assert packed.num_bytes_downloaded < len(plain.content) / 4
    for url in ("/v1/plans/1/grids", "/openapi.json", "/maps/staffmap/main.js"):
        r = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert r.headers.get("content-encoding") == "gzip", url


def test_the_pages_own_script_hashes_are_computed_before_compression(client) -> None:
    r = client.get("/maps/grids", headers={"Accept-Encoding": "gzip"})
    scripts = re.findall(r"<script(?![^>]*\bsrc)[^>]*>(.*?)</script>", r.text, re.DOTALL)
    assert scripts and len(re.findall(r"'sha256-", r.headers["content-security-policy"])) >= 1
    assert gzip.compress(r.content)   # the body arrived whole and readable


def test_the_staff_maps_policy_admits_its_worker_file_and_the_basemaps_only(client) -> None:
    r = client.get("/maps/")
    csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
    assert csp["script-src"] == "'self'" and csp["worker-src"] == "'self'"
    assert "blob:" not in csp["worker-src"] and "'unsafe-eval'" not in r.headers["content-security-policy"]
    connect = csp["connect-src"].split()
    assert connect[0] == "'self'" and "https://tile.openstreetmap.org" in connect
    assert any(c.endswith(".is.autonavi.com") for c in connect)
    assert "<script>" not in r.text   # no inline script: everything is a file of ours
