"""One geometry conversion for every entry point that takes ``coordsys`` (issue #10).

A GCJ-02 (Amap) parcel near Yulin, about 170 x 220 m, cut by one street and covered
by two grids with a 17 m strip between them::

    +----+  +----+        W: the parcel in WGS84;  G: the same vertices in GCJ-02
    | a  |  |  b |           (``wgs84_to_gcj02`` vertex by vertex, ~500 m away)
    |    |  |    |        blocks: the street | cuts W in two
    +----+  +----+        coverage: the strip between a and b is a gap

goes through the API (``POST /v1/blocks``, ``POST /v1/coverage/check``) and the CLI
(``gisgrid blocks``, ``gisgrid coverage check``) once as W in ``wgs84`` and once as G in
``gcj02``. Every entry point must put G on W (:func:`gisgrid.crs.geometry_to_wgs84`):
the same areas (GCJ-02 left unconverted would be ~0.1% off: tens of m² here) and,
converted back from the ``gcj02`` answer, the same geometry as the ``wgs84`` answer,
to a millimetre; and API and CLI must agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import mapping, shape
from typer.testing import CliRunner

from gisgrid.cli import app as cli
from gisgrid.crs import to_wgs84, wgs84_to_gcj02

X0, X1, X2, X3 = 109.7300, 109.7309, 109.7311, 109.7320
Y0, Y1 = 38.2800, 38.2820
STREET_X = 109.7305
MM_DEG = 1e-8          # about a millimetre, in degrees


def _feature_collection(geoms: list[Any], ids: bool = True) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": f"g{i}"} if ids else {}, "geometry": mapping(g)}
        for i, g in enumerate(geoms)]}


def _gcj(geom: Any) -> Any:
    """The reference: each vertex through the point conversion."""
    return shapely.transform(geom, lambda xy: shapely.get_coordinates(
        shapely.points(*wgs84_to_gcj02(xy[:, 0], xy[:, 1]))))


def _back(doc: dict[str, Any]) -> Any:
    """A GeoJSON geometry in GCJ-02, each vertex back to WGS84."""
    return shapely.transform(shape(doc), lambda xy: shapely.get_coordinates(
        shapely.points(*to_wgs84(xy[:, 0], xy[:, 1], "gcj02"))))


INPUTS = {
    "wgs84": {
        "parent": shapely.box(X0, Y0, X3, Y1),
        "grids": [shapely.box(X0, Y0, X1, Y1), shapely.box(X2, Y0, X3, Y1)],
        "street": shapely.LineString([(STREET_X, Y0 - 0.0005), (STREET_X, Y1 + 0.0005)]),
    },
}
INPUTS["gcj02"] = {"parent": _gcj(INPUTS["wgs84"]["parent"]),
                   "grids": [_gcj(g) for g in INPUTS["wgs84"]["grids"]],
                   "street": _gcj(INPUTS["wgs84"]["street"])}


def _api_blocks(client: Any, coordsys: str, tmp_path: Path) -> list[tuple[float, Any]]:
    g = INPUTS[coordsys]
    r = client.post("/v1/blocks", json={"boundary": mapping(g["parent"]), "coordsys": coordsys,
                                        "streets": _feature_collection([g["street"]], ids=False)})
    assert r.status_code == 200, r.text
    return [(f["properties"]["area_m2"], f["geometry"]) for f in r.json()["features"]]


def _cli_blocks(client: Any, coordsys: str, tmp_path: Path) -> list[tuple[float, Any]]:
    g = INPUTS[coordsys]
    (tmp_path / "streets.geojson").write_text(json.dumps(_feature_collection([g["street"]])))
    (tmp_path / "parent.geojson").write_text(json.dumps(_feature_collection([g["parent"]])))
    out = tmp_path / "blocks.geojson"
    r = CliRunner().invoke(cli, ["blocks", str(tmp_path / "streets.geojson"), "--boundary",
                                 str(tmp_path / "parent.geojson"), "--coordsys", coordsys, "-o", str(out)])
    assert r.exit_code == 0, r.output
    return [(f["properties"]["area_m2"], f["geometry"]) for f in json.loads(out.read_text())["features"]]


def _api_check(client: Any, coordsys: str, tmp_path: Path) -> dict[str, Any]:
    g = INPUTS[coordsys]
    r = client.post("/v1/coverage/check", json={"parent": mapping(g["parent"]), "coordsys": coordsys,
                                                "grids": _feature_collection(g["grids"])})
    assert r.status_code == 200, r.text
    return r.json()


def _cli_check(client: Any, coordsys: str, tmp_path: Path) -> dict[str, Any]:
    g = INPUTS[coordsys]
    (tmp_path / "grids.geojson").write_text(json.dumps(_feature_collection(g["grids"])))
    (tmp_path / "parent.geojson").write_text(json.dumps(_feature_collection([g["parent"]])))
    r = CliRunner().invoke(cli, ["coverage", "check", str(tmp_path / "grids.geojson"), "--parent",
                                 str(tmp_path / "parent.geojson"), "--coordsys", coordsys, "--json"])
    assert r.exit_code == 1, r.output                     # the gap: exit 1, report on stdout
    return json.loads(r.output)


def _same_shape(a: Any, b: Any) -> bool:
    return shapely.hausdorff_distance(a, b) < MM_DEG


@pytest.mark.parametrize("entry", [_api_blocks, _cli_blocks], ids=["api", "cli"])
def test_blocks_from_gcj02_land_on_the_wgs84_blocks(client, tmp_path: Path, entry) -> None:
    plain = sorted(entry(client, "wgs84", tmp_path), key=lambda b: shape(b[1]).centroid.x)
    amap = sorted(entry(client, "gcj02", tmp_path), key=lambda b: _back(b[1]).centroid.x)
    assert len(plain) == len(amap) == 2
    for (area_w, geom_w), (area_g, geom_g) in zip(plain, amap, strict=True):
        assert area_g == pytest.approx(area_w, abs=0.05)
        assert _same_shape(_back(geom_g), shape(geom_w))


@pytest.mark.parametrize("entry", [_api_check, _cli_check], ids=["api", "cli"])
def test_a_coverage_check_from_gcj02_lands_on_the_wgs84_check(client, tmp_path: Path, entry) -> None:
    plain, amap = entry(client, "wgs84", tmp_path), entry(client, "gcj02", tmp_path)
    for key in ("parent_area_m2", "covered_area_m2", "gap_area_m2", "overlap_area_m2"):
        assert amap["summary"][key] == pytest.approx(plain["summary"][key], abs=0.05), key
    (gap_w,), (gap_g,) = plain["defects"], amap["defects"]
    assert gap_w["kind"] == gap_g["kind"] == "gap" and gap_w["grids"] == gap_g["grids"]
    assert _same_shape(_back(gap_g["geometry"]), shape(gap_w["geometry"]))


def test_the_api_and_the_cli_agree_on_the_same_gcj02_input(client, tmp_path: Path) -> None:
    api, cli_ = _api_blocks(client, "gcj02", tmp_path), _cli_blocks(client, "gcj02", tmp_path)
    key = lambda b: shape(b[1]).centroid.x      # noqa: E731 - a sort key
    for (area_a, geom_a), (area_c, geom_c) in zip(sorted(api, key=key), sorted(cli_, key=key), strict=True):
        assert area_a == pytest.approx(area_c, abs=1e-3) and _same_shape(shape(geom_a), shape(geom_c))
    api_check, cli_check = _api_check(client, "gcj02", tmp_path), _cli_check(client, "gcj02", tmp_path)
    assert api_check["summary"] == pytest.approx(cli_check["summary"])
    assert _same_shape(shape(api_check["defects"][0]["geometry"]), shape(cli_check["defects"][0]["geometry"]))
