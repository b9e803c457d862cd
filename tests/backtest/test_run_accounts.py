"""A run's own accounts go into the system's accounts file beside the others (a backtest
account's secrets and booking tools, no Meta ids) and come out again, the rest untouched."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from crm_backtest.accounts import AccountProfile, SettingsChange
from crm_backtest.run_accounts import add_accounts, remove_accounts

ENTRIES = [
    {"account_id": "demo", "webhook_secrets": ["whsec_ZGVtbw=="]},
    {
        "account_id": "demo-oslo",
        "time_zone": "Europe/Oslo",
        "quiet_hours": ["22:00", "07:00"],
        "webhook_secrets": ["whsec_b3Nsbw=="],
        "connectors": {"meta": {"page_ids": ["1"]}, "calendly": {"signing_keys": ["k"]}},
    },
]
CHANGE = SettingsChange(datetime(2026, 11, 20, tzinfo=UTC), {"dmo_targets": {"invites": 2}})
MINE = [AccountProfile("bt-run-s0", time_zone="Asia/Tokyo", changes=(CHANGE,))]


def test_a_runs_accounts_are_added_and_taken_out(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps({"accounts": ENTRIES}))
    path.chmod(0o600)
    add_accounts(path, MINE)
    entries = json.loads(path.read_text())["accounts"]
    assert entries[:2] == ENTRIES
    added = entries[2]
    assert added["account_id"] == "bt-run-s0"
    assert added["time_zone"] == "Asia/Tokyo"
    assert added["quiet_hours"] is None
    assert added["webhook_secrets"] == ["whsec_b3Nsbw=="]
    assert added["connectors"] == {"calendly": {"signing_keys": ["k"]}}
    assert path.stat().st_mode & 0o777 == 0o600
    # Adding again replaces rather than repeats.
    add_accounts(path, MINE)
    assert len(json.loads(path.read_text())["accounts"]) == 3
    remove_accounts(path, MINE)
    assert json.loads(path.read_text())["accounts"] == ENTRIES
