"""The OpenAPI document: every JSON answer typed, every error status documented with the
error body, and the check the API tests use (``openapi_check``) able to fail."""

from __future__ import annotations

import importlib
import json
import pkgutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from fastapi.testclient import TestClient
from openapi_check import check, closed, document, resolve
from pydantic import TypeAdapter
from sqlalchemy import text
from sqlalchemy.orm import Session

import gisgrid
from api import create_app
from api.errors import status_for
from api.schemas import common
from api.schemas.coverage import DefectKind, RepairAction
from api.schemas.plans import Plan, PlanDiff, PlanEdit
from gisgrid import errors as core
from gisgrid.access import ANONYMOUS, address_answer_for
from gisgrid.address.lookup import lookup_address
from gisgrid.coverage.plan import plan_coverage
from gisgrid.coverage.repair import REPAIR_ACTIONS
from gisgrid.coverage.report import DEFECT_KINDS
from gisgrid.db import models, queries
from gisgrid.plans.versions import apply_edit, create_draft, diff_plans
from gisgrid.settings import DatabaseSettings, ServerSettings, Settings

ROOT = Path(__file__).resolve().parents[2]
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
JSON_TYPES = ("application/json", "application/geo+json")


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, ops in document()["paths"].items():
        for method, op in ops.items():
            yield method.upper(), path, op


def test_every_json_operation_documents_its_success_body_with_named_properties() -> None:
    seen = 0
    for method, path, op in operations():
        ok = {s: r for s, r in op["responses"].items() if s in ("200", "201")}
        assert ok, f"{method} {path} documents no 200/201"
        for status, answer in ok.items():
            content = answer.get("content", {})
            if "text/html" in content:          # a map page
                continue
            if content and all(c.get("schema") == {"type": "string", "format": "binary"}
                               for c in content.values()):
                continue                        # a file download (a roster workbook)
            media = [m for m in content if m in JSON_TYPES]
            assert media, f"{method} {path} {status}: no JSON content documented ({sorted(content)})"
            schema = resolve(content[media[0]]["schema"])
            if schema.get("type") == "array" and path.startswith("/open311/"):
                schema = resolve(schema["items"])   # GeoReport v2's lists are JSON arrays
            assert schema.get("type") == "object" and schema.get("properties"), \
                f"{method} {path} {status}: {schema} is not an object with named properties"
            seen += 1
    assert seen >= 20


def test_every_error_status_is_documented_with_the_error_body_only() -> None:
    for method, path, op in operations():
        errors = {s: r for s, r in op["responses"].items() if s == "default" or int(s) >= 400}
        assert "default" in errors and len(errors) >= 2, f"{method} {path}: {sorted(errors)}"
        for status, answer in errors.items():
            assert answer["content"] == {"application/json": {"schema": ERROR_REF}}, (method, path, status)
    # FastAPI's own 422 body ({"detail": [...]}) is never sent, so never documented.
    assert not {"HTTPValidationError", "ValidationError"} & set(document()["components"]["schemas"])


def test_routes_that_read_the_database_document_503_and_the_others_do_not() -> None:
    # The geometry services read no database but run in worker processes, which answer 503
    # past their time budget or when all are busy; the OGC landing page and conformance
    # are fixed documents.
    stateless = {"/ogc", "/ogc/conformance"}
    for method, path, op in operations():
        assert ("503" in op["responses"]) == (path not in stateless), (method, path)


def test_every_core_error_code_is_named_under_its_status_in_a_freshly_built_document() -> None:
    """The codes under each status are found when the routers are imported: a core error
    class in a module the app does not import by then would be left out."""
    for mod in pkgutil.walk_packages(gisgrid.__path__, "gisgrid."):
        if ".migrations" not in mod.name and not mod.name.endswith("__main__"):
            importlib.import_module(mod.name)
    fresh = json.loads(subprocess.run(
        [sys.executable, "-c", "import json; from api import create_app; "
                               "print(json.dumps(create_app().openapi()))"],
        capture_output=True, text=True, check=True, cwd=ROOT).stdout)
    described: dict[str, str] = {}
    for ops in fresh["paths"].values():
        for op in ops.values():
            for status, answer in op["responses"].items():
                described[status] = answer["description"]

    def subclasses(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *subclasses(sub))]

    found = [c for c in subclasses(core.GisGridError) if c.__module__.startswith("gisgrid.")]
    assert len(found) >= 15
    for cls in found:
        status = str(status_for(cls("")))
        assert f"`{cls.code}`" in described[status], (cls.__name__, described[status])


def test_the_documented_vocabularies_are_the_cores() -> None:
    assert get_args(common.GridKind) == models.GRID_KINDS
    assert get_args(common.AreaLevel) == models.AREA_LEVELS
    assert get_args(common.PlanStatus) == models.PLAN_STATUSES
    assert get_args(common.StaffRole) == models.STAFF_ROLES
    assert get_args(DefectKind) == DEFECT_KINDS
    assert get_args(RepairAction) == REPAIR_ACTIONS


# --- the check itself ---------------------------------------------------------------------


def _answer(method: str, path: str, status: int, body: Any,
            media: str = "application/json") -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers={"content-type": media},
                          request=httpx.Request(method, "http://testserver" + path))


PLAN = {"id": 1, "name": "p", "status": "active", "scope": {"code": "610802", "name": "榆阳区",
        "level": "district"}, "effective_from": "2020-01-01", "effective_to": None, "parent_id": None,
        "author": None, "note": None, "version": 1, "created_at": "2026-01-01T00:00:00+00:00", "grids": 3,
        "household_bounds": {"min": 100, "max": 600}}


def test_the_check_accepts_a_documented_answer_and_refuses_what_is_not() -> None:
    assert check(_answer("GET", "/v1/plans/7", 200, PLAN)) == PLAN
    error = {"code": "not_found", "message": "plan 7 does not exist"}
    assert check(_answer("GET", "/v1/plans/7", 404, error)) == error
    refused = [
        (_answer("GET", "/v1/plans/7", 200, {**PLAN, "phone": "13800000000"}), "phone"),  # undocumented
        (_answer("GET", "/v1/plans/7", 200, {**PLAN, "status": "paused"}), "paused"),
        (_answer("GET", "/v1/plans/7", 200, {k: v for k, v in PLAN.items() if k != "grids"}), "grids"),
        (_answer("GET", "/v1/plans/7", 409, error), "does not document"),   # a status it never gives
        (_answer("GET", "/v1/plans/7", 404, {"detail": "Not Found"}), "code"),
        (_answer("GET", "/v1/plans/7", 200, PLAN, media="application/geo+json"), "came as"),
        (_answer("GET", "/v1/nothing", 200, {}), "not in the OpenAPI document"),
    ]
    for response, said in refused:
        with pytest.raises(AssertionError, match=said):
            check(response)


def test_closing_schemas_keeps_a_member_named_properties_a_member() -> None:
    schema = {"type": "object", "properties": {"properties": {"type": "object",
                                                              "properties": {"id": {"type": "integer"}}}}}
    out = closed(schema)
    assert out["additionalProperties"] is False
    assert set(out["properties"]) == {"properties"}
    assert out["properties"]["properties"]["additionalProperties"] is False


# --- validated answers are the core's, byte for byte --------------------------------------


def _as_before(value: Any) -> bytes:
    """How these routes wrote the core's dict before they were typed (FastAPI's pydantic
    serialisation of an untyped ``dict[str, Any]``)."""
    return TypeAdapter(dict[str, Any]).dump_json(value)


def test_answers_are_the_bytes_the_core_gave_before(client, session: Session) -> None:
    """Routes with a response_model re-validate their body: nothing may change on the way
    (no member dropped or re-ordered, no number re-written); routes only documented send
    the core's body as it is."""
    active = queries.list_plans(session, status="active")[0]["id"]
    cases = [
        ("/health", {"status": "ok", "database": "ok"}),
        ("/v1/areas", {"areas": queries.list_areas(session)}),
        ("/v1/areas?level=community", {"areas": queries.list_areas(session, level="community")}),
        ("/v1/plans", {"plans": queries.list_plans(session)}),
        (f"/v1/plans/{active}", queries.get_plan(session, active)),
        # documented only (sent as built): the same bytes as before too
        (f"/v1/plans/{active}/coverage?min_households=300&max_households=310",
         plan_coverage(session, active, household_bounds=(300, 310)).to_dict()),
        # as an anonymous caller sees it (down to the unit, the text as read left out)
        ("/v1/lookup/address?q=星元苑1号楼",
         address_answer_for(ANONYMOUS, lambda rooms: lookup_address(session, "星元苑1号楼", rooms=rooms))),
    ]
    for path, core_dict in cases:
        r = client.get(path)
        assert r.status_code == 200 and r.content == _as_before(core_dict), path


def test_typed_edit_and_diff_answers_are_the_cores_results_byte_for_byte(session: Session) -> None:
    """A merge in a draft (rolled back), through the edit and diff models as the routes do."""
    draft = create_draft(session, scope="610802", name="typed answers")
    a, b = session.execute(text("""
        SELECT a.id, b.id FROM grid a JOIN grid b ON a.plan_id = b.plan_id AND a.id < b.id
          AND a.community_id = b.community_id AND a.kind = 'residential' AND b.kind = 'residential'
        WHERE a.plan_id = :p AND ST_Length(ST_Intersection(a.boundary, b.boundary)::geography) > 50
        ORDER BY a.id, b.id LIMIT 1"""), {"p": draft}).one()
    edit = apply_edit(session, draft, "merge", expected_version=1, grids=[a, b]).to_dict()
    diff = diff_plans(session, queries.get_plan(session, draft)["parent_id"], draft)
    assert diff["households"]["moved"] > 0
    for model, value in ((PlanEdit, edit), (PlanDiff, diff), (Plan, queries.get_plan(session, draft))):
        typed = TypeAdapter(model)
        assert typed.dump_json(typed.validate_python(value)) == _as_before(value), model.__name__


# --- without the database: 503 as documented ---------------------------------------------


@pytest.fixture(scope="module")
def no_database() -> Iterator[TestClient]:
    """An app whose database does not answer (a port nothing listens on)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(db=DatabaseSettings(database_url=f"postgresql+psycopg://u:p@127.0.0.1:{port}/none"),
                        server=ServerSettings(tiles_url="none"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/health", None),
    ("GET", "/v1/areas", None),
    ("GET", "/v1/areas/610802", None),
    ("GET", "/v1/plans/1/grids", None),
    ("GET", "/v1/lookup?lon=109.75&lat=38.29", None),
    ("POST", "/v1/lookup", {"points": [[109.75, 38.29]]}),
    ("GET", "/v1/lookup/address?q=星元苑1号楼", None),
    ("POST", "/v1/plans", {"scope": "610802", "name": "draft"}),
    ("GET", "/v1/plans/1/coverage", None),
])
def test_without_the_database_routes_answer_503_as_documented(no_database, method, path, body) -> None:
    # A token: checking it needs the database too (an anonymous write is a 401 first).
    r = no_database.request(method, path, json=body, headers={"Authorization": "Bearer ggt_any"})
    assert r.status_code == 503 and check(r)["code"] == "database_unavailable", r.text
