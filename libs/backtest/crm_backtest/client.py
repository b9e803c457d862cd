"""The system as a real client sees it: one /api behind the gateway, Bearer JWTs per account,
Standard Webhooks signatures, and polite retries on 503 and 429. Every try is recorded (its
status, or none when no answer came), so a run can say what the sender saw."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
from standardwebhooks.webhooks import Webhook

from crm_backtest.senders import AiohttpSender, HttpxSender, Sender

RETRIED = frozenset({429, 502, 503, 504})
# What a gateway in front of a dead or hung service answers: the request may have been done.
LOST = frozenset({502, 504})
MAX_ATTEMPTS = 12
# Where the statuses of a response's earlier tries are kept (None: no answer at all).
EARLIER_TRIES = "crm_backtest.earlier_tries"


@dataclass(frozen=True)
class Attempt:
    """One try of one request as the sender saw it (perf_counter seconds)."""

    method: str
    path: str
    sent_at: float
    answered_at: float
    status: int | None  # None: no answer (refused, dropped or timed out)


def earlier_tries(response: httpx.Response) -> tuple[int | None, ...]:
    """The statuses of the tries before this answer; empty when it came at the first try."""
    earlier: tuple[int | None, ...] = response.extensions.get(EARLIER_TRIES, ())
    return earlier


def answer_lost(response: httpx.Response) -> bool:
    """Whether an earlier try may have been done without its answer reaching us."""
    return any(status is None or status in LOST for status in earlier_tries(response))


@dataclass(frozen=True)
class Credentials:
    jwt_secret: str
    webhook_secret: str
    # What the providers sign their own webhooks with (the local system gives every account
    # the same Calendly key and Cal.com secret); None: that provider's deliveries cannot go.
    meta_app_secret: str | None = None
    calendly_signing_key: str | None = None
    calcom_secret: str | None = None

    @classmethod
    def from_state_dir(cls, state_dir: Path) -> Credentials:
        """`.local/secrets.json`, written by `make up`."""
        secrets = json.loads((state_dir / "secrets.json").read_text())
        return cls(
            secrets["jwt_secret"],
            secrets["webhook_secret"],
            secrets.get("meta_app_secret"),
            secrets.get("calendly_signing_key"),
            secrets.get("calcom_secret"),
        )


def mint_token(secret: str, account_id: str, ttl: timedelta = timedelta(hours=6)) -> str:
    """The backtest acts as each account's admin: it sends events and changes settings."""
    claims = {
        "sub": "backtest",
        "account_id": account_id,
        "role": "admin",
        "exp": int((datetime.now(UTC) + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def signature_headers(webhook_secret: str, message_id: str, raw: str) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(webhook_secret).sign(message_id, now, raw),
        "content-type": "application/json",
    }


def _encode(body: Any) -> bytes:
    """JSON as httpx's `json=` wrote it."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _retry_after(response: httpx.Response, attempt: int) -> float:
    """The server's Retry-After when given, else capped exponential backoff."""
    backoff: float = min(0.05 * 2 ** min(attempt, 10), 2.0)
    header = str(response.headers.get("retry-after") or "")
    try:
        return min(float(header), 5.0) if header else backoff
    except ValueError:
        return backoff


class Gateway:
    """An HTTP client of the gateway's /api for several accounts at once."""

    def __init__(
        self,
        api: str,
        credentials: Credentials,
        concurrency: int = 64,
        transport: httpx.AsyncBaseTransport | None = None,  # tests put a fake system here
        fast_client: bool = True,
        patience_s: float | None = None,
    ) -> None:
        """`patience_s`: retry for this long instead of MAX_ATTEMPTS times (through outages)."""
        self.api = api.rstrip("/")
        self.patience_s = patience_s
        self.attempts: list[Attempt] = []
        self.credentials = credentials
        # aiohttp sends ~5x faster: httpx's pool is CPU-bound at 64 connections. Tests that
        # fake the system pass an httpx transport, which only httpx can use.
        self.sender: Sender = (
            AiohttpSender(self.api, concurrency)
            if fast_client and transport is None
            else HttpxSender(self.api, concurrency, transport)
        )
        self._tokens: dict[str, str] = {}
        self.retries = 0

    async def __aenter__(self) -> Gateway:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.sender.aclose()

    def token(self, account_id: str) -> str:
        if account_id not in self._tokens:
            self._tokens[account_id] = mint_token(self.credentials.jwt_secret, account_id)
        return self._tokens[account_id]

    def auth(self, account_id: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token(account_id)}"}

    async def request(
        self,
        method: str,
        path: str,
        account_id: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One call with the account's token, retried on 503/429 and dropped connections."""
        sent = {**self.auth(account_id), **(headers or {})}
        content = None if json is None else _encode(json)
        if content is not None:
            sent.setdefault("content-type", "application/json")
        # httpx's spelling of query values (true, "" for None), whichever client sends.
        query = httpx.QueryParams(params or {}).multi_items()

        def send() -> Awaitable[httpx.Response]:
            return self.sender.send(method, path, sent, content, query)

        return await self._retrying(method, path, send)

    async def webhook(self, path: str, message_id: str, body: dict[str, Any]) -> httpx.Response:
        """A signed webhook; signed afresh on each try (the timestamp must be recent)."""
        raw = json.dumps(body, separators=(",", ":"))

        def send() -> Awaitable[httpx.Response]:
            headers = signature_headers(self.credentials.webhook_secret, message_id, raw)
            return self.sender.send("POST", path, headers, raw.encode(), ())

        return await self._retrying("POST", path, send)

    async def signed(
        self, path: str, raw: bytes, sign: Callable[[bytes], dict[str, str]]
    ) -> httpx.Response:
        """A provider's own webhook: `sign` gives its signature headers, afresh on each try
        (Calendly's carry the time of signing)."""

        def send() -> Awaitable[httpx.Response]:
            headers = {**sign(raw), "content-type": "application/json"}
            return self.sender.send("POST", path, headers, raw, ())

        return await self._retrying("POST", path, send)

    def _may_retry(self, attempt: int, began: float) -> bool:
        if self.patience_s is None:
            return attempt < MAX_ATTEMPTS - 1
        return monotonic() - began < self.patience_s

    async def _retrying(
        self, method: str, path: str, send: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        began = monotonic()
        earlier: list[int | None] = []
        for attempt in itertools.count():
            sent_at = monotonic()
            try:
                response = await send()
            except httpx.TransportError:  # timeouts included; senders raise httpx's errors
                self.attempts.append(Attempt(method, path, sent_at, monotonic(), None))
                if not self._may_retry(attempt, began):
                    raise
                earlier.append(None)
                self.retries += 1
                await asyncio.sleep(min(0.1 * 2 ** min(attempt, 10), 3.0))
                continue
            self.attempts.append(Attempt(method, path, sent_at, monotonic(), response.status_code))
            if response.status_code not in RETRIED or not self._may_retry(attempt, began):
                response.extensions[EARLIER_TRIES] = tuple(earlier)
                return response
            earlier.append(response.status_code)
            self.retries += 1
            await asyncio.sleep(_retry_after(response, attempt))
        raise AssertionError("unreachable: itertools.count() does not end")

    async def get_json(self, path: str, account_id: str, **params: Any) -> Any:
        response = await self.request("GET", path, account_id, params=params)
        response.raise_for_status()
        return response.json()

    async def list_all(self, path: str, account_id: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a cursor-paginated list."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
            page = await self.get_json(path, account_id, **query)
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items


def monotonic() -> float:
    return time.perf_counter()
