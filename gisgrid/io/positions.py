"""Hints for positions that are not lon/lat: the commonest mistake is lat and lon swapped.

GeoJSON and this API take ``[lon, lat]``; many Chinese systems and spreadsheets write
"lat, lon". A point in China written that way has a "latitude" of 73-135, impossible,
while its "longitude" is a plausible latitude: the error message then says so.
"""

from __future__ import annotations

import math

__all__ = ["CHINA_BOUNDS", "swapped_hint"]

#: lon_min, lat_min, lon_max, lat_max of China, generously (Nansha islands to Mohe).
CHINA_BOUNDS = (73.4, 3.5, 135.1, 53.6)


def _in_china(lon: float, lat: float) -> bool:
    west, south, east, north = CHINA_BOUNDS
    return west <= lon <= east and south <= lat <= north


def swapped_hint(lon: float, lat: float) -> str:
    """A sentence to add to an error when ``(lon, lat)`` looks like ``(lat, lon)``, else "".

    >>> swapped_hint(38.28, 109.73)
    '; lat and lon look swapped: (109.73, 38.28) is in China, and positions are [lon, lat]'
    >>> swapped_hint(109.73, 38.28)
    ''
    """
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        return ""
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lat) <= 90:
        return ""
    if not _in_china(lat, lon):
        return ""
    return f"; lat and lon look swapped: ({lat:g}, {lon:g}) is in China, and positions are [lon, lat]"
