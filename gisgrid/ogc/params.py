"""Query parameters of OGC API Features requests, checked before any SQL runs.

Every value a client sends is parsed here and refused with a 400 (`InvalidParameterError`)
when it is not what OGC API Features Part 1 allows; unknown parameters are ignored, as
the standard permits, so clients that add their own (``f``, cache busters) still work.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from gisgrid.errors import FeatureNotFoundError, InvalidParameterError

DEFAULT_LIMIT = 10
#: Largest page served; a 10,000-grid page is about 10 MB of GeoJSON.
MAX_LIMIT = 10_000
#: Offsets and feature ids are PostgreSQL ``integer`` values.
MAX_INT = 2**31 - 1
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: ``f`` values answered (JSON is the only encoding).
FORMATS = ("json", "geojson")
_INTEGER = re.compile(r"[0-9]{1,10}")


@dataclass(frozen=True)
class ItemsQuery:
    """A checked ``/items`` request: page size, start, and optional lon/lat box."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None


def _single(params: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise InvalidParameterError(f"{name} is given {len(values)} times; give it once",
                                    details={"parameter": name})
    return values[0] if values else None


def _integer(name: str, raw: str, low: int, high: int) -> int:
    raw = raw.strip()
    if not _INTEGER.fullmatch(raw) or not low <= int(raw) <= high:
        raise InvalidParameterError(f"{name} must be an integer from {low} to {high:,}, got {raw[:40]!r}",
                                    details={"parameter": name, "minimum": low, "maximum": high})
    return int(raw)


def parse_bbox(raw: str) -> tuple[float, float, float, float]:
    """``west,south,east,north`` (or the 6-number 3D form) in lon/lat WGS84 (CRS84).

    Parameters
    ----------
    raw : str
        The ``bbox`` parameter as sent.

    Returns
    -------
    tuple
        (west, south, east, north) in degrees; the heights of a 3D box are dropped.

    Raises
    ------
    InvalidParameterError
        Not 4 or 6 finite numbers, outside lon -180..180 / lat -90..90, or with
        west > east or south > north (a box across the antimeridian is not served:
        gisgrid's data lies in China).

    Examples
    --------
    >>> parse_bbox("109.7,38.2,109.8,38.3")
    (109.7, 38.2, 109.8, 38.3)
    """
    parts = raw.split(",")
    if len(parts) not in (4, 6):
        raise InvalidParameterError(
            f"bbox takes 4 numbers (west,south,east,north) or 6 (with heights), got {len(parts)}",
            details={"parameter": "bbox"})
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise InvalidParameterError(f"bbox must be numbers, got {raw[:80]!r}",
                                    details={"parameter": "bbox"}) from None
    if not all(math.isfinite(n) for n in numbers):
        raise InvalidParameterError("bbox numbers must be finite", details={"parameter": "bbox"})
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    west, south, east, north = numbers
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise InvalidParameterError("bbox is lon/lat in degrees: lon -180..180, lat -90..90",
                                    details={"parameter": "bbox"})
    if west > east or south > north:
        raise InvalidParameterError(
            "bbox corners are swapped: west must not exceed east, nor south north "
            "(boxes across the antimeridian are not served)", details={"parameter": "bbox"})
    return west, south, east, north


def parse_items_query(params: Iterable[tuple[str, str]]) -> ItemsQuery:
    """Check the query parameters of an ``/items`` request (``limit``, ``offset``,
    ``bbox``, ``bbox-crs``, ``f``); each may appear once.

    Examples
    --------
    >>> parse_items_query([("limit", "100"), ("offset", "200")])
    ItemsQuery(limit=100, offset=200, bbox=None)
    """
    items = list(params)
    check_format(items)
    limit = _single(items, "limit")
    offset = _single(items, "offset")
    bbox = _single(items, "bbox")
    bbox_crs = _single(items, "bbox-crs")
    if bbox_crs is not None and bbox_crs.strip() != CRS84:
        raise InvalidParameterError(f"bbox-crs: only {CRS84} is served",
                                    details={"parameter": "bbox-crs", "accepted": [CRS84]})
    return ItemsQuery(
        limit=DEFAULT_LIMIT if limit is None else _integer("limit", limit, 1, MAX_LIMIT),
        offset=0 if offset is None else _integer("offset", offset, 0, MAX_INT),
        bbox=None if bbox is None else parse_bbox(bbox),
    )


def check_format(params: Iterable[tuple[str, str]]) -> None:
    """Refuse an ``f`` other than JSON (the only encoding served)."""
    f = _single(list(params), "f")
    if f is not None and f.strip().lower() not in FORMATS:
        raise InvalidParameterError(f"f: only {' or '.join(FORMATS)} is served, got {f[:40]!r}",
                                    details={"parameter": "f", "accepted": list(FORMATS)})


def parse_feature_id(raw: str, collection: str) -> int:
    """A feature id as the integer it must be; anything else names no feature (404)."""
    if not _INTEGER.fullmatch(raw) or not 1 <= int(raw) <= MAX_INT:
        raise FeatureNotFoundError(
            f"no feature {raw[:40]!r} in {collection}: feature ids are integers from 1 to {MAX_INT:,}",
            details={"collection": collection})
    return int(raw)
