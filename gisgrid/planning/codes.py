"""Grid codes: county + subdistrict + community + a 3-digit sequence read north to south, west to east.

A grid's code has 15 digits: the 6-digit county code (GB/T 2260; Yuyang district is
610802), the 3-digit subdistrict (街道) and 3-digit community (社区) numbers, and a
3-digit sequence within the community. CJ/T 349 and Beijing's unit-grid rule number
grids in reading order: left to right within a row, rows top to bottom. Grids are no
cells of a lattice, so "a row" needs a rule; the one used here (:data:`ROW_RULE`):

- each grid is placed by its representative point (a point inside it:
  ``point_on_surface``), measured in metres in the local equal-area projection;
- the band height ``h`` is half the median north-south extent of the grids: rows of
  grids lie about one grid height apart, so half of it splits the difference. A row
  stays whole as long as its points stray less than a quarter grid height from its line
  (they are then within ``h`` of its northernmost point, and the next row's are not);
- rows are read from the north: a row starts at the northernmost point not yet in a
  row and takes every point less than ``h`` south of it; within a row, grids are
  numbered west to east (ties: by id).

Codes are recomputed for every new plan (a new plan renumbers its grids), while each
grid keeps its own stable internal id: :func:`assign_codes` takes and returns grids
keyed by id.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import shapely

from gisgrid.blocks.graph import plain, sort_key
from gisgrid.crs import LocalEqualArea
from gisgrid.errors import InvalidInputError
from gisgrid.shapes import read_pairs

__all__ = ["ROW_RULE", "assign_codes", "number_grids"]

ROW_RULE = ("rows of representative points (point_on_surface, in metres) read north to south: a row "
            "starts at the northernmost point left and takes every point less than half the median "
            "grid height south of it; within a row, west to east (ties by id)")

_MAX_SEQUENCE = 999


def assign_codes(grids: Any, *, county: str = "610802", subdistrict: str = "001",
                 community: str = "001") -> dict[Hashable, str]:
    """The 15-digit code of every grid of one community, keyed by the grid's id.

    Parameters
    ----------
    grids : mapping, sequence of (id, geometry), GeoDataFrame, or grids with ``id``/``geometry``
        The community's grids in lon/lat WGS84, e.g. ``PlanProposal.grids``.
    county : str
        6-digit county code (GB/T 2260); Yuyang district is ``"610802"``.
    subdistrict, community : str
        3-digit subdistrict (街道) and community (社区) numbers.

    Returns
    -------
    dict
        Grid id -> code, in code order.

    Raises
    ------
    InvalidInputError
        A code part of the wrong length or not digits, more than 999 grids, repeated
        ids, or a grid without geometry.

    Examples
    --------
    A row of two grids above one wide grid::

        +----+----+
        | b  | a  |
        +----+----+
        |    c    |
        +---------+

    >>> from shapely import box
    >>> assign_codes({"a": box(109.731, 38.281, 109.732, 38.282), "b": box(109.73, 38.281, 109.731, 38.282),
    ...               "c": box(109.73, 38.28, 109.732, 38.281)}, subdistrict="002", community="003")
    {'b': '610802002003001', 'a': '610802002003002', 'c': '610802002003003'}
    """
    prefix = _digits(county, 6, "county") + _digits(subdistrict, 3, "subdistrict") + _digits(
        community, 3, "community")
    sequence = number_grids(grids)
    if len(sequence) > _MAX_SEQUENCE:
        raise InvalidInputError(f"{len(sequence)} grids in one community: the 3-digit sequence holds "
                                f"at most {_MAX_SEQUENCE}")
    return {gid: f"{prefix}{seq:03d}" for gid, seq in sequence.items()}


def number_grids(grids: Any) -> dict[Hashable, int]:
    """Sequence numbers 1..n in reading order (see :data:`ROW_RULE`), keyed by grid id.

    Parameters
    ----------
    grids : mapping, sequence of (id, geometry), GeoDataFrame, or grids with ``id``/``geometry``
        In lon/lat WGS84.

    Returns
    -------
    dict
        Grid id -> sequence number, in sequence order.

    Examples
    --------
    >>> from shapely import box
    >>> number_grids([(7, box(109.731, 38.28, 109.732, 38.281)), (3, box(109.73, 38.28, 109.731, 38.281))])
    {3: 1, 7: 2}
    """
    ids, geoms = _pairs(grids)
    if not ids:
        return {}
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    metric = LocalEqualArea((x0 + x1) / 2, (y0 + y1) / 2).to_metric(geoms)
    rep = shapely.get_coordinates(shapely.point_on_surface(metric))
    bounds = shapely.bounds(metric)
    band = 0.5 * float(np.median(bounds[:, 3] - bounds[:, 1]))
    north_first = sorted(range(len(ids)), key=lambda i: (-rep[i, 1], rep[i, 0], sort_key(ids[i])))
    rows: list[list[int]] = []
    top = np.inf
    for i in north_first:
        if rep[i, 1] <= top - band or not rows:
            rows.append([])
            top = rep[i, 1]
        rows[-1].append(i)
    order = [i for row in rows for i in sorted(row, key=lambda i: (rep[i, 0], sort_key(ids[i])))]
    return {ids[i]: seq for seq, i in enumerate(order, start=1)}


def _pairs(grids: Any) -> tuple[list[Hashable], np.ndarray]:
    if hasattr(grids, "grids") and not hasattr(grids, "columns"):
        grids = grids.grids  # a PlanProposal
    if isinstance(grids, Mapping):
        grids = list(grids.items())
    elif not hasattr(grids, "columns"):
        grids = [(g.id, g.geometry) if hasattr(g, "id") and hasattr(g, "geometry") else g
                 for g in _iterable(grids)]
    ids, geoms = read_pairs(grids, "grids")
    missing = [str(i) for i, g in zip(ids, geoms, strict=True) if g is None or g.is_empty]
    if missing:
        raise InvalidInputError(f"grids: no geometry for {', '.join(missing[:20])}",
                                details={"grids": missing})
    return [plain(i) for i in ids], geoms


def _iterable(grids: Any) -> Iterable[Any]:
    try:
        return list(grids)
    except TypeError:
        raise InvalidInputError("grids: expected a mapping or a sequence of (id, geometry)") from None


def _digits(value: Any, n: int, what: str) -> str:
    text = str(value)
    if not re.fullmatch(rf"\d{{{n}}}", text):
        raise InvalidInputError(f"{what} must be {n} digits, got {value!r}")
    return text
