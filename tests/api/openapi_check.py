"""Responses checked against the OpenAPI document the app publishes, not hand-written schemas.

:func:`check` finds the operation by method and path in ``app.openapi()``; the status
must be documented for it explicitly (``default`` does not count), the content type
must be one documented for that status, and the body must validate (jsonschema, Draft
2020-12 as OpenAPI 3.1 uses, ``$ref`` resolved in the document).

The check is stricter than the document in one way: an object whose schema lists its
members and says nothing of others may have no others here. So every member the API
sends is documented, while the published schema leaves consumers free to ignore members
added later.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import httpx
import jsonschema
from jsonschema.exceptions import best_match

from api import create_app
from gisgrid.settings import ServerSettings, Settings

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_ONE = ("items", "additionalProperties", "not", "contains", "if", "then", "else")


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI document (the app is only built; nothing connects)."""
    return create_app(Settings(server=ServerSettings(tiles_url="none"))).openapi()


def closed(schema: Any) -> Any:
    """``schema`` with ``additionalProperties: false`` wherever it lists properties and
    says nothing of others (walked keyword by keyword, so a member named "properties" is
    not mistaken for the keyword)."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in _SCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: closed(sub) for name, sub in out[key].items()}
    for key in _SCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [closed(sub) for sub in out[key]]
    for key in _SCHEMA_ONE:
        if isinstance(out.get(key), dict):
            out[key] = closed(out[key])
    if "properties" in out and "additionalProperties" not in out and "patternProperties" not in out:
        out["additionalProperties"] = False
    return out


@functools.cache
def _components() -> dict[str, Any]:
    return {"schemas": {name: closed(s) for name, s in document()["components"]["schemas"].items()}}


def operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The path template and operation that serve ``method path`` (a literal path first)."""
    paths = document()["paths"]
    method = method.lower()
    if path in paths and method in paths[path]:
        return path, paths[path][method]
    for template, ops in paths.items():
        pattern = "".join("[^/]+" if part.startswith("{") else re.escape(part)
                          for part in re.split(r"(\{[^}]+\})", template))
        if method in ops and re.fullmatch(pattern, path):
            return template, ops[method]
    raise AssertionError(f"{method.upper()} {path} is not in the OpenAPI document")


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with a top-level ``$ref`` to a component replaced by the component."""
    while "$ref" in schema:
        schema = document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


@functools.cache
def _validator(template: str, method: str, status: str, media_type: str) -> Any:
    responses = document()["paths"][template][method]["responses"]
    if status not in responses:
        raise AssertionError(f"{method.upper()} {template} answered {status}, which its OpenAPI "
                             f"operation does not document (documented: {sorted(responses)})")
    content = responses[status].get("content", {})
    if media_type not in content:
        raise AssertionError(f"{method.upper()} {template} {status} came as {media_type}; the document "
                             f"says {sorted(content)}")
    root = {**closed(content[media_type]["schema"]), "components": _components()}
    cls = jsonschema.Draft202012Validator
    return cls(root, format_checker=cls.FORMAT_CHECKER)


def check(response: httpx.Response) -> Any:
    """Assert ``response`` is what the document says its operation answers; return its body."""
    template, _ = operation(response.request.method, response.request.url.path)
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    validator = _validator(template, response.request.method.lower(), str(response.status_code),
                           media_type)
    body = response.json()
    error = best_match(validator.iter_errors(body))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(the body)"
        raise AssertionError(f"{response.request.method} {template} {response.status_code}: at {where}: "
                             f"{error.message[:500]}")
    return body
