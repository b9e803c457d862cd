"""The OpenAPI document names the problems each operation can answer, as they are answered.

FastAPI documents a 422 with its own `HTTPValidationError` body as `application/json`, and no
other error, while every error here is an RFC 9457 problem (`application/problem+json`, see
problems.py). This rewrites each operation's error responses: the ones every operation
of its shape can give (401 and 503 behind a token, 404 on a path naming a resource, 400 and 413
with a body, 409 with an Idempotency-Key, 422 with any input), plus those its route declares with
`problems(...)`, all as problem details.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from crm_servicekit.openapi_bodies import move_components
from crm_servicekit.problems import PROBLEM_CONTENT_TYPE

PROBLEM_SCHEMA_NAME = "Problem"
_PROBLEM_REF = {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA_NAME}"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": PROBLEM_SCHEMA_NAME,
    "description": "RFC 9457 problem details; some problems add members of their own.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Each bad field: where it is and what is wrong.",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                },
            },
        },
    },
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's `responses=` for problems beyond those its shape implies (e.g. 409, 429, 503)."""
    return {status: {"description": HTTPStatus(status).phrase} for status in statuses}


def install_problem_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` (and /openapi.json) document errors as problem details."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = with_problems(move_components(document))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def with_problems(document: dict[str, Any]) -> dict[str, Any]:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            declared = [int(code) for code in responses if code.isdigit() and int(code) >= 400]
            for status in sorted(set(declared) | set(_implied_statuses(operation))):
                responses[str(status)] = _problem_response(status)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    schemas[PROBLEM_SCHEMA_NAME] = PROBLEM_SCHEMA
    return document


def _implied_statuses(operation: dict[str, Any]) -> Iterable[int]:
    parameters = operation.get("parameters", [])
    if operation.get("security"):
        yield 401
        # What a client may call reaches the service's stores: a dependency down is 503.
        yield 503
    if any(p["in"] == "path" for p in parameters):
        yield 404
    if "requestBody" in operation:
        yield from (400, 413)
    if any(p["in"] == "header" and p["name"].lower() == "idempotency-key" for p in parameters):
        yield 409  # the key was used for another request
    if parameters or "requestBody" in operation:
        yield 422


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": HTTPStatus(status).phrase,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": _PROBLEM_REF}},
    }
