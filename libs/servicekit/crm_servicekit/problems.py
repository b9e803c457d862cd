"""RFC 9457 problem details: every error a service answers is ``application/problem+json``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar, TypeVar

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_servicekit.failures import Dependency, unavailable_dependency

PROBLEM_CONTENT_TYPE = "application/problem+json"
_PROBLEM_TYPE_BASE = "urn:frazer-crm:problem:"
_STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_CONTENT_TYPE


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    problem_type: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": problem_type or "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    body.update(extra or {})
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


class ProblemError(HTTPException):
    """An error that knows its status and renders itself as a problem.

    It is a Starlette ``HTTPException`` so that FastAPI lets it through where it wraps
    other errors (reading the body) and any HTTP-aware code treats it as one.
    """

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    # None: the status's reason phrase.
    title: ClassVar[str | None] = None

    def __init__(
        self,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        clashes = _STANDARD_MEMBERS & extra.keys()
        if clashes:
            raise ValueError(f"extra problem members clash with standard ones: {sorted(clashes)}")
        super().__init__(self.status, detail, dict(headers) if headers else None)
        self.extra = extra

    @property
    def problem_type(self) -> str:
        return _PROBLEM_TYPE_BASE + self.slug

    def to_response(self) -> ProblemResponse:
        return problem_response(
            self.status,
            str(self.detail),
            title=self.title,
            problem_type=self.problem_type,
            headers=self.headers,
            extra=self.extra,
        )


class BadRequest(ProblemError):
    status = 400
    slug = "bad-request"


class Unauthorized(ProblemError):
    status = 401
    slug = "unauthorized"

    def __init__(
        self,
        detail: str = "Missing or invalid credentials.",
        *,
        challenge: str = "Bearer",
        **extra: Any,
    ) -> None:
        # RFC 9110 requires a challenge on every 401.
        super().__init__(detail, headers={"WWW-Authenticate": challenge}, **extra)


class NotFound(ProblemError):
    status = 404
    slug = "not-found"


class Conflict(ProblemError):
    """409; extra members name what conflicts, e.g. ``Conflict(..., customer_id=holder)``."""

    status = 409
    slug = "conflict"


class PayloadTooLarge(ProblemError):
    status = 413
    slug = "payload-too-large"
    title = "Content Too Large"  # RFC 9110's name; Python 3.11 has the older phrase


class UnsupportedMediaType(ProblemError):
    status = 415
    slug = "unsupported-media-type"


class Unprocessable(ProblemError):
    """422 with ``errors: [{"loc": [...], "msg": ...}]`` naming each bad field."""

    status = 422
    slug = "validation"
    title = "Unprocessable Content"  # RFC 9110's name; Python 3.11 has the older phrase

    def __init__(self, detail: str, *, errors: Sequence[FieldError] = (), **extra: Any) -> None:
        super().__init__(detail, errors=[error.as_json() for error in errors], **extra)


class TooManyRequests(ProblemError):
    status = 429
    slug = "rate-limited"

    def __init__(self, detail: str, *, retry_after_s: int, **extra: Any) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after_s))}, **extra)


class ServiceUnavailable(ProblemError):
    status = 503
    slug = "unavailable"

    def __init__(self, detail: str, *, retry_after_s: int = 1, **extra: Any) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after_s))}, **extra)


DEPENDENCY_RETRY_AFTER_S = 5  # a restarting PostgreSQL or broker is usually back by then


def dependency_unavailable(dependency: Dependency) -> ServiceUnavailable:
    """The 503 for an outage of `dependency`, named in the member ``dependency``."""
    return ServiceUnavailable(
        f"A dependency of this service ({dependency}) is unavailable; nothing was done.",
        retry_after_s=DEPENDENCY_RETRY_AFTER_S,
        dependency=dependency.value,
    )


@dataclass(frozen=True)
class FieldError:
    """One bad field of a request: where it is (``["body", "email"]``) and what is wrong."""

    loc: Sequence[str | int]
    msg: str

    def as_json(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "msg": self.msg}


# -- Rendering every error as a problem -------------------------------------------------

AuthenticationCheck = Callable[[Request], Awaitable[object]]
F = TypeVar("F", bound=Callable[..., Any])
_AUTHENTICATION_CHECK_ATTR = "__authentication_check__"
_UNEXPECTED_DETAIL = "An unexpected error occurred; it has been logged."

log = structlog.get_logger(__name__)


def authenticates_first(check: AuthenticationCheck) -> Callable[[F], F]:
    """Mark a dependency as authentication, checked before the body (docs/architecture.md).

    FastAPI reads and parses the body before it runs any dependency, so a malformed or
    oversized body would be answered 400/413 before a missing token is seen. The problem
    handlers run ``check(request)`` of every marked dependency of the route first.
    """

    def mark(dependency: F) -> F:
        setattr(dependency, _AUTHENTICATION_CHECK_ATTR, check)
        return dependency

    return mark


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error as a problem; call before adding other middleware (it is innermost)."""
    app.add_exception_handler(ProblemError, _on_problem)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _on_http_exception)  # type: ignore[arg-type]
    app.add_middleware(UnexpectedErrorMiddleware)


async def _on_problem(request: Request, exc: ProblemError) -> Response:
    if exc.status == PayloadTooLarge.status and (failure := await _authentication_failure(request)):
        return failure.to_response()
    return exc.to_response()


async def _on_validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = exc.errors()
    malformed = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if malformed is not None:
        if failure := await _authentication_failure(request):
            return failure.to_response()
        reason = malformed.get("ctx", {}).get("error", "cannot be parsed")
        position = malformed["loc"][-1] if malformed.get("loc") else "?"
        return BadRequest(f"Malformed JSON body: {reason} (at character {position}).").to_response()
    fields = [FieldError(tuple(e["loc"]), e["msg"]) for e in errors]
    count = f"{len(fields)} invalid field{'s' if len(fields) != 1 else ''}"
    return Unprocessable(f"The request has {count}.", errors=fields).to_response()


async def _on_http_exception(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 400 and (failure := await _authentication_failure(request)):
        return failure.to_response()
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return problem_response(exc.status_code, detail, headers=exc.headers)


async def _authentication_failure(request: Request) -> ProblemError | None:
    dependant = getattr(request.scope.get("route"), "dependant", None)
    for check in _authentication_checks(dependant):
        try:
            await check(request)
        except ProblemError as failure:
            return failure
    return None


def _authentication_checks(dependant: Dependant | None) -> Iterator[AuthenticationCheck]:
    if dependant is None:
        return
    for dependency in dependant.dependencies:
        check = getattr(dependency.call, _AUTHENTICATION_CHECK_ATTR, None)
        if check is not None:
            yield check
        yield from _authentication_checks(dependency)


class UnexpectedErrorMiddleware:
    """Turns an unhandled exception into a 500 problem that leaks nothing, and logs it; an
    error that shows a dependency unavailable (failures.py decides) into a 503 naming it.

    Starlette's own last-resort handler re-raises after answering, which logs every error
    twice under uvicorn; this one answers once and keeps the traceback in our JSON log.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def send_tracking_start(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracking_start)
        except ProblemError as problem:
            # Raised outside a route (e.g. by middleware reading the body): still a problem.
            if response_started:
                raise
            await problem.to_response()(scope, receive, send)
        except Exception as error:
            where = {"path": scope.get("path"), "method": scope.get("method")}
            dependency = unavailable_dependency(error)
            if dependency is None:
                log.exception("unhandled error", **where)
                answer = problem_response(500, _UNEXPECTED_DETAIL)
            else:  # an outage, not a bug: a warning, and the client is told to come back
                cause = {"error_class": type(error).__name__, "error": str(error)[:500]}
                log.warning("dependency unavailable", dependency=dependency.value, **cause, **where)
                answer = dependency_unavailable(dependency).to_response()
            if response_started:
                raise
            await answer(scope, receive, send)
