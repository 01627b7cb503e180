"""Address lookups: accuracy and speed, side by side with a naive matcher and the old one.

Usage: ``.venv/bin/python -m bench.address_bench [--singles 1000] [--batch 10000] [--runs 5]
[--before COMMIT]`` on the database in use (``gisgrid db up`` + ``gisgrid demo``: the
Yuyang demo must be loaded).

On the address test set (``tests/db/address_cases.py``; tuning seed 1, held-out seeds)
it runs, one after the other on the same queries:

- **gisgrid**: ``gisgrid.address.lookup`` with the gazetteer in memory (answers as
  dicts, ``lookup_addresses``; and as the JSON body the batch route sends,
  ``lookup_addresses_json``);
- **old**: the matcher before issue 15 (regex parsing, ``gisgrid/address/lookup.py`` and
  ``parse.py`` of commit 89b2e60, read from git into a scratch package);
- **naive**: the estate name found in the text (longest registry name it contains) and
  the first building number after it (``N号楼``/``N栋``/``N幢``/``N号``), answered with
  that building's grid at confidence 1 (written here, the obvious baseline).

and reports accuracy (acceptance figures), then timings: single lookups in process and
over HTTP (a real ``gisgrid serve`` on this database, sequential GETs: p50/p95/p99),
and a batch of ``--batch`` *distinct* addresses (written by the test set's generator,
seed 3, repeats dropped: a batch that repeats texts is read faster) in process and as one
``POST /v1/lookup/address``, ``--runs`` times each, reporting the median (and the range)
with the load average at the time: the machine may be shared, so the ratios to the
baselines timed in the same run say more than the rates. ``--before COMMIT`` also times
``gisgrid/address`` of that commit (read from git into a scratch package) on the batch.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "db"))

import address_cases  # noqa: E402 - the test set's generator, beside the tests

from gisgrid.address.lookup import (  # noqa: E402
    address_context,
    lookup_address,
    lookup_addresses,
    lookup_addresses_json,
)
from gisgrid.db.engine import make_engine, make_sessionmaker, resolve_database_url  # noqa: E402
from gisgrid.lookup.point import lookup_points  # noqa: E402
from gisgrid.settings import DatabaseSettings  # noqa: E402

OLD_COMMIT = "89b2e60"


def scratch_package(commit: str, name: str, modules: list[str] | None = None) -> Any:
    """``gisgrid/address`` of ``commit`` (or only ``modules`` of it), loaded from git as
    package ``name``; returns its ``lookup`` module."""
    pkg = Path(tempfile.mkdtemp()) / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    if modules is None:
        listing = subprocess.run(["git", "ls-tree", "--name-only", commit, "gisgrid/address/"], cwd=ROOT,
                                 check=True, capture_output=True, text=True).stdout.split()
        modules = [Path(f).stem for f in listing if f.endswith(".py") and not f.endswith("__init__.py")]
    for module in modules:
        src = subprocess.run(["git", "show", f"{commit}:gisgrid/address/{module}.py"], cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout
        (pkg / f"{module}.py").write_text(src.replace("gisgrid.address.", f"{name}."))
    sys.path.insert(0, str(pkg.parent))
    return importlib.import_module(f"{name}.lookup")


def old_matcher() -> Any:
    """The pre-issue-15 lookup module, loaded from git into a scratch package."""
    return scratch_package(OLD_COMMIT, "legacy_address", ["parse", "lookup"])


class Naive:
    """Estate name + building number, the obvious baseline."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(text("""SELECT b.estate, (regexp_match(b.name, '^(\\d+)'))[1]::int,
            ST_X(c), ST_Y(c) FROM building b, ST_PointOnSurface(b.footprint) c
            WHERE b.estate IS NOT NULL""")).all()
        grids = lookup_points(session, [(r[2], r[3]) for r in rows])
        self.grid = {(r[0], r[1]): g["grid"] for r, g in zip(rows, grids, strict=True) if g}
        self.estates = sorted({r[0] for r in rows}, key=len, reverse=True)

    def __call__(self, q: str) -> dict[str, Any] | None:
        q = q.translate(address_cases.FULL_WIDTH_BACK)
        for estate in self.estates:
            at = q.find(estate)
            if at >= 0:
                m = re.search(r"(\d+)(?:号楼|栋|幢|号)", q[at + len(estate):])
                grid = m and self.grid.get((estate, int(m.group(1))))
                return {"match": {"confidence": 1.0}, "grid": grid, "candidates": []} if grid else None
        return None


def accuracy(label: str, cases: list[Any], answer_all: Any) -> None:
    t = time.perf_counter()
    answers = answer_all([c.query for c in cases])
    dt = time.perf_counter() - t
    f = address_cases.evaluate(cases, answers)
    judged = [b for b in f["bands"] if b["n"] >= 50]
    print(f"| {label} | {f['right_exact']:.2%} | {f['right']:.2%} | {f['wrong_confident']:.2%} | "
          f"{f['missing_confident']}/{f['missing']} | {f['wrong_in_candidates']:.1%} | "
          f"{sum(b['ok'] for b in judged)}/{len(judged)} | {len(cases) / dt:,.0f} |")


def _pct(xs: list[float], p: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[int(p) - 1] * 1000


def serve(url: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GISGRID_DATABASE_URL": url}
    proc = subprocess.Popen([sys.executable, "-m", "gisgrid.cli", "serve", "--port", str(port),
                             "--no-access-log"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the server did not start")


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _rate(n: int, run: Any) -> tuple[float, float]:
    """(addresses a second of wall time, of this process's CPU time) for one call."""
    t, c = time.perf_counter(), time.process_time()
    run()
    return n / (time.perf_counter() - t), n / max(time.process_time() - c, 1e-9)


def _rates(label: str, rates: list[tuple[float, float]], *, cpu: bool = True) -> None:
    wall = sorted(r[0] for r in rates)
    line = (f"| {label} | {len(rates)} | {statistics.median(wall):,.0f} /s "
            f"({wall[0]:,.0f}-{wall[-1]:,.0f}) |")
    line += f" {statistics.median(r[1] for r in rates):,.0f} /s |" if cpu else " |"
    print(line + f" {_load()} |")


def batch_timings(batch: list[str], runs: int, matchers: dict[str, Any]) -> None:
    """Each matcher on the whole batch, in turn, ``runs`` times: median rates and their
    ratio to gisgrid's (taken run by run, so a busy moment weighs on both)."""
    print(f"\n| batch of {len(batch):,} distinct addresses, in process | runs | wall rate, median (range) | "
          "CPU rate, median | load average (1/5/15 min) at the end |\n|---|---:|---:|---:|---|")
    got: dict[str, list[tuple[float, float]]] = {k: [] for k in matchers}
    for _ in range(runs):
        for label, run in matchers.items():
            got[label].append(_rate(len(batch), lambda run=run: run(batch)))
    for label, rates in got.items():
        _rates(label, rates)
    for label in [k for k in matchers if not k.startswith("gisgrid, ")][1:]:
        ratio = [g[0] / o[0] for g, o in zip(got["gisgrid"], got[label], strict=True)]
        print(f"| gisgrid / {label}, per run (median) | {runs} | {statistics.median(ratio):.2f}x | | |")


def timings(url: str, queries: list[str], batch: list[str], runs: int, gaz: Any, view: Any) -> None:
    times = []
    for q in queries:
        t = time.perf_counter()
        try:
            lookup_address(None, q, gazetteer=gaz, view=view)
        except Exception:  # noqa: BLE001 - a 404 is an answer too
            pass
        times.append(time.perf_counter() - t)
    print("\n| single lookups (gisgrid) | n | p50 ms | p95 ms | p99 ms | load average |\n"
          "|---|---:|---:|---:|---:|---|")
    print(f"| single, in process | {len(queries):,} | {_pct(times, 50):.2f} | {_pct(times, 95):.2f} | "
          f"{_pct(times, 99):.2f} | {_load()} |")
    proc, base = serve(url)
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            client.get("/v1/lookup/address", params={"q": queries[0]})      # builds the gazetteer
            times = []
            for q in queries:
                t = time.perf_counter()
                client.get("/v1/lookup/address", params={"q": q})
                times.append(time.perf_counter() - t)
            print(f"| single, HTTP GET (sequential) | {len(queries):,} | {_pct(times, 50):.2f} | "
                  f"{_pct(times, 95):.2f} | {_pct(times, 99):.2f} | {_load()} |")
            print(f"\n| batch of {len(batch):,} distinct addresses, one HTTP POST | runs | "
                  "wall rate, median (range) | | load average |\n|---|---:|---:|---:|---|")
            rates = []
            for _ in range(runs):
                t = time.perf_counter()
                r = client.post("/v1/lookup/address", json={"queries": batch})
                rates.append((len(batch) / (time.perf_counter() - t), 0.0))
                assert r.status_code == 200 and len(r.json()["results"]) == len(batch)
            _rates("gisgrid serve, POST /v1/lookup/address", rates, cpu=False)
    finally:
        proc.terminate()
        proc.wait(10)


def distinct_batch(session: Session, n: int) -> list[str]:
    """``n`` distinct addresses as the test set writes them (seed 3, more drafts, repeats dropped)."""
    cases = address_cases.build_cases(session, 3, n=int(n * 1.2) + 200)
    out = list(dict.fromkeys(c.query for c in cases))
    assert len(out) >= n, f"only {len(out)} distinct texts"
    return out[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--singles", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--before", help="also time gisgrid/address of this commit on the batch")
    args = ap.parse_args()
    url = resolve_database_url(DatabaseSettings())
    with make_sessionmaker(make_engine(url))() as session:
        t = time.perf_counter()
        gaz, view = address_context(session)
        print(f"gazetteer and grid view built in {time.perf_counter() - t:.2f} s\n")
        old, naive = old_matcher(), Naive(session)
        print("| matcher | right (exact) | right (all present) | wrong at ≥ 0.8 | missing at ≥ 0.5 | "
              "wrong: right grid a candidate | bands ok (n ≥ 50) | addresses/s |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        def ours(qs: list[str]) -> list[Any]:
            return lookup_addresses(None, qs, gazetteer=gaz, view=view)

        def before(qs: list[str]) -> list[Any]:
            return old.lookup_addresses(session, qs)

        sets = {}
        for seed in address_cases.SEEDS:
            cases = sets[seed] = address_cases.build_cases(session, seed)
            name = "tuning" if seed == 1 else f"held-out {seed}"
            accuracy(f"gisgrid, {name}", cases, ours)
            accuracy(f"old (89b2e60), {name}", cases, before)
            accuracy(f"naive estate + building, {name}", cases, lambda qs: [naive(q) for q in qs])
        batch = distinct_batch(session, args.batch)
        matchers = {"gisgrid": ours, "old (89b2e60)": before, "naive": lambda qs: [naive(q) for q in qs],
                    "gisgrid, as JSON": lambda qs: lookup_addresses_json(None, qs, gazetteer=gaz, view=view)}
        if args.before:
            then = scratch_package(args.before, "address_then")
            gaz_then, view_then = then.address_context(session)
            matchers[f"gisgrid at {args.before}"] = (
                lambda qs: then.lookup_addresses(None, qs, gazetteer=gaz_then, view=view_then))
        batch_timings(batch, args.runs, matchers)
        timings(url, [c.query for c in sets[3]][: args.singles], batch, args.runs, gaz, view)


if __name__ == "__main__":
    main()
