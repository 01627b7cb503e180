"""A new estate on a vacant block of the demo (动态调整's usual cause), built in the test's transaction.

The demo leaves a few street blocks empty inside residential grids (vacant lots, e.g. in
Xueyuan). Building 600 households on one pushes its grid above the 600 maximum.
"""

from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.blocks.polygonize import polygonize_blocks
from gisgrid.db import plan_store
from gisgrid.settings import STORAGE_SRID


def community(session: Session, name: str) -> tuple[int, str]:
    """(id, code) of a demo community by its name."""
    row = session.execute(text("SELECT id, code FROM admin_area WHERE name = :n"), {"n": name}).one()
    return row.id, row.code


def vacant_block(session: Session, plan_id: int, name: str) -> tuple[str, int, shapely.Polygon]:
    """The first street block of a community with no household in it, inside a residential
    grid that holds other households: (grid code, grid households, block)."""
    community_id, _ = community(session, name)
    inputs = plan_store.community_inputs(session, community_id)
    homes = shapely.points(inputs["households"])
    grids = plan_store.residential_grids(session, plan_id, community_ids=[community_id])
    for block in polygonize_blocks(inputs["boundary"], inputs["streets"]).blocks:
        if shapely.contains(block.geometry, homes).any():
            continue
        inside = shapely.point_on_surface(block.geometry)
        for g in grids:
            if g.households > 0 and shapely.within(inside, shapely.from_wkb(bytes(g.wkb))):
                return g.code, int(g.households), block.geometry
    raise AssertionError(f"{name} has no vacant block inside a grid")


def build_estate(session: Session, name: str, block: shapely.Polygon, households: int = 600) -> int:
    """One building of ``households`` households on a lattice well inside ``block``; its id."""
    community_id, _ = community(session, name)
    inner = shapely.buffer(block, -1e-4)
    x0, y0, x1, y1 = inner.bounds
    for n in range(30, 200, 10):
        lattice = shapely.points(np.stack(np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n)),
                                          axis=-1).reshape(-1, 2))
        spots = lattice[shapely.contains(inner, lattice)]
        if len(spots) >= households:
            break
    building = session.execute(text("""
        INSERT INTO building (district_code, community_id, name, estate, address, floors, footprint)
        VALUES ('610802', :c, '新苑1号楼', '新苑小区', '榆阳区新苑小区1号楼', 30,
                ST_GeomFromWKB(:fp, :srid)) RETURNING id
    """), {"c": community_id, "fp": shapely.to_wkb(shapely.buffer(inner.centroid, 1e-4)),
          "srid": STORAGE_SRID}).scalar_one()
    session.execute(text("""
        INSERT INTO household (district_code, building_id, room, address, size, location)
        VALUES ('610802', :b, :room, :address, 3, ST_SetSRID(ST_MakePoint(:x, :y), :srid))
    """), [{"b": building, "room": str(i + 1), "address": f"榆阳区新苑小区1号楼{i + 1}室",
            "x": p.x, "y": p.y, "srid": STORAGE_SRID} for i, p in enumerate(spots[:households])])
    return int(building)
