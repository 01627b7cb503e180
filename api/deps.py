"""Dependencies: the database session of a request (engine made in the lifespan)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gisgrid.errors import DatabaseUnavailableError


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; routes that write commit it themselves."""
    maker = request.app.state.sessionmaker
    with maker() as session:
        try:
            yield session
        except OperationalError as exc:
            session.rollback()
            raise DatabaseUnavailableError("the database is unreachable; try again later") from exc


SessionDep = Annotated[Session, Depends(get_session)]
