"""Fast bulk loading with PostgreSQL COPY.

SQLAlchemy's executemany is far slower for the household table (see bench/README.md);
COPY runs inside the caller's transaction, so a failed load still rolls back whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.settings import STORAGE_SRID


def ewkb_hex(geom: Any, srid: int = STORAGE_SRID) -> str | None:
    """Hex EWKB of a shapely geometry, the text form PostGIS's COPY input accepts."""
    if geom is None:
        return None
    return shapely.to_wkb(shapely.set_srid(geom, srid), hex=True, include_srid=True)


def copy_rows(session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY ``rows`` into ``table(columns)`` on the session's connection; return the count."""
    raw = session.connection().connection.driver_connection
    n = 0
    cols = ", ".join(columns)
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def next_id_offset(session: Session, table: str) -> int:
    """Largest id in ``table`` (0 when empty): loaded ids are shifted past it."""
    return int(session.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one())


def sync_sequence(session: Session, table: str) -> None:
    """Move ``table``'s id sequence past rows loaded with explicit ids."""
    session.execute(text(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"greatest((SELECT max(id) FROM {table}), 1))"
    ))
