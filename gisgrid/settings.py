"""Settings, read from ``GISGRID_*`` environment variables (one class per concern).

Nothing here is read at import time: callers build ``Settings()`` (or pass values in),
so tests hand settings to ``create_app`` instead of patching the environment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Storage SRID: every geometry column is lon/lat WGS84. CGCS2000 (EPSG:4490) input is
#: accepted as WGS84 (they differ by centimetres); GCJ-02/BD-09 are converted at the edge.
STORAGE_SRID = 4326


class DatabaseSettings(BaseSettings):
    """Which PostGIS to use: ``GISGRID_DATABASE_URL``, else the embedded local cluster."""

    model_config = SettingsConfigDict(env_prefix="GISGRID_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of a PostGIS database; unset = embedded local cluster.",
    )
    home: Path = Field(
        default=Path(".gisgrid"),
        description="Where the embedded cluster keeps its data dir, log and state.",
    )
    pg_bin: Path | None = Field(
        default=None, description="PostgreSQL binaries; default: found from pg_config or "
        "/usr/lib/postgresql/15/bin."
    )
    pool_size: int = 10

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if not v.startswith(("postgresql", "postgres")):
            raise ValueError("GISGRID_DATABASE_URL must be a postgresql:// URL (PostGIS)")
        if v.startswith("postgres://"):
            v = "postgresql://" + v[len("postgres://") :]
        if v.startswith("postgresql://"):
            # psycopg 3 is the driver we install; plain postgresql:// would mean psycopg2.
            v = "postgresql+psycopg://" + v[len("postgresql://") :]
        return v


class ServerSettings(BaseSettings):
    """How ``gisgrid serve`` listens and what the map pages load."""

    model_config = SettingsConfigDict(env_prefix="GISGRID_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    tiles_url: str = Field(
        default="osm",
        description="Basemap: a preset (osm, tianditu, none) or a {z}/{x}/{y} URL template.",
    )
    tianditu_key: str | None = None
    lookup_refresh_s: float = Field(
        default=1.0, ge=0.0,
        description="Lookups answer from memory; check the database for changes at most this "
        "often (seconds; 0 = before every lookup). Changes made through this server count at once.",
    )
    group_intake: bool = Field(
        default=True,
        description="Single intakes (POST /v1/requests) arriving together are written together, "
        "one statement per table and one commit per group (group commit), so concurrent "
        "intakes see each other as likely duplicates; false: one transaction each (concurrent "
        "ones do not see each other's uncommitted rows).",
    )
    node_modules: Path = Field(
        default=Path(__file__).resolve().parent.parent / "node_modules",
        description="Where `npm ci` put the map page assets (Leaflet etc.).",
    )


class AccessSettings(BaseSettings):
    """Who may do what without signing in, and how browser sessions behave."""

    model_config = SettingsConfigDict(env_prefix="GISGRID_", extra="ignore")

    anonymous_reads: bool = Field(
        default=True,
        description="Clients without a token may read the public endpoints (lookups, areas, "
        "plans and grids without personal fields, public map pages); false: sign in for all.",
    )
    anonymous_services: bool = Field(
        default=True,
        description="Clients without a token may call the stateless geometry services "
        "(POST /v1/blocks, /v1/coverage/check, /v1/coverage/repair, /v1/assign) and the "
        "batch POST /v1/lookup.",
    )
    public_team_names: bool = Field(
        default=True,
        description="Lookups name the grid's team to everyone (grid workers' names are posted "
        "on community boards); false: anonymous and consumer callers get roles without names.",
    )
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30,
                                 description="A browser sign-in lasts this long.")
    cookie_secure: bool | None = Field(
        default=None,
        description="Mark the session cookie Secure; unset: when the request came over https.",
    )
    trusted_origins: list[str] = Field(
        default_factory=list,
        description="Other origins (scheme://host[:port]) whose pages may send cookie-signed "
        "writes, e.g. a proxy's public name; the server's own origin is always trusted.",
    )
class LimitSettings(BaseSettings):
    """What one request may ask of the service, so no request can take it down.

    Each limit is refused with a 4xx naming it (413 body, features, vertices, points;
    414 URL; 400 address; 408 a body that stops arriving); heavy work that outlasts its
    budget ends with 503 and is stopped. ``README.md`` lists them with their defaults.
    """

    model_config = SettingsConfigDict(env_prefix="GISGRID_", extra="ignore")

    max_body_bytes: int = Field(
        default=32 * 1024 * 1024, ge=1024,
        description="Largest body of the routes that take bulk data (geometry services, "
        "uploads, edits, batch lookups; bytes): 413, before it is read when it says its size.")
    max_small_body_bytes: int = Field(
        default=64 * 1024, ge=1024,
        description="Largest body of every other route (small JSON forms, parsed in the server "
        "process; bytes): 413.")
    max_url_bytes: int = Field(
        default=4096, ge=256, description="Longest path, and longest query string (bytes): 414.")
    max_address_chars: int = Field(
        default=200, ge=10, description="Longest address a lookup accepts (characters): 400.")
    max_features: int = Field(
        default=100_000, ge=1, description="Most GeoJSON features in one request body: 413.")
    max_vertices: int = Field(
        default=1_000_000, ge=4, description="Most coordinate positions in one request body: 413.")
    max_batch_points: int = Field(
        default=100_000, ge=1, description="Most points in one POST /v1/lookup: 413 (the answer "
        "is ~0.5 KB a point, built in the process that answers lookups).")
    read_timeout_s: float = Field(
        default=10.0, gt=0, description="A request body that sends nothing for this long: 408.")
    body_timeout_s: float = Field(
        default=60.0, gt=0, description="A request body not complete after this long: 408.")
    work_timeout_s: float = Field(
        default=30.0, gt=0, description="Time budget of heavy work (coverage, blocks, assign, "
        "generate): past it the request gets 503 and the work is stopped.")
    work_processes: int = Field(
        default=2, ge=1, le=64, description="Worker processes that run heavy work (per server "
        "process), apart from the process that answers lookups.")
    work_memory_mb: int = Field(
        default=1024, ge=64, description="Memory one piece of heavy work may take beyond its "
        "worker's idle size (MB, an address-space limit): past it 503.")
    work_queue: int = Field(
        default=16, ge=0, description="Heavy requests that may wait for a free worker; more "
        "get 503 at once.")


class Settings(BaseSettings):
    """All settings together; built once at startup."""

    model_config = SettingsConfigDict(env_prefix="GISGRID_", extra="ignore")

    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
