"""The API's published documents, served as checked in: the OpenAPI document, Swagger UI on
it, and the AsyncAPI document of the topic (docs/api.md, Documents).

Plumbing only: the service that serves them hands over the files. Swagger UI's assets come
from the swagger-ui-py package and are served by the service itself, so a browser needs no
CDN and nothing outside the deployment. None of these routes needs a token, and none is in
any OpenAPI document.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

OPENAPI_PATH: Final = "/api/openapi.json"
ASYNCAPI_PATH: Final = "/api/asyncapi.json"
DOCS_PATH: Final = "/api/docs"
ASSETS_PATH: Final = f"{DOCS_PATH}/assets"
JSON: Final = "application/json"


def swagger_ui_assets() -> Path:
    """The folder of Swagger UI's own files (swagger-ui-bundle.js, swagger-ui.css, ...)."""
    return Path(str(files("swagger_ui") / "static"))


def published_documents_router(openapi: Path, asyncapi: Path, *, title: str) -> APIRouter:
    """Routes serving the two documents from their files and Swagger UI on the OpenAPI one.

    The files are read on the first request, not when the app is built: the generator that
    writes them builds the same app.
    """
    router = APIRouter(include_in_schema=False)

    @functools.cache
    def content(path: Path) -> bytes:
        return path.read_bytes()

    @router.get(OPENAPI_PATH)
    async def openapi_document() -> Response:
        return Response(content(openapi), media_type=JSON)

    @router.get(ASYNCAPI_PATH)
    async def asyncapi_document() -> Response:
        return Response(content(asyncapi), media_type=JSON)

    page = get_swagger_ui_html(
        openapi_url=OPENAPI_PATH,
        title=title,
        swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        # Swagger UI would otherwise send the document to its public validator.
        swagger_ui_parameters={"validatorUrl": None},
    ).body

    @router.get(DOCS_PATH)
    async def swagger_ui() -> HTMLResponse:
        # A new answer each time: middleware adds its headers to the answer it is given.
        return HTMLResponse(page)

    router.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_assets()), name="swagger-ui")
    return router
