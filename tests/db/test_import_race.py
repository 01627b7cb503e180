"""Two imports of one register at once: the second waits for the first, then is refused whole (409)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gisgrid.errors import ImportConflictError
from gisgrid.imports import import_register

SHOPS = "编号,店名,地址\nRACE1,竞态测试甲店,金林小区3号楼\nRACE2,竞态测试乙店,金林小区4号楼\n".encode()


@pytest.fixture
def cleanup(engine: Engine):
    yield
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM shop WHERE register_key LIKE 'id:RACE%'"))
        conn.execute(text("DELETE FROM audit_event WHERE action = 'import' AND actor LIKE 'race-%'"))


def test_the_second_of_two_racing_imports_writes_nothing_and_says_so(engine: Engine, cleanup) -> None:
    outcome: dict[str, object] = {}
    with Session(engine) as first:
        import_register(first, "shops", SHOPS, actor="race-a")     # holds the new keys, uncommitted

        def second() -> None:
            with Session(engine) as s:
                try:
                    outcome["report"] = import_register(s, "shops", SHOPS, actor="race-b")
                    s.commit()
                except ImportConflictError as exc:
                    s.rollback()
                    outcome["error"] = exc

        racer = threading.Thread(target=second)
        racer.start()
        racer.join(3)
        assert racer.is_alive()          # waits on the first import's keys
        first.commit()
    racer.join(30)
    assert isinstance(outcome.get("error"), ImportConflictError), outcome
    with engine.connect() as conn:
        written = conn.execute(text("SELECT count(*) FROM shop WHERE register_key LIKE 'id:RACE%'"))
        assert written.scalar_one() == 2
