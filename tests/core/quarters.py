"""The hand-drawn 2 x 2 layout shared by the coverage and repair tests.

    Y2 +----+----+
       | c  | d  |
    Y1 +----+----+        each quarter 0.001 degrees square near Yulin
       | a  | b  |
    Y0 +----+----+
       X0   X1   X2
"""

from pyproj import Geod
from shapely import box

LON0, LAT0, D = 109.73, 38.28, 0.001
X = [LON0 + k * D for k in range(4)]
Y = [LAT0 + k * D for k in range(4)]
PARENT = box(X[0], Y[0], X[2], Y[2])
GEOD = Geod(ellps="WGS84")


def geodesic_m2(geom):
    """Area on the ellipsoid: an independent measure of the checks' metric areas."""
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def quarters(**changes):
    """The four quarters a, b, c, d, with some replaced (None deletes one)."""
    grids = {
        "a": box(X[0], Y[0], X[1], Y[1]),
        "b": box(X[1], Y[0], X[2], Y[1]),
        "c": box(X[0], Y[1], X[1], Y[2]),
        "d": box(X[1], Y[1], X[2], Y[2]),
    }
    grids.update(changes)
    return [(k, v) for k, v in grids.items() if k not in changes or changes[k] is not None]


def bow_tie_c():
    """Quarter c drawn as a bow-tie: its ring crosses itself at c's centre.

    +---+---+
    |\\ /| d |
    | X |   |
    |/ \\|   |
    +---+---+
    | a | b |
    +---+---+
    """
    from shapely import Polygon

    return Polygon([(X[0], Y[1]), (X[1], Y[2]), (X[1], Y[1]), (X[0], Y[2])])
