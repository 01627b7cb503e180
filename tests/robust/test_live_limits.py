"""Limits on a running server (the strict one: 1 s read timeout, 3 s body timeout, 15 s
work budget, 400 MB work memory): stalled uploads, work past its budget, clients that
leave, memory-hungry work, and connections after errors.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
from robust_data import blocks_body, overlapping_squares_body
from robust_helpers import wait_until


def _addr(base: str) -> tuple[str, int]:
    parts = urlsplit(base)
    return parts.hostname, parts.port


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            return data
        if not chunk:
            return data
        data += chunk


class Health(threading.Thread):
    """Asks ``/health`` over and over while an attack runs; keeps every status."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base, self.statuses, self.stop = base, [], threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as c:
            while not self.stop.is_set():
                self.statuses.append(c.get("/health").status_code)
                time.sleep(0.05)

    def __enter__(self) -> Health:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.join()


def test_stalled_uploads_are_cut_off_by_the_read_timeout_without_a_traceback_each(strict_server) -> None:
    host, port = _addr(strict_server.base)
    head = (b"POST /v1/coverage/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n{\"parent\": ")
    socks = []
    with Health(strict_server.base) as health:
        for _ in range(200):
            s = socket.create_connection((host, port))
            s.settimeout(60)
            s.sendall(head)
            socks.append(s)
        # A slow drip (a byte every 0.5 s, under the idle timeout) meets the body timeout.
        drip = socket.create_connection((host, port))
        drip.settimeout(60)
        drip.sendall(head)
        answers = [_read_all(s) for s in socks]
        dripped = b""
        for _ in range(20):
            try:
                drip.sendall(b" ")
            except OSError:
                break
            time.sleep(0.5)
        dripped = _read_all(drip)
    for s in [*socks, drip]:
        s.close()
    assert all(a.startswith(b"HTTP/1.1 408 ") and b'"code":"request_timeout"' in a for a in answers)
    assert all(b"connection: close" in a.lower() for a in answers)
    assert dripped.startswith(b"HTTP/1.1 408 ")
    assert health.statuses and set(health.statuses) == {200}
    assert "Traceback" not in strict_server.log_text()


def _worker_cpu(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _busy_worker(server, within_s: float = 30) -> int:
    """The worker that is running a job (its CPU time grows)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        before = {p: _worker_cpu(p) for p in server.work_pids()}
        time.sleep(0.3)
        for p, t in before.items():
            try:
                if _worker_cpu(p) > t + 5:
                    return p
            except FileNotFoundError:
                pass
    raise AssertionError("no worker took the job")


def test_work_past_its_budget_is_refused_and_its_worker_is_killed(strict_server) -> None:
    """490,000 blocks to cut: past the 15 s budget (503) or, on a fast machine, past the
    400 MB of work memory first (413); either way the work stops and its worker goes.
    (``tests/api/test_workers.py`` proves each budget alone.)"""
    result: dict[str, httpx.Response] = {}

    def send() -> None:
        result["r"] = httpx.post(f"{strict_server.base}/v1/blocks", json=blocks_body(700), timeout=120)

    with Health(strict_server.base) as health:
        sender = threading.Thread(target=send)
        sender.start()
        busy = _busy_worker(strict_server)
        sender.join()
    r = result["r"]
    assert (r.status_code, r.json()["code"]) in ((503, "work_timeout"), (413, "too_large")), r.text
    assert r.json()["details"] in ({"budget_s": 15.0}, {"limit": 400, "limit_name": "work_memory_mb"})
    assert wait_until(lambda: busy not in strict_server.work_pids(), 10)  # the work stopped
    assert wait_until(lambda: len(strict_server.work_pids()) == 2, 30)  # and was replaced
    assert set(health.statuses) == {200}


def test_work_whose_client_goes_away_is_stopped(strict_server) -> None:
    host, port = _addr(strict_server.base)
    body = json.dumps(blocks_body(700)).encode()
    s = socket.create_connection((host, port))
    s.sendall(b"POST /v1/blocks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body)
    busy = _busy_worker(strict_server)
    s.close()
    assert wait_until(lambda: busy not in strict_server.work_pids(), 5)
    assert wait_until(lambda: len(strict_server.work_pids()) == 2, 30)


def test_memory_hungry_work_is_refused_in_its_worker_and_the_server_stays_small(strict_server) -> None:
    """300 distinct overlapping squares: ~45,000 overlap pieces, gigabytes if let run."""
    pid = strict_server.process.pid
    peak = [_rss_kb(pid)]
    start = peak[0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak.append(_rss_kb(pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        r = httpx.post(f"{strict_server.base}/v1/coverage/check", json=overlapping_squares_body(300),
                       timeout=120)
    finally:
        stop.set()
        watcher.join()
    assert r.status_code in (413, 503), r.text
    assert r.json()["code"] in ("too_large", "work_timeout")
    # The process that answers lookups held the 60 KB body, not the work's gigabytes.
    assert max(peak) - start < 100_000, (start, max(peak))
    assert httpx.get(f"{strict_server.base}/health").status_code == 200


def test_after_any_error_the_connection_stays_usable_or_is_closed_with_connection_close(
        strict_server) -> None:
    host, port = _addr(strict_server.base)
    errors = [
        ("GET", "/no/such/path", None, {}),
        ("GET", "/v1/plans/abc", None, {}),
        ("GET", "/v1/plans?scope=a%00b", None, {}),
        ("GET", "/v1/lookup?lon=1&lat=" + "9" * 5000, None, {}),
        ("POST", "/v1/coverage/check", b'{"parent": ', {"Content-Type": "application/json"}),
        ("POST", "/v1/coverage/check", b"{}", {"Content-Type": "application/json",
                                                "Content-Length": str(10**9)}),
        ("POST", "/v1/lookup", b'{"points": [[1, 2]], "coordsys": 5}', {}),
        ("GET", "/v1/plans/99999999999", None, {}),
        ("POST", "/maps/static/leaflet/leaflet.js", b"", {}),
    ]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    closed = kept = 0
    for method, url, body, headers in errors:
        conn.request(method, url, body=body, headers=headers)
        r = conn.getresponse()
        payload = r.read()
        assert 400 <= r.status < 500 and json.loads(payload)["code"], (url, r.status, payload)
        if (r.getheader("connection") or "").lower() == "close":
            closed += 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
        else:
            kept += 1
        conn.request("GET", "/health")  # the same connection, if it was kept
        follow = conn.getresponse()
        assert follow.status == 200, url
        follow.read()
    conn.close()
    assert closed and kept
