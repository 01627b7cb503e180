"""Request bodies that cost a lot to answer, for the live limit tests and the bench."""

from __future__ import annotations

from typing import Any

X, Y = 109.70, 38.20


def blocks_body(n: int) -> dict[str, Any]:
    """n east-west and n north-south streets 10 m apart: n² blocks to polygonize."""
    step = 1e-4
    lines = [[[X, Y + i * step], [X + 0.1, Y + i * step]] for i in range(n)]
    lines += [[[X + i * step, Y], [X + i * step, Y + 0.1]] for i in range(n)]
    boundary = [[X, Y], [X + 0.1, Y], [X + 0.1, Y + 0.1], [X, Y + 0.1], [X, Y]]
    return {"boundary": {"type": "Polygon", "coordinates": [boundary]},
            "streets": {"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": c}}
                for c in lines]}}


def _square(x: float, y: float, d: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


def overlapping_squares_body(n: int) -> dict[str, Any]:
    """n distinct squares, each shifted 0.1 m from the last: every pair overlaps."""
    return {"parent": _square(X, Y, 0.02), "grids": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": f"g{i}"}, "geometry": _square(X + i * 1e-6, Y, 0.01)}
        for i in range(n)]}}


def copies_body(n: int) -> dict[str, Any]:
    """n copies of one square (the 400-copies report of issue 11)."""
    return {"parent": _square(X, Y, 0.02), "grids": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": f"g{i}"}, "geometry": _square(X, Y, 0.01)}
        for i in range(n)]}}
