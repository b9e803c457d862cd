from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from crm_servicekit.problems import Conflict, FieldError, Unprocessable

from .sample_service import LOST_TO_CONCURRENT_WORK, MAX_REQUEST_BYTES, bearer

PROBLEM = "application/problem+json"


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["type"], str)
    assert body["type"]
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/things",
        content=b'{"name": "x", "count": ',
        headers={**bearer(), "Content-Type": "application/json"},
    )
    body = problem_of(response, 400)
    assert body["title"] == "Bad Request"
    assert "Malformed JSON" in body["detail"]


async def test_validation_names_each_bad_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/things", json={"name": "", "count": -2}, headers=bearer())
    body = problem_of(response, 422)
    assert body["title"] == "Unprocessable Content"
    by_loc = {tuple(error["loc"]): error["msg"] for error in body["errors"]}
    assert set(by_loc) == {("body", "name"), ("body", "count")}
    assert "at least 1 character" in by_loc[("body", "name")]
    assert "greater than or equal to 0" in by_loc[("body", "count")]
    assert body["detail"] == "The request has 2 invalid fields."


async def test_missing_field_and_bad_path_parameter_are_named(client: httpx.AsyncClient) -> None:
    missing = problem_of(
        await client.post("/api/things", json={"name": "x"}, headers=bearer()), 422
    )
    assert missing["errors"] == [{"loc": ["body", "count"], "msg": "Field required"}]
    bad_path = problem_of(await client.get("/api/things/abc", headers=bearer()), 422)
    assert [error["loc"] for error in bad_path["errors"]] == [["path", "thing_id"]]


async def test_not_found_raised_by_a_route(client: httpx.AsyncClient) -> None:
    body = problem_of(await client.get("/api/things/7", headers=bearer()), 404)
    assert body["detail"] == "No thing 7 in this account."
    assert body["title"] == "Not Found"


async def test_unknown_path_and_method_are_problems_too(client: httpx.AsyncClient) -> None:
    problem_of(await client.get("/api/nowhere"), 404)
    response = await client.delete("/api/whoami")
    problem_of(response, 405)
    assert response.headers["allow"] == "GET"


async def test_conflict_carries_extra_members(client: httpx.AsyncClient) -> None:
    body = problem_of(await client.post("/api/claims", headers=bearer()), 409)
    assert body["customer_id"] == "c-123"
    assert body["detail"] == "The email belongs to another customer."


async def test_too_large_body_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/raw", content=b"x" * (MAX_REQUEST_BYTES + 1), headers=bearer()
    )
    body = problem_of(response, 413)
    assert str(MAX_REQUEST_BYTES) in body["detail"]


async def test_too_large_streamed_body_without_length_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"y" * 1000

    response = await client.post("/api/raw", content=chunks(), headers=bearer())
    assert "content-length" not in response.request.headers
    problem_of(response, 413)


async def test_body_within_the_limit_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/raw", content=b"x" * MAX_REQUEST_BYTES, headers=bearer())
    assert response.status_code == 200
    assert response.json() == {"bytes": MAX_REQUEST_BYTES}


@pytest.mark.parametrize(
    ("path", "status", "retry_after"), [("/api/busy", 429, "3"), ("/api/down", 503, "7")]
)
async def test_retry_after_on_429_and_503(
    client: httpx.AsyncClient, path: str, status: int, retry_after: str
) -> None:
    response = await client.get(path, headers=bearer())
    problem_of(response, status)
    assert response.headers["retry-after"] == retry_after


async def test_unexpected_error_is_500_without_internals(
    client: httpx.AsyncClient, json_log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    response = await client.get("/api/boom", headers=bearer())
    body = problem_of(response, 500)
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    logged = [line for line in json_log_lines() if line["event"] == "unhandled error"]
    assert len(logged) == 1
    assert logged[0]["level"] == "error"
    assert "RuntimeError: database password is hunter2" in logged[0]["exception"]
    assert logged[0]["request_id"] == response.headers["x-request-id"]
    assert body["title"] == "Internal Server Error"


@pytest.mark.parametrize("how", sorted(LOST_TO_CONCURRENT_WORK))
async def test_a_transaction_lost_to_concurrent_work_is_503_to_send_again(
    client: httpx.AsyncClient, json_log_lines: Callable[[], list[dict[str, Any]]], how: str
) -> None:
    # Nothing the client sent was wrong and nothing was done: like an outage, not a 500 or 409.
    response = await client.get(f"/api/lost/{how}", headers=bearer())
    body = problem_of(response, 503)
    assert response.headers["retry-after"] == "1"
    assert body["reason"] == "concurrent-change"
    assert "Send it again" in body["detail"]
    assert "went first" not in response.text
    logged = [line for line in json_log_lines() if line["event"] == "lost to a concurrent change"]
    assert len(logged) == 1
    assert logged[0]["level"] == "warning"
    assert logged[0]["error_class"] == LOST_TO_CONCURRENT_WORK[how].__name__
    assert not [line for line in json_log_lines() if line["event"] == "unhandled error"]


def test_extra_members_cannot_replace_standard_ones() -> None:
    with pytest.raises(ValueError, match="clash"):
        Conflict("x", status=200)


def test_unprocessable_lists_field_errors() -> None:
    problem = Unprocessable(
        "Bad period.", errors=[FieldError(("query", "from"), "must be before to")]
    )
    body = json.loads(bytes(problem.to_response().body))
    assert body == {
        "type": "urn:frazer-crm:problem:validation",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "Bad period.",
        "errors": [{"loc": ["query", "from"], "msg": "must be before to"}],
    }
