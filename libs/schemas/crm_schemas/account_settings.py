"""An account's automation settings (docs/domain.md, Accounts): what a team tunes while the
system runs, their defaults and bounds, the merge a change applies, and which settings were in
force at an instant.

The customers service owns them and announces each change as ACCOUNT_SETTINGS_CHANGED (the
whole settings after the change, stamped with its ``effective_from``); every service that uses
a setting keeps the account's history of those events and asks it what held when.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_serializer,
    model_validator,
)

from crm_schemas.properties import Properties
from crm_schemas.system_properties import ReminderType

DEFAULT_TIME_ZONE: Final = "Europe/Oslo"
DEFAULT_REGION: Final = "NO"
DEFAULT_OVERDUE_GRACE: Final = timedelta(hours=1)
MIN_DELAY: Final = timedelta(minutes=5)
MAX_DELAY: Final = timedelta(days=30)
MAX_OVERDUE_GRACE: Final = timedelta(days=7)
MAX_TARGET: Final = 10_000
MAX_MESSAGE_LENGTH: Final = 500

# The rules table's automated reminder types and their delays (docs/domain.md); the default
# messages are the rules service's own, so a message of None means "the rules' default".
DEFAULT_DELAYS: Final[Mapping[ReminderType, timedelta]] = {
    ReminderType.FOLLOW_UP_2H: timedelta(hours=2),
    ReminderType.FOLLOW_UP_1D: timedelta(days=1),
    ReminderType.FOLLOW_UP_24H: timedelta(hours=24),
    ReminderType.FOLLOW_UP_48H: timedelta(hours=48),
    ReminderType.FOLLOW_UP_7D: timedelta(days=7),
}
AUTOMATED_TYPES: Final[tuple[ReminderType, ...]] = tuple(DEFAULT_DELAYS)

_HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def _iana_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {value!r}") from None
    return value


def _grace_in_bounds(value: timedelta) -> timedelta:
    if not timedelta(0) <= value <= MAX_OVERDUE_GRACE:
        raise ValueError("must be from 0 to 7 days (ISO 8601 duration, e.g. PT1H)")
    return value


def _alpha_2_region(value: str) -> str:
    region = value.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code such as 'NO'")
    return region


# The checked types of the settings the accounts file seeds and the API changes, so both
# refuse the same values in the same words: an IANA zone name; the overdue grace, 0 to 7 days;
# the ISO 3166-1 alpha-2 region (upper-cased) a phone without "+" is read in.
TimeZoneName = Annotated[str, AfterValidator(_iana_time_zone)]
OverdueGrace = Annotated[timedelta, AfterValidator(_grace_in_bounds)]
PhoneRegion = Annotated[str, AfterValidator(_alpha_2_region)]


class DmoTargets(BaseModel):
    """Invites and follow-ups a day; 0 is met by any count."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    invites: int = Field(default=20, ge=0, le=MAX_TARGET)
    follow_ups: int = Field(default=30, ge=0, le=MAX_TARGET)


class QuietHours(BaseModel):
    """Local ``[start, end)``; an end before the start means the window crosses midnight.
    Written and read as a pair of ``"HH:MM"`` strings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: time
    end: time

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            if len(value) != 2 or not all(
                isinstance(item, str) and _HH_MM.fullmatch(item) for item in value
            ):
                raise ValueError('must be a pair of "HH:MM" times, [start, end)')
            return {"start": value[0], "end": value[1]}
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("start and end are equal, which names no time at all")
        return self

    @model_serializer(mode="plain")
    def _as_pair(self) -> list[str]:
        return [self.start.strftime("%H:%M"), self.end.strftime("%H:%M")]

    def contains(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


class ReminderSetting(BaseModel):
    """One automated reminder type: whether the rules make it, how long after its trigger, and
    its message (None: the rules' default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    delay: timedelta
    message: str | None = Field(default=None, min_length=1, max_length=MAX_MESSAGE_LENGTH)

    @field_validator("delay")
    @classmethod
    def _delay_in_bounds(cls, value: timedelta) -> timedelta:
        if not MIN_DELAY <= value <= MAX_DELAY:
            raise ValueError("must be from 5 minutes to 30 days (ISO 8601 duration, e.g. PT2H)")
        return value


def default_reminders() -> dict[ReminderType, ReminderSetting]:
    return {kind: ReminderSetting(delay=delay) for kind, delay in DEFAULT_DELAYS.items()}


class AutomationSettings(BaseModel):
    """The whole settings of one account at one time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_zone: TimeZoneName = DEFAULT_TIME_ZONE
    dmo_targets: DmoTargets = DmoTargets()
    quiet_hours: QuietHours | None = None
    overdue_grace: OverdueGrace = DEFAULT_OVERDUE_GRACE
    default_region: PhoneRegion = DEFAULT_REGION
    reminders: dict[ReminderType, ReminderSetting] = Field(default_factory=default_reminders)

    @field_validator("reminders", mode="before")
    @classmethod
    def _every_automated_type(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        given = dict(value)
        unknown = [str(kind) for kind in given if kind not in {str(t) for t in AUTOMATED_TYPES}]
        if unknown:
            kinds = ", ".join(str(t) for t in AUTOMATED_TYPES)
            raise ValueError(f"unknown reminder type {unknown[0]!r} (automated types: {kinds})")
        # A type left out keeps its defaults: the settings always name every automated type.
        return {**{str(k): v for k, v in default_reminders().items()}, **given}

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def reminder(self, kind: ReminderType) -> ReminderSetting:
        return self.reminders[kind]

    def merged(self, patch: Mapping[str, Any]) -> AutomationSettings:
        """These settings with ``patch`` laid over them: per key, and inside ``dmo_targets`` and
        each of ``reminders`` per sub-field. Raises pydantic's ValidationError, whose locations
        name the patch's fields; ``time_zone`` is fixed when the account is created."""
        current = self.model_dump(mode="json")
        document = dict(current)
        for key, value in patch.items():
            if key == "dmo_targets" and isinstance(value, Mapping):
                document[key] = {**current[key], **value}
            elif key == "reminders" and isinstance(value, Mapping):
                reminders = dict(current[key])
                for kind, setting in value.items():
                    old = reminders.get(kind)
                    if isinstance(old, Mapping) and isinstance(setting, Mapping):
                        reminders[kind] = {**old, **setting}
                    else:
                        reminders[kind] = setting
                document[key] = reminders
            else:
                document[key] = value
        return AutomationSettings.model_validate(document)


class AccountSettingsChanged(Properties):
    """ACCOUNT_SETTINGS_CHANGED: the whole settings after the change, and who made it (a user
    id, or ``accounts-file`` for the seed)."""

    settings: AutomationSettings
    actor: str = Field(min_length=1, max_length=200)


SEED_ACTOR: Final = "accounts-file"


@dataclass(frozen=True)
class SettingsChange:
    effective_from: datetime
    settings: AutomationSettings


class SettingsHistory:
    """One account's settings over time, from its ACCOUNT_SETTINGS_CHANGED events in topic
    order (one account's changes share a partition, and the customers service never dates a
    change before the latest, so that order is also time order).

    Before the first change the first change's settings hold; with no change at all, the
    ``fallback`` (the accounts file's seed values) does."""

    def __init__(self, changes: Iterable[SettingsChange], fallback: AutomationSettings) -> None:
        self._changes = sorted(changes, key=lambda change: change.effective_from)
        self._starts = [change.effective_from for change in self._changes]
        self.fallback = fallback

    @property
    def changes(self) -> tuple[SettingsChange, ...]:
        return tuple(self._changes)

    def in_force(self, at: datetime) -> AutomationSettings:
        if not self._changes:
            return self.fallback
        index = bisect.bisect_right(self._starts, at) - 1
        return self._changes[max(index, 0)].settings

    def settings_before(self, change: SettingsChange) -> AutomationSettings | None:
        """The settings that held just before this recorded change (the fallback before the
        first), or None when the history does not hold it. Of equal changes, the last."""
        index = bisect.bisect_right(self._starts, change.effective_from) - 1
        # Only the changes from the same instant can be equal to it: those are walked back.
        while index >= 0 and self._starts[index] == change.effective_from:
            if self._changes[index] == change:
                return self._changes[index - 1].settings if index > 0 else self.fallback
            index -= 1
        return None

    def latest(self) -> AutomationSettings:
        return self._changes[-1].settings if self._changes else self.fallback

    def with_change(self, change: SettingsChange) -> SettingsHistory:
        return SettingsHistory([*self._changes, change], self.fallback)
