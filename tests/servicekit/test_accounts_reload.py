"""The accounts file re-read while running (crm_servicekit.accounts_reload): each poll is one
look at the file, so these tests poll by hand; test_accounts_reload_runtime.py runs the loop
in a whole service."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from crm_servicekit.accounts import Account, Accounts, AccountsFileError, write_accounts_file
from crm_servicekit.accounts_reload import AccountsFileWatcher
from crm_servicekit.health import CheckProblem

OLD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NEW_SECRET = "whsec_c2Vjb25kLXNlY3JldC1mb3ItdGhlLXRlc3Q="
SERVICE = "reload-test"


def reloads(outcome: str) -> float:
    found = REGISTRY.get_sample_value(
        "crm_accounts_reloads_total", {"service": SERVICE, "outcome": outcome}
    )
    return found or 0.0


def entry(account_id: str, **fields: Any) -> dict[str, Any]:
    return {"account_id": account_id, **fields}


def watched(path: Path, *entries: dict[str, Any]) -> AccountsFileWatcher:
    write_accounts_file(path, entries)
    return AccountsFileWatcher(path, service=SERVICE)


def secrets_of(accounts: Accounts, account_id: str) -> tuple[str, ...]:
    account = accounts.get(account_id)
    assert account is not None
    return account.webhook_secrets


async def test_added_removed_and_rotated_accounts_replace_the_registry_in_place(
    tmp_path: Path,
) -> None:
    path = tmp_path / "accounts.yaml"
    watcher = watched(path, entry("demo", webhook_secrets=[OLD_SECRET]), entry("gone"))
    registry = watcher.accounts  # what auth and the use cases hold
    applied = reloads("applied")

    write_accounts_file(
        path,
        [entry("demo", webhook_secrets=[NEW_SECRET, OLD_SECRET]), entry("new", time_zone="UTC")],
    )
    await watcher.poll()

    assert watcher.accounts is registry
    assert sorted(a.account_id for a in registry) == ["demo", "new"]
    assert secrets_of(registry, "demo") == (NEW_SECRET, OLD_SECRET)
    assert (registry.version, reloads("applied") - applied, watcher.problem) == (1, 1, None)

    write_accounts_file(path, [entry("demo", webhook_secrets=[NEW_SECRET]), entry("new")])
    await watcher.poll()
    assert secrets_of(registry, "demo") == (NEW_SECRET,)
    assert registry.version == 2


async def test_an_unchanged_file_is_no_reload(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    watcher = watched(path, entry("demo"))
    content = path.read_bytes()
    path.write_bytes(content)  # rewritten as it was: a new mtime, the same content
    for _ in range(3):
        await watcher.poll()
    assert watcher.accounts.version == 0


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("accounts: [\n  - account_id: demo\n    time_zone: [", "not valid YAML or JSON"),
        ('{"accounts": [{"account_id": "demo"}', "not valid YAML or JSON"),
        ("accounts:\n  - account_id: demo\n    time_zone: Mars/Olympus\n", "time_zone"),
        ("accounts:\n  - account_id: demo\n  - account_id: demo\n", "appears twice"),
        (
            "accounts:\n"
            "  - {account_id: a, connectors: {meta: {page_ids: ['100']}}}\n"
            "  - {account_id: b, connectors: {meta: {page_ids: ['100']}}}\n",
            "listed by accounts 'a' and 'b'",
        ),
        ("", "is empty"),
        (b"accounts: [\xff]", "not UTF-8"),
    ],
)
async def test_a_file_that_does_not_parse_is_refused_whole_and_reported(
    tmp_path: Path, content: str | bytes, named: str
) -> None:
    path = tmp_path / "accounts.yaml"
    watcher = watched(path, entry("demo", webhook_secrets=[OLD_SECRET]), entry("acme"))
    before = list(watcher.accounts)
    refused = reloads("refused")

    path.write_bytes(content.encode() if isinstance(content, str) else content)
    await watcher.poll()

    assert list(watcher.accounts) == before
    assert watcher.accounts.version == 0
    assert watcher.problem is not None
    assert named in watcher.problem
    assert reloads("refused") - refused == 1
    with pytest.raises(CheckProblem, match="serving the last good accounts"):
        await watcher.readiness()

    # Read once: looking again at the same broken file counts and logs nothing more.
    await watcher.poll()
    assert reloads("refused") - refused == 1

    write_accounts_file(path, [entry("demo"), entry("acme"), entry("fixed")])
    await watcher.poll()
    assert watcher.problem is None
    assert "fixed" in watcher.accounts
    await watcher.readiness()  # passes again


async def test_a_missing_file_keeps_the_last_good_accounts_until_it_is_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / "accounts.yaml"
    watcher = watched(path, entry("demo"))
    path.unlink()
    await watcher.poll()
    assert watcher.problem is not None
    assert "cannot be read" in watcher.problem
    assert "demo" in watcher.accounts

    write_accounts_file(path, [entry("demo"), entry("back")])
    await watcher.poll()
    assert (watcher.problem, "back" in watcher.accounts) == (None, True)


async def test_a_rename_into_place_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    watcher = watched(path, entry("demo"))
    # As editors and the launcher save: a new file beside it, renamed over it.
    staged = write_accounts_file(tmp_path / ".accounts.json.tmp", [entry("demo"), entry("new")])
    os.replace(staged, path)
    await watcher.poll()
    assert "new" in watcher.accounts


async def test_a_same_size_rewrite_within_one_mtime_tick_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    watcher = watched(path, entry("demo", webhook_secrets=[OLD_SECRET]))
    stat = path.stat()
    rotated = path.read_text().replace(OLD_SECRET, OLD_SECRET[:-4] + "abc=")
    path.write_text(rotated)
    # Size, inode and mtime as before: only the content tells the files apart.
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    await watcher.poll()
    assert secrets_of(watcher.accounts, "demo") == (OLD_SECRET[:-4] + "abc=",)


async def test_given_accounts_are_kept_until_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    given = Accounts([Account(account_id="given")])
    write_accounts_file(path, [entry("from-file")])
    watcher = AccountsFileWatcher(path, given, service=SERVICE)
    await watcher.poll()
    assert [a.account_id for a in watcher.accounts] == ["given"]

    absent = AccountsFileWatcher(tmp_path / "absent.yaml", given, service=SERVICE)
    await absent.poll()
    assert (absent.problem, [a.account_id for a in absent.accounts]) == (None, ["given"])

    write_accounts_file(path, [entry("from-file"), entry("more")])
    await watcher.poll()
    assert sorted(a.account_id for a in watcher.accounts) == ["from-file", "more"]


def test_a_file_that_does_not_parse_at_start_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text("accounts: [\n")
    with pytest.raises(AccountsFileError, match="not valid YAML or JSON"):
        AccountsFileWatcher(path, service=SERVICE)
    with pytest.raises(AccountsFileError, match="cannot be read"):
        AccountsFileWatcher(tmp_path / "absent.yaml", service=SERVICE)


async def test_the_report_of_a_broken_line_does_not_quote_it(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    watcher = watched(path, entry("demo"))
    path.write_text(f"accounts:\n  - account_id: demo\n    webhook_secrets: [{NEW_SECRET}, \n")
    await watcher.poll()
    assert watcher.problem is not None
    assert "line" in watcher.problem
    assert NEW_SECRET not in watcher.problem
    assert NEW_SECRET[6:20] not in watcher.problem


async def test_a_consumer_meeting_an_unknown_account_makes_the_watcher_look_now(
    tmp_path: Path,
) -> None:
    path = tmp_path / "accounts.yaml"
    watcher = watched(path, entry("demo"))
    write_accounts_file(path, [entry("demo"), entry("new")])
    await watcher.poll_for(["demo"])  # every account known: no look before the next poll
    assert (watcher.accounts.version, "new" in watcher.accounts) == (0, False)
    await watcher.poll_for(["demo", "new"])
    assert (watcher.accounts.version, "new" in watcher.accounts) == (1, True)


async def test_polls_at_once_apply_a_change_once(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    watcher = watched(path, entry("demo"))
    write_accounts_file(path, [entry("demo"), entry("new")])
    await asyncio.gather(*(watcher.poll() for _ in range(5)))
    assert watcher.accounts.version == 1


def test_an_empty_file_at_start_is_no_accounts(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text("")
    assert len(AccountsFileWatcher(path, service=SERVICE).accounts) == 0


async def test_a_reload_logs_the_accounts_added_removed_and_changed(
    tmp_path: Path, json_log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    path = tmp_path / "accounts.yaml"
    watcher = watched(path, entry("kept"), entry("changed"), entry("removed"))
    write_accounts_file(path, [entry("kept"), entry("changed", time_zone="UTC"), entry("added")])
    await watcher.poll()
    path.write_text("accounts: [")
    await watcher.poll()
    reloaded, refused = [
        line for line in json_log_lines() if line["logger"] == "crm_servicekit.accounts_reload"
    ]
    assert (reloaded["event"], reloaded["level"]) == ("accounts reloaded", "info")
    assert (reloaded["added"], reloaded["removed"], reloaded["changed"]) == (
        ["added"],
        ["removed"],
        ["changed"],
    )
    assert (refused["event"], refused["level"]) == (
        "accounts file refused; keeping the last good accounts",
        "error",
    )
    assert "not valid YAML or JSON" in refused["problem"]
