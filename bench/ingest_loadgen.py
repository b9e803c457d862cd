"""Load for the ingest benchmark from wrk (Debian's package; `make install` brings it).

A Python HTTP client spends a millisecond or more of CPU per request, which on a 2-core
machine is taken from the server being measured; wrk spends a few microseconds. Each request
carries a new event (its own event_id; a few thousand prospects' emails in turn), built by a
Lua script, and wrk's `delay` paces each connection when a rate is asked for: a random
pause around the mean, since equal pauses keep the connections in step, so that the "rate"
arrives as one burst of every connection per period (the answer to the last of a burst then
waits for all the others, which measured burst size rather than latency at that rate).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

_SCRIPT = """
local counter = 0
local threads = 0
local run = os.getenv("LOADGEN_RUN")
local token = os.getenv("LOADGEN_TOKEN")
local customers = tonumber(os.getenv("LOADGEN_CUSTOMERS"))
local pause_ms = tonumber(os.getenv("LOADGEN_PAUSE_MS"))
local event_name = os.getenv("LOADGEN_EVENT_NAME")
local properties = os.getenv("LOADGEN_PROPERTIES")
local new_every = tonumber(os.getenv("LOADGEN_NEW_EVERY"))
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function request()
  counter = counter + 1
  local email = string.format("prospect%d@example.com", counter % customers)
  if new_every > 0 and counter % new_every == 0 then
    email = string.format("new-%s-%d-%d@example.com", run, tid, counter)
  end
  -- Each event stamped when it is sent, as a provider stamps its webhooks: a second ago (no
  -- clock of ours runs ahead of the services'), with the request count as the fraction, so
  -- that every customer's events keep the order they were sent in. One timestamp for all
  -- would make every event of a customer but the first "late" (equal times sort by event id,
  -- and "load-...-10" sorts before "load-...-9"), and each late event re-folds the history.
  local timestamp = os.date("!%Y-%m-%dT%H:%M:%S", os.time() - 1)
    .. string.format(".%06d+00:00", counter % 1000000)
  local body = string.format(
    '{"event_name":"%s","event_id":"load-%s-%d-%d","timestamp":"%s",'
    .. '"source":"ig","contact":{"email":"%s"},"properties":%s}',
    event_name, run, tid, counter, timestamp, email, properties)
  return wrk.format("POST", "/api/events", headers, body)
end

function init(args)
  math.randomseed(os.time() + tid)
end

function delay()
  if pause_ms == 0 then return 0 end
  -- Uniform around the mean pause: the connections drift apart after their first request
  -- and the requests arrive spread over time, not as one burst per period.
  return math.random(0, 2 * pause_ms)
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d,'
    .. ' "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


class LoadgenMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    refused: int  # answers other than 2xx, and socket errors
    p50_ms: float
    p99_ms: float

    @property
    def accepted(self) -> int:
        return self.requests - self.refused


async def single_events(
    base_url: str,
    token: str,
    *,
    connections: int,
    seconds: float,
    rate: float | None = None,
    customers: int = 2_000,
    event_name: str = "MESSAGE_SENT",
    properties: str = '{"channel":"ig"}',
    new_every: int = 0,
) -> LoadResult:
    """POST new single events for `seconds` over `connections` keep-alive connections; with
    `rate`, each connection waits between requests so that all together send about that many
    per second (closed loop: a slow answer delays that connection's next request).

    The events go to `customers` prospects in turn; with `new_every` k, every k-th request
    instead names a customer no earlier request named (a first contact)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise LoadgenMissing("wrk is missing: run `make install` (apt-get install -y wrk)")
    pause_ms = 0 if rate is None else int(1000 * connections / rate)
    with tempfile.TemporaryDirectory(prefix="ingest-loadgen-") as folder:
        script = Path(folder) / "events.lua"
        script.write_text(_SCRIPT)
        env = {
            "LOADGEN_RUN": uuid.uuid4().hex[:12],
            "LOADGEN_TOKEN": token,
            "LOADGEN_CUSTOMERS": str(customers),
            "LOADGEN_PAUSE_MS": str(pause_ms),
            "LOADGEN_EVENT_NAME": event_name,
            "LOADGEN_PROPERTIES": properties,
            "LOADGEN_NEW_EVERY": str(new_every),
            "PATH": "/usr/bin:/bin",
        }
        process = await asyncio.create_subprocess_exec(
            wrk,
            "--threads",
            "1",
            "--connections",
            str(connections),
            "--duration",
            f"{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "--script",
            str(script),
            base_url,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}): {err.decode()[-500:]}")
    figures = json.loads(out.decode().strip().splitlines()[-1])
    return LoadResult(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        refused=figures["non_2xx"] + figures["socket_errors"],
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
    )
