"""JSON logs on stdout for structlog and stdlib alike, with per-request/per-event context."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from structlog.typing import Processor

from crm_servicekit.tracing import current_trace_ids

# Loggers of libraries that install their own handlers; ours must be their only output.
_LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "aiokafka", "faststream")


def configure_logging(level: str = "INFO", *, service: str | None = None) -> None:
    """Route structlog and stdlib logging through one JSON renderer on stdout."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_trace_ids,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        structlog.processors.StackInfoRenderer(),
    ]
    if service is not None:
        shared.append(_add_service(service))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in _LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers = []
        library_logger.propagate = True


@contextmanager
def event_log_context(
    *,
    event_id: str | None,
    customer_id: str | None,
    account_id: str | None = None,
    event_name: str | None = None,
) -> Iterator[None]:
    """Every line logged inside carries the event being handled (consumer handlers)."""
    values = {
        "event_id": event_id,
        "customer_id": customer_id,
        "account_id": account_id,
        "event_name": event_name,
    }
    with structlog.contextvars.bound_contextvars(
        **{key: value for key, value in values.items() if value is not None}
    ):
        yield


def bind_event(event_id: str, customer_id: str | None) -> None:
    """Add the event a request is about (and its customer, once known) to its log context."""
    structlog.contextvars.bind_contextvars(event_id=event_id)
    if customer_id is not None:
        structlog.contextvars.bind_contextvars(customer_id=customer_id)


def bind_customer_id(customer_id: str) -> None:
    """Add the customer to the current request's or handler's log context once it is known."""
    structlog.contextvars.bind_contextvars(customer_id=customer_id)


def _add_trace_ids(_logger: Any, _method: str, event_dict: Any) -> Any:
    """The active span's trace_id and span_id (nothing when tracing is off or no span is)."""
    ids = current_trace_ids()
    if ids:
        for key, value in ids.items():
            event_dict.setdefault(key, value)
    return event_dict


def _add_service(service: str) -> Processor:
    def add_service(_logger: Any, _method: str, event_dict: Any) -> Any:
        event_dict.setdefault("service", service)
        return event_dict

    return add_service
