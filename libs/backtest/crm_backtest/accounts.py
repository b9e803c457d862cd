"""The accounts a backtest writes into: read from the system's accounts file (plain JSON),
with the defaults of docs/domain.md (Accounts) for whatever a file leaves out."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_ZONE = "Europe/Oslo"
# docs/domain.md's reminder table: each automated type's delay after its trigger.
DEFAULT_DELAYS: dict[str, timedelta] = {
    "follow_up_2h": timedelta(hours=2),
    "follow_up_1d": timedelta(days=1),
    "follow_up_24h": timedelta(hours=24),
    "follow_up_48h": timedelta(hours=48),
    "follow_up_7d": timedelta(days=7),
}


@dataclass(frozen=True)
class SettingsChange:
    """A change of the account's automation settings the backtest makes: the body of its
    `PUT /api/settings` (with `effective_from`), as the oracle applies it too."""

    effective_from: datetime
    body: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"effective_from": self.effective_from.isoformat(), "body": self.body}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SettingsChange:
        return cls(datetime.fromisoformat(data["effective_from"]), data["body"])


@dataclass(frozen=True)
class AccountProfile:
    account_id: str
    time_zone: str = DEFAULT_ZONE
    quiet_hours: tuple[str, str] | None = None
    invites_target: int = 20
    follow_ups_target: int = 30
    overdue_grace: timedelta = timedelta(hours=1)
    # The account's own provider ids (its accounts file `connectors.meta`); None: the account
    # takes no Meta deliveries, so the generator sends it none.
    page_id: str | None = None
    instagram_account_id: str | None = None
    whatsapp_phone_number_id: str | None = None
    # Automated reminder types switched off, and delays other than docs/domain.md's.
    disabled_reminders: frozenset[str] = frozenset()
    reminder_delays: tuple[tuple[str, timedelta], ...] = ()
    # The settings changes the backtest makes in this account, in time order; the fields
    # above are the settings before the first (crm_backtest.settings_in_force applies them).
    changes: tuple[SettingsChange, ...] = field(default=())

    def delay(self, kind: str) -> timedelta:
        return dict(self.reminder_delays).get(kind, DEFAULT_DELAYS[kind])

    def enabled(self, kind: str) -> bool:
        return kind not in self.disabled_reminders

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "time_zone": self.time_zone,
            "quiet_hours": list(self.quiet_hours) if self.quiet_hours else None,
            "invites_target": self.invites_target,
            "follow_ups_target": self.follow_ups_target,
            "overdue_grace_s": int(self.overdue_grace.total_seconds()),
            "page_id": self.page_id,
            "instagram_account_id": self.instagram_account_id,
            "whatsapp_phone_number_id": self.whatsapp_phone_number_id,
            "disabled_reminders": sorted(self.disabled_reminders),
            "reminder_delays_s": {k: int(d.total_seconds()) for k, d in self.reminder_delays},
            "changes": [change.to_json() for change in self.changes],
        }

    @property
    def takes_meta(self) -> bool:
        ids = (self.page_id, self.instagram_account_id, self.whatsapp_phone_number_id)
        return all(ids)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AccountProfile:
        quiet = data.get("quiet_hours")
        return cls(
            account_id=data["account_id"],
            time_zone=data["time_zone"],
            quiet_hours=(quiet[0], quiet[1]) if quiet else None,
            invites_target=data["invites_target"],
            follow_ups_target=data["follow_ups_target"],
            overdue_grace=timedelta(seconds=data["overdue_grace_s"]),
            page_id=data.get("page_id"),
            instagram_account_id=data.get("instagram_account_id"),
            whatsapp_phone_number_id=data.get("whatsapp_phone_number_id"),
            disabled_reminders=frozenset(data.get("disabled_reminders", ())),
            reminder_delays=tuple(
                (kind, timedelta(seconds=s))
                for kind, s in data.get("reminder_delays_s", {}).items()
            ),
            changes=tuple(SettingsChange.from_json(c) for c in data.get("changes", ())),
        )


def _digits(kind: str, account_id: str, length: int) -> str:
    number = int(hashlib.sha256(f"{kind}:{account_id}".encode()).hexdigest(), 16)
    return "1" + str(number)[: length - 1]


def connector_ids(account_id: str) -> dict[str, str]:
    """The provider ids `make up` gives a local account (crm_devstack.demo_account derives the
    same; the backtest may not import the devstack, and a test holds the two together)."""
    return {
        "page_id": _digits("page", account_id, 15),
        "instagram_account_id": _digits("instagram", account_id, 17),
        "whatsapp_phone_number_id": _digits("whatsapp", account_id, 15),
    }


def _local(account_id: str, time_zone: str, quiet: tuple[str, str] | None = None) -> AccountProfile:
    ids = connector_ids(account_id)
    return AccountProfile(
        account_id,
        time_zone,
        quiet,
        page_id=ids["page_id"],
        instagram_account_id=ids["instagram_account_id"],
        whatsapp_phone_number_id=ids["whatsapp_phone_number_id"],
    )


# The backtest's accounts as `make up` writes them (crm_devstack/demo_account.py), apart from
# the shared "demo" account so that nobody else's clicks change the figures; used as they are
# when no accounts file is at hand (e.g. `generate` on a laptop).
BACKTEST_ACCOUNT_IDS = ("demo-ny", "demo-tokyo", "demo-oslo")
DEFAULT_ACCOUNTS: tuple[AccountProfile, ...] = (
    _local("demo-ny", "America/New_York"),
    _local("demo-tokyo", "Asia/Tokyo"),
    _local("demo-oslo", "Europe/Oslo", ("22:00", "07:00")),
)


def _grace(value: object) -> timedelta:
    """`overdue_grace` as seconds or a simple ISO 8601 duration (PT1H, PT30M, PT90S)."""
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    text = str(value).upper().removeprefix("PT")
    seconds = 0.0
    number = ""
    for char in text:
        if char.isdigit() or char == ".":
            number += char
            continue
        seconds += float(number) * {"H": 3600, "M": 60, "S": 1}[char]
        number = ""
    return timedelta(seconds=seconds)


def load_profiles(path: Path, wanted: list[str] | None = None) -> list[AccountProfile]:
    """The profiles of the accounts file at `path` (JSON as the devstack writes it)."""
    document = json.loads(path.read_text())
    profiles = []
    for entry in document["accounts"]:
        if wanted and entry["account_id"] not in wanted:
            continue
        quiet = entry.get("quiet_hours")
        targets = entry.get("dmo_targets") or {}
        meta = (entry.get("connectors") or {}).get("meta") or {}
        profiles.append(
            AccountProfile(
                account_id=entry["account_id"],
                time_zone=entry.get("time_zone") or DEFAULT_ZONE,
                quiet_hours=(quiet[0], quiet[1]) if quiet else None,
                invites_target=int(targets.get("invites", 20)),
                follow_ups_target=int(targets.get("follow_ups", 30)),
                overdue_grace=_grace(entry.get("overdue_grace", 3600)),
                page_id=_first(meta.get("page_ids")),
                instagram_account_id=_first(meta.get("instagram_account_ids")),
                whatsapp_phone_number_id=_first(meta.get("whatsapp_phone_number_ids")),
            )
        )
    return profiles


def _first(ids: list[str] | None) -> str | None:
    return ids[0] if ids else None
