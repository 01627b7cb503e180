"""The core never imports the web framework or the map library (one direction of imports)."""

import subprocess
import sys


def test_importing_the_core_pulls_in_neither_fastapi_nor_folium() -> None:
    code = (
        "import sys, gisgrid, gisgrid.cli, gisgrid.demo, gisgrid.plans, gisgrid.db.queries, "
        "gisgrid.db.local, gisgrid.crs\n"
        "bad = [m for m in ('fastapi', 'folium', 'api', 'maps') if m in sys.modules]\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
