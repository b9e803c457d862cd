"""A real local HTTP server that answers like Meta's Graph API for Lead Ads reads.

`GET /{version}/{leadgen_id}?access_token=...&fields=...` answers a lead it was given (only
the fields asked for, as Meta does), Meta's missing-object error for any other id, or a
canned answer set for that id (an error, a 500, a body that is not JSON, or an answer held
until the server stops, to outlast a client's timeout without the test sleeping).
`down()` stops it listening (connections refused) and `up()` listens again on the same
port; `failing(503)` answers every request with that status meanwhile. Every request is
recorded, so a test can check which token was sent.

    async with GraphServer() as graph:
        graph.add_lead(lead_fixture())
        api = GraphApi(graph.base_url, timeout_s=1.0)
"""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).parent / "fixtures"
VERSION = "v26.0"
# The id the missing-object fixture names; its message is rewritten for the id asked for.
_FIXTURE_MISSING_ID = "404404404404"


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def lead_fixture(**changes: Any) -> dict[str, Any]:
    """The documented lead answer (graph_lead.json), with top-level fields replaced."""
    return {**fixture("graph_lead.json"), **changes}


@dataclass(frozen=True)
class Recorded:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]

    @property
    def leadgen_id(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Canned:
    status: int
    body: bytes
    content_type: str
    held: bool = False


class GraphServer:
    def __init__(self, version: str = VERSION) -> None:
        self.version = version
        self.requests: list[Recorded] = []
        self._leads: dict[str, dict[str, Any]] = {}
        self._canned: dict[str, Canned] = {}
        self._failing: int | None = None
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port = 0

    @property
    def base_url(self) -> str:
        """What GraphApi takes (and INGEST_GRAPH_API_BASE holds): the root with the version."""
        return f"http://127.0.0.1:{self._port}/{self.version}"

    def add_lead(self, lead: dict[str, Any], *, held: bool = False) -> None:
        """Answer GET /{lead['id']} with this lead; held: only once the server stops."""
        self._leads[lead["id"]] = copy.deepcopy(lead)
        if held:
            self.answer(lead["id"], status=200, json_body=lead, held=True)

    def answer(
        self,
        leadgen_id: str,
        *,
        status: int,
        json_body: object = None,
        text: str | None = None,
        held: bool = False,
    ) -> None:
        """Answer GET /{leadgen_id} with this status and body (JSON, or text as text/html)."""
        if text is not None:
            canned = Canned(status, text.encode(), "text/html; charset=utf-8", held)
        else:
            canned = Canned(status, json.dumps(json_body).encode(), "application/json", held)
        self._canned[leadgen_id] = canned

    def failing(self, status: int | None) -> None:
        """Answer every request with this status (Meta's service error as body); None: stop."""
        self._failing = status

    def tokens_sent(self) -> list[str]:
        return [request.query.get("access_token", "") for request in self.requests]

    async def __aenter__(self) -> GraphServer:
        await self.up()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.down()

    async def up(self) -> None:
        """Listen (again, on the same port once it has had one)."""
        if self._runner is not None:
            return
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_get("/{version}/{object_id}", self._read)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self._port)
        await site.start()
        if not self._port:
            sockets = runner.addresses
            self._port = int(sockets[0][1])
        self._runner = runner

    async def down(self) -> None:
        """Stop listening and drop open connections: a client is refused until up()."""
        if self._runner is None:
            return
        runner, self._runner = self._runner, None
        self._release.set()  # held answers go out now, so no handler outlives the server
        await runner.cleanup()

    async def _read(self, request: web.Request) -> web.StreamResponse:
        object_id = request.match_info["object_id"]
        self.requests.append(Recorded(request.method, request.path, dict(request.query)))
        if self._failing is not None:
            body = {"error": {"message": "Service temporarily unavailable", "code": 2}}
            return web.json_response(body, status=self._failing)
        if request.match_info["version"] != self.version:
            return web.json_response(_unknown_version(request.match_info["version"]), status=400)
        if (canned := self._canned.get(object_id)) is not None:
            if canned.held:
                await self._release.wait()
            return web.Response(
                status=canned.status,
                body=canned.body,
                headers={"Content-Type": canned.content_type},
            )
        lead = self._leads.get(object_id)
        if lead is None:
            return web.json_response(_missing(object_id), status=400)
        return web.json_response(_only(lead, request.query.get("fields")))


def _only(lead: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """Meta answers the fields asked for (and always the id)."""
    if not fields:
        return {"id": lead["id"], "created_time": lead.get("created_time")}
    wanted = {name.strip() for name in fields.split(",")} | {"id"}
    return {name: value for name, value in lead.items() if name in wanted}


def _missing(object_id: str) -> dict[str, Any]:
    body = fixture("graph_missing_object.json")
    body["error"]["message"] = body["error"]["message"].replace(_FIXTURE_MISSING_ID, object_id)
    return body


def _unknown_version(version: str) -> dict[str, Any]:
    return {"error": {"message": f"Unknown path components: /{version}", "code": 2500}}
