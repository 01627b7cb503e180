"""Small helpers shared by the tests on the robust cluster."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def wait_until(check: Callable[[], bool], within_s: float, *, interval: float = 0.2) -> bool:
    """Poll ``check`` until it is true (True) or ``within_s`` passed (False); errors count as
    not yet (a server that is coming back refuses connections for a while)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(interval)
    return False
