"""What ingest serves for the gateway (docs/api.md, Documents): the one OpenAPI document of
every path of the API, Swagger UI on it with its own assets, and the AsyncAPI document."""

from __future__ import annotations

import re

import httpx
import schemathesis
from api_md_paths import API_PATHS

from .conftest import served_json

DOCUMENT_PATHS = {"/api/openapi.json", "/api/asyncapi.json", "/api/docs"}


def _template_matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, path) is not None


async def test_the_openapi_document_lists_every_path_of_the_api_and_nothing_internal(
    ingest: httpx.AsyncClient,
) -> None:
    document = await served_json(ingest, "/api/openapi.json")
    assert document["openapi"].startswith("3.1")
    operations = {
        (method.upper(), template)
        for template, methods in document["paths"].items()
        for method in methods
    }
    missing = [
        (method, path)
        for method, path, _service in API_PATHS
        if path not in DOCUMENT_PATHS
        and not any(m == method and _template_matches(t, path) for m, t in operations)
    ]
    assert missing == []
    assert [t for _m, t in operations if not t.startswith("/api/")] == []


async def test_every_operation_declares_how_its_caller_authenticates(
    ingest: httpx.AsyncClient,
) -> None:
    document = await served_json(ingest, "/api/openapi.json")
    operations = document["paths"]
    schemes = document["components"]["securitySchemes"]
    assert operations["/api/events"]["post"]["security"] == [
        {"UserToken": []},
        {"webhook-id": [], "webhook-timestamp": [], "webhook-signature": []},
    ]
    assert operations["/api/hooks/dm"]["post"]["security"] == [
        {"webhook-id": [], "webhook-timestamp": [], "webhook-signature": []}
    ]
    assert schemes["webhook-signature"] == {
        "type": "apiKey",
        "in": "header",
        "name": "webhook-signature",
        "description": schemes["webhook-signature"]["description"],
    }
    assert schemes["UserToken"]["scheme"] == "bearer"
    assert schemes["MetaSignature"]["name"] == "X-Hub-Signature-256"
    # Only Meta's subscription handshake (its verify token is a query parameter) has none.
    unsecured = [
        f"{method.upper()} {path}"
        for path, methods in operations.items()
        for method, operation in methods.items()
        if not operation.get("security")
    ]
    assert unsecured == ["GET /api/hooks/meta"]


async def test_the_ticker_stream_is_documented_as_an_event_stream(
    ingest: httpx.AsyncClient,
) -> None:
    document = await served_json(ingest, "/api/openapi.json")
    stream = document["paths"]["/api/ticker/stream"]["get"]
    assert list(stream["responses"]["200"]["content"]) == ["text/event-stream"]
    assert {"StreamToken": []} in stream["security"]


async def test_swagger_ui_is_served_with_its_own_assets(ingest: httpx.AsyncClient) -> None:
    page = await ingest.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/api/openapi.json" in page.text
    linked = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert linked, page.text
    assert [url for url in linked if not url.startswith("/api/docs/assets/")] == []
    assert "//" not in "".join(linked)
    for url in linked:
        asset = await ingest.get(url)
        assert asset.status_code == 200, url
    script = await ingest.get("/api/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in script.text


async def test_a_path_outside_the_assets_is_not_served(ingest: httpx.AsyncClient) -> None:
    answer = await ingest.get("/api/docs/assets/..%2f..%2f__init__.py")
    assert answer.status_code == 404


async def test_the_asyncapi_document_is_served(ingest: httpx.AsyncClient) -> None:
    document = await served_json(ingest, "/api/asyncapi.json")
    assert document["asyncapi"] == "3.0.0"
    assert document["channels"]["events"]["address"] == "crm.events.v1"


async def test_every_operation_of_the_openapi_document_can_be_loaded(
    ingest: httpx.AsyncClient,
) -> None:
    # schemathesis resolves every $ref and reads every parameter and body, as a client would.
    document = await served_json(ingest, "/api/openapi.json")
    loaded = [
        result.ok() for result in schemathesis.openapi.from_dict(document).get_all_operations()
    ]
    declared = sum(len(methods) for methods in document["paths"].values())
    assert len(loaded) == declared
