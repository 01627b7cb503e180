"""Register import, end to end with its report, against a naive row-by-row import.

``.venv/bin/python -m bench.import_bench [--rows 100000] [--runs 3] [--naive-rows 5000]`` on
the demo database in use (``gisgrid db up && gisgrid demo``). The register is the test
register of ``tests/registers.py`` (the demo's households with known faults) grown to
``--rows`` rows, as GB18030 CSV. gisgrid: :func:`gisgrid.imports.import_register` (read,
match every row through the address matcher, report, write by COPY and set-based upserts)
plus the XLSX report, each run rolled back. Naive: for each row, one SQL lookup of its
building and unit by estate and building name, one PostGIS point-in-polygon lookup of its
grid, one INSERT; timed on ``--naive-rows`` rows and scaled per row. Medians over runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from registers import build_register, to_csv  # noqa: E402

from gisgrid.db.engine import ready_engine  # noqa: E402
from gisgrid.imports import import_register, read_register  # noqa: E402
from gisgrid.settings import DatabaseSettings  # noqa: E402


def _naive(session: Session, reg, n: int) -> float:
    started = time.perf_counter()
    for r in reg.rows[:n]:
        b = session.execute(text("""
            SELECT b.id, u.id, ST_PointOnSurface(b.footprint) FROM building b
            JOIN unit u ON u.building_id = b.id
            WHERE b.estate = :e AND b.name = :b AND u.number = :u"""),
                            {"e": r.estate, "b": f"{r.building}号楼", "u": r.unit}).first()
        if b is None:
            continue
        session.execute(text("""
            SELECT g.id FROM grid g JOIN plan p ON p.id = g.plan_id
            WHERE p.status = 'active' AND ST_Covers(g.boundary, :pt) LIMIT 1"""), {"pt": b[2]})
        session.execute(text("""
            INSERT INTO household (district_code, unit_id, building_id, room, address, size, location)
            VALUES ('610802', :u, :b, :r, 'x', :s, :pt)"""),
                        {"u": b[1], "b": b[0], "r": r.room, "s": r.size, "pt": b[2]})
    return (time.perf_counter() - started) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--naive-rows", type=int, default=5_000)
    a = ap.parse_args()
    engine = ready_engine(DatabaseSettings())
    with Session(engine) as s:
        base = build_register(s)
    reg = type(base)([])
    k = 0
    while len(reg.rows) < a.rows:     # grown with new 户号 and new rooms (floors 100+ of the same units)
        for r in base.rows[: a.rows - len(reg.rows)]:
            room = r.room if k == 0 else f"{k}{int(r.room):05d}"
            reg.rows.append(type(r)(**{**r.__dict__, "hid": f"{r.hid}-{k}", "room": room}))
        k += 1
    data = to_csv(reg)
    ours, naive, phases = [], [], []
    for _ in range(a.runs):
        with Session(engine) as s:
            t = time.perf_counter()
            read_register(data, "households")
            t_read = time.perf_counter() - t
            t = time.perf_counter()
            rep = import_register(s, "households", data, filename="bench.csv", actor="bench")
            t_import = time.perf_counter() - t
            rep.to_xlsx()
            ours.append(time.perf_counter() - t)
            phases.append((t_read, t_import, ours[-1] - t_import))
            counts, written = rep.counts(), rep.written
            s.rollback()
        with Session(engine) as s:
            naive.append(_naive(s, reg, a.naive_rows) * a.rows)
            s.rollback()
    mo, mn = statistics.median(ours), statistics.median(naive)
    print(f"{a.rows:,} rows ({len(data) / 1e6:.1f} MB GB18030 CSV): {counts}; written {written}")
    print(f"gisgrid import + XLSX report: median {mo:.1f} s (runs: {', '.join(f'{x:.1f}' for x in ours)})")
    print("of which: " + "; ".join(f"run {i}: read {a:.1f} s, import (read, match, write) {b:.1f} s, "
                                   f"XLSX report {c:.1f} s" for i, (a, b, c) in enumerate(phases, 1)))
    print(f"naive row-by-row (lookup + PostGIS grid + INSERT), scaled from {a.naive_rows:,} rows: "
          f"median {mn:.1f} s; ratio naive/gisgrid {mn / mo:.1f}x")


if __name__ == "__main__":
    main()
