"""OGC API Features under /ogc on the demo: documents, paging, bbox, single items, errors."""

from __future__ import annotations

import pytest
from ogc_cases import GEOJSON, ROWS, active_plan, envelope_corner_box, ids_of, walk
from openapi_check import check
from shapely.geometry import shape
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.io.geojson import feature_collection_problems


def test_the_landing_page_links_to_the_api_conformance_and_collections(client) -> None:
    r = client.get("/ogc")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    rels = {link["rel"]: link["href"] for link in check(r)["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    for rel in ("service-desc", "conformance", "data"):
        assert client.get(rels[rel]).status_code == 200
    conf = check(client.get("/ogc/conformance"))["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf


def test_collections_are_the_public_layers_and_one_per_plan_version(client, session: Session) -> None:
    doc = check(client.get("/ogc/collections"))
    ids = [c["id"] for c in doc["collections"]]
    plans = ids_of(session, "SELECT id FROM plan")
    assert ids == [*ROWS, *(f"plan-{p}" for p in sorted(plans))]
    for c in doc["collections"]:
        assert c["itemType"] == "feature"
        items = next(link for link in c["links"] if link["rel"] == "items")
        assert items["type"] == GEOJSON and items["href"].endswith(f"/ogc/collections/{c['id']}/items")
        one = check(client.get(f"/ogc/collections/{c['id']}"))
        assert one == c


def test_a_collections_extent_is_the_extent_of_its_rows(client, session: Session) -> None:
    box = session.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                               "(SELECT ST_Extent(location) AS e FROM shop) x")).one()
    doc = client.get("/ogc/collections/shops").json()
    assert doc["extent"]["spatial"]["bbox"][0] == pytest.approx(list(box), abs=1e-12)


@pytest.mark.parametrize("collection", list(ROWS))
def test_paging_through_a_collection_returns_every_row_once(client, session: Session,
                                                            collection: str) -> None:
    features, pages = walk(client, collection, limit=37)
    ids = [f["id"] for f in features]
    assert len(ids) == len(set(ids))
    assert set(ids) == ids_of(session, ROWS[collection])
    assert pages == -(-len(ids) // 37)
    assert feature_collection_problems({"type": "FeatureCollection", "features": features}) == []


def test_a_plan_collection_serves_that_plans_grids_with_the_counts_of_the_grids_route(
        client, session: Session) -> None:
    plan = active_plan(session)
    features, _ = walk(client, f"plan-{plan}", limit=10_000)
    served = {f["id"]: f["properties"] for f in features}
    route = client.get(f"/v1/plans/{plan}/grids").json()["features"]
    assert set(served) == {f["id"] for f in route}
    for f in route:
        p, o = f["properties"], served[f["id"]]
        team = p["team"]
        assert (o["households"], o["residents"], o["shops"]) == (p["households"], p["residents"], p["shops"])
        assert (o["code"], o["name"], o["kind"], o["community_code"]) == (
            p["code"], p["name"], p["kind"], p["community_code"])
        assert (o["team_leader"], o["team_full_time"], o["team_part_time"]) == (
            team.get("leader", 0), team.get("full_time", 0), team.get("part_time", 0))
    assert sum(p["households"] for p in served.values()) > 50_000


@pytest.mark.parametrize("box", [
    (109.72, 38.28, 109.73, 38.29),
    (109.7345, 38.2851, 109.7346, 38.2852),   # smaller than one grid
    (100.0, 30.0, 101.0, 31.0),               # far away: nothing
    (-180.0, -90.0, 180.0, 90.0),             # the whole world
])
def test_a_bbox_returns_the_grids_postgis_finds_intersecting_it(client, session: Session, box) -> None:
    features, _ = walk(client, "grids", bbox=",".join(map(str, box)), limit=25)
    expected = ids_of(session, ROWS["grids"] + " AND ST_Intersects(g.boundary, "
                    "ST_MakeEnvelope(:w, :s, :e, :n, 4326))", w=box[0], s=box[1], e=box[2], n=box[3])
    assert {f["id"] for f in features} == expected
    assert len(features) == len(expected)


def test_a_box_within_a_grids_envelope_but_off_the_grid_does_not_return_it(client, session: Session) -> None:
    """The filter is the geometry, not its bounding box: a tiny box in the corner of a
    grid's envelope that the grid itself does not reach (about 1 m clear) misses it."""
    gid, box = envelope_corner_box(session)
    features, _ = walk(client, "grids", bbox=",".join(map(repr, box)))
    served = {f["id"] for f in features}
    assert gid not in served and served
    assert served == ids_of(session, ROWS["grids"] + " AND ST_Intersects(g.boundary, "
                          "ST_MakeEnvelope(:w, :s, :e, :n, 4326))", w=box[0], s=box[1], e=box[2], n=box[3])
    assert gid in ids_of(session, ROWS["grids"] + " AND g.boundary && ST_MakeEnvelope(:w, :s, :e, :n, 4326)",
                       w=box[0], s=box[1], e=box[2], n=box[3])


def test_a_bbox_filters_points_too(client, session: Session) -> None:
    box = (109.72, 38.28, 109.74, 38.29)
    features, _ = walk(client, "shops", bbox=",".join(map(str, box)), limit=100)
    assert {f["id"] for f in features} == ids_of(
        session, "SELECT id FROM shop WHERE ST_Intersects(location, ST_MakeEnvelope(:w, :s, :e, :n, 4326))",
        w=box[0], s=box[1], e=box[2], n=box[3])
    assert all(box[0] <= f["geometry"]["coordinates"][0] <= box[2] for f in features)


def test_a_single_feature_is_the_feature_of_its_page(client) -> None:
    page = check(client.get("/ogc/collections/grids/items", params={"limit": 3, "offset": 5}))
    for f in page["features"]:
        r = client.get(f"/ogc/collections/grids/items/{f['id']}")
        assert r.status_code == 200 and r.headers["content-type"] == GEOJSON
        one = check(r)
        rels = {link["rel"] for link in one.pop("links")}
        assert rels == {"self", "collection"}
        assert one == f
        assert shape(one["geometry"]).is_valid


def test_public_collections_hold_no_personal_data_or_free_text(client, session: Session) -> None:
    requests, _ = walk(client, "requests", limit=10_000)
    assert {k for f in requests for k in f["properties"]} == {
        "category", "stage", "reported_at", "community_code", "community_name"}
    resources, _ = walk(client, "resources", limit=10_000)
    assert {k for f in resources for k in f["properties"]} == {
        "name", "kind", "community_code", "community_name"}
    private = {v for (v,) in session.execute(text(
        "SELECT name FROM staff UNION SELECT phone FROM staff WHERE phone IS NOT NULL "
        "UNION SELECT title FROM request UNION SELECT description FROM request "
        "WHERE description IS NOT NULL UNION SELECT details FROM resource WHERE details IS NOT NULL "
        "UNION SELECT address FROM household"))}
    for collection in ROWS:
        features, _ = walk(client, collection, limit=10_000)
        served = {v for f in features for v in f["properties"].values() if isinstance(v, str)}
        assert not served & private, collection


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/ogc/collections/grids/items?limit=100000000000000000000", 400, "invalid_parameter"),
    ("/ogc/collections/grids/items?limit=10001", 400, "invalid_parameter"),
    ("/ogc/collections/grids/items?limit=0", 400, "invalid_parameter"),
    ("/ogc/collections/grids/items?offset=-1", 400, "invalid_parameter"),
    ("/ogc/collections/grids/items?offset=99999999999", 400, "invalid_parameter"),
    ("/ogc/collections/grids/items?limit=5&limit=6", 400, "invalid_parameter"),
    ("/ogc/collections/grids/items?bbox=109.7,38.2,109.8,NaN", 400, "invalid_parameter"),
    ("/ogc/collections/grids/items?bbox=109.7,38.2,109.8,38.3,5", 400, "invalid_parameter"),
    ("/ogc/collections/grids/items?bbox=109.8,38.3,109.7,38.2", 400, "invalid_parameter"),
    ("/ogc/collections/grids/items?bbox=", 400, "invalid_parameter"),
    ("/ogc/collections/grids/items?f=html", 400, "invalid_parameter"),
    ("/ogc/collections?f=xml", 400, "invalid_parameter"),
    ("/ogc/collections/households/items", 404, "collection_not_found"),
    ("/ogc/collections/staff", 404, "collection_not_found"),
    ("/ogc/collections/plan-0/items", 404, "collection_not_found"),
    ("/ogc/collections/plan-99999999999999999999/items", 404, "collection_not_found"),
    ("/ogc/collections/plan-2147483647", 404, "collection_not_found"),
    ("/ogc/collections/plan-abc/items", 404, "collection_not_found"),
    ("/ogc/collections/grids/items/abc", 404, "feature_not_found"),
    ("/ogc/collections/grids/items/2147483648", 404, "feature_not_found"),
    ("/ogc/collections/grids/items/99999999999999999999999", 404, "feature_not_found"),
    ("/ogc/collections/grids/items/-1", 404, "feature_not_found"),
    ("/ogc/collections/grids/items/2147483647", 404, "feature_not_found"),
    ("/ogc/collections/areas/items/1.5", 404, "feature_not_found"),
    ("/ogc/collections/nope/items/1", 404, "collection_not_found"),
])
def test_hostile_requests_get_a_json_4xx_never_a_500(client, path: str, status: int, code: str) -> None:
    r = client.get(path)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    body = check(r)
    assert body["code"] == code and body["message"]


def test_a_page_past_the_end_is_empty_and_links_back(client) -> None:
    page = check(client.get("/ogc/collections/streets/items", params={"offset": 2_000_000_000}))
    assert page["features"] == [] and page["numberReturned"] == 0 and page["numberMatched"] > 0
    assert [link["rel"] for link in page["links"]] == ["self", "prev", "collection"]


def test_the_largest_page_comes_whole(client, session: Session) -> None:
    r = client.get("/ogc/collections/shops/items", params={"limit": 10_000})
    assert r.status_code == 200
    assert r.json()["numberReturned"] == len(ids_of(session, ROWS["shops"]))
