"""The read API on the demo: health, areas, plans, grids as RFC 7946 GeoJSON."""

from __future__ import annotations

import shapely
from openapi_check import check
from shapely.geometry import shape

from gisgrid.io.geojson import feature_collection_problems


def test_health_says_ok_with_the_database_reachable(client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert check(r) == {"status": "ok", "database": "ok"}


def test_areas_list_the_district_its_subdistricts_and_communities(client) -> None:
    areas = check(client.get("/v1/areas"))["areas"]
    levels = [a["level"] for a in areas]
    assert levels.count("district") == 1
    assert levels.count("subdistrict") >= 3
    assert levels.count("community") >= 8
    names = {a["name"] for a in areas}
    assert {"榆阳区", "三官会社区", "学院社区", "金阳社区"} <= names
    communities = check(client.get("/v1/areas", params={"level": "community"}))["areas"]
    assert all(a["parent_code"] and len(a["code"]) == 12 for a in communities)


def test_the_district_area_is_the_real_yuyang_size(client) -> None:
    feature = check(client.get("/v1/areas/610802"))
    # Yuyang covers about 7,053 km² (DOMAIN.md); the boundary comes from cnmaps/AMap.
    assert 6_500e6 < feature["properties"]["area_m2"] < 7_600e6
    assert feature["geometry"]["type"] == "MultiPolygon"


def test_one_active_plan_is_listed_with_its_grids(client) -> None:
    plans = check(client.get("/v1/plans", params={"status": "active"}))["plans"]
    assert len(plans) == 1
    plan = plans[0]
    assert plan["status"] == "active" and plan["scope"]["code"] == "610802"
    assert plan["grids"] > 0 and plan["effective_from"] == "2020-01-01"
    assert check(client.get(f"/v1/plans/{plan['id']}")) == plan


def test_plan_grids_are_a_valid_rfc7946_feature_collection(client) -> None:
    plan = client.get("/v1/plans", params={"status": "active"}).json()["plans"][0]
    r = client.get(f"/v1/plans/{plan['id']}/grids")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = check(r)
    assert feature_collection_problems(fc) == []
    assert len(fc["features"]) == plan["grids"]
    for f in fc["features"]:
        p = f["properties"]
        assert len(p["code"]) == 15 and p["code"].startswith("610802")
        assert p["kind"] in ("residential", "business")
        assert shape(f["geometry"]).is_valid
        assert p["team"]["leader"] == 1 and p["team"]["full_time"] == 1
        assert "phone" not in str(p) and "name" not in p["team"]
    residential = [f for f in fc["features"] if f["properties"]["kind"] == "residential"]
    assert all(100 <= f["properties"]["households"] <= 600 for f in residential)


def test_grids_can_be_filtered_by_kind_and_community(client) -> None:
    plan = client.get("/v1/plans", params={"status": "active"}).json()["plans"][0]
    business = check(client.get(f"/v1/plans/{plan['id']}/grids", params={"kind": "business"}))
    assert [f["properties"]["name"] for f in business["features"]] == ["夫子庙商圈网格"]
    areas = client.get("/v1/areas", params={"level": "community"}).json()["areas"]
    xueyuan = next(a for a in areas if a["name"] == "学院社区")
    grids = client.get(f"/v1/plans/{plan['id']}/grids", params={"community": xueyuan["code"]}).json()
    assert len(grids["features"]) >= 37
    union = shapely.union_all([shape(f["geometry"]) for f in grids["features"]])
    assert union.area > 0


def test_errors_have_a_code_and_a_message(client) -> None:
    cases = [
        ("/v1/plans/999999", 404, "not_found"),
        ("/v1/plans/999999/grids", 404, "not_found"),
        ("/v1/plans?status=bogus", 422, "invalid_request"),
        ("/v1/plans/abc", 422, "invalid_request"),
        ("/v1/areas/000000", 404, "not_found"),
        ("/no/such/path", 404, "not_found"),
    ]
    for path, status, code in cases:
        r = client.get(path)
        assert r.status_code == status, path
        body = r.json() if path == "/no/such/path" else check(r)   # not an operation
        assert body["code"] == code and body["message"], path
