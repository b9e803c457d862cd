"""RFC 9457 problem details: every error a service answers is ``application/problem+json``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from crm_servicekit.failures import Dependency

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


class Forbidden(ProblemError):
    status = 403
    slug = "forbidden"


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


CONCURRENT_RETRY_AFTER_S = 1  # the other transaction has finished by the time it is read
DEPENDENCY_RETRY_AFTER_S = 5  # a restarting PostgreSQL or broker is usually back by then


def lost_to_concurrent_change() -> ServiceUnavailable:
    """The 503 for a request whose transaction PostgreSQL rolled back for a concurrent one's
    sake: transient like an outage (nothing was done, the same request again can succeed),
    not a conflict the client must resolve, so not 409."""
    return ServiceUnavailable(
        "A concurrent change to the same data stopped this request; nothing was done. "
        "Send it again.",
        retry_after_s=CONCURRENT_RETRY_AFTER_S,
        reason="concurrent-change",
    )


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
