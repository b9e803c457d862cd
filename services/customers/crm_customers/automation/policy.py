"""What a change of the automation settings may be (docs/domain.md, Accounts): when it takes
effect and what the settings are after it. Pure: the history and "now" in, a decision out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from pydantic import ValidationError

from crm_schemas.account_settings import AutomationSettings, SettingsHistory

MAX_AHEAD: Final = timedelta(minutes=5)
MAX_BACK: Final = timedelta(days=30)


def seed_effective_from(now: datetime) -> datetime:
    """The seed holds from as far back as a change may be dated: the file's values held
    before the seed was made, and an admin's change dated back within the allowed 30 days
    (a backfill, a test run's history) is never before the seed and so never refused."""
    return now - MAX_BACK


class ChangeRefused(Exception):
    """The change cannot be made; each field named (relative to the request body) with why."""

    def __init__(self, errors: list[tuple[tuple[str | int, ...], str]], **extra: Any) -> None:
        super().__init__("; ".join(message for _, message in errors))
        self.errors = errors
        self.extra = extra


@dataclass(frozen=True)
class SettingsChangeDecided:
    effective_from: datetime
    settings: AutomationSettings


def change(
    history: SettingsHistory,
    patch: Mapping[str, Any],
    effective_from: datetime | None,
    now: datetime,
) -> SettingsChangeDecided:
    """The settings after ``patch`` is laid over the latest ones, from ``effective_from``
    (default now): at most 5 minutes ahead, at most 30 days back, never before the latest
    change (a change dated before it would rewrite what was in force after it)."""
    start = effective_from or now
    refused: list[tuple[tuple[str | int, ...], str]] = []
    extra: dict[str, Any] = {}
    if start > now + MAX_AHEAD:
        refused.append((("effective_from",), "must be at most 5 minutes ahead of now"))
    elif start < now - MAX_BACK:
        refused.append((("effective_from",), "must be at most 30 days back"))
    elif history.changes and start < history.changes[-1].effective_from:
        latest = history.changes[-1].effective_from
        refused.append((("effective_from",), "must not be before the latest change"))
        extra["latest_effective_from"] = latest.isoformat().replace("+00:00", "Z")
    try:
        settings = history.latest().merged(patch)
    except ValidationError as invalid:
        refused += [(tuple(error["loc"]), error["msg"]) for error in invalid.errors()]
        settings = None
    if refused or settings is None:
        raise ChangeRefused(refused, **extra)
    return SettingsChangeDecided(start, settings)


@dataclass(frozen=True)
class FileEdit:
    """The accounts file gives an account other settings than those it was seeded with."""

    account_id: str
    fields: tuple[str, ...]


def file_edit(
    account_id: str, seeded: AutomationSettings, in_file: AutomationSettings
) -> FileEdit | None:
    """The fields the file changed since the seed: ignored (the API changes them now), but
    worth telling whoever edited the file."""
    before, after = seeded.model_dump(), in_file.model_dump()
    # The file cannot name reminder settings; only what it can name is compared.
    fields = tuple(key for key in before if key != "reminders" and before[key] != after[key])
    return FileEdit(account_id, fields) if fields else None
