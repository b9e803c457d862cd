"""Every error a service meets rendered as a problem: the handlers and the last-resort middleware.

Installed by ``create_app``; the problem types themselves are in ``problems``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from http import HTTPStatus
from typing import Any, TypeVar

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_servicekit.failures import lost_to_concurrent_work, unavailable_dependency
from crm_servicekit.problems import (
    BadRequest,
    FieldError,
    PayloadTooLarge,
    ProblemError,
    Unprocessable,
    dependency_unavailable,
    lost_to_concurrent_change,
    problem_response,
)

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
            cause = {"error_class": type(error).__name__, "error": str(error)[:500]}
            if dependency is not None:  # an outage, not a bug: the client is told to come back
                log.warning("dependency unavailable", dependency=dependency.value, **cause, **where)
                answer = dependency_unavailable(dependency).to_response()
            elif lost_to_concurrent_work(error):  # nor is a transaction another one beat
                log.warning("lost to a concurrent change", **cause, **where)
                answer = lost_to_concurrent_change().to_response()
            else:
                log.exception("unhandled error", **where)
                answer = problem_response(500, _UNEXPECTED_DETAIL)
            if response_started:
                raise
            await answer(scope, receive, send)
