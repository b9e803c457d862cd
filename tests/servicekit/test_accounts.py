from __future__ import annotations

import json
import uuid
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crm_servicekit.accounts import (
    Account,
    Accounts,
    AccountsFileError,
    QuietHours,
    load_accounts,
    parse_accounts,
    write_accounts_file,
)
from crm_servicekit.failures import PermanentEventError

from .kafka_support import message_sent

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_minimal_entry_takes_the_documented_defaults(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text("accounts:\n  - account_id: demo\n", encoding="utf-8")
    account = load_accounts(path).get("demo")
    assert account is not None
    assert account.time_zone == "Europe/Oslo"
    assert (account.dmo_targets.invites, account.dmo_targets.follow_ups) == (20, 30)
    assert account.quiet_hours is None
    assert account.overdue_grace == timedelta(hours=1)
    assert account.webhook_secrets == ()
    assert account.allow_unsigned_webhooks is False
    assert account.default_region == "NO"


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_written_file_loads_back_the_same_accounts(tmp_path: Path, suffix: str) -> None:
    written: list[Account | dict[str, Any]] = [
        Account(
            account_id="demo",
            time_zone="America/New_York",
            dmo_targets={"invites": 5, "follow_ups": 7},
            quiet_hours=["22:00", "07:30"],
            overdue_grace="PT90M",
            webhook_secrets=(SECRET,),
            allow_unsigned_webhooks=True,
            default_region="us",
        ),
        {"account_id": "acme"},
    ]
    path = write_accounts_file(tmp_path / f"accounts{suffix}", written)
    accounts = load_accounts(path)
    assert [a.account_id for a in accounts] == ["demo", "acme"]
    demo = accounts.get("demo")
    assert demo == written[0]
    assert demo is not None
    assert demo.overdue_grace == timedelta(minutes=90)
    assert demo.default_region == "US"
    assert demo.quiet_hours == QuietHours(start=time(22, 0), end=time(7, 30))


def test_plain_json_list_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps([{"account_id": "demo", "overdue_grace": 1800}]), encoding="utf-8")
    account = load_accounts(path).get("demo")
    assert account is not None
    assert account.overdue_grace == timedelta(minutes=30)


def test_registry_lookup_iteration_and_membership() -> None:
    accounts = parse_accounts({"accounts": [{"account_id": "a"}, {"account_id": "b"}]})
    assert len(accounts) == 2
    assert "a" in accounts
    assert "zzz" not in accounts
    assert accounts.get("zzz") is None
    assert [account.account_id for account in accounts] == ["a", "b"]


def test_webhook_keys_are_the_decoded_secrets() -> None:
    account = Account(account_id="demo", webhook_secrets=(SECRET, "whsec_AAEC"))
    assert account.webhook_keys[1] == b"\x00\x01\x02"
    assert len(account.webhook_keys[0]) == 24


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("account_id", "has space", "account_id"),
        ("time_zone", "Mars/Olympus_Mons", "unknown IANA time zone 'Mars/Olympus_Mons'"),
        ("dmo_targets", {"invites": -1}, "dmo_targets.invites"),
        ("dmo_targets", {"invites": 3, "followups": 2}, "dmo_targets.followups"),
        ("quiet_hours", ["25:00", "07:00"], 'pair of "HH:MM" times'),
        ("quiet_hours", ["22:00"], 'pair of "HH:MM" times'),
        ("quiet_hours", ["22:00", "22:00"], "start and end are equal"),
        ("overdue_grace", "soon", "overdue_grace"),
        ("overdue_grace", -60, "overdue_grace: Value error, must be from 0 to 7 days"),
        ("overdue_grace", 8 * 86400, "overdue_grace: Value error, must be from 0 to 7 days"),
        ("webhook_secrets", ["abc"], "webhook_secrets: Value error, secret 0: must start with"),
        ("webhook_secrets", [SECRET, "whsec_not*base64"], "secret 1: is not valid base64"),
        ("webhook_secrets", ["whsec_"], "secret 0: has an empty key"),
        ("allow_unsigned_webhooks", "maybe", "allow_unsigned_webhooks"),
        ("default_region", "NOR", "default_region"),
        ("timezone", "Europe/Oslo", "timezone: Extra inputs are not permitted"),
    ],
)
def test_a_bad_field_is_named_with_its_account_and_entry(
    field: str, value: Any, message: str
) -> None:
    document = {"accounts": [{"account_id": "good"}, {"account_id": "demo", field: value}]}
    where = "account 'has space' (entry 1)" if field == "account_id" else "account 'demo' (entry 1)"
    with pytest.raises(AccountsFileError) as raised:
        parse_accounts(document, source="accounts.yaml")
    assert str(raised.value).startswith(f"accounts.yaml: {where}: ")
    assert message in str(raised.value)


def test_an_entry_without_account_id_is_named_by_index() -> None:
    with pytest.raises(AccountsFileError, match=r"entry 0: account_id: Field required"):
        parse_accounts([{"time_zone": "UTC"}])


def test_duplicate_account_ids_are_refused() -> None:
    with pytest.raises(AccountsFileError, match="account 'demo' appears twice"):
        parse_accounts([{"account_id": "demo"}, {"account_id": "demo"}])


@pytest.mark.parametrize(
    ("content", "message"),
    [("accounts: {demo: 1}", "expected a list"), ("accounts: [\n  - a: [", "not valid YAML")],
)
def test_malformed_files_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AccountsFileError, match=message):
        load_accounts(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AccountsFileError, match="cannot be read"):
        load_accounts(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("window", "inside", "outside"),
    [
        (("22:00", "07:00"), ["22:00", "23:59", "00:00", "06:59"], ["07:00", "12:00", "21:59"]),
        (("12:00", "13:30"), ["12:00", "13:29"], ["11:59", "13:30", "00:00"]),
    ],
)
def test_quiet_hours_are_start_inclusive_end_exclusive(
    window: tuple[str, str], inside: list[str], outside: list[str]
) -> None:
    quiet = Account(account_id="demo", quiet_hours=list(window)).quiet_hours
    assert quiet is not None
    assert all(quiet.contains(time.fromisoformat(t)) for t in inside)
    assert not any(quiet.contains(time.fromisoformat(t)) for t in outside)


@given(start=st.times(), end=st.times(), moment=st.times())
def test_a_window_and_its_complement_cover_the_day_exactly_once(
    start: time, end: time, moment: time
) -> None:
    assume(start != end)
    window, complement = QuietHours(start=start, end=end), QuietHours(start=end, end=start)
    assert window.contains(moment) != complement.contains(moment)


def test_events_of_accounts_not_in_the_file_are_refused_by_name() -> None:
    accounts = Accounts([Account(account_id="demo"), Account(account_id="acme")])
    customer = uuid.uuid4()
    kept = [message_sent(customer, 1, account="demo"), message_sent(customer, 2, account="acme")]
    assert accounts.of_events(kept) == {"demo": accounts.get("demo"), "acme": accounts.get("acme")}
    assert accounts.of_events([]) == {}
    gone = [message_sent(customer, 3, account="gone"), message_sent(customer, 4, account="left")]
    with pytest.raises(PermanentEventError) as refused:
        accounts.of_events([kept[0], *gone])
    assert refused.value.kind == "unknown_account"
    assert refused.value.culprits == {("gone", gone[0].event_id), ("left", gone[1].event_id)}
    assert str(refused.value) == "accounts ['gone', 'left'] are not in the accounts file"
    with pytest.raises(PermanentEventError) as one:
        accounts.of_events(gone[:1])
    assert str(one.value) == "account 'gone' is not in the accounts file"
