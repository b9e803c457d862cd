"""The README's automation settings block, run as written against the running system: an
admin's change answers the settings after it, a member's is refused with 403."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from .conftest import System
from .readme_blocks import readme_block, run_readme_block

# What the block's change leaves; the test puts the demo account back after it.
CHANGED = {"follow_up_2h": "PT1H", "invites": 10}
RESTORE = {"reminders": {"follow_up_2h": {"delay": "PT2H"}}, "dmo_targets": {"invites": 20}}


@pytest.mark.e2e
async def test_readme_settings_change_as_written(system: System) -> None:
    script = readme_block("settings", system.state_dir)
    told = re.findall(r"^# -> (\d{3})$", script, re.M)
    lines = await run_readme_block(script + 'echo "$ADMIN_TOKEN"\n', system.state_dir)
    changed, status, admin_token = lines
    try:
        settings = json.loads(changed)
        assert settings["reminders"]["follow_up_2h"]["delay"] == CHANGED["follow_up_2h"]
        assert settings["dmo_targets"]["invites"] == CHANGED["invites"]
        assert [status] == told == ["403"]
    finally:
        async with httpx.AsyncClient(base_url=system.api) as client:
            restored = await client.put(
                "/settings", json=RESTORE, headers={"Authorization": f"Bearer {admin_token}"}
            )
            assert restored.status_code == 200, restored.text
