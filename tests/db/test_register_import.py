"""Register import on the real demo: a 5,000-household register written as offices write it.

The register (``tests/registers.py``) is built from the demo's own households with
deliberate faults whose rows are known by construction: 4,700 matched (100 of them new
rooms in existing units), 100 ambiguous (an estate written by a core several estates
share), 120 unmatched (no such building, estate or unit), 80 duplicates.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from registers import Register, build_register, to_csv, to_xlsx
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.errors import InvalidRegisterError
from gisgrid.imports import import_register, read_register


@pytest.fixture(scope="module")
def register(engine) -> Register:
    with Session(engine) as s:
        return build_register(s)


@pytest.fixture(scope="module")
def files(register: Register) -> dict[str, bytes]:
    return {"csv": to_csv(register), "xlsx": to_xlsx(register)}


def _state(session: Session) -> tuple[int, int, str]:
    row = session.execute(text("""
        SELECT count(*), count(register_key),
               md5(string_agg(concat_ws('|', id, unit_id, room, size, head_name, phone, register_key,
                                        ST_AsText(location)), ',' ORDER BY id))
        FROM household""")).one()
    return row[0], row[1], row[2]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_dry_run_counts_every_known_fault_and_writes_nothing(session: Session, register: Register,
                                                                files: dict[str, bytes], fmt: str) -> None:
    before = _state(session)
    report = import_register(session, "households", files[fmt], dry_run=True)
    assert report.counts() == register.expected() == {
        "rows": 5000, "matched": 4700, "ambiguous": 100, "unmatched": 120, "duplicate": 80}
    # row by row, not only in total
    assert [r["status"] for r in report.rows] == [r.status for r in register.rows]
    assert report.written is None and _state(session) == before
    if fmt == "csv":
        assert report.file["encoding"] == "gb18030" and report.file["columns"]["address"] == "房屋"
    else:   # merged title, group headers merged over their columns, 小区 merged down its rows
        assert report.file["header_row"] == 3 and report.file["columns"]["room"] == "室/门牌"
    ambiguous = next(r for r in report.rows if r["status"] == "ambiguous")
    assert len(ambiguous["candidates"]) >= 2 and all(c["grid"]["code"] for c in ambiguous["candidates"])
    assert all(r["reason"] for r in report.rows if r["status"] in ("unmatched", "duplicate"))
    matched = [r for r in report.rows if r["status"] == "matched"]
    assert all(r["grid"]["code"] and r["confidence"] >= 0.6 for r in matched)


def test_the_import_writes_exactly_the_matched_rows(session: Session, register: Register,
                                                    files: dict[str, bytes]) -> None:
    count, keyed, _ = _state(session)
    report = import_register(session, "households", files["csv"], actor="test")
    assert report.written == {"inserted": 100, "updated": 4600, "unchanged": 0}
    written = set(session.execute(text(
        "SELECT register_key FROM household WHERE register_key IS NOT NULL")).scalars())
    assert written == {f"id:{r.hid}" for r in register.rows if r.status == "matched"}
    assert _state(session)[:2] == (count + 100, keyed + 4700)
    # the new households join the stored assignment of the plan in force
    plans = session.execute(text("SELECT id FROM plan WHERE status = 'active'")).scalars().all()
    assert report.assigned == sorted(plans)
    unassigned = session.execute(text("""
        SELECT count(*) FROM household h WHERE NOT EXISTS (
            SELECT 1 FROM household_assignment a WHERE a.plan_id = :p AND a.household_id = h.id)"""),
                                 {"p": plans[0]}).scalar_one()
    assert unassigned == 0
    # the register's sizes, heads and phones are stored on the household matched
    r = next(r for r in register.rows if r.status == "matched")
    size, head, phone = session.execute(text(
        "SELECT size, head_name, phone FROM household WHERE register_key = :k"), {"k": f"id:{r.hid}"}).one()
    assert (size, head, phone) == (r.size, r.head, r.phone)


@pytest.mark.parametrize("breakage", ["cut_character", "bad_count", "open_quote", "extra_field"])
def test_a_file_broken_at_its_last_row_writes_nothing(session: Session, files: dict[str, bytes],
                                                      breakage: str) -> None:
    before = _state(session)
    good = files["csv"]
    last = good.rstrip(b"\r\n").rsplit(b"\r\n", 1)[1]
    broken = {
        "cut_character": good.rstrip(b"\r\n")[:-len(last)] + last[:-1] + "张".encode("gb18030")[:1],
        "bad_count": good + "HH999999,金林小区,3栋2单元904,王五,三口人,13900000000\r\n".encode("gb18030"),
        "open_quote": good + '"HH999999,金林小区,3栋2单元904,王五,3,13900000000\r\n'.encode("gb18030"),
        "extra_field": good + "HH999999,金林小区,3栋2单元904,王五,3,13900000000,多余\r\n".encode("gb18030"),
    }[breakage]
    with pytest.raises(InvalidRegisterError) as err:
        import_register(session, "households", broken, actor="test")
    problems = err.value.details["problems"]
    assert problems[-1]["row"] >= 5001
    assert _state(session) == before


def test_importing_twice_changes_nothing(session: Session, files: dict[str, bytes]) -> None:
    import_register(session, "households", files["xlsx"], actor="test")
    after_first = _state(session)
    events = session.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
    again = import_register(session, "households", files["csv"], actor="test")   # same register, as CSV
    assert again.written == {"inserted": 0, "updated": 0, "unchanged": 4700}
    assert _state(session) == after_first
    assert session.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == events


def test_a_changed_row_updates_its_household_instead_of_adding_one(session: Session,
                                                                   register: Register) -> None:
    import_register(session, "households", to_csv(register), actor="test")
    count = _state(session)[0]
    changed = Register([*register.rows])
    i = next(k for k, r in enumerate(changed.rows) if r.status == "matched" and r.estate)
    j = next(k for k, r in enumerate(changed.rows) if r.status == "matched" and k != i and r.estate)
    old = changed.rows[i]
    changed.rows[i] = replace(old, size=old.size % 6 + 1, head="新户主")
    changed.rows[j] = replace(changed.rows[j], room="5901")     # the same 户号 moved to a new room
    report = import_register(session, "households", to_csv(changed), actor="test")
    assert report.written == {"inserted": 0, "updated": 2, "unchanged": 4698}
    assert _state(session)[0] == count
    size, head = session.execute(text("SELECT size, head_name FROM household WHERE register_key = :k"),
                                 {"k": f"id:{old.hid}"}).one()
    assert (size, head) == (old.size % 6 + 1, "新户主")
    room = session.execute(text("SELECT room FROM household WHERE register_key = :k"),
                           {"k": f"id:{changed.rows[j].hid}"}).scalar_one()
    assert room == "5901"


def test_without_an_id_column_the_address_is_the_key(session: Session) -> None:
    """小区 + 楼栋 + 单元 + 室 columns only: the second import finds the rows by address."""
    csv = "小区,楼栋,单元,室,户主,人数\n金林小区,３栋,2,904,王五,3\n金林小区,3号楼,二单元,904,王五,3\n"
    first = import_register(session, "households", csv.encode("utf-8"), actor="test")
    assert first.counts()["matched"] == 1 and first.counts()["duplicate"] == 1
    assert first.rows[0]["key"].startswith("addr:") and first.written["updated"] == 1
    assert import_register(session, "households", csv.encode("utf-8")).written["updated"] == 0


def test_headers_named_on_the_command_line_and_bad_files_are_refused(session: Session) -> None:
    data = "住址,口数\n金林小区3栋2单元904,3\n".encode("gb18030")
    reg = read_register(data, "households", columns={"size": "口数"})
    assert reg.columns == {"size": "口数", "address": "住址"}
    for bad in (b"", b"PK\x03\x04broken", "甲,乙\n1,2\n".encode()):
        with pytest.raises(InvalidRegisterError):
            import_register(session, "households", bad)
