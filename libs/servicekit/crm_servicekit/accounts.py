"""The accounts file (docs/domain.md, Accounts): every tenant and its settings, checked at
start and again whenever the file changes (crm_servicekit.accounts_reload)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from crm_schemas.account_settings import (
    DEFAULT_OVERDUE_GRACE,
    DEFAULT_REGION,
    DEFAULT_TIME_ZONE,
    AutomationSettings,
    DmoTargets,
    OverdueGrace,
    PhoneRegion,
    QuietHours,
    TimeZoneName,
)
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.account_connectors import Connectors
from crm_servicekit.failures import PermanentEventError

_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_WEBHOOK_SECRET_PREFIX = "whsec_"


class AccountsFileError(ValueError):
    """The accounts file cannot be used; the message names the entry and the field."""


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account_id: str
    time_zone: TimeZoneName = DEFAULT_TIME_ZONE
    dmo_targets: DmoTargets = DmoTargets()
    quiet_hours: QuietHours | None = None
    overdue_grace: OverdueGrace = DEFAULT_OVERDUE_GRACE
    webhook_secrets: tuple[str, ...] = ()
    allow_unsigned_webhooks: bool = False
    default_region: PhoneRegion = DEFAULT_REGION
    connectors: Connectors = Connectors()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def seed_settings(self) -> AutomationSettings:
        """The automation settings this file gives the account: what the customers service
        seeds its settings with, and what holds before any ACCOUNT_SETTINGS_CHANGED is seen."""
        return AutomationSettings(
            time_zone=self.time_zone,
            dmo_targets=self.dmo_targets,
            quiet_hours=self.quiet_hours,
            overdue_grace=self.overdue_grace,
            default_region=self.default_region,
        )

    @property
    def webhook_keys(self) -> tuple[bytes, ...]:
        """The HMAC keys behind ``webhook_secrets`` (Standard Webhooks: base64 after ``whsec_``)."""
        return tuple(_decode_webhook_secret(secret) for secret in self.webhook_secrets)

    @field_validator("account_id")
    @classmethod
    def _account_id_is_a_plain_name(cls, value: str) -> str:
        if not _ACCOUNT_ID.match(value):
            raise ValueError(
                "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        return value

    @field_validator("webhook_secrets")
    @classmethod
    def _webhook_secrets_decode(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for index, secret in enumerate(value):
            try:
                _decode_webhook_secret(secret)
            except ValueError as error:
                raise ValueError(f"secret {index}: {error}") from None
        return value


class Accounts:
    """The registry of accounts read from the file, by id.

    One registry lives as long as its service: a reload puts the new file's accounts in it
    (`replace_with`), so whatever holds it reads the accounts of the last good file."""

    def __init__(self, accounts: Iterable[Account]) -> None:
        # How many times the contents were replaced: what a holder that derives something
        # from the accounts compares to tell whether it must derive it again.
        self.version = 0
        self._by_id: dict[str, Account] = {}
        self._by_provider_id: dict[tuple[str, str], Account] = {}
        for account in accounts:
            if account.account_id in self._by_id:
                raise AccountsFileError(f"account {account.account_id!r} appears twice")
            self._by_id[account.account_id] = account
            for key in account.connectors.provider_ids():
                holder = self._by_provider_id.setdefault(key, account)
                if holder is not account:
                    # Deliveries to that id could not be told apart: refuse the whole file.
                    raise AccountsFileError(
                        f"{key[0]} id {key[1]!r} is listed by accounts "
                        f"{holder.account_id!r} and {account.account_id!r}"
                    )

    def replace_with(self, other: Accounts) -> None:
        """Take `other`'s accounts in place of these, all at once for the event loop (no
        await between the two stores). The indexes are swapped rather than changed, so an
        iteration under way goes on over the accounts it started with."""
        self._by_id, self._by_provider_id = other._by_id, other._by_provider_id
        self.version += 1

    def get(self, account_id: str) -> Account | None:
        return self._by_id.get(account_id)

    def of_events(self, events: Iterable[EventEnvelope]) -> dict[str, Account]:
        """The events' accounts by id. Raises, naming them, when any of the events is of an
        account not in the file (one removed from it; ingest accepts no other): its settings
        are gone, so a service that applies them cannot, and the runtime dead-letters those
        events alone (PermanentEventError's culprits)."""
        found: dict[str, Account] = {}
        unknown = []
        for event in events:
            if (account := self._by_id.get(event.account_id)) is None:
                unknown.append(event)
            else:
                found[account.account_id] = account
        if unknown:
            ids = sorted({event.account_id for event in unknown})
            which = f"account {ids[0]!r} is" if len(ids) == 1 else f"accounts {ids} are"
            raise PermanentEventError(
                f"{which} not in the accounts file",
                culprits={(event.account_id, event.event_id) for event in unknown},
                kind="unknown_account",
            )
        return found

    def owner_of(self, kind: str, provider_id: str) -> Account | None:
        """The account that lists this provider id (a page, Instagram account, WhatsApp
        number) in its connectors."""
        return self._by_provider_id.get((kind, provider_id))

    def __iter__(self) -> Iterator[Account]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, account_id: object) -> bool:
        return account_id in self._by_id


def load_accounts(path: Path) -> Accounts:
    """Read and check the accounts file; any bad entry stops the start with a clear error."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise AccountsFileError(f"accounts file {path}: cannot be read: {error}") from error
    return accounts_from_bytes(content, source=f"accounts file {path}")


def accounts_from_bytes(content: bytes, *, source: str) -> Accounts:
    """The accounts of a file's content, checked; AccountsFileError names what is wrong."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AccountsFileError(f"{source}: not UTF-8 text: {error.reason}") from None
    try:
        # YAML 1.2 reads JSON too, so one parser serves both formats.
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        problem = _yaml_problem(error)
        raise AccountsFileError(f"{source}: not valid YAML or JSON: {problem}") from None
    return parse_accounts(document, source=source)


def parse_accounts(document: Any, *, source: str = "accounts file") -> Accounts:
    entries = document.get("accounts") if isinstance(document, dict) else document
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise AccountsFileError(f"{source}: expected a list of accounts or {{accounts: [...]}}")
    accounts = []
    for index, entry in enumerate(entries):
        try:
            accounts.append(Account.model_validate(entry))
        except ValidationError as error:
            raise AccountsFileError(f"{source}: {_describe(index, entry, error)}") from None
    try:
        return Accounts(accounts)
    except AccountsFileError as error:
        raise AccountsFileError(f"{source}: {error}") from None


def write_accounts_file(path: Path, accounts: Iterable[Account | Mapping[str, Any]]) -> Path:
    """Write an accounts file (JSON for ``.json``, else YAML); for test fixtures and dev setup."""
    checked = [a if isinstance(a, Account) else Account.model_validate(a) for a in accounts]
    entries = [_as_file_entry(account) for account in checked]
    document = {"accounts": entries}
    if path.suffix == ".json":
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _as_file_entry(account: Account) -> dict[str, Any]:
    entry = account.model_dump(mode="json", exclude={"quiet_hours", "overdue_grace"})
    entry["overdue_grace"] = account.overdue_grace.total_seconds()
    if account.quiet_hours is not None:
        start, end = account.quiet_hours.start, account.quiet_hours.end
        entry["quiet_hours"] = [start.strftime("%H:%M"), end.strftime("%H:%M")]
    return entry


def _describe(index: int, entry: Any, error: ValidationError) -> str:
    account_id = entry.get("account_id") if isinstance(entry, dict) else None
    where = f"account {account_id!r} (entry {index})" if account_id else f"entry {index}"
    problems = "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'entry'}: {item['msg']}"
        for item in error.errors()
    )
    return f"{where}: {problems}"


def _yaml_problem(error: yaml.YAMLError) -> str:
    """What PyYAML found and where, without the snippet of the line it quotes: the line may
    hold a secret, and this text goes to logs and the readiness report."""
    if not isinstance(error, yaml.MarkedYAMLError):
        return type(error).__name__
    where = error.problem_mark or error.context_mark
    at = f" at line {where.line + 1}, column {where.column + 1}" if where is not None else ""
    what = " ".join(part for part in (error.context, error.problem) if part)
    return f"{what or type(error).__name__}{at}"


def _decode_webhook_secret(secret: str) -> bytes:
    if not secret.startswith(_WEBHOOK_SECRET_PREFIX):
        raise ValueError(f"must start with {_WEBHOOK_SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret.removeprefix(_WEBHOOK_SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ValueError("is not valid base64 after 'whsec_'") from None
    if not key:
        raise ValueError("has an empty key")
    return key
