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

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt with its details and any attribute a subclass added (heavy work runs in
        # worker processes and its errors come back pickled).
        return (_rebuild, (type(self), self.message), self.__dict__)


def _rebuild(cls: type[GisGridError], message: str) -> GisGridError:
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    return exc


class InvalidInputError(GisGridError):
    """The caller sent something the core cannot work with."""

    code = "invalid_input"


class InvalidJSONError(InvalidInputError):
    """A body or file that is not JSON at all."""

    code = "invalid_json"


class UnknownCoordsysError(InvalidInputError):
    """A coordinate system name outside the accepted list."""

    code = "unknown_coordsys"


class InvalidValueError(InvalidInputError):
    """A value the database refuses to store or compare (out of range, not valid text)."""

    code = "invalid_value"


class TooLargeError(InvalidInputError):
    """A request larger than a configured limit (body, features, vertices, points, memory)."""

    code = "too_large"


class TooLongError(InvalidInputError):
    """A text parameter longer than its configured limit (e.g. an address)."""

    code = "too_long"


class WorkTimeoutError(GisGridError):
    """Heavy work that outlasted its time budget; it was stopped."""

    code = "work_timeout"


class BusyError(GisGridError):
    """Every worker for heavy work is busy and the queue is full: try again shortly."""

    code = "busy"


class WorkerLostError(GisGridError):
    """The worker process running a piece of heavy work died (crashed or was killed)."""

    code = "work_failed"


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


class InvalidRegisterError(InvalidInputError):
    """A register file (households, shops, buildings, staff) that cannot be read whole: not
    CSV or XLSX, an encoding it is not in, no header recognised, a row that breaks the
    file (``details``: the rows and what is wrong); nothing of it is imported."""

    code = "invalid_register"


class OutsideCoverageError(NotFoundError):
    """A point outside every grid in force (details carry ``distance_m`` to the nearest)."""

    code = "outside_coverage"


class AddressNotFoundError(NotFoundError):
    """An address that matches nothing in the address registry, not even fuzzily."""

    code = "address_not_found"


class StaleVersionError(ConflictError):
    """An edit named a plan version that is no longer current (someone edited first)."""

    code = "stale_version"


class EffectiveDateError(ConflictError):
    """The new plan would start on or before the day the plan it replaces started."""

    code = "effective_date_conflict"


class PlanNotDraftError(ConflictError):
    """Only draft plans can be edited; active and retired plans are history."""

    code = "plan_not_draft"


class CoverageFailedError(ConflictError):
    """A plan whose coverage check fails cannot be activated (``details``: the report)."""

    code = "coverage_failed"


class TeamIncompleteError(ConflictError):
    """A plan whose grids lack a leader or a full-time worker, activated without a reason."""

    code = "team_incomplete"


class ImportConflictError(ConflictError):
    """Another import wrote rows with the same register keys meanwhile (two imports of one
    register at once): nothing of this one was written; import it again."""

    code = "import_conflict"


class UnitsChangedError(ConflictError):
    """An editor's save made on units (blocks, parcels) cut from streets or buildings that
    have changed since it loaded them."""

    code = "units_changed"


class TileSpecError(InvalidInputError):
    """A basemap setting that names no preset and is no usable URL template."""

    code = "invalid_tiles"


# --- OGC API Features (gisgrid.ogc) ---

class InvalidParameterError(InvalidInputError):
    """A query parameter the OGC API does not allow (400, OGC API Features)."""

    code = "invalid_parameter"


class CollectionNotFoundError(NotFoundError):
    """No collection with this id (404, OGC API Features)."""

    code = "collection_not_found"


class FeatureNotFoundError(NotFoundError):
    """No feature with this id in the collection (404, OGC API Features)."""

    code = "feature_not_found"


# --- Access (gisgrid.access) ---

class NotAuthenticatedError(GisGridError):
    """The request needs credentials it did not bring, or brought bad ones (HTTP 401)."""

    code = "not_authenticated"


class InvalidCredentialsError(NotAuthenticatedError):
    """A token, session or password that does not match a current user (never says which part)."""

    code = "invalid_credentials"


class PermissionDeniedError(GisGridError):
    """The caller is known but their role may not do this (HTTP 403)."""

    code = "forbidden"


class OutOfScopeError(PermissionDeniedError):
    """The caller's role may do this, but not in this area (their scope is elsewhere)."""

    code = "out_of_scope"


class CsrfError(PermissionDeniedError):
    """A cookie-signed write that did not come from one of the server's own pages."""

    code = "csrf_failed"


class LoginRequiredError(NotAuthenticatedError):
    """A page for signed-in users opened without signing in (``details["next"]``: where
    to come back to); the web layer sends the browser to its sign-in page."""

    code = "login_required"


# --- Residents' requests (gisgrid.requests) ---

class UnknownCategoryError(InvalidInputError):
    """A request category (or Open311 service_code) that the category table does not hold."""

    code = "unknown_category"


class TransitionNotAllowedError(ConflictError):
    """A stage change the request's current stage does not allow (``details["allowed"]``)."""

    code = "transition_not_allowed"


class RequestNotFoundError(NotFoundError):
    """No request with this id."""

    code = "request_not_found"
