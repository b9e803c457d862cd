"""The demo account and the local secrets `make up` runs the services with.

Generated once per state dir and kept, so tokens and signing secrets printed by one
`make up` keep working after the next.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

DEMO_ACCOUNT = "demo"


@dataclass(frozen=True)
class LocalSecrets:
    jwt_secret: str
    service_token: str
    webhook_secret: str  # Standard Webhooks: whsec_ + base64 key

    @classmethod
    def load_or_create(cls, state_dir: Path) -> LocalSecrets:
        path = state_dir / "secrets.json"
        if path.exists():
            return cls(**json.loads(path.read_text()))
        created = cls(
            jwt_secret=secrets.token_urlsafe(48),
            service_token=secrets.token_urlsafe(48),
            webhook_secret="whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
        )
        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(created.__dict__, indent=2) + "\n")
        path.chmod(0o600)
        return created


# The backtest's own accounts, apart from the demo account people try things in: one west of
# UTC, one east (Tokyo, without DST) and Oslo with quiet hours, so the backtest also checks
# reminders moved out of the night. They share the demo's webhook secret.
BACKTEST_ACCOUNTS: tuple[tuple[str, str, list[str] | None], ...] = (
    ("demo-ny", "America/New_York", None),
    ("demo-tokyo", "Asia/Tokyo", None),
    ("demo-oslo", "Europe/Oslo", ["22:00", "07:00"]),
)


def _account(
    account_id: str, time_zone: str, quiet_hours: list[str] | None, local: LocalSecrets
) -> dict[str, object]:
    document: dict[str, object] = {
        "account_id": account_id,
        "time_zone": time_zone,
        "dmo_targets": {"invites": 20, "follow_ups": 30},
        "overdue_grace": "PT1H",
        "webhook_secrets": [local.webhook_secret],
        "allow_unsigned_webhooks": False,
        "default_region": "NO",
    }
    if quiet_hours is not None:
        document["quiet_hours"] = quiet_hours
    return document


def write_accounts_file(state_dir: Path, local: LocalSecrets) -> Path:
    """The accounts file of the local system: the demo account in Oslo with quiet hours, and
    the backtest's accounts; default targets everywhere."""
    path = state_dir / "accounts.json"
    accounts = [_account(DEMO_ACCOUNT, "Europe/Oslo", ["22:00", "07:00"], local)]
    accounts += [_account(name, zone, quiet, local) for name, zone, quiet in BACKTEST_ACCOUNTS]
    path.write_text(json.dumps({"accounts": accounts}, indent=2) + "\n")
    return path
