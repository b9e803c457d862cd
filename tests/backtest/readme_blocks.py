"""The README's shell blocks, read and run as written: what the tests holding the README to the
running system share (the quick start, the tokens, the settings and connectors examples)."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"

# What would make `crm token` and `crm accounts` use another system's secret or file.
LOCAL_SYSTEM_OVERRIDES = ("CRM_JWT_SECRET", "CRM_ACCOUNTS_FILE")


def block_pattern(name: str) -> re.Pattern[str]:
    """The shell block between `<!-- name:begin -->` and `<!-- name:end -->`."""
    return re.compile(rf"<!-- {name}:begin -->\n```sh\n(.*?)```\n<!-- {name}:end -->", re.S)


def readme_block(name: str, state_dir: Path | None = None) -> str:
    """The README's block `name`; with `state_dir`, sourcing that local system's demo.env in
    place of `.local/demo.env` (a test run may keep its state elsewhere)."""
    match = block_pattern(name).search(README.read_text(encoding="utf-8"))
    assert match, f"the README has no {name} block"
    script = match.group(1)
    if state_dir is None:
        return script
    return script.replace(".local/demo.env", str(state_dir / "demo.env"))


async def run_readme_block(script: str, state_dir: Path | None = None) -> list[str]:
    """Run a README block with bash from the repository's folder; `state_dir`: the local
    system's state folder, where `crm token` and `crm accounts` then read the secret and the
    accounts, as for someone using the local system (no CRM_JWT_SECRET, no other file)."""
    env = None
    if state_dir is not None:
        env = {k: v for k, v in os.environ.items() if k not in LOCAL_SYSTEM_OVERRIDES}
        env["CRM_STATE_DIR"] = str(state_dir)
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        script,
        cwd=README.parent,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, (out + err).decode()
    return out.decode().splitlines()
