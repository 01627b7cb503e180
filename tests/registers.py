"""Household registers written the way community offices write them, with known faults.

Built from the demo's registry (households, units, buildings in the database), so the
right answer of every row is known by construction, not by asking the matcher:

- ``matched``: existing rooms (and some new rooms in existing units: a register knows
  households the database does not), in estates by 小区 + 楼栋 + 单元 + 室, in the old
  town by road address + 楼栋 + 单元 + 室; full-width digits, 栋/号楼/幢, 三单元;
- ``ambiguous``: an estate written by its core (文苑) where several estates share it and
  each has that building, unit and room;
- ``unmatched``: a building past the estate's last, an estate that does not exist, a
  unit the building does not have;
- ``duplicate``: a row repeated further down (same 户号).

Two renderings of one register: XLSX (a title merged across the sheet, group headers
merged over their columns, 序号 merged down two header rows, 小区 merged down the rows of
one estate) and GB18030 CSV ("3栋2单元301" in one 房屋 column).
"""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.address.gazetteer import estate_core

_FULL = str.maketrans("0123456789", "０１２３４５６７８９")
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


@dataclass
class Row:
    """One register row: its known status, what the columns say, the household it is."""

    status: str
    hid: str                       # 户号, the register's own id
    estate: str                    # 小区 ("" in the old town)
    road_address: str              # 地址 for old-town rows ("" in estates)
    building: int
    unit: int
    room: str
    head: str
    size: int
    phone: str
    style: int = 0                 # how the numbers are written (see _written)


@dataclass
class Register:
    rows: list[Row] = field(default_factory=list)

    def expected(self) -> dict[str, int]:
        out = {"rows": len(self.rows), "matched": 0, "ambiguous": 0, "unmatched": 0, "duplicate": 0}
        for r in self.rows:
            out[r.status] += 1
        return out


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.choice((1, 2)))), \
        "139" + "".join(rng.choices("0123456789", k=8))


def build_register(session: Session, n: int = 5000, *, seed: int = 16, ambiguous: int = 100,
                   unmatched: int = 120, duplicates: int = 80, new_rooms: int = 100) -> Register:
    """A register of ``n`` rows with the given numbers of faulty rows (see the module)."""
    rng = random.Random(seed)
    homes = session.execute(text("""
        SELECT h.id, coalesce(b.estate, '') AS estate, b.address, b.name, u.number AS unit, h.room,
               b.id AS bid
        FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = h.building_id
        ORDER BY h.id""")).all()
    buildings = session.execute(text("""
        SELECT b.id, b.estate, b.name, array_agg(u.number ORDER BY u.number) AS units
        FROM building b JOIN unit u ON u.building_id = b.id GROUP BY b.id""")).all()
    rooms = defaultdict(set)
    for h in homes:
        rooms[(h.bid, h.unit)].add(h.room)
    good = n - ambiguous - unmatched - duplicates
    picked = rng.sample(homes, good - new_rooms)
    reg = Register()
    serial = 100000
    for h in picked:
        serial += 1
        name, phone = _person(rng)
        number = int(h.name.removesuffix("号楼"))
        reg.rows.append(Row("matched", f"HH{serial}", h.estate, "" if h.estate else h.address, number,
                            h.unit, h.room, name, rng.randint(1, 6), phone, rng.randrange(4)))
    for h in rng.sample(homes, new_rooms):     # a room the database lacks, in a unit it has
        serial += 1
        name, phone = _person(rng)
        room = f"{rng.randint(40, 60)}0{rng.randint(1, 4)}"
        if room in rooms[(h.bid, h.unit)]:
            continue
        reg.rows.append(Row("matched", f"HH{serial}", h.estate, "" if h.estate else h.address,
                            int(h.name.removesuffix("号楼")), h.unit, room, name, 2, phone, 0))
    _ambiguous(reg, buildings, rooms, rng, ambiguous)
    _unmatched(reg, buildings, rng, unmatched)
    for r in rng.sample([r for r in reg.rows if r.status == "matched"], duplicates):
        reg.rows.append(Row("duplicate", r.hid, r.estate, r.road_address, r.building, r.unit, r.room,
                            r.head, r.size, r.phone, (r.style + 1) % 4))
    rng.shuffle(reg.rows)
    reg.rows.sort(key=lambda r: r.estate)          # offices keep an estate's rows together
    _first_of_each_hid_matched(reg)
    return reg


def _first_of_each_hid_matched(reg: Register) -> None:
    first: dict[str, int] = {}
    for i, r in enumerate(reg.rows):
        if r.hid in first and r.status == "matched":
            j = first[r.hid]
            reg.rows[j].status, r.status = "matched", "duplicate"
        first.setdefault(r.hid, i)


def _ambiguous(reg: Register, buildings: list, rooms: dict, rng: random.Random, count: int) -> None:
    """Estates written by a core that several estates share, each with that building,
    unit and room (the room ``101`` is floor 1, door 1 of every unit)."""
    by_core: dict[str, list] = defaultdict(list)
    names = {b.estate for b in buildings if b.estate}
    for b in buildings:
        core = estate_core(b.estate) if b.estate else None
        if core and core not in names:
            by_core[core].append(b)
    options = []
    for core, bs in sorted(by_core.items()):
        by_number: dict[tuple[str, int], list] = defaultdict(list)
        for b in bs:
            for u in b.units:
                by_number[(b.name, u)].append(b)
        for (bname, u), same in sorted(by_number.items()):
            estates = {b.estate for b in same}
            if len(estates) >= 2 and all("101" in rooms[(b.id, u)] for b in same):
                options.append((core, int(bname.removesuffix("号楼")), u))
    assert len(options) >= count // 2, "the demo has too few shared estate cores"
    for k in range(count):
        core, number, unit = options[k % len(options)]
        name, phone = _person(rng)
        reg.rows.append(Row("ambiguous", f"HA{k:05d}", core, "", number, unit, "101", name, 2, phone, 0))


def _unmatched(reg: Register, buildings: list, rng: random.Random, count: int) -> None:
    estates = sorted({b.estate for b in buildings if b.estate})
    units = {(b.estate, int(b.name.removesuffix("号楼"))): b.units for b in buildings if b.estate}
    last = defaultdict(int)
    for est, num in units:
        last[est] = max(last[est], num)
    for k in range(count):
        name, phone = _person(rng)
        est = estates[k % len(estates)]
        if k % 3 == 0:      # a building past the estate's last
            row = Row("unmatched", f"HU{k:05d}", est, "", last[est] + 50, 1, "101", name, 1, phone)
        elif k % 3 == 1:    # an estate nowhere in the district
            row = Row("unmatched", f"HU{k:05d}", "火星小区", "", 3, 1, "101", name, 1, phone)
        else:               # a unit the building does not have
            num = next(n for (e, n) in units if e == est)
            row = Row("unmatched", f"HU{k:05d}", est, "", num, max(units[(est, num)]) + 5, "101",
                      name, 1, phone)
        reg.rows.append(row)


def _written(r: Row) -> tuple[str, str, str, str]:
    """楼栋, 单元, 室 and the one-column form, written in one of four office styles."""
    b, u, room = str(r.building), str(r.unit), r.room
    if r.style == 1:
        b, u, room = b.translate(_FULL), u.translate(_FULL), room.translate(_FULL)
    building = {0: f"{b}栋", 1: f"{b}栋", 2: f"{b}号楼", 3: f"{b}幢"}[r.style]
    unit = {0: u, 1: u, 2: f"{u}单元", 3: u}[r.style]
    one = f"{building}{u}单元{room}"
    return building, unit, room, one


def to_csv(reg: Register, encoding: str = "gb18030") -> bytes:
    """The register as CSV (GB18030 by default): 房屋 holds "3栋2单元301" in one column."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["户号", "小区", "房屋", "户主", "人数", "联系电话"])
    for r in reg.rows:
        _, _, _, one = _written(r)
        w.writerow([r.hid, r.estate or r.road_address, one, r.head, str(r.size), r.phone])
    return out.getvalue().encode(encoding)


def to_xlsx(reg: Register) -> bytes:
    """The register as an office's workbook (title and group headers merged, 小区 merged down)."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "住户登记"
    heads = ["序号", "户号", "小区", "地址", "楼栋", "单元", "室/门牌", "户主", "人数（人）", "电话"]
    ws.append(["榆阳区住户登记表（人房关联）"] + [None] * (len(heads) - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(heads))
    ws.append(["序号", "户号", "房屋信息", None, None, None, None, "住户信息", None, None])
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:B3")
    ws.merge_cells("C2:G2")
    ws.merge_cells("H2:J2")
    ws.append([None, None, *heads[2:]])
    start = 4
    run_from, run_estate = start, None
    for i, r in enumerate(reg.rows):
        building, unit, room, _ = _written(r)
        row = start + i
        estate = r.estate
        if estate and estate == run_estate:
            estate = None       # merged down from the run's first row
        else:
            if run_estate and row - 1 > run_from:
                ws.merge_cells(start_row=run_from, start_column=3, end_row=row - 1, end_column=3)
            run_from, run_estate = row, r.estate or None
        ws.append([i + 1, r.hid, estate, r.road_address or None, building, unit, room, r.head,
                   r.size, int(r.phone) if r.style == 2 else r.phone])
    last = start + len(reg.rows) - 1
    if run_estate and last > run_from:
        ws.merge_cells(start_row=run_from, start_column=3, end_row=last, end_column=3)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
