"""One OpenAPI 3.1 document of every route the gateway serves, merged from the services' own.

Each service's app is built in process, without servers (its lifespan never runs), and its
`app.openapi()` taken as it serves it. A path joins the document when the gateway sends it to
that service (crm_devstack.gateway_routes); internal, health and metrics routes, and the
document routes themselves, are left out. Schemas every service defines alike are kept once;
a name two services define differently is prefixed with each one's service name (its
`$ref`s rewritten), so no service's answer is described by another's model.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import FastAPI

from crm_devstack.gateway_routes import service_for
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import FixedClock

TITLE: Final = "Frazer CRM API"
VERSION: Final = "1.0.0"
DESCRIPTION: Final = (
    "Every route the gateway serves. People authenticate with a bearer token (`crm token`); "
    "webhooks with Standard Webhooks headers or their provider's own signature. Errors are "
    "RFC 9457 problem details. The topic's events are in /api/asyncapi.json."
)
SCHEMA_REF: Final = "#/components/schemas/"
# Any fixed instant: building an app reads no time, and nothing here is served.
_BUILT_AT: Final = datetime(2025, 1, 1, tzinfo=UTC)


def _ingest() -> FastAPI:
    from crm_ingest.main import build_app
    from crm_ingest.settings import IngestSettings

    return build_app(IngestSettings(environment="test"), FixedClock(_BUILT_AT), Accounts([]))


def _customers() -> FastAPI:
    from crm_customers.main import build_app
    from crm_customers.settings import CustomersSettings

    return build_app(CustomersSettings(environment="test"), FixedClock(_BUILT_AT), Accounts([]))


def _rules() -> FastAPI:
    from crm_rules.main import build_app
    from crm_rules.settings import RulesSettings

    return build_app(RulesSettings(environment="test"), FixedClock(_BUILT_AT), Accounts([]))


def _nba() -> FastAPI:
    from crm_nba.main import build_app
    from crm_nba.settings import NbaSettings

    return build_app(NbaSettings(environment="test"), FixedClock(_BUILT_AT), Accounts([]))


def _stats() -> FastAPI:
    from crm_stats.main import build_app
    from crm_stats.settings import StatsSettings

    return build_app(StatsSettings(environment="test"), FixedClock(_BUILT_AT), Accounts([]))


# In the gateway's order of services; the merge does not depend on it.
SERVICE_APPS: Final[Mapping[str, Callable[[], FastAPI]]] = {
    "ingest": _ingest,
    "customers": _customers,
    "rules": _rules,
    "nba": _nba,
    "stats": _stats,
}


def services_documents() -> dict[str, dict[str, Any]]:
    """Each service's OpenAPI document, as its app serves it."""
    return {service: build().openapi() for service, build in SERVICE_APPS.items()}


def merged_openapi(documents: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The gateway's document from the services' documents (service name -> document)."""
    own = {name: copy.deepcopy(dict(doc)) for name, doc in documents.items()}
    _prefix_conflicting_schemas(own)
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    security_schemes: dict[str, Any] = {}
    for service, document in sorted(own.items()):
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                owner = service_for(method, path) if path.startswith("/api/") else None
                if owner != service:
                    continue  # not routed to this service by the gateway: not the API's
                if method in paths.get(path, {}):
                    raise ValueError(f"{method.upper()} {path} is served by two services")
                paths.setdefault(path, {})[method] = operation
        components = document.get("components", {})
        _merge_into(schemas, components.get("schemas", {}), "schema")
        _merge_into(security_schemes, components.get("securitySchemes", {}), "security scheme")
    used = _used_schemas(paths, schemas)
    # Only the schemes the kept operations use (the internal routes' service token goes).
    used_schemes = {
        name
        for operations in paths.values()
        for operation in operations.values()
        for requirement in operation.get("security", [])
        for name in requirement
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "paths": {path: _sorted(paths[path]) for path in sorted(paths)},
        "components": {
            "schemas": {name: schemas[name] for name in sorted(used)},
            "securitySchemes": {name: security_schemes[name] for name in sorted(used_schemes)},
        },
    }


def _prefix_conflicting_schemas(documents: dict[str, dict[str, Any]]) -> None:
    """Rename, in every service that defines it, a schema name defined in more than one way."""
    definitions: dict[str, list[Any]] = {}
    for document in documents.values():
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            if schema not in definitions.setdefault(name, []):
                definitions[name].append(schema)
    conflicting = {name for name, seen in definitions.items() if len(seen) > 1}
    for service, document in documents.items():
        schemas = document.get("components", {}).get("schemas", {})
        renames = {name: f"{service.capitalize()}{name}" for name in conflicting if name in schemas}
        if renames:
            documents[service] = _renamed(document, renames)


def _renamed(document: dict[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
    """The document with the schemas renamed, both where defined and in every `$ref`."""
    renamed: dict[str, Any] = _with_refs_renamed(document, renames)
    schemas = renamed["components"]["schemas"]
    renamed["components"]["schemas"] = {
        renames.get(name, name): schema for name, schema in schemas.items()
    }
    return renamed


def _with_refs_renamed(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        renamed: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(SCHEMA_REF):
                name = value.removeprefix(SCHEMA_REF)
                renamed[key] = SCHEMA_REF + renames.get(name, name)
            else:
                renamed[key] = _with_refs_renamed(value, renames)
        return renamed
    if isinstance(node, list):
        return [_with_refs_renamed(item, renames) for item in node]
    return node


def _merge_into(merged: dict[str, Any], found: Mapping[str, Any], what: str) -> None:
    for name, definition in found.items():
        if merged.setdefault(name, definition) != definition:
            raise ValueError(f"two services define the {what} {name!r} differently")


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(SCHEMA_REF):
                yield value.removeprefix(SCHEMA_REF)
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _used_schemas(paths: Mapping[str, Any], schemas: Mapping[str, Any]) -> set[str]:
    """The schemas the kept paths refer to, directly or through other schemas (the left-out
    routes' own, such as the internal claim's, go with them)."""
    used: set[str] = set()
    pending = list(_refs(paths))
    while pending:
        name = pending.pop()
        if name in used:
            continue
        if name not in schemas:
            raise ValueError(f"a $ref names the schema {name!r}, which no service defines")
        used.add(name)
        pending.extend(_refs(schemas[name]))
    return used


def _sorted(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {key: mapping[key] for key in sorted(mapping)}
