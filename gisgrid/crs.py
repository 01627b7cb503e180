"""Coordinate systems used by Chinese web maps (GCJ-02, BD-09) and metric CRS helpers.

Chinese online maps do not publish WGS84 coordinates. Amap (高德), Tencent and Google
China use **GCJ-02**, WGS84 shifted by a deliberately obscure, non-linear offset of a few
hundred metres; Baidu uses **BD-09**, a further rotation/scaling of GCJ-02. Both
forward formulas have been public for years (reverse-engineered; eviltransform,
coordtransform and PRCoords implement them); this module re-implements them from the
formulas, vectorised with numpy, and inverts them *iteratively* so a round trip is exact
to millimetres instead of the few metres the usual one-step inverse gives.

``cgcs2000`` (China Geodetic Coordinate System 2000, EPSG:4490) is treated as WGS84:
the two realisations differ by a few centimetres, far below what a community grid
boundary (drawn to metres) can resolve, so no datum shift is applied.

All functions take longitude first, then latitude, in degrees. :class:`LocalEqualArea`
and :func:`utm_epsg_for` give metric CRSs for areas and lengths.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.enums import TransformDirection

from gisgrid.errors import InvalidInputError, UnknownCoordsysError

__all__ = [
    "COORDSYS",
    "LocalEqualArea",
    "METRIC_EPSG_YULIN",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_wgs84",
    "geometry_from_wgs84",
    "geometry_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "to_wgs84",
    "utm_epsg_for",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: Coordinate system names accepted wherever the API or CLI takes coordinates.
COORDSYS = ("wgs84", "cgcs2000", "gcj02", "bd09")

#: WGS84 / UTM zone 49N: the metric CRS for Yulin (Yuyang district, about 109.7°E 38.3°N,
#: inside zone 49 = 108°E..114°E).
METRIC_EPSG_YULIN = 32649

# GCJ-02 works on the Krasovsky 1940 ellipsoid.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323  # first eccentricity squared

# The rough box in which the published GCJ-02 formula applies; outside it GCJ-02 == WGS84.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)

# BD-09 constant: pi * 3000 / 180.
_X_PI = math.pi * 3000.0 / 180.0

# Iterative inverses stop when the step falls under this (degrees; 1e-10° ≈ 0.01 mm) or
# after _MAX_ITER rounds. The offsets' derivatives are ~1e-3 per degree at most, so
# fixed-point iteration converges by a factor of ~1000 per round: 3-4 rounds in practice.
_TOL_DEG = 1e-10
_MAX_ITER = 30

_Coords = tuple[Any, Any]


def _as_arrays(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """Return float arrays broadcast to one shape, and whether both inputs were scalars."""
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return lon_a, lat_a, scalar


def _wrap(lon: np.ndarray, lat: np.ndarray, scalar: bool) -> _Coords:
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where the GCJ-02 offset applies (NaN compares False, so NaN passes through)."""
    return (
        (lon >= _CHINA_LON[0])
        & (lon <= _CHINA_LON[1])
        & (lat >= _CHINA_LAT[0])
        & (lat <= _CHINA_LAT[1])
    )


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS84, in degrees, for WGS84 arrays (zero outside China)."""
    x = lon - 105.0
    y = lat - 35.0
    # Shared periodic term of both series.
    wave = (20.0 * np.sin(6.0 * np.pi * x) + 20.0 * np.sin(2.0 * np.pi * x)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + wave
        + (20.0 * np.sin(np.pi * y) + 40.0 * np.sin(np.pi * y / 3.0)) * 2.0 / 3.0
        + (160.0 * np.sin(np.pi * y / 12.0) + 320.0 * np.sin(np.pi * y / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + wave
        + (20.0 * np.sin(np.pi * x) + 40.0 * np.sin(np.pi * x / 3.0)) * 2.0 / 3.0
        + (150.0 * np.sin(np.pi * x / 12.0) + 300.0 * np.sin(np.pi * x / 30.0)) * 2.0 / 3.0
    )
    # The series give metres-ish numbers; scale them to degrees on the Krasovsky
    # ellipsoid with the meridian (M) and prime-vertical (N) radii of curvature.
    rad_lat = np.radians(lat)
    w2 = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    w = np.sqrt(w2)
    m = _KRASOVSKY_A * (1.0 - _KRASOVSKY_EE) / (w2 * w)
    n = _KRASOVSKY_A / w
    d_lat = d_lat * 180.0 / (m * np.pi)
    d_lon = d_lon * 180.0 / (n * np.cos(rad_lat) * np.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def _invert(
    forward: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lon: np.ndarray,
    lat: np.ndarray,
    start: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x) == (lon, lat)`` by fixed-point iteration from ``start``.

    Each round moves the guess by the residual: x <- x + (target - forward(x)). This
    converges because both offsets are nearly constant over metres (their Jacobian is
    close to the identity).
    """
    x_lon, x_lat = (np.array(a, dtype=float, copy=True) for a in start)
    for _ in range(_MAX_ITER):
        f_lon, f_lat = forward(x_lon, x_lat)
        step_lon = lon - f_lon
        step_lat = lat - f_lat
        x_lon = x_lon + step_lon
        x_lat = x_lat + step_lat
        worst = np.nanmax(np.abs(np.concatenate([step_lon.ravel(), step_lat.ravel()])), initial=0.0)
        if worst < _TOL_DEG:
            break
    return x_lon, x_lat


def _wgs_to_gcj(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d_lon, d_lat = _gcj_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def _gcj_to_bd(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_to_gcj_approx(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The published one-step BD-09 inverse (error up to a few decimetres)."""
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def wgs84_to_gcj02(lon: Any, lat: Any) -> _Coords:
    """Convert WGS84 to GCJ-02 ("Mars coordinates", used by Amap and Tencent).

    Points outside the rough box around China (lon 72.004–137.8347, lat
    0.8293–55.8271) are returned unchanged, as the public formula does.

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude in degrees (broadcast against each other).

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02: floats for scalar input, numpy arrays otherwise.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(116.377817, 39.911954)
    >>> round(lon, 6), round(lat, 6)
    (116.384047, 39.913345)
    """
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    return _wrap(*_wgs_to_gcj(lon_a, lat_a), scalar)


def gcj02_to_wgs84(lon: Any, lat: Any) -> _Coords:
    """Convert GCJ-02 to WGS84 exactly, by iterating the forward formula.

    Round trips agree to well under a millimetre inside China (the one-step inverse
    found in many libraries is off by up to a few metres).

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS84: floats for scalar input, numpy arrays otherwise.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(116.38404722455657, 39.91334545536069)
    >>> round(lon, 6), round(lat, 6)
    (116.377817, 39.911954)
    """
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    return _wrap(*_invert(_wgs_to_gcj, lon_a, lat_a, (lon_a, lat_a)), scalar)


def gcj02_to_bd09(lon: Any, lat: Any) -> _Coords:
    """Convert GCJ-02 to BD-09 (Baidu Maps), with the published ``x_pi`` formula.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple
        ``(lon, lat)`` in BD-09: floats for scalar input, numpy arrays otherwise.

    Examples
    --------
    >>> lon, lat = gcj02_to_bd09(116.404, 39.915)
    >>> round(lon, 6), round(lat, 6)
    (116.410369, 39.921337)
    """
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    return _wrap(*_gcj_to_bd(lon_a, lat_a), scalar)


def bd09_to_gcj02(lon: Any, lat: Any) -> _Coords:
    """Convert BD-09 to GCJ-02 exactly (one-step inverse, then iterated to convergence).

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02: floats for scalar input, numpy arrays otherwise.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(*gcj02_to_bd09(116.404, 39.915))
    >>> round(lon, 9), round(lat, 9)
    (116.404, 39.915)
    """
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    start = _bd_to_gcj_approx(lon_a, lat_a)
    return _wrap(*_invert(_gcj_to_bd, lon_a, lat_a, start), scalar)


def wgs84_to_bd09(lon: Any, lat: Any) -> _Coords:
    """Convert WGS84 to BD-09 (through GCJ-02).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude in degrees.

    Returns
    -------
    tuple
        ``(lon, lat)`` in BD-09: floats for scalar input, numpy arrays otherwise.

    Examples
    --------
    >>> lon, lat = wgs84_to_bd09(116.377817, 39.911954)
    >>> round(lon, 6), round(lat, 6)
    (116.390455, 39.919576)
    """
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    return _wrap(*_gcj_to_bd(*_wgs_to_gcj(lon_a, lat_a)), scalar)


def bd09_to_wgs84(lon: Any, lat: Any) -> _Coords:
    """Convert BD-09 to WGS84 exactly (both inverses iterated).

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS84: floats for scalar input, numpy arrays otherwise.

    Examples
    --------
    >>> lon, lat = bd09_to_wgs84(116.39045471310828, 39.919575550965874)
    >>> round(lon, 6), round(lat, 6)
    (116.377817, 39.911954)
    """
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    g_lon, g_lat = _invert(_gcj_to_bd, lon_a, lat_a, _bd_to_gcj_approx(lon_a, lat_a))
    return _wrap(*_invert(_wgs_to_gcj, g_lon, g_lat, (g_lon, g_lat)), scalar)


def _identity(lon: Any, lat: Any) -> _Coords:
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    return _wrap(lon_a.copy(), lat_a.copy(), scalar)


# cgcs2000 maps to the identity: see the module docstring (centimetre-level difference).
_TO_WGS84 = {
    "wgs84": _identity,
    "cgcs2000": _identity,
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
_FROM_WGS84 = {
    "wgs84": _identity,
    "cgcs2000": _identity,
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}


def _check_coordsys(coordsys: Any) -> str:
    if coordsys not in _TO_WGS84:
        raise UnknownCoordsysError(
            f"unknown coordsys {coordsys!r}; expected one of: {', '.join(COORDSYS)}",
            details={"coordsys": str(coordsys), "accepted": list(COORDSYS)},
        )
    return coordsys


def to_wgs84(lon: Any, lat: Any, coordsys: str) -> _Coords:
    """Convert coordinates in any of :data:`COORDSYS` to WGS84.

    ``cgcs2000`` is returned unchanged: CGCS2000 and WGS84 differ by centimetres, far
    below the precision of a grid boundary.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude in degrees, in ``coordsys``.
    coordsys : str
        One of ``"wgs84"``, ``"cgcs2000"``, ``"gcj02"``, ``"bd09"`` (exact spelling).

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS84: floats for scalar input, numpy arrays otherwise.

    Raises
    ------
    UnknownCoordsysError
        If ``coordsys`` is not one of :data:`COORDSYS`.

    Examples
    --------
    >>> to_wgs84(109.73, 38.28, "cgcs2000")
    (109.73, 38.28)
    >>> lon, lat = to_wgs84(116.38404722455657, 39.91334545536069, "gcj02")
    >>> round(lon, 6), round(lat, 6)
    (116.377817, 39.911954)
    """
    return _TO_WGS84[_check_coordsys(coordsys)](lon, lat)


def from_wgs84(lon: Any, lat: Any, coordsys: str) -> _Coords:
    """Convert WGS84 coordinates to any of :data:`COORDSYS` (the reverse of `to_wgs84`).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude in degrees.
    coordsys : str
        Target: one of ``"wgs84"``, ``"cgcs2000"``, ``"gcj02"``, ``"bd09"``.

    Returns
    -------
    tuple
        ``(lon, lat)`` in ``coordsys``: floats for scalar input, numpy arrays otherwise.

    Raises
    ------
    UnknownCoordsysError
        If ``coordsys`` is not one of :data:`COORDSYS`.

    Examples
    --------
    >>> lon, lat = from_wgs84(116.377817, 39.911954, "gcj02")
    >>> round(lon, 6), round(lat, 6)
    (116.384047, 39.913345)
    """
    return _FROM_WGS84[_check_coordsys(coordsys)](lon, lat)


def _convert_geometry(geom: Any, convert: Callable[..., Any], coordsys: str) -> Any:
    if geom is None or coordsys in ("wgs84", "cgcs2000"):   # identity (module docstring)
        return geom
    return shapely.transform(geom, lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1])))


def geometry_to_wgs84(geom: Any, coordsys: str) -> Any:
    """A geometry (or an array of them) in ``coordsys``, vertex by vertex in WGS84 lon/lat.

    The one conversion of geometry that arrives in any of :data:`COORDSYS` (API bodies,
    CLI files), so every entry point puts the same input on the same WGS84 coordinates.
    ``None`` stays None; in ``wgs84`` or ``cgcs2000`` the input is returned as it is.

    Parameters
    ----------
    geom : shapely.Geometry or array_like of them, or None
        Lon/lat geometry in ``coordsys`` (2D: a Z coordinate is dropped).
    coordsys : str
        One of :data:`COORDSYS`.

    Returns
    -------
    shapely.Geometry or numpy.ndarray
        The same shape of result, in WGS84.

    Raises
    ------
    UnknownCoordsysError
        If ``coordsys`` is not one of :data:`COORDSYS`.

    Examples
    --------
    >>> g = geometry_to_wgs84(shapely.Point(116.38404722455657, 39.91334545536069), "gcj02")
    >>> round(g.x, 6), round(g.y, 6)
    (116.377817, 39.911954)
    """
    return _convert_geometry(geom, _TO_WGS84[_check_coordsys(coordsys)], coordsys)


def geometry_from_wgs84(geom: Any, coordsys: str) -> Any:
    """A WGS84 geometry (or an array of them) converted vertex by vertex to ``coordsys``.

    The reverse of :func:`geometry_to_wgs84`, for every response and file written in the
    caller's coordsys (ring orientation is kept).

    Examples
    --------
    >>> g = geometry_from_wgs84(shapely.Point(116.377817, 39.911954), "gcj02")
    >>> round(g.x, 6), round(g.y, 6)
    (116.384047, 39.913345)
    """
    return _convert_geometry(geom, _FROM_WGS84[_check_coordsys(coordsys)], coordsys)


def utm_epsg_for(lon: float, lat: float) -> int:
    """EPSG code of the WGS84 UTM zone holding a point (326xx north, 327xx south).

    Uses the regular 6° zones; the Norway/Svalbard exceptions are not applied (they do
    not matter for China). Longitude 180 falls in zone 60.

    Parameters
    ----------
    lon, lat : float
        WGS84 longitude in [-180, 180] and latitude in [-80, 84] (UTM's range).

    Returns
    -------
    int
        The EPSG code, e.g. 32649 for UTM zone 49N.

    Raises
    ------
    InvalidInputError
        If the point is not finite or lies outside UTM's range.

    Examples
    --------
    >>> utm_epsg_for(109.73, 38.28)
    32649
    >>> utm_epsg_for(-70.6, -33.4)
    32719
    """
    lon = float(lon)
    lat = float(lat)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidInputError(f"coordinates must be finite, got ({lon}, {lat})")
    if not (-180.0 <= lon <= 180.0 and -80.0 <= lat <= 84.0):
        raise InvalidInputError(
            f"({lon}, {lat}) is outside UTM's range (lon -180..180, lat -80..84)"
        )
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return (32600 if lat >= 0.0 else 32700) + zone


class LocalEqualArea:
    """Lambert azimuthal equal-area projection (WGS84 ellipsoid) centred on a point.

    For areas in m² of lon/lat geometries. Equal-area keeps areas exact at any size,
    where UTM's scale (0.9996 to ~1.001 across a zone) would be off by up to ~0.2%;
    centred on the area at hand, its distortion of lengths and widths stays below
    0.01% within 100 km of the centre, so widths and buffers in metres hold too.

    Lon/lat edges are straight lines in degrees (as in GeoJSON and PostGIS geometry),
    which are curves once projected: :meth:`to_metric` first adds vertices every
    ``segment_deg`` (about 10 m) so the projected shape follows them.

    Examples
    --------
    >>> from shapely import box
    >>> square = box(109.73, 38.28, 109.731, 38.281)
    >>> round(float(LocalEqualArea.centred_on(square).area_m2(square)))
    9712
    """

    def __init__(self, lon0: float, lat0: float, *, segment_deg: float = 1e-4) -> None:
        self.lon0 = float(lon0)
        self.lat0 = float(lat0)
        self.segment_deg = segment_deg
        self._proj4 = (
            f"+proj=laea +lat_0={self.lat0:.9f} +lon_0={self.lon0:.9f} +x_0=0 +y_0=0 "
            "+ellps=WGS84 +units=m +no_defs"
        )
        # A PROJ pipeline builds far faster than Transformer.from_crs (figures in
        # bench/README.md); projections are made per request and per check.
        self._t = Transformer.from_pipeline(
            "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
            f"+step +proj=laea +lat_0={self.lat0:.9f} +lon_0={self.lon0:.9f} +x_0=0 +y_0=0 "
            "+ellps=WGS84"
        )
        step = 1e-5
        here = np.array([[self.lon0, self.lat0], [self.lon0 + step, self.lat0],
                         [self.lon0, self.lat0 + step]])
        xy = self._fwd(here)
        self._d_lonlat = np.linalg.inv(np.column_stack([xy[1] - xy[0], xy[2] - xy[0]]) / step)

    @property
    def crs(self) -> CRS:
        """The projection as a pyproj CRS (for GeoDataFrame.to_crs and the like)."""
        return CRS.from_proj4(self._proj4)

    @classmethod
    def centred_on(cls, geom: shapely.Geometry, **kwargs: Any) -> LocalEqualArea:
        """The projection centred on a lon/lat geometry's centroid."""
        centre = shapely.centroid(geom)
        return cls(centre.x, centre.y, **kwargs)

    def _fwd(self, xy: np.ndarray) -> np.ndarray:
        return np.column_stack(self._t.transform(xy[:, 0], xy[:, 1]))

    def _inv_exact(self, xy: np.ndarray) -> np.ndarray:
        # PROJ's ellipsoidal LAEA inverse misses by up to ~1e-8 degrees (~1 mm) (it goes
        # through a series for the authalic latitude) and returns the centre itself for
        # points within ~0.6 mm of it: enough to open hairline gaps between shapes that
        # must tile. Two Newton rounds on the forward projection (Jacobian taken at the
        # centre) bring the error below 1e-12 degrees.
        lonlat = np.column_stack(
            self._t.transform(xy[:, 0], xy[:, 1], direction=TransformDirection.INVERSE)
        )
        for _ in range(2):
            lonlat = lonlat + (xy - self._fwd(lonlat)) @ self._d_lonlat.T
        return lonlat

    def points_to_metric(self, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
        """Project lon/lat coordinate arrays to metres (x, y)."""
        xy = self._fwd(np.column_stack([np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)]))
        return xy[:, 0], xy[:, 1]

    def to_metric(self, geoms: Any, segment_deg: float | None = None) -> Any:
        """Densify lon/lat geometries (scalar or array) every ``segment_deg`` degrees
        (default: the projection's, ~10 m) and project them to metres."""
        step = self.segment_deg if segment_deg is None else segment_deg
        return shapely.transform(shapely.segmentize(geoms, step), self._fwd)

    def to_lonlat(self, geoms: Any) -> Any:
        """Project metric geometries back to lon/lat (exact to ~1e-12 degrees)."""
        return shapely.transform(geoms, self._inv_exact)

    def area_m2(self, geoms: Any) -> Any:
        """Area in m² of lon/lat geometries (0 for None or empty)."""
        return np.nan_to_num(shapely.area(self.to_metric(geoms)))
