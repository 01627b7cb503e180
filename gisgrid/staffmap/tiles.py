"""Vector tiles of the staff map: checked tile addresses, the GCJ-02 shift for Amap
basemaps, a small in-process cache, and the page's index.

A tile's URL carries the map epoch (migration 0011: a counter every change to plans,
grids, areas, households, shops, requests or resources moves), so the bytes behind one
URL never change: browsers and proxies may keep them for good, and this process keeps
the most recent ones in memory (:class:`TileCache`).

Why a per-tile shift for GCJ-02: Amap's tiles are drawn in GCJ-02, whose offset from
WGS84 (a few hundred metres) changes slowly across space. Translating a whole tile by the
offset at its centre is within 0.6 px of converting every vertex at every zoom from 10 to
18 in Yulin (``tests/core/test_staffmap_tiles.py`` checks it), and costs one
``ST_Translate``, where per-vertex conversion would need the formula in SQL.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy.orm import Session

from gisgrid.crs import gcj02_to_wgs84
from gisgrid.db import staffmap_store
from gisgrid.db.resource_store import map_epoch
from gisgrid.errors import InvalidParameterError

__all__ = ["MAX_ZOOM", "TILE_CRS", "TileCache", "map_index", "render_tile", "tile_shift"]

#: The coordinate systems tiles can be drawn in: WGS84 (OSM, Tianditu) or GCJ-02 (Amap).
TILE_CRS = ("wgs84", "gcj02")
MAX_ZOOM = 22


def tile_centre(z: int, x: int, y: int) -> tuple[float, float]:
    """Lon/lat of the centre of web mercator tile ``z/x/y``.

    >>> tile_centre(0, 0, 0)
    (0.0, 0.0)
    """
    n = 2 ** z
    lon = (x + 0.5) / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return lon, lat


def tile_shift(crs: str, z: int, x: int, y: int) -> tuple[float, float]:
    """The translation (degrees) that puts WGS84 data on a tile drawn in ``crs``.

    Zero for WGS84; for GCJ-02, the offset at the tile's centre (the centre is a GCJ-02
    position, so the offset is that of the WGS84 point it comes from).

    >>> tile_shift("wgs84", 14, 13185, 6242)
    (0.0, 0.0)
    >>> dx, dy = tile_shift("gcj02", 14, 13185, 6242)
    >>> 0.004 < dx < 0.008 and 0.0 < dy < 0.003
    True
    """
    if crs == "wgs84":
        return 0.0, 0.0
    lon, lat = tile_centre(z, x, y)
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    return lon - float(wlon), lat - float(wlat)


def check_tile(z: int, x: int, y: int) -> None:
    """Refuse a tile address outside the pyramid (400 ``invalid_parameter``)."""
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidParameterError(f"zoom must be 0 to {MAX_ZOOM}, not {z}", details={"parameter": "z"})
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value < 2 ** z:
            raise InvalidParameterError(f"{name} must be 0 to {2 ** z - 1} at zoom {z}, not {value}",
                                        details={"parameter": name})


def render_tile(session: Session, layer: str, z: int, x: int, y: int, *, crs: str = "wgs84") -> bytes:
    """One layer's MVT tile (``gisgrid.db.staffmap_store.LAYERS``), drawn for ``crs``."""
    check_tile(z, x, y)
    dx, dy = tile_shift(crs, z, x, y)
    return staffmap_store.tile_bytes(session, layer, z, x, y, dx=dx, dy=dy)


class TileCache:
    """The most recently served tiles of one process, by (epoch, crs, layer, z, x, y).

    Bounded by total bytes; a new epoch makes old keys unreachable and they age out.
    """

    def __init__(self, max_bytes: int = 64 * 2 ** 20) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._tiles: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self._lock:
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
            return tile

    def put(self, key: tuple[Any, ...], tile: bytes) -> None:
        with self._lock:
            if key in self._tiles:
                return
            self._tiles[key] = tile
            self.size += len(tile)
            while self.size > self.max_bytes and self._tiles:
                _, old = self._tiles.popitem(last=False)
                self.size -= len(old)


def map_index(session: Session) -> dict[str, Any]:
    """What the staff page embeds: the map epoch, grids (search, labels, ``?grid=``),
    communities (``?community=``) and the requests per stage (legend)."""
    return {"epoch": map_epoch(session), "grids": staffmap_store.grid_index(session),
            "communities": staffmap_store.community_index(session),
            "request_stages": staffmap_store.request_stage_counts(session)}
