"""GDAL's OGC API Features driver (OAPIF, bundled with pyogrio) reads a running server.

This is what QGIS and ogr2ogr do: list the collections as layers, page through each
along the ``next`` links, and send a map extent as ``bbox``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyogrio
import shapely
from ogc_cases import ROWS, envelope_corner_box, ids_of
from sqlalchemy import text
from sqlalchemy.orm import Session

LOG = Path(__file__).resolve().parents[2] / ".gisgrid" / "live_server.log"


def _offsets_logged(layer: str, since: int, expected: int) -> set[int]:
    """The offsets of the item pages of ``layer`` the server logged after byte ``since``."""
    pattern = re.compile(rf'"GET /ogc/collections/{re.escape(layer)}/items\?([^ ]*) HTTP')
    deadline = time.monotonic() + 5
    while True:
        with LOG.open(encoding="utf-8") as f:
            f.seek(since)
            queries = pattern.findall(f.read())
        offsets = {int(m.group(1)) if (m := re.search(r"offset=(\d+)", q)) else 0 for q in queries}
        if len(offsets) >= expected or time.monotonic() > deadline:
            return offsets
        time.sleep(0.1)


def _expectedids_of(session: Session, layer: str) -> set[int]:
    if layer.startswith("plan-"):
        return ids_of(session, "SELECT id FROM grid WHERE plan_id = :p", p=int(layer[5:]))
    return ids_of(session, ROWS[layer])


def test_gdal_lists_every_collection_and_reads_each_page_by_page(live_server: str,
                                                                 session: Session) -> None:
    source = f"OAPIF:{live_server}/ogc"
    layers = [str(name) for name in pyogrio.list_layers(source)[:, 0]]
    plans = ids_of(session, "SELECT id FROM plan")
    assert sorted(layers) == sorted([*ROWS, *(f"plan-{p}" for p in plans)])
    for layer in layers:
        expected = _expectedids_of(session, layer)
        page = max(len(expected) // 5, 3)
        pages = -(-len(expected) // page)
        assert pages >= 5, layer
        since = LOG.stat().st_size
        frame = pyogrio.read_dataframe(source, layer=layer, PAGE_SIZE=page, fid_as_index=True)
        assert frame.index.is_unique, layer
        assert set(frame.index) == expected, layer
        offsets = _offsets_logged(layer, since, pages)
        assert {o for o in offsets if o} == {k * page for k in range(1, pages)}, layer


def test_gdal_reads_the_grids_attributes_and_shapes_the_database_holds(live_server: str,
                                                                       session: Session) -> None:
    frame = pyogrio.read_dataframe(f"OAPIF:{live_server}/ogc", layer="grids", PAGE_SIZE=40,
                                   fid_as_index=True)
    rows = session.execute(text("""
        SELECT g.id, g.code, g.name, ST_AsBinary(g.boundary) AS wkb,
               (SELECT count(*) FROM household h WHERE ST_Covers(g.boundary, h.location)) AS households
        FROM grid g JOIN plan p ON p.id = g.plan_id WHERE p.status = 'active'""")).all()
    assert len(rows) == len(frame)
    for r in rows:
        got = frame.loc[r.id]
        assert (got["code"], got["name"], int(got["households"])) == (r.code, r.name, r.households)
        # GeoJSON coordinates carry 7 decimals (about 1 cm).
        assert shapely.hausdorff_distance(got.geometry, shapely.from_wkb(r.wkb)) < 1e-7


def test_a_gdal_bbox_read_returns_the_grids_postgis_finds(live_server: str, session: Session) -> None:
    gid, corner = envelope_corner_box(session)
    boxes = [(109.725, 38.282, 109.738, 38.291), corner]
    for box in boxes:
        frame = pyogrio.read_dataframe(f"OAPIF:{live_server}/ogc", layer="grids", bbox=box,
                                       PAGE_SIZE=7, fid_as_index=True)
        expected = ids_of(session, ROWS["grids"] + " AND ST_Intersects(g.boundary, "
                        "ST_MakeEnvelope(:w, :s, :e, :n, 4326))",
                        w=box[0], s=box[1], e=box[2], n=box[3])
        assert expected and set(frame.index) == expected and frame.index.is_unique
    assert gid not in expected
