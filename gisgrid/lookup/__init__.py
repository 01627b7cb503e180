"""Point lookups: which grid, and so which people, a coordinate belongs to on a day."""

from gisgrid.lookup.cache import LookupCache
from gisgrid.lookup.index import LookupIndex
from gisgrid.lookup.point import lookup_point, lookup_point_json, lookup_points, lookup_points_json

__all__ = ["LookupCache", "LookupIndex", "lookup_point", "lookup_point_json", "lookup_points",
           "lookup_points_json"]
