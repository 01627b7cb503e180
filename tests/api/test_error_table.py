"""One exception tree, one status table: every core error is defined in gisgrid/errors.py
and the HTTP layer gives each the status of its family."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from api.errors import status_for
from gisgrid import errors as core
from gisgrid.coverage.report import CoverageFailedError
from maps.tiles import TileSpecError

ROOT = Path(__file__).resolve().parents[2]
FAMILIES = {core.InvalidInputError: 400, core.NotAuthenticatedError: 401, core.PermissionDeniedError: 403,
            core.TooLargeError: 413, core.NotFoundError: 404, core.ConflictError: 409,
            core.WorkTimeoutError: 503, core.BusyError: 503, core.WorkerLostError: 503,
            core.DatabaseUnavailableError: 503, core.LocalClusterError: 503}


def _error_classes() -> list[type[core.GisGridError]]:
    return [c for _, c in inspect.getmembers(core, inspect.isclass)
            if issubclass(c, core.GisGridError) and c is not core.GisGridError]


def test_every_core_error_gets_the_status_of_its_family_and_a_code_of_its_own() -> None:
    classes = _error_classes()
    for cls in classes:
        family = next(f for f in cls.__mro__ if f in FAMILIES)
        assert status_for(cls("x")) == FAMILIES[family], cls.__name__
    assert len({c.code for c in classes}) == len(classes)


def test_a_failed_coverage_gate_is_a_409_and_a_bad_basemap_setting_a_400() -> None:
    """The two errors that used to live in their own modules, importable from there still."""
    assert CoverageFailedError is core.CoverageFailedError and TileSpecError is core.TileSpecError
    assert (status_for(CoverageFailedError("gap")), CoverageFailedError.code) == (409, "coverage_failed")
    assert (status_for(TileSpecError("bad")), TileSpecError.code) == (400, "invalid_tiles")


#: Signals of the web layer that are no error of the core (they carry no code of the
#: tree): a request refused at the edge with its HTTP status, and a client gone away.
WEB_SIGNALS = {"api/guard.py: GuardError", "api/workers.py: ClientGoneError"}


def test_no_exception_class_is_defined_outside_gisgrid_errors() -> None:
    """A class deriving from an ``...Error`` or ``...Exception`` anywhere else is a stray."""
    strays = []
    for folder in ("gisgrid", "api", "maps"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "gisgrid" / "errors.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    bases = [ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases]
                    if any(b.endswith(("Error", "Exception")) for b in bases):
                        strays.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert sorted(set(strays) - WEB_SIGNALS) == []
