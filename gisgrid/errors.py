"""The gisgrid exception tree: one base class, one machine-readable code per kind."""

from __future__ import annotations

from typing import Any


class GisGridError(Exception):
    """Base class of every error the gisgrid core raises on purpose.

    ``code`` is the machine-readable name the HTTP layer sends back; ``message`` is
    safe to show to a user; ``details`` holds optional structured context (also
    user-safe: internal detail belongs in logs, not here).
    """

    code = "gisgrid_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInputError(GisGridError):
    """The caller sent something the core cannot work with."""

    code = "invalid_input"


class InvalidJSONError(InvalidInputError):
    """A body or file that is not JSON at all."""

    code = "invalid_json"


class UnknownCoordsysError(InvalidInputError):
    """A coordinate system name outside the accepted list."""

    code = "unknown_coordsys"


class NotFoundError(GisGridError):
    """The thing asked for does not exist."""

    code = "not_found"


class ConflictError(GisGridError):
    """The request clashes with the current state (e.g. a second active plan)."""

    code = "conflict"


class DatabaseUnavailableError(GisGridError):
    """PostGIS cannot be reached or refused the connection."""

    code = "database_unavailable"


class LocalClusterError(GisGridError):
    """The embedded PostgreSQL cluster could not be created, started or stopped."""

    code = "local_cluster_error"


class InvalidGeoJSONError(InvalidInputError):
    """A document that is not the GeoJSON asked for (details list every problem)."""

    code = "invalid_geojson"


class DuplicateIdError(InvalidInputError):
    """Two features share an id where ids must be unique."""

    code = "duplicate_id"


class InvalidGeometryError(InvalidInputError):
    """A geometry of the wrong type, empty, or invalid (the message says which)."""

    code = "invalid_geometry"


class EmptyInputError(InvalidInputError):
    """A required collection came with nothing in it."""

    code = "empty_input"


class OutsideCoverageError(NotFoundError):
    """A point outside every grid in force (details carry ``distance_m`` to the nearest)."""

    code = "outside_coverage"


class AddressNotFoundError(NotFoundError):
    """An address that matches nothing in the address registry, not even fuzzily."""

    code = "address_not_found"


class StaleVersionError(ConflictError):
    """An edit named a plan version that is no longer current (someone edited first)."""

    code = "stale_version"


class PlanNotDraftError(ConflictError):
    """Only draft plans can be edited; active and retired plans are history."""

    code = "plan_not_draft"


class CoverageFailedError(ConflictError):
    """A plan whose coverage check fails cannot be activated (``details``: the report)."""

    code = "coverage_failed"


class TeamIncompleteError(ConflictError):
    """A plan whose grids lack a leader or a full-time worker, activated without a reason."""

    code = "team_incomplete"


class UnitsChangedError(ConflictError):
    """An editor's save made on units (blocks, parcels) cut from streets or buildings that
    have changed since it loaded them."""

    code = "units_changed"


class TileSpecError(InvalidInputError):
    """A basemap setting that names no preset and is no usable URL template."""

    code = "invalid_tiles"
