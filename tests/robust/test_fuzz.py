"""schemathesis against the server's own OpenAPI document: no answer is a 5xx (other than
a 503 of a budget), and every error is the JSON ``{"code", "message"}``.

A bounded run is part of ``make test`` (``GISGRID_FUZZ_EXAMPLES`` examples per operation,
default 8); the longer run on demand is::

    GISGRID_FUZZ_EXAMPLES=300 .venv/bin/python -m pytest tests/robust/test_fuzz.py

``GISGRID_FUZZ_STATUSES=0`` turns off the check that every status answered is documented for
its operation (schemathesis' ``status_code_conformance``), on by default.

It runs against the strict server on the tests' own database: fuzzed drafts, edits and
activations land there, not in the shared test database.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, Phase, settings

from api import create_app
from gisgrid.settings import ServerSettings, Settings

EXAMPLES = int(os.environ.get("GISGRID_FUZZ_EXAMPLES", "8"))
CHECK_STATUSES = os.environ.get("GISGRID_FUZZ_STATUSES", "1") == "1"


# The document the server serves, made the same way (building the app touches no database).
schema = schemathesis.openapi.from_dict(
    create_app(Settings(server=ServerSettings(tiles_url="none"))).openapi())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 20,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error_and_every_error_is_json(case, strict_server) -> None:
    # As a district planner: the write routes then reach their input checks (anonymous
    # calls stop at 401, and the crawl of tests/api covers anonymous callers).
    response = case.call(base_url=strict_server.base, timeout=120, headers=strict_server.headers)
    status = response.status_code
    where = f"{case.method} {case.formatted_path} -> {status}: {response.content[:300]!r}"
    # A 503 is a budget or the database (both JSON, both the server working as designed).
    assert status < 500 or status == 503, where
    if status >= 400:
        content_type = response.headers.get("content-type") or [""]  # schemathesis: lists
        assert content_type[0].startswith("application/json"), where
        body = response.json()
        assert isinstance(body.get("code"), str) and body.get("message"), where
    if CHECK_STATUSES:
        from schemathesis.specs.openapi.checks import status_code_conformance

        case.validate_response(response, checks=[status_code_conformance])
