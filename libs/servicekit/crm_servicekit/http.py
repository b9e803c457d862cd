"""``create_app``: problems, logging, metrics and health wired around a service's routes."""

from __future__ import annotations

import contextlib
import socket
import sys
from collections.abc import Mapping, Sequence

import uvicorn
from fastapi import APIRouter, FastAPI
from starlette.types import Lifespan
from uvicorn.config import STARTUP_FAILURE

from crm_servicekit.accounts import Accounts
from crm_servicekit.body_limit import BodySizeLimitMiddleware
from crm_servicekit.clock import SYSTEM_CLOCK, Clock
from crm_servicekit.cors import install_cors
from crm_servicekit.gc_tuning import freeze_startup_heap
from crm_servicekit.health import ReadinessCheck, health_router
from crm_servicekit.logging import configure_logging
from crm_servicekit.metrics import HttpMetricsMiddleware, metrics_router
from crm_servicekit.openapi_problems import install_problem_openapi
from crm_servicekit.problem_handlers import install_problem_handlers
from crm_servicekit.request_context import RequestContextMiddleware
from crm_servicekit.service_context import ServiceContext, attach_service_context
from crm_servicekit.settings import ServiceSettings
from crm_servicekit.tracing import configure_tracing


def create_app(
    settings: ServiceSettings,
    accounts: Accounts,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    readiness_checks: Mapping[str, ReadinessCheck] | None = None,
    lifespan: Lifespan[FastAPI] | None = None,
    clock: Clock = SYSTEM_CLOCK,
    version: str = "0.1.0",
) -> FastAPI:
    """A service's FastAPI app; checks created in the lifespan join via ``add_readiness_check``."""
    # None unless the OTEL_* settings ask for traces (crm_servicekit.tracing).
    traces = configure_tracing(settings.service_name)
    app = FastAPI(
        title=title,
        version=version,
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry hooks make the HTTP server spans (continuing a caller's
        # traceparent) when tracing is on. Metrics are Prometheus's and logs our JSON lines;
        # with tracing off every hook stays off, since each would cost every request a
        # provider lookup.
        telemetry={
            "tracing": traces is not None,
            "tracer_provider": traces,
            "metrics": False,
            "logs": False,
        },
    )
    attach_service_context(app, ServiceContext(settings=settings, accounts=accounts, clock=clock))
    app.state.readiness_checks = dict(readiness_checks or {})
    # Middleware added later wraps what was added before: problems innermost, request id
    # outermost so that every line logged, even about a failure, carries it.
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(HttpMetricsMiddleware, service=settings.service_name)
    # Inside the request id, so a preflight is logged too; outside the rest, so every answer
    # (a 401, a problem) carries the CORS headers a browser needs to show it to its page.
    install_cors(app, settings.cors_origins)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health_router)
    app.include_router(metrics_router)
    for router in routers:
        app.include_router(router)
    install_problem_openapi(app)
    return app


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the app under uvicorn with our JSON logging (uvicorn's own config would replace it)."""
    configure_logging(settings.log_level, service=settings.service_name)
    freeze_startup_heap()  # the app and everything imported for it live as long as we do
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        # The C event loop and HTTP parser: a socket round trip and a request cost less CPU.
        loop="uvloop",
        http="httptools",
        access_log=False,  # RequestContextMiddleware logs each request, with its id
    )
    server = uvicorn.Server(config)
    sockets = (
        [shared_port(settings.http_host, settings.http_port)] if settings.http_reuse_port else None
    )
    # uvicorn raises SIGINT again once it shut down gracefully; that is the end, not a fault.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=sockets)
    if not server.started:  # the lifespan failed, or the port was taken: as uvicorn.run exits
        sys.exit(STARTUP_FAILURE)


def shared_port(host: str, port: int) -> socket.socket:
    """A TCP socket bound with SO_REUSEPORT, so that several replicas can listen on the port.

    Only bound here: uvicorn listens on it after the app's lifespan started, and the kernel
    hands a replica connections only from then on, so one still starting gets none.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock
