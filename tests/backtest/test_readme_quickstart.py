"""The README's quick start, run as written against the running system through the gateway."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from .conftest import System

README = Path(__file__).parents[2] / "README.md"
BLOCK = re.compile(r"<!-- quickstart:begin -->\n```sh\n(.*?)```\n<!-- quickstart:end -->", re.S)

pytestmark = pytest.mark.e2e


def quickstart(state_dir: Path) -> str:
    match = BLOCK.search(README.read_text())
    assert match, "the README has no quick start block"
    # The block sources .local/demo.env; a test run may keep its state elsewhere.
    return match.group(1).replace(".local/demo.env", str(state_dir / "demo.env"))


async def run_quickstart(script: str) -> list[str]:
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        script,
        cwd=README.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, (out + err).decode()
    return out.decode().splitlines()


async def test_readme_quick_start_works_as_written(system: System) -> None:
    # The customer, reminders and NBA are read right after the events were accepted; the
    # services apply them asynchronously, so the whole block is retried until it shows them
    # (a re-run is harmless: every event is de-duplicated by its event_id).
    script = quickstart(system.state_dir)
    for _ in range(60):
        lines = await run_quickstart(script)
        answers = [
            json.loads(line.split(" ", 1)[1] if line[:3].isdigit() else line) for line in lines
        ]
        customer, reminders, nba, stats = answers[4:8]
        if (
            customer.get("booking", {}).get("state") == "no_show"
            and len(reminders.get("items", [])) >= 3
            and nba.get("action") == "rebook"
        ):
            break
        await asyncio.sleep(1)
    assert answers[0]["status"] in ("accepted", "duplicate")
    assert (customer["status"], customer["booking"]["state"], customer["pipeline_status"]) == (
        "qualified",
        "no_show",
        "No-Show",
    )
    scheduled = {r["type"]: r["scheduled_for"] for r in reminders["items"]}
    assert scheduled["follow_up_2h"] == "2025-03-04T11:15:00Z"
    assert scheduled["follow_up_1d"] == "2025-03-05T09:15:00Z"
    assert scheduled["follow_up_7d"] == "2025-03-11T09:15:00Z"
    assert (nba["action"], nba["priority"]) == ("rebook", 90)
    assert "No-show" in nba["reason"]
    counts = stats["counts"]
    assert (counts["invites_sent"], counts["meetings_booked"], counts["no_shows"]) == (1, 1, 1)
