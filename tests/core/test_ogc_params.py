"""OGC API Features parameters and page links, without a database."""

from __future__ import annotations

import pytest

from gisgrid.errors import FeatureNotFoundError, InvalidParameterError
from gisgrid.ogc.items import page_links
from gisgrid.ogc.params import (
    CRS84,
    MAX_INT,
    MAX_LIMIT,
    ItemsQuery,
    parse_bbox,
    parse_feature_id,
    parse_items_query,
)


def test_a_plain_request_gets_ten_features_from_the_start() -> None:
    assert parse_items_query([]) == ItemsQuery(limit=10, offset=0, bbox=None)


def test_limit_offset_and_bbox_are_read_and_unknown_parameters_ignored() -> None:
    q = parse_items_query([("limit", "250"), ("offset", "500"), ("bbox", "109.7,38.2,109.8,38.3"),
                           ("f", "json"), ("bbox-crs", CRS84), ("cachebust", "1")])
    assert q == ItemsQuery(limit=250, offset=500, bbox=(109.7, 38.2, 109.8, 38.3))


def test_a_3d_bbox_keeps_its_horizontal_corners() -> None:
    assert parse_bbox("109.7,38.2,-10,109.8,38.3,500") == (109.7, 38.2, 109.8, 38.3)


@pytest.mark.parametrize("raw", [
    "109.7,38.2,109.8",              # 3 numbers
    "109.7,38.2,109.8,38.3,1",       # 5 numbers
    "109.7,38.2,109.8,NaN",          # not finite
    "109.7,38.2,inf,38.3",
    "109.8,38.2,109.7,38.3",         # west > east
    "109.7,38.3,109.8,38.2",         # south > north
    "109.7,38.2,190,38.3",           # off the globe
    "109.7,-91,109.8,38.3",
    "a,b,c,d",
    "",
    "1e400,0,0,0",
])
def test_a_bbox_that_is_not_a_lon_lat_box_is_refused(raw: str) -> None:
    with pytest.raises(InvalidParameterError) as err:
        parse_bbox(raw)
    assert err.value.code == "invalid_parameter"


@pytest.mark.parametrize("params", [
    [("limit", "0")], [("limit", "-1")], [("limit", str(MAX_LIMIT + 1))], [("limit", "10" * 20)],
    [("limit", "1.5")], [("limit", "ten")], [("limit", "")], [("offset", "-1")],
    [("offset", str(MAX_INT + 1))], [("offset", "1e3")], [("limit", "5"), ("limit", "7")],
    [("bbox", "1,2,3,4"), ("bbox", "1,2,3,4")], [("f", "html")], [("bbox-crs", "EPSG:3857")],
])
def test_limits_offsets_and_duplicates_outside_the_rules_are_refused(params) -> None:
    with pytest.raises(InvalidParameterError):
        parse_items_query(params)


def test_the_largest_page_is_allowed() -> None:
    assert parse_items_query([("limit", str(MAX_LIMIT))]).limit == MAX_LIMIT


@pytest.mark.parametrize("raw", ["abc", "-1", "0", "1.0", str(MAX_INT + 1), "9" * 40, ""])
def test_a_feature_id_that_cannot_be_an_id_names_no_feature(raw: str) -> None:
    with pytest.raises(FeatureNotFoundError):
        parse_feature_id(raw, "grids")


def test_links_point_at_the_next_and_previous_pages_and_keep_the_other_parameters() -> None:
    href = "http://h/ogc/collections/grids/items"
    params = [("bbox", "1,2,3,4"), ("limit", "10"), ("offset", "10")]
    links = page_links(href, params, ItemsQuery(limit=10, offset=10, bbox=(1, 2, 3, 4)),
                       matched=35, returned=10)
    assert {link["rel"]: link["href"] for link in links} == {
        "self": f"{href}?bbox=1,2,3,4&limit=10&offset=10",
        "next": f"{href}?bbox=1,2,3,4&limit=10&offset=20",
        "prev": f"{href}?bbox=1,2,3,4&limit=10",
    }


def test_the_last_page_has_no_next_link_and_the_first_no_prev() -> None:
    last = page_links("u", [("offset", "30")], ItemsQuery(offset=30), matched=35, returned=5)
    assert [link["rel"] for link in last] == ["self", "prev"]
    first = page_links("u", [], ItemsQuery(), matched=5, returned=5)
    assert [link["rel"] for link in first] == ["self"]
    exact = page_links("u", [], ItemsQuery(limit=5), matched=5, returned=5)
    assert [link["rel"] for link in exact] == ["self"]
