"""An import whose client goes away is stopped in its worker, and nothing of it is written."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

from robust_helpers import wait_until


def _register(rows: int) -> bytes:
    """Rows of distinct new rooms in the demo's 金林小区 (each address read once: slow work)."""
    lines = ["户号,小区,房屋,户主,人数"]
    for i in range(rows):
        lines.append(f"GONE{i},金林小区,{i % 30 + 1}栋{i % 2 + 1}单元{100 + i // 60}{i % 60:02d},某,2")
    return ("\n".join(lines) + "\n").encode("gb18030")


def _cpu(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _busy(server, within_s: float = 30) -> int:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        before = {p: _cpu(p) for p in server.work_pids()}
        time.sleep(0.3)
        for p, t in before.items():
            try:
                if _cpu(p) > t + 5:
                    return p
            except FileNotFoundError:
                pass
    raise AssertionError("no worker took the import")


def test_an_abandoned_import_is_stopped_and_writes_nothing(robust_cluster, strict_server) -> None:
    body = _register(80_000)
    parts = urlsplit(strict_server.base)
    s = socket.create_connection((parts.hostname, parts.port))
    token = strict_server.headers["Authorization"]
    s.sendall(b"POST /v1/imports?kind=households HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
              b"Authorization: " + token.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    busy = _busy(strict_server)
    s.close()
    assert wait_until(lambda: busy not in strict_server.work_pids(), 5)       # the work stopped
    assert wait_until(lambda: len(strict_server.work_pids()) == 2, 30)        # and was replaced
    assert robust_cluster.count("SELECT count(*) FROM household WHERE register_key LIKE 'id:GONE%'") == 0
