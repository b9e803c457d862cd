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
# The security schemes an operation's `openapi_extra` declares (crm_servicekit.openapi_security).
SECURITY_COMPONENTS_KEY = "x-security-schemes"
REF_TEMPLATE = "#/components/schemas/{model}"


def raw_json_body(model: type[BaseModel], *, description: str | None = None) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    nested = schema.pop("$defs", {})
    body: dict[str, Any] = {"required": True, "content": {"application/json": {"schema": schema}}}
    if description is not None:
        body["description"] = description
    return {"requestBody": body, COMPONENTS_KEY: nested}


def move_components(document: dict[str, Any]) -> dict[str, Any]:
    """Move the schemas that raw bodies carried into `components/schemas`, and the security
    schemes operations declared into `components/securitySchemes`."""
    components = document.setdefault("components", {})
    for key, section in ((COMPONENTS_KEY, "schemas"), (SECURITY_COMPONENTS_KEY, "securitySchemes")):
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                carried = operation.pop(key, {})
                if not carried:
                    continue
                found = components.setdefault(section, {})
                for name, definition in carried.items():
                    if found.setdefault(name, definition) != definition:
                        raise ValueError(f"two different {section} are both named {name!r}")
    return document
