"""The OpenAPI document names each operation's problems, as problems.py answers them."""

from __future__ import annotations

from typing import Any

from crm_servicekit.problems import PROBLEM_CONTENT_TYPE

from .sample_service import sample_app

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _document() -> dict[str, Any]:
    return sample_app().openapi()


def _errors(operation: dict[str, Any]) -> dict[str, Any]:
    return {code: r for code, r in operation["responses"].items() if int(code) >= 400}


def test_every_error_is_a_problem_and_fastapis_validation_body_is_gone() -> None:
    document = _document()
    errors = [
        r for ops in document["paths"].values() for op in ops.values() for r in _errors(op).values()
    ]
    assert errors
    assert all(r["content"] == {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM}} for r in errors)
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert schemas["Problem"]["required"] == ["type", "title", "status"]


def test_statuses_follow_the_operations_shape() -> None:
    paths = _document()["paths"]
    # A token, a body: 400 (malformed JSON), 401, 413, 422, and 503 (a dependency down).
    assert set(_errors(paths["/api/things"]["post"])) == {"400", "401", "413", "422", "503"}
    # A path parameter: 404 as well; no body, so no 400 or 413.
    assert set(_errors(paths["/api/things/{thing_id}"]["get"])) == {"401", "404", "422", "503"}
    # Declared by the route with problems(409).
    assert set(_errors(paths["/api/claims"]["post"])) == {"401", "409", "503"}
    # No input, no token: nothing to refuse.
    assert _errors(paths["/health/live"]["get"]) == {}
