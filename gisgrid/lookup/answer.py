"""The answer of a point lookup, as compact JSON bytes, from the grids at and near the point.

One function, :func:`assemble`, writes every answer, whichever path found the grids (the
single SQL lookup, the in-memory index), so a point gets byte-identical answers either
way. The answer (the contract of ``GET /v1/lookup``)::

    {"grid":{"id","code","name","kind"},"overlays":[...],"community":{...},
     "subdistrict":{...},"district":{...},"near_boundary":bool,
     "alternatives":[{"id","code","name","kind","distance_m"}],"staff":[{"role","name"}]}

Rules:

- ``grid`` is the point's owner by :func:`gisgrid.rules.owner_key` (the one rule of the
  stored assignment, counts and diffs too): the base grid (residential or special)
  holding the point; on an edge shared by several, the one whose code sorts first (then
  id). A point held only by a business grid gets that grid.
- ``overlays``: the business grids holding the point (the Fuzimiao merchants' grid),
  by code.
- ``alternatives``: the other base grids within ``near_m`` metres (default 30), nearest
  first (then code, id), with their distance rounded to 0.1 m; ``near_boundary`` says
  whether there are any. A grid that holds the point (on a shared edge) is at 0 m; the
  others are measured in the point's UTM zone, where an edge along a meridian is no
  longer exactly straight (a point on it may measure a few micrometres from the grid).
"""

from __future__ import annotations

from collections.abc import Sequence

from gisgrid.db.lookup_store import GridContext
from gisgrid.errors import InvalidInputError
from gisgrid.rules import is_base, owner_key

__all__ = ["DEFAULT_NEAR_M", "MAX_NEAR_M", "assemble", "check_near", "distance_text",
           "simple_answer"]

#: Distance (m) within which another grid makes a point ``near_boundary``.
DEFAULT_NEAR_M = 30.0
#: Largest near_m accepted: beyond it "near" means nothing for street-bounded grids.
MAX_NEAR_M = 1000.0


def check_near(near_m: float) -> float:
    """``near_m`` as a float, or :class:`InvalidInputError` outside 0..MAX_NEAR_M."""
    near_m = float(near_m)
    if not (0.0 <= near_m <= MAX_NEAR_M):
        raise InvalidInputError(f"near_m must be between 0 and {MAX_NEAR_M:g} m, got {near_m:g}")
    return near_m


def distance_text(d: float) -> bytes:
    """A distance as the answer writes it: metres, one decimal (correctly rounded)."""
    return b"%.1f" % d


def _key(c: GridContext) -> tuple[bool, str, int]:
    return owner_key(c.kind, c.code, c.id)


def head(owner: GridContext, overlays: Sequence[GridContext], near: bool) -> bytes:
    """The answer up to the opening of ``alternatives``."""
    return (b'{"grid":' + owner.grid_json + b',"overlays":['
            + b",".join(o.grid_json for o in overlays) + b"]," + (owner.areas_json or b"")
            + (b',"near_boundary":true,"alternatives":[' if near
               else b',"near_boundary":false,"alternatives":['))


def tail(owner: GridContext) -> bytes:
    """The answer from the closing of ``alternatives``."""
    return b'],"staff":' + (owner.staff_json or b"[]") + b"}"


def alternative(c: GridContext, d: float) -> bytes:
    """One entry of ``alternatives``: the grid's object with its distance."""
    return c.grid_json[:-1] + b',"distance_m":' + distance_text(d) + b"}"


def simple_answer(owner: GridContext) -> bytes:
    """The answer for a point held by ``owner`` alone, no other grid near."""
    return head(owner, (), False) + tail(owner)


def assemble(hits: Sequence[GridContext], near: Sequence[tuple[GridContext, float]],
             near_m: float) -> bytes | None:
    """The answer for one point from the grids holding it and those near it.

    ``hits`` carry the areas and team; ``near`` pairs base grids with their distance in
    metres (those farther than ``near_m``, and the owner itself, are ignored). None when
    nothing holds the point.
    """
    if not hits:
        return None
    ranked = sorted(hits, key=_key)          # the owner first, then the overlays by code
    owner = ranked[0]
    overlays = [h for h in ranked[1:] if not is_base(h.kind)]
    holders = {h.id for h in hits}
    near = [(c, 0.0 if c.id in holders else d) for c, d in near]
    alts = sorted(((c, d) for c, d in near if c.id != owner.id and d <= near_m),
                  key=lambda t: (t[1], t[0].code, t[0].id))
    return (head(owner, overlays, bool(alts)) + b",".join(alternative(c, d) for c, d in alts)
            + tail(owner))
