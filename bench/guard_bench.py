"""What the edge (``api.guard.RequestGuard``) adds to a plain point lookup, in process.

Usage: ``.venv/bin/python -m bench.guard_bench [--n 5000] [--reps 7]``

Builds the app on the Yuyang demo (the hostile bench's database), then calls the ASGI
stack directly with a ``GET /v1/lookup`` that the fast lane answers, alternately from the
guard down and from the lane down (the same objects, the guard skipped), and reports the
median µs per request of each. No HTTP server: the difference is the guard's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from fastapi.testclient import TestClient

from api.app import create_app
from bench.hostile_bench import demo_database
from gisgrid.settings import DatabaseSettings, LimitSettings, ServerSettings, Settings


def _layer(app: object, name: str) -> object:
    while type(app).__name__ != name:
        app = app.app  # type: ignore[attr-defined]
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    settings = Settings(db=DatabaseSettings(database_url=demo_database()),
                        server=ServerSettings(tiles_url="none"), limits=LimitSettings(work_processes=1))
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/v1/lookup", params={"lon": 109.7358, "lat": 38.2857}).status_code == 200
        guard = _layer(app.middleware_stack, "RequestGuard")
        lane = _layer(guard, "LookupFastLane")
        scope = {"type": "http", "method": "GET", "path": "/v1/lookup", "raw_path": b"/v1/lookup",
                 "query_string": b"lon=109.7358&lat=38.2857", "headers": [(b"host", b"x")],
                 "app": app, "root_path": ""}
        sent: list[int] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                sent.append(message["status"])

        async def run(target: object) -> float:
            started = time.perf_counter()
            for _ in range(args.n):
                await target(dict(scope), receive, send)  # type: ignore[operator]
            return (time.perf_counter() - started) / args.n * 1e6

        loop = asyncio.new_event_loop()
        times: dict[str, list[float]] = {"lane only": [], "guard + lane": []}
        for _ in range(args.reps):
            times["lane only"].append(loop.run_until_complete(run(lane)))
            times["guard + lane"].append(loop.run_until_complete(run(guard)))
        assert set(sent) == {200}
    for name, values in times.items():
        print(f"{name:14s} median {statistics.median(values):6.1f} µs/request  "
              f"(runs: {', '.join(f'{v:.1f}' for v in values)})")


if __name__ == "__main__":
    main()
