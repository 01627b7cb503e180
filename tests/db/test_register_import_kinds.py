"""Shops, buildings and staff registers: matched, written by key, and a second import is a no-op."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.imports import import_register


def _count(session: Session, table: str) -> int:
    return session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_a_shop_register_updates_known_shops_adds_new_ones_and_reports_the_rest(session: Session) -> None:
    known = session.execute(text("SELECT id, name, address FROM shop WHERE address LIKE '%夫子庙巷18号' "
                                 "ORDER BY id LIMIT 1")).one()
    csv = ("商户名称,经营地址,行业,经营者,联系电话\n"
           f"{known.name},{known.address},catering,老林,13900009999\n"         # a shop the demo has
           "新开小超市,金林小区3号楼,retail,赵六,13900008888\n"                 # at a building: new
           "无名店,火星路99号,retail,钱七,13900007777\n"                        # nowhere
           f"{known.name},{known.address},catering,老林,13900009999\n")        # again
    shops = _count(session, "shop")
    report = import_register(session, "shops", csv.encode("gb18030"), actor="test")
    assert [r["status"] for r in report.rows] == ["matched", "matched", "unmatched", "duplicate"]
    assert report.rows[0]["grid"]["code"].startswith("610802002001")      # 三官会社区
    assert report.written == {"inserted": 1, "updated": 1, "unchanged": 0}
    assert _count(session, "shop") == shops + 1
    operator, phone = session.execute(text("SELECT operator, phone FROM shop WHERE id = :i"),
                                      {"i": known.id}).one()
    assert (operator, phone) == ("老林", "13900009999")
    new = session.execute(text("""
        SELECT a.name FROM shop s JOIN admin_area a ON a.id = s.community_id
        WHERE s.name = '新开小超市'""")).scalar_one()
    assert new == "金林社区"
    again = import_register(session, "shops", csv.encode("utf-8"), actor="test")
    assert again.written == {"inserted": 0, "updated": 0, "unchanged": 2}


def test_a_building_register_sets_floors_and_never_invents_a_building(session: Session) -> None:
    csv = "小区,楼号,层数\n金林小区,3号楼,18\n金林小区,99号楼,6\n".encode()
    buildings = _count(session, "building")
    report = import_register(session, "buildings", csv, actor="test")
    assert [r["status"] for r in report.rows] == ["matched", "unmatched"]
    assert "footprint" in report.rows[1]["reason"]
    assert report.written == {"inserted": 0, "updated": 1, "unchanged": 0}
    floors = session.execute(text("SELECT floors FROM building WHERE estate = '金林小区' AND name = '3号楼'"))
    assert floors.scalar_one() == 18 and _count(session, "building") == buildings
    assert import_register(session, "buildings", csv).written["updated"] == 0


def test_a_staff_register_puts_people_on_their_grids_in_their_roles(session: Session) -> None:
    grid = session.execute(text("""
        SELECT g.id, g.code, g.name FROM grid g JOIN plan p ON p.id = g.plan_id
        WHERE p.status = 'active' AND g.code LIKE '610802001001%' ORDER BY g.code LIMIT 1""")).one()
    csv = ("工号,姓名,手机,岗位,网格编码\n"
           f"S1,周新,13900005555,网格长,{grid.code}\n"
           f"S2,吴兼,13900006666,兼职网格员,{grid.name}\n"
           "S3,郑某,13900007777,网格长,610802999999999\n"
           f"S4,王某,13900008888,志愿者,{grid.code}\n").encode("gb18030")
    report = import_register(session, "staff", csv, actor="test")
    assert [r["status"] for r in report.rows] == ["matched", "matched", "unmatched", "unmatched"]
    assert report.written["inserted"] == 2 and report.written["team_changes"] >= 2
    team = dict(session.execute(text("""
        SELECT s.name, gs.role FROM grid_staff gs JOIN staff s ON s.id = gs.staff_id
        WHERE gs.grid_id = :g"""), {"g": grid.id}).all())
    assert team["周新"] == "leader" and team["吴兼"] == "part_time"
    assert sum(role == "leader" for role in team.values()) == 1     # the register's leader replaced the old
    again = import_register(session, "staff", csv, actor="test")
    assert again.written == {"inserted": 0, "updated": 0, "unchanged": 2, "team_changes": 0}


def test_a_planner_outside_the_rows_scope_writes_nothing_of_them(session: Session) -> None:
    csv = "小区,楼栋,单元,室,人数\n金林小区,3,2,904,3\n".encode()
    report = import_register(session, "households", csv, covers=lambda code: code.startswith("610802002"))
    assert report.counts()["unmatched"] == 1 and "scope" in report.rows[0]["reason"]
    assert report.written == {"inserted": 0, "updated": 0, "unchanged": 0}
