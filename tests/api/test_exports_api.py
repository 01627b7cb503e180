"""Downloads of a plan's grids over HTTP, the map pages' links to them, and the staff-only roster."""

from __future__ import annotations

import re
from pathlib import Path

import pyogrio
import pytest
from openapi_check import check

EXPECTED = {  # format: (media type, file extension)
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
    "shp": ("application/zip", "zip"),
    "geojson": ("application/geo+json", "geojson"),
    "kml": ("application/vnd.google-earth.kml+xml", "kml"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}


@pytest.fixture(scope="module")
def plan(client) -> dict:
    return client.get("/v1/plans", params={"status": "active"}).json()["plans"][0]


@pytest.mark.parametrize("fmt", list(EXPECTED))
def test_a_download_is_an_attachment_that_gis_tools_read(client, plan, fmt: str, tmp_path: Path) -> None:
    r = client.get(f"/v1/plans/{plan['id']}/export", params={"format": fmt})
    assert r.status_code == 200, r.text
    media_type, ext = EXPECTED[fmt]
    assert r.headers["content-type"] == media_type
    name = f"plan-{plan['id']}-grids.{ext}"
    assert r.headers["content-disposition"] == f'attachment; filename="{name}"'
    (tmp_path / name).write_bytes(r.content)
    frame = pyogrio.read_dataframe(tmp_path / name)
    assert len(frame) == plan["grids"]
    route = client.get(f"/v1/plans/{plan['id']}/grids").json()["features"]
    names = set(frame["Name" if fmt == "kml" else "name"])
    assert names == {f["properties"]["name"] for f in route}


def test_a_gcj02_download_says_so_in_its_name(client, plan) -> None:
    r = client.get(f"/v1/plans/{plan['id']}/export", params={"format": "geojson", "coordsys": "gcj02"})
    assert r.status_code == 200
    assert f'filename="plan-{plan["id"]}-grids-gcj02.geojson"' in r.headers["content-disposition"]
    assert "GCJ-02" in check(r)["description"]


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/v1/plans/{id}/export?format=dwg", 422, "invalid_request"),
    ("/v1/plans/{id}/export?format=gpkg&coordsys=utm", 422, "invalid_request"),
    ("/v1/plans/{id}/export?format=gpkg&format=shp", 200, None),   # the last one counts, as elsewhere
    ("/v1/plans/987654/export", 404, "not_found"),
    ("/v1/plans/99999999999999/export", 404, "not_found"),
    ("/v1/plans/abc/export", 422, "invalid_request"),
])
def test_bad_downloads_get_a_json_4xx(client, plan, path: str, status: int, code: str | None) -> None:
    r = client.get(path.format(id=plan["id"]))
    assert r.status_code == status, r.text
    if code:
        assert r.json()["code"] == code


@pytest.mark.parametrize(("headers", "code"), [
    ({}, "not_authenticated"), ({"Authorization": "Bearer made-up-token"}, "invalid_credentials"),
    ({"Authorization": "Basic YWRtaW46YWRtaW4="}, "invalid_credentials"),
    ({"Authorization": "Bearer "}, "invalid_credentials"),
])
def test_a_household_roster_is_refused_to_clients_without_credentials(client, plan, headers, code) -> None:
    grids = client.get(f"/v1/plans/{plan['id']}/grids").json()["features"]
    for grid_code in (grids[0]["properties"]["code"], "000000000000000"):
        r = client.get(f"/v1/plans/{plan['id']}/grids/{grid_code}/roster", headers=headers)
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert check(r)["code"] == code
        assert not r.content.startswith(b"PK")   # no workbook, not even a part of one


def test_a_roster_is_only_for_staff_and_planners_of_its_community(client, plan, accounts) -> None:
    """Xueyuan's grid: its staff, a district planner and an admin get the workbook; a
    consumer and Sanguanhui's staff get 403 and no workbook."""
    grid = next(f for f in client.get(f"/v1/plans/{plan['id']}/grids").json()["features"]
                if f["properties"]["community_code"] == "610802001001")
    url = f"/v1/plans/{plan['id']}/grids/{grid['properties']['code']}/roster"
    for who in ("staff", "planner", "admin"):
        r = client.get(url, headers=accounts[who].headers)
        assert r.status_code == 200 and r.content.startswith(b"PK"), (who, r.text[:200])
    for who in ("consumer", "other_staff"):
        r = client.get(url, headers=accounts[who].headers)
        assert r.status_code == 403 and not r.content.startswith(b"PK"), who


@pytest.mark.parametrize("page", ["/maps/", "/maps/plans/{id}"])
def test_the_map_pages_link_every_download_of_their_plan(client, plan, page: str) -> None:
    html = client.get(page.format(id=plan["id"])).text
    links = re.findall(r'<a href="(/v1/plans/\d+/export\?format=(\w+))" download>', html)
    assert sorted(fmt for _, fmt in links) == sorted(EXPECTED)
    for href, fmt in links:
        r = client.get(href)
        assert r.status_code == 200 and r.headers["content-type"] == EXPECTED[fmt][0]
        assert f"plan-{plan['id']}-grids" in r.headers["content-disposition"]
