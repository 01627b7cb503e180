"""Response classes."""

from fastapi.responses import JSONResponse


class GeoJSONResponse(JSONResponse):
    """``application/geo+json`` (RFC 7946 section 12)."""

    media_type = "application/geo+json"
