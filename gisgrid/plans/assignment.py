"""Figures of grids made of units: totals, pieces (contiguity) and compactness.

The editor computes the same figures in the browser on every stroke
(``maps/editor/state.js``); this is the reference they are tested against (the browser's
figures equal these in tests/browser/test_editor_tools.py, the saved plan's in
tests/db/test_editor_edits.py). The server does not report them with a save: the page's
figures are what a planner sees.

Contiguity: a grid is one piece when its units are connected through shared edges of
at least 1 m (:data:`gisgrid.blocks.graph.MIN_SHARED_EDGE_M`: units meeting only at a
corner are not one area along streets). Compactness is Polsby-Popper, ``4πA/P²`` (1 for
a circle, about 0.785 for a square), where A sums the units' areas and P their
perimeters less twice the edges units of the grid share: so no geometry is unioned.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["GridFigures", "grid_figures"]


@dataclass
class GridFigures:
    """One grid's totals, pieces (unit index lists, largest first) and compactness."""

    units: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    area_m2: float = 0.0
    perimeter_m: float = 0.0
    pieces: list[list[int]] = field(default_factory=list)

    @property
    def compactness(self) -> float | None:
        """Polsby-Popper 4πA/P² (None for a grid without units)."""
        return 4 * math.pi * self.area_m2 / self.perimeter_m ** 2 if self.perimeter_m > 0 else None


def grid_figures(grid_of: Sequence[Hashable], *, area_m2: Sequence[float], perimeter_m: Sequence[float],
                 pairs: np.ndarray, shared_m: Sequence[float],
                 counts: Mapping[str, Sequence[int]] | None = None) -> dict[Hashable, GridFigures]:
    """Figures of every grid holding units (``grid_of[i]``: unit i's grid, None for none).

    Examples
    --------
    >>> import numpy as np
    >>> # three 10 m squares in a row, a b a: grid "a" is in two pieces
    >>> f = grid_figures(["a", "b", "a"], area_m2=[100] * 3, perimeter_m=[40] * 3,
    ...                  pairs=np.array([[0, 1], [1, 2]]), shared_m=[10, 10],
    ...                  counts={"households": [5, 7, 9]})
    >>> f["a"].pieces, f["a"].counts, round(f["b"].compactness, 3)
    ([[0], [2]], {'households': 14}, 0.785)
    """
    out: dict[Hashable, GridFigures] = defaultdict(GridFigures)
    counts = counts or {}
    for i, g in enumerate(grid_of):
        if g is None:
            continue
        fig = out[g]
        fig.units += 1
        fig.area_m2 += float(area_m2[i])
        fig.perimeter_m += float(perimeter_m[i])
        for key, values in counts.items():
            fig.counts[key] = fig.counts.get(key, 0) + int(values[i])
    links: dict[int, list[int]] = defaultdict(list)
    for (i, j), m in zip(np.asarray(pairs).reshape(-1, 2).tolist(), shared_m, strict=True):
        if grid_of[i] is not None and grid_of[i] == grid_of[j]:
            out[grid_of[i]].perimeter_m -= 2 * float(m)
            links[i].append(j)
            links[j].append(i)
    members: dict[Hashable, list[int]] = defaultdict(list)
    for i, g in enumerate(grid_of):
        if g is not None:
            members[g].append(i)
    for g, units in members.items():
        out[g].pieces = _components(units, links)
    return dict(out)


def _components(units: list[int], links: Mapping[int, list[int]]) -> list[list[int]]:
    """Connected pieces of a grid's units, largest first (then by first unit)."""
    seen: set[int] = set()
    pieces = []
    for start in units:
        if start in seen:
            continue
        seen.add(start)
        piece, todo = [], [start]
        while todo:
            u = todo.pop()
            piece.append(u)
            for v in links.get(u, ()):
                if v not in seen:
                    seen.add(v)
                    todo.append(v)
        pieces.append(sorted(piece))
    return sorted(pieces, key=lambda p: (-len(p), p[0]))
