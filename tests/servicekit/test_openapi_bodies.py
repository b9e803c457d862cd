"""A body a route reads raw is documented from its model, nested models in components."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from crm_servicekit.openapi_bodies import COMPONENTS_KEY, move_components, raw_json_body

from .sample_service import sample_app


class Sender(BaseModel):
    handle: str = Field(min_length=1)


class Hook(BaseModel):
    event_id: str
    sender: Sender


def _document_with_raw_route() -> dict[str, Any]:
    raw = APIRouter(prefix="/api")

    @raw.post("/hooks", status_code=202, openapi_extra=raw_json_body(Hook))
    async def hook(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    return sample_app(routers=(raw,)).openapi()


def test_the_raw_body_is_documented_with_its_nested_models_in_components() -> None:
    document = _document_with_raw_route()
    operation = document["paths"]["/api/hooks"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert operation["requestBody"]["required"] is True
    assert schema["required"] == ["event_id", "sender"]
    assert schema["properties"]["sender"] == {"$ref": "#/components/schemas/Sender"}
    assert document["components"]["schemas"]["Sender"]["properties"]["handle"]["minLength"] == 1
    assert COMPONENTS_KEY not in operation
    # A body means malformed JSON (400) and an oversized body (413) can be answered.
    assert {"400", "413", "422"} <= set(operation["responses"])


def test_two_different_schemas_of_one_name_are_refused() -> None:
    document = {
        "paths": {
            "/a": {"post": {COMPONENTS_KEY: {"Sender": {"type": "object"}}}},
            "/b": {"post": {COMPONENTS_KEY: {"Sender": {"type": "string"}}}},
        }
    }
    with pytest.raises(ValueError, match="Sender"):
        move_components(document)
