"""How much GeoJSON a parsed document holds (features, positions), checked against limits.

The cost of every geometry service grows with the features and vertices it is sent, so
they are counted on the parsed JSON, before any geometry is built, and a document over
a limit is refused with the limit in the message (:class:`TooLargeError`, HTTP 413).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gisgrid.errors import TooLargeError

__all__ = ["GeoJSONSize", "check_geojson_size", "measure_geojson"]


@dataclass(frozen=True)
class GeoJSONSize:
    """Features (objects with ``"type": "Feature"``) and positions (number arrays) counted."""

    features: int
    positions: int


def _is_position(value: list[Any]) -> bool:
    return bool(value) and isinstance(value[0], int | float) and not isinstance(value[0], bool)


def measure_geojson(doc: Any, *, stop_features: int | None = None,
                    stop_positions: int | None = None) -> GeoJSONSize:
    """Count the features and positions anywhere in a parsed JSON document.

    Any JSON is accepted (the count is a cost estimate, not a validation): an array
    whose first member is a number counts as one position, and an array whose first
    member is a position as that many positions (a ring, a line); neither is entered.
    The walk stops early once a ``stop_*`` count is passed.

    Examples
    --------
    >>> measure_geojson({"type": "Feature", "geometry": {"type": "LineString",
    ...                  "coordinates": [[0, 0], [1, 1]]}})
    GeoJSONSize(features=1, positions=2)
    """
    features = positions = 0
    stack = [doc]
    max_f = stop_features if stop_features is not None else float("inf")
    max_p = stop_positions if stop_positions is not None else float("inf")
    while stack and features <= max_f and positions <= max_p:
        value = stack.pop()
        if isinstance(value, dict):
            if value.get("type") == "Feature":
                features += 1
            stack.extend(v for v in value.values() if isinstance(v, dict | list))
        elif isinstance(value, list):
            if _is_position(value):
                positions += 1
            elif value and isinstance(value[0], list) and _is_position(value[0]):
                positions += len(value)  # a ring or line: counted whole, not entered
            else:
                stack.extend(v for v in value if isinstance(v, dict | list))
    return GeoJSONSize(features, positions)


def check_geojson_size(doc: Any, *, max_features: int, max_vertices: int,
                       what: str = "the request") -> GeoJSONSize:
    """The document's size, or :class:`TooLargeError` naming the limit it passes.

    Raises
    ------
    TooLargeError
        More than ``max_features`` features or ``max_vertices`` positions.

    Examples
    --------
    >>> check_geojson_size({"type": "Point", "coordinates": [1, 2]}, max_features=1,
    ...                    max_vertices=1)
    GeoJSONSize(features=0, positions=1)
    """
    size = measure_geojson(doc, stop_features=max_features, stop_positions=max_vertices)
    if size.features > max_features:
        raise TooLargeError(
            f"{what} has more than {max_features:,} features, the limit (GISGRID_MAX_FEATURES); "
            "send it in parts", details={"limit": max_features, "limit_name": "max_features"})
    if size.positions > max_vertices:
        raise TooLargeError(
            f"{what} has more than {max_vertices:,} coordinate positions, the limit "
            "(GISGRID_MAX_VERTICES); simplify it or send it in parts",
            details={"limit": max_vertices, "limit_name": "max_vertices"})
    return size
