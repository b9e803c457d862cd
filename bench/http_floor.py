"""The HTTP ceiling of one service process on this machine: requests that do no work.

Not a test: it prints figures. `uv run python -m bench.http_floor [--seconds 10]`.

A service built like ours (create_app: the service kit's middleware, uvicorn with uvloop and
httptools, JSON logs at WARNING) answers POST /api/floor with 202 and a small JSON body, once
without and once with the bearer-token check every API route does. wrk (as for
`make bench-ingest`) sends at concurrency 64. Whatever ingest does per event comes on top of
these figures, so they bound what any single-event endpoint of ours can reach here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

from crm_devstack.processes import free_port
from crm_servicekit.auth import mint_token

JWT_SECRET = "floor-bench-jwt-secret-0123456789abcdef"

SERVER = """
import sys
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.auth import CurrentAccount
from crm_servicekit.http import create_app, serve
from crm_servicekit.settings import ServiceSettings

router = APIRouter(prefix="/api")

@router.post("/floor", status_code=202)
async def floor() -> JSONResponse:
    return JSONResponse({"status": "accepted"}, status_code=202)

@router.post("/floor/authenticated", status_code=202)
async def floor_authenticated(account: CurrentAccount) -> JSONResponse:
    return JSONResponse({"status": "accepted", "account_id": account.account_id}, 202)

class FloorSettings(ServiceSettings):
    service_name = "floor"

settings = FloorSettings.model_validate({
    "environment": "test", "database_url": "postgresql://unused@127.0.0.1:1/unused",
    "jwt_secret": sys.argv[2], "http_port": int(sys.argv[1]), "log_level": "WARNING",
})
app = create_app(settings, Accounts([Account(account_id="floor")]), title="floor",
                 routers=[router])
serve(app, settings)
"""

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = '{"event_name":"MESSAGE_SENT","event_id":"floor","properties":{"channel":"ig"}}'
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("FLOOR_TOKEN")
if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

function done(summary, latency, requests)
  io.write(string.format('{"requests": %d, "duration_us": %d, "non_2xx": %d,'
    .. ' "p50_us": %d, "p99_us": %d}\\n', summary.requests, summary.duration,
    summary.errors.status, latency:percentile(50), latency:percentile(99)))
end
"""


def wait_live(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited before answering")
        try:
            httpx.get(url)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within 60 s")


def load(url: str, token: str, connections: int, seconds: float) -> dict[str, float]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is missing: run `make install`")
    with tempfile.TemporaryDirectory(prefix="http-floor-") as folder:
        script = Path(folder) / "floor.lua"
        script.write_text(WRK_SCRIPT)
        done = subprocess.run(
            [wrk, "--threads", "1", "--connections", str(connections),
             "--duration", f"{max(1, round(seconds))}s", "--script", str(script), url],
            env={"FLOOR_TOKEN": token, "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "requests_per_s": round(figures["requests"] / (figures["duration_us"] / 1e6), 1),
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "non_2xx": figures["non_2xx"],
    }


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port), JWT_SECRET])
    base = f"http://127.0.0.1:{port}"
    results = {}
    try:
        wait_live(f"{base}/health/live", server)
        token = mint_token(JWT_SECRET, "floor", "bench", timedelta(hours=1))
        print(f"command: uv run python -m bench.http_floor --seconds {args.seconds}")
        for name, path, bearer in (
            ("no work", "/api/floor", ""),
            ("bearer token checked", "/api/floor/authenticated", token),
        ):
            before = cpu_seconds(server.pid)
            figures = load(base + path, bearer, args.connections, args.seconds)
            used = cpu_seconds(server.pid) - before
            served = figures["requests_per_s"] * args.seconds
            figures["server_cpu_ms_per_request"] = round(1000 * used / max(1.0, served), 3)
            results[name] = figures
            print(
                f"{name:<22} {figures['requests_per_s']:>8.0f} requests/s   "
                f"p50 {figures['p50_ms']:6.1f} ms   p99 {figures['p99_ms']:6.1f} ms   "
                f"server CPU {figures['server_cpu_ms_per_request']:.3f} ms/request   "
                f"(concurrency {args.connections}, non-2xx {figures['non_2xx']:.0f})"
            )
        print(f"load average: {os.getloadavg()}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    if args.json:
        args.json.write_text(json.dumps({"benchmark": "http_floor", "phases": results}, indent=2))


if __name__ == "__main__":
    main()
