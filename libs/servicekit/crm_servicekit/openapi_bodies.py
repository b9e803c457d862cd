"""Request bodies a route reads raw, documented in the OpenAPI document all the same.

A route that verifies a signature over the exact bytes, or must check the caller before it
parses anything, takes `Request` and reads the body itself, so FastAPI documents no body at
all. `raw_json_body(Model)` is that route's `openapi_extra`: the body's schema from the model
it is parsed with, its nested models carried along under `x-components` and moved into
`components/schemas` when the document is finished (`move_components`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

COMPONENTS_KEY = "x-components"
REF_TEMPLATE = "#/components/schemas/{model}"


def raw_json_body(model: type[BaseModel], *, description: str | None = None) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    nested = schema.pop("$defs", {})
    body: dict[str, Any] = {"required": True, "content": {"application/json": {"schema": schema}}}
    if description is not None:
        body["description"] = description
    return {"requestBody": body, COMPONENTS_KEY: nested}


def move_components(document: dict[str, Any]) -> dict[str, Any]:
    """Move the schemas that raw bodies carried into `components/schemas`."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for name, schema in operation.pop(COMPONENTS_KEY, {}).items():
                if schemas.setdefault(name, schema) != schema:
                    raise ValueError(f"two different schemas are both named {name!r}")
    return document
