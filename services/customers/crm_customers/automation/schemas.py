"""The request and response bodies of /api/settings (docs/api.md; the settings' model and
bounds are crm_schemas.account_settings's).

A change names only what it changes: the fields left out keep their values, inside
``dmo_targets`` and each reminder too. The bounds are checked when the change is laid over the
settings (``AutomationSettings.merged``), and each bad field is named in the 422.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from crm_schemas.account_settings import (
    MAX_MESSAGE_LENGTH,
    MAX_TARGET,
    AutomationSettings,
    SettingsChange,
)
from crm_schemas.storable import StorableText
from crm_servicekit.instants import IsoInstant


def _iso_8601_text(value: object) -> object:
    # A JSON number would otherwise be read as seconds, a unit nobody wrote down.
    if isinstance(value, str | timedelta):
        return value
    raise ValueError("must be an ISO 8601 duration, e.g. PT2H")


IsoDurationText = Annotated[timedelta, BeforeValidator(_iso_8601_text)]


class _Patch(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DmoTargetsPatch(_Patch):
    invites: int | None = Field(default=None, ge=0, le=MAX_TARGET)
    follow_ups: int | None = Field(default=None, ge=0, le=MAX_TARGET)


class ReminderPatch(_Patch):
    enabled: bool | None = None
    delay: IsoDurationText | None = Field(
        default=None, description="from 5 minutes (PT5M) to 30 days (P30D)"
    )
    message: StorableText | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_MESSAGE_LENGTH,
        description="null: the rules service's default message for the type",
    )


class RemindersPatch(_Patch):
    """The automated reminder types; another type is 422."""

    follow_up_2h: ReminderPatch | None = None
    follow_up_1d: ReminderPatch | None = None
    follow_up_24h: ReminderPatch | None = None
    follow_up_48h: ReminderPatch | None = None
    follow_up_7d: ReminderPatch | None = None


class SettingsPatch(_Patch):
    """``PUT /api/settings``: what to change, and from when."""

    dmo_targets: DmoTargetsPatch | None = None
    quiet_hours: Annotated[list[StorableText], Field(min_length=2, max_length=2)] | None = Field(
        default=None, description='local [start, end) as "HH:MM"; null: none'
    )
    overdue_grace: IsoDurationText | None = Field(default=None, description="0 to 7 days")
    default_region: StorableText | None = Field(
        default=None, max_length=2, description="ISO 3166-1 alpha-2, for phones without +"
    )
    reminders: RemindersPatch | None = None
    time_zone: StorableText | None = Field(
        default=None, description="fixed when the account is created: any value is 422"
    )
    effective_from: IsoInstant | None = Field(
        default=None,
        description="when the change takes effect: default now, at most 5 minutes ahead, "
        "at most 30 days back, never before the latest change",
    )

    @field_validator("time_zone")
    @classmethod
    def _time_zone_is_fixed(cls, value: object) -> object:
        raise ValueError("is fixed when the account is created")

    def changes(self) -> dict[str, Any]:
        """The settings this change names, as JSON values (``null`` where it clears one)."""
        return self.model_dump(mode="json", exclude_unset=True, exclude={"effective_from"})

    def names_a_setting(self) -> bool:
        """Whether the change names any setting: ``{"reminders": {"follow_up_2h": {}}}``
        names none, ``{"quiet_hours": null}`` does (it clears them)."""
        return _names_a_value(self.changes())


def _names_a_value(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_names_a_value(item) for item in value.values())
    return True


class SettingsOut(AutomationSettings):
    """The account's automation settings, and since when they hold."""

    effective_from: datetime | None = Field(
        description="when these settings took effect; null before the account's seed"
    )

    @classmethod
    def of(cls, change: SettingsChange | None, fallback: AutomationSettings) -> SettingsOut:
        if change is None:
            return cls(**dict(fallback), effective_from=None)
        return cls(**dict(change.settings), effective_from=change.effective_from)
