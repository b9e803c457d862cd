"""The service as it runs: uvicorn in its own process, logging through our JSON renderer."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from crm_devstack.processes import free_port

SERVE_SAMPLE = """
import sys
from servicekit.sample_service import sample_app, sample_settings
from crm_servicekit.http import serve
serve(sample_app(), sample_settings(http_port=int(sys.argv[1]), log_level="INFO"))
"""


def wait_until_live(url: str, process: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited early"
        try:
            return httpx.get(url, headers={"X-Request-ID": "probe-1"})
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within 30 s")


def test_uvicorn_logs_come_out_as_json_lines() -> None:
    port = free_port()
    tests_dir = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE_SAMPLE, str(port)],
        cwd=tests_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        response = wait_until_live(f"http://127.0.0.1:{port}/api/whoami", process)
        assert response.status_code == 401
        assert response.headers["x-request-id"] == "probe-1"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    lines = [json.loads(line) for line in output.splitlines()]
    loggers = {line["logger"] for line in lines}
    assert "uvicorn.error" in loggers  # uvicorn's own start-up lines, rendered by us
    finished = [line for line in lines if line["event"] == "request finished"]
    assert finished == [
        {
            **finished[0],
            "request_id": "probe-1",
            "status": 401,
            "path": "/api/whoami",
            "service": "sample",
        }
    ]
    assert all({"timestamp", "level", "event", "logger"} <= set(line) for line in lines)
