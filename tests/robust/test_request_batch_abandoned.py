"""A request batch whose client goes away half-way through its body writes nothing, and the
server goes on taking batches in."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import httpx
import psycopg


def _batch(dsn: str, n: int) -> list[dict]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT ST_X(location), ST_Y(location) FROM household ORDER BY id LIMIT %s",
                            (n,)).fetchall()
    return [{"lon": x, "lat": y, "category": "noise", "source": "patrol", "description": "abandoned?",
             "reporter": {"name": "某", "phone": "13800000000"}} for x, y in rows]


def test_a_batch_abandoned_half_way_through_its_body_writes_nothing(robust_cluster, strict_server) -> None:
    items = _batch(robust_cluster.dsn, 1000)
    body = json.dumps({"requests": items}).encode()
    before = robust_cluster.count("SELECT count(*) FROM request")
    parts = urlsplit(strict_server.base)
    token = strict_server.headers["Authorization"]
    with socket.create_connection((parts.hostname, parts.port)) as s:
        s.sendall(b"POST /v1/requests/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Authorization: " + token.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body)
                  + body[:len(body) // 2])
    # the server is still there and takes the next batch in, alone
    r = httpx.post(f"{strict_server.base}/v1/requests/batch", json={"requests": items[:2]},
                   headers=strict_server.headers, timeout=60)
    assert r.status_code == 201, r.text
    assert [a["stage"] for a in r.json()["requests"]] == ["registered", "registered"]
    assert robust_cluster.count("SELECT count(*) FROM request") == before + 2
    assert robust_cluster.count("SELECT count(*) FROM request WHERE description = 'abandoned?'") == 2
