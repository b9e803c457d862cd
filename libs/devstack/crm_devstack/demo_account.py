"""The demo account and the local secrets `make up` runs the services with.

Generated once per state dir and kept, so tokens and signing secrets printed by one
`make up` keep working after the next.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from crm_devstack.local_accounts import write_beside_users_accounts
from crm_servicekit.local_state import ACCOUNTS_FILE

DEMO_ACCOUNT = "demo"


@dataclass(frozen=True)
class LocalSecrets:
    jwt_secret: str
    service_token: str
    webhook_secret: str  # Standard Webhooks: whsec_ + base64 key
    # The providers' own webhooks (docs/connectors.md): the deployment's Meta app and its
    # verify token, and the Calendly signing key and Cal.com secret every local account uses.
    meta_app_secret: str
    meta_verify_token: str
    calendly_signing_key: str
    calcom_secret: str

    @classmethod
    def load_or_create(cls, state_dir: Path) -> LocalSecrets:
        """The kept secrets; any this version has and the file lacks (a state dir made by an
        earlier version) are generated now and added to the file."""
        path = state_dir / "secrets.json"
        kept = json.loads(path.read_text()) if path.exists() else {}
        known = {field.name for field in fields(cls)}
        values = {name: kept[name] for name in known if name in kept}
        missing = known - values.keys()
        if not missing:
            return cls(**values)
        values.update({name: _new_secret(name) for name in missing})
        local = cls(**values)
        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(local), indent=2) + "\n")
        path.chmod(0o600)
        return local


def _new_secret(name: str) -> str:
    if name == "webhook_secret":
        return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    return secrets.token_urlsafe(48)


def _digits(kind: str, account_id: str, length: int) -> str:
    """A stable numeric id for one of the account's provider ids, as Meta's ids are digits."""
    number = int(hashlib.sha256(f"{kind}:{account_id}".encode()).hexdigest(), 16)
    return "1" + str(number)[: length - 1]


def connector_ids(account_id: str) -> dict[str, str]:
    """The account's own Facebook page, Instagram account and WhatsApp phone number id: derived
    from its id, so they differ between accounts and stay the same from one start to the next
    (crm_backtest.accounts derives the same ones for its defaults)."""
    return {
        "page_id": _digits("page", account_id, 15),
        "instagram_account_id": _digits("instagram", account_id, 17),
        "whatsapp_phone_number_id": _digits("whatsapp", account_id, 15),
    }


def _connectors(account_id: str, local: LocalSecrets) -> dict[str, object]:
    ids = connector_ids(account_id)
    return {
        "meta": {
            "app_secrets": [],  # the deployment's Meta app (INGEST_META_APP_SECRETS)
            "page_ids": [ids["page_id"]],
            "instagram_account_ids": [ids["instagram_account_id"]],
            "whatsapp_phone_number_ids": [ids["whatsapp_phone_number_id"]],
            "page_access_token": None,
            "lead_why_question": None,
        },
        "calendly": {"signing_keys": [local.calendly_signing_key]},
        "calcom": {"secrets": [local.calcom_secret]},
    }


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
        "connectors": _connectors(account_id, local),
    }
    if quiet_hours is not None:
        document["quiet_hours"] = quiet_hours
    return document


def write_accounts_file(state_dir: Path, local: LocalSecrets) -> Path:
    """The accounts file of the local system: the demo account in Oslo with quiet hours and
    the backtest's accounts (default targets everywhere), rewritten at every start, and after
    them the user's own accounts, kept as they are (crm_devstack.local_accounts)."""
    accounts = [_account(DEMO_ACCOUNT, "Europe/Oslo", ["22:00", "07:00"], local)]
    accounts += [_account(name, zone, quiet, local) for name, zone, quiet in BACKTEST_ACCOUNTS]
    return write_beside_users_accounts(state_dir / ACCOUNTS_FILE, accounts)


# The console reads a token from its address's fragment, which a browser never sends: it stays
# out of every server's log (console/src/session/token.ts).
CONSOLE_TOKEN_FRAGMENT = "#token="


def console_address(gateway: str, token: str) -> str:
    """The web console's address that signs in with `token` (the gateway serves it at `/`)."""
    return f"{gateway}/{CONSOLE_TOKEN_FRAGMENT}{token}"


def demo_env_text(api: str, token: str, local: LocalSecrets, console: str) -> str:
    """The shell lines of `demo.env`: the API, a token, the console's address signing in with
    it (CRM_CONSOLE), the webhook secret, and what
    `crm webhook meta|calendly|calcom` signs the providers' deliveries with (the names of its
    options' environment variables), and the demo account's own page, Instagram account and
    WhatsApp number, to address Meta deliveries to."""
    ids = connector_ids(DEMO_ACCOUNT)
    return (
        f"export CRM_API={api}\nexport TOKEN={token}\n"
        # A `#` inside a word does not start a shell comment: the line needs no quotes.
        f"export CRM_CONSOLE={console}\n"
        f"export WEBHOOK_SECRET={local.webhook_secret}\n"
        f"export META_APP_SECRET={local.meta_app_secret}\n"
        f"export META_VERIFY_TOKEN={local.meta_verify_token}\n"
        f"export CALENDLY_SIGNING_KEY={local.calendly_signing_key}\n"
        f"export CALCOM_WEBHOOK_SECRET={local.calcom_secret}\n"
        f"export DEMO_PAGE_ID={ids['page_id']}\n"
        f"export DEMO_INSTAGRAM_ID={ids['instagram_account_id']}\n"
        f"export DEMO_WHATSAPP_ID={ids['whatsapp_phone_number_id']}\n"
    )
