"""How one request leaves the Gateway: aiohttp against a real system, httpx when a test injects
a transport (a fake system). Both answer with an httpx.Response and fail with httpx's errors,
so the Gateway's retries and its callers see one client."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import aiohttp
import httpx

Query = Sequence[tuple[str, str]]
TIMEOUT_S = 30.0

# aiohttp has already decompressed the body; httpx would try again on these.
_DROPPED_HEADERS = frozenset({"content-encoding", "content-length"})


class Sender(Protocol):
    async def send(
        self, method: str, path: str, headers: dict[str, str], content: bytes | None, query: Query
    ) -> httpx.Response: ...

    async def aclose(self) -> None: ...


class HttpxSender:
    """httpx, over the network or any transport (the tests' fake system is an httpx one)."""

    def __init__(
        self, api: str, concurrency: int, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.http = httpx.AsyncClient(
            base_url=api,
            transport=transport,
            timeout=httpx.Timeout(TIMEOUT_S),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )

    async def send(
        self, method: str, path: str, headers: dict[str, str], content: bytes | None, query: Query
    ) -> httpx.Response:
        return await self.http.request(
            method, path, headers=headers, content=content, params=list(query)
        )

    async def aclose(self) -> None:
        await self.http.aclose()


class AiohttpSender:
    """aiohttp against a real system: at 64 connections httpx's pool spent ~8x the client CPU
    per request (52 vs 422 signed webhooks/s on two cores), which capped the replay."""

    def __init__(self, api: str, concurrency: int) -> None:
        self.api = api
        self.concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        # Created on first use: a ClientSession belongs to the running event loop.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.concurrency),
                # httpx's Timeout(30) is per phase (pool + connect, each read), not per request.
                timeout=aiohttp.ClientTimeout(total=None, connect=TIMEOUT_S, sock_read=TIMEOUT_S),
            )
        return self._session

    async def send(
        self, method: str, path: str, headers: dict[str, str], content: bytes | None, query: Query
    ) -> httpx.Response:
        url = self.api + path
        request = httpx.Request(method, url, params=list(query))
        try:
            async with self._open().request(
                method, url, headers=headers, data=content, params=list(query)
            ) as response:
                body = await response.read()
                kept = [
                    (name, value)
                    for name, value in response.headers.items()
                    if name.lower() not in _DROPPED_HEADERS
                ]
                return httpx.Response(response.status, headers=kept, content=body, request=request)
        except aiohttp.InvalidURL:
            raise  # a wrong --api is not worth retrying
        except TimeoutError as error:
            raise httpx.TimeoutException(str(error) or "timed out", request=request) from error
        except aiohttp.ClientError as error:
            raise httpx.TransportError(str(error), request=request) from error

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
