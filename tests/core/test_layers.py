"""Imports run one way: cli/api/maps → capabilities → db, read from the import statements.

The check reads every ``import`` and ``from … import`` in the source, including those
inside functions, so it does not rely on lazy imports staying lazy.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Top-level core modules every layer may use (no capability, no storage).
BASE = {"gisgrid", "gisgrid.settings", "gisgrid.errors", "gisgrid.crs", "gisgrid.shapes", "gisgrid.rules"}
#: The capability packages: each a folder of gisgrid/ other than db and cli.
CAPABILITIES = sorted(p.name for p in (ROOT / "gisgrid").iterdir()
                      if p.is_dir() and (p / "__init__.py").exists() and p.name not in ("db", "cli"))


def imports_of(path: Path) -> set[str]:
    """Every module an import statement in ``path`` names (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def sources(folder: str) -> list[Path]:
    return [p for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts]


def offending(paths: list[Path], bad: tuple[str, ...]) -> list[str]:
    return sorted(f"{p.relative_to(ROOT)}: {m}" for p in paths for m in imports_of(p)
                  if any(m == b or m.startswith(b + ".") for b in bad))


def test_the_core_never_imports_the_web_layer_the_maps_or_their_frameworks() -> None:
    assert offending(sources("gisgrid"), ("api", "maps", "fastapi", "starlette", "folium")) == []


def test_storage_imports_no_capability_and_no_command_line() -> None:
    bad = tuple(f"gisgrid.{c}" for c in CAPABILITIES) + ("gisgrid.cli",)
    assert offending(sources("gisgrid/db"), bad) == []


def test_capabilities_never_import_the_command_line() -> None:
    paths = [p for c in CAPABILITIES for p in sources(f"gisgrid/{c}")]
    assert offending(paths, ("gisgrid.cli",)) == []


def test_the_maps_never_import_the_web_layer() -> None:
    assert offending(sources("maps"), ("api",)) == []


def test_the_layer_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    """The check is not fooled by a lazy import (the way ``serve`` once imported ``api``)."""
    probe = ROOT / "gisgrid" / "_layer_probe_tmp.py"
    probe.write_text("def f():\n    from api import create_app\n    return create_app\n", encoding="utf-8")
    try:
        assert offending([probe], ("api",)) == ["gisgrid/_layer_probe_tmp.py: api",
                                                "gisgrid/_layer_probe_tmp.py: api.create_app"]
    finally:
        probe.unlink()


def test_each_capability_package_exports_its_public_verbs() -> None:
    for name in CAPABILITIES:
        module = __import__(f"gisgrid.{name}", fromlist=["__all__"])
        exported = getattr(module, "__all__", [])
        assert exported, f"gisgrid.{name} exports nothing"
        for verb in exported:
            assert getattr(module, verb, None) is not None, f"gisgrid.{name}.{verb}"


def test_importing_the_core_pulls_in_neither_fastapi_nor_folium() -> None:
    code = (
        "import sys, gisgrid, gisgrid.cli, " + ", ".join(f"gisgrid.{c}" for c in CAPABILITIES) + "\n"
        "bad = [m for m in ('fastapi', 'folium', 'api', 'maps') if m in sys.modules]\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
