"""Cross-origin requests from the browser origins a deployment names (docs/api.md, Browsers).

Each service answers CORS itself, the same way behind every gateway (nginx, a Gateway API
route): the gateway only routes, and a preflight `OPTIONS` reaches a service like any other
method. Nothing is allowed unless `CRM_CORS_ORIGINS` names origins.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from pydantic import BeforeValidator
from pydantic_settings import NoDecode
from starlette.middleware.cors import CORSMiddleware

# What a browser client of the API sends beside simple headers: the token, JSON bodies, the
# idempotency key of a POST, and the ticker's resume point.
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "Last-Event-ID",
    "X-Request-ID",
)
ALLOWED_METHODS = ("GET", "POST", "PUT", "DELETE")
# A client reads these: when to retry, and the id to quote when reporting a failure.
EXPOSED_HEADERS = ("Retry-After", "X-Request-ID")
PREFLIGHT_CACHE_S = 600


def _origin(text: str) -> str:
    """`scheme://host[:port]` as a browser sends it in `Origin`, lowercased."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not an origin (http(s)://host[:port])")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{text!r} is not an origin: no path, query or user part")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _origins(value: Any) -> Any:
    """A comma-separated list (as in the environment) or a sequence of origins."""
    if isinstance(value, str):
        value = [item for item in value.split(",") if item.strip()]
    if isinstance(value, list | tuple):
        return tuple(_origin(str(item)) for item in value)
    return value


CorsOrigins = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_origins)]


def install_cors(app: FastAPI, origins: tuple[str, ...]) -> None:
    """Answer CORS for `origins` (a preflight, and the headers on every answer)."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_methods=list(ALLOWED_METHODS),
        allow_headers=list(ALLOWED_HEADERS),
        expose_headers=list(EXPOSED_HEADERS),
        max_age=PREFLIGHT_CACHE_S,
    )
