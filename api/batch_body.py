"""Reading the body of ``POST /v1/lookup``: ``{"points": [[lon, lat], ...], ...}``.

A batch of 100,000 points is 2.4 MB of JSON. orjson turns it into 300,000 Python objects
only for numpy to copy them again; simdjson copies the numbers straight into one buffer,
in a fraction of the time (bench/README.md, lookup). Its buffer flattens nested arrays,
so the shape is checked apart, on the body's skeleton (every ``[``, ``]`` and ``,``, which
inside a numbers-only array are all structural): exactly ``[[,],[,],...]``. Any other
body (brackets in other members, a malformed list, non-numbers) goes through orjson and
the ordinary checks, so the fast path never answers what the slow one would refuse.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import simdjson

from gisgrid.errors import InvalidJSONError

__all__ = ["read_batch"]

_SKELETON = np.zeros(256, dtype=bool)
_SKELETON[[ord("["), ord("]"), ord(",")]] = True


def _plain(value: Any) -> Any:
    if isinstance(value, simdjson.Object):
        return value.as_dict()
    if isinstance(value, simdjson.Array):
        return value.as_list()
    return value


def _fast(raw: bytes) -> tuple[dict[str, Any], np.ndarray] | None:
    """The members other than points, and the points as an (n, 2) array; None when the
    body is not the plain shape (the caller then parses it the ordinary way)."""
    try:
        doc = simdjson.Parser().parse(raw)
        if not isinstance(doc, simdjson.Object) or "points" not in doc:
            return None
        points = doc["points"]
        if not isinstance(points, simdjson.Array) or len(points) == 0:
            return None
        n = len(points)
        flat = np.frombuffer(points.as_buffer(of_type="d"), dtype=float)
        rest = {k: _plain(doc[k]) for k in doc.keys() if k != "points"}  # noqa: SIM118 - lazy values
    except (ValueError, TypeError, RuntimeError, KeyError):  # KeyError: a NUL in a member name
        return None
    if len(flat) != 2 * n:
        return None
    u = np.frombuffer(raw, dtype=np.uint8)
    skeleton = u[_SKELETON[u]].tobytes().strip(b",")
    if skeleton != b"[" + b",".join([b"[,]"] * n) + b"]":
        return None
    return rest, flat.reshape(n, 2)


def read_batch(raw: bytes) -> tuple[dict[str, Any], Any]:
    """``(members, points)`` of a batch body: points as an (n, 2) float array when the
    body has the plain shape, else as parsed (the caller checks it).

    Raises
    ------
    InvalidJSONError
        The body is not JSON.
    """
    fast = _fast(raw)
    if fast is not None:
        members, points = fast
        return {**members, "points": None}, points
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidJSONError("The request body is not valid JSON.") from exc
    return doc, doc.get("points") if isinstance(doc, dict) else None
