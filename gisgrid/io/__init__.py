"""Reading and checking input: GeoJSON documents, street and boundary files."""

from gisgrid.io.geojson import feature_collection_problems, geometry_problems, read_features
from gisgrid.io.streets import read_boundary, read_streets

__all__ = ["feature_collection_problems", "geometry_problems", "read_boundary", "read_features",
           "read_streets"]
