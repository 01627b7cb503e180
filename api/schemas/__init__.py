"""Request and response pieces shared by several routers."""

from typing import Literal

#: Coordinate systems accepted wherever coordinates come in (see gisgrid.crs).
Coordsys = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]
