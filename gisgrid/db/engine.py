"""Engine and sessions: which database, and getting it to the current schema."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from gisgrid.db.local import LocalCluster
from gisgrid.errors import DatabaseUnavailableError
from gisgrid.settings import DatabaseSettings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def resolve_database_url(settings: DatabaseSettings, *, database: str | None = None) -> str:
    """URL of the database to use, starting the embedded cluster when none is set.

    With ``GISGRID_DATABASE_URL`` set, that URL (``database`` replaces its database
    name); otherwise the local cluster under ``settings.home`` is brought up.
    """
    if settings.database_url:
        url = make_url(settings.database_url)
        if database:
            url = url.set(database=database)
        return url.render_as_string(hide_password=False)
    return LocalCluster(settings.home, settings.pg_bin).up(database)


def make_engine(url: str, *, pool_size: int = 10, statement_timeout_ms: int | None = None) -> Engine:
    """A pooled engine with ``pool_pre_ping`` (connections survive server restarts).

    ``statement_timeout_ms`` makes PostgreSQL cancel any statement running longer.
    """
    connect_args = {} if statement_timeout_ms is None else {
        "options": f"-c statement_timeout={int(statement_timeout_ms)}"}
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size,
                         connect_args=connect_args)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


#: ``Session.info`` key set by :func:`note_lookup_change`.
LOOKUP_CHANGE = "gisgrid.lookup_change"


def note_lookup_change(session: Session) -> None:
    """Record that this unit of work changes what lookups answer.

    Called by the service functions that write what a lookup reads of the plans in
    force: activating a plan, loading the demo (and any future edit of a plan in force
    or of a team). A server keeping lookups in memory learns of it when the unit of
    work commits (:func:`on_lookup_change`) and answers the change at once; other
    processes learn of it from the database's lookup epoch (migration 0004), which
    remains the cross-process truth. Stateless requests and draft edits note nothing,
    so they leave a server's lookup cache alone.
    """
    session.info[LOOKUP_CHANGE] = True


def on_lookup_change(maker: sessionmaker[Session], callback: Callable[[], None]) -> None:
    """Call ``callback()`` after every commit of a session from ``maker`` that noted a
    lookup change (:func:`note_lookup_change`); a rollback forgets the note."""

    def committed(session: Session) -> None:
        if session.info.pop(LOOKUP_CHANGE, False):
            callback()

    def rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
        if previous_transaction.parent is None:       # the unit of work, not a savepoint
            session.info.pop(LOOKUP_CHANGE, None)

    event.listen(maker, "after_commit", committed)
    event.listen(maker, "after_soft_rollback", rolled_back)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with make_sessionmaker(engine)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def ensure_postgis(engine: Engine) -> str:
    """Create the PostGIS extension if needed; return its version."""
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            return str(conn.execute(text("SELECT postgis_lib_version()")).scalar_one())
    except OperationalError as exc:
        raise DatabaseUnavailableError(
            f"Cannot reach PostGIS at {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig}"
        ) from exc


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic (PostGIS created first)."""
    from alembic import command
    from alembic.config import Config

    ensure_postgis(engine)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def ready_engine(settings: DatabaseSettings, *, pool_size: int = 2) -> Engine:
    """The database in use, ready: embedded cluster up (unless a URL is set), schema migrated."""
    engine = make_engine(resolve_database_url(settings), pool_size=pool_size)
    migrate(engine)
    return engine
