"""A cap on request body size: a larger body is 413, never read into memory whole."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_servicekit.problems import PayloadTooLarge


class BodySizeLimitMiddleware:
    """Raises ``PayloadTooLarge`` when the body is read, not on arrival.

    Raising at read time lets the route's authentication answer 401 first (the order of
    checks in docs/architecture.md), and leaves routes that never read a body untouched.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            if declared is not None and declared > self.max_bytes:
                raise self._too_large()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large()
            return message

        await self.app(scope, receive_within_limit, send)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"The request body exceeds {self.max_bytes} bytes.")


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
