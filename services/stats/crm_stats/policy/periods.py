"""Periods of the dashboard in the account's time zone: today, the local ISO week, custom."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict

from crm_servicekit.accounts import Accounts

# Accounts not (or no longer) in the accounts file still have their events logged; their
# local days are cut in the domain's default zone.
DEFAULT_ZONE = ZoneInfo("Europe/Oslo")


class PeriodName(StrEnum):
    TODAY = "today"
    WEEK = "week"
    CUSTOM = "custom"


class Period(BaseModel):
    """Instants [start, end) in UTC, and the zone whose local days they were cut in."""

    model_config = ConfigDict(frozen=True)

    name: PeriodName
    start: AwareDatetime
    end: AwareDatetime
    tz: str


def zone_of(accounts: Accounts, account_id: str) -> ZoneInfo:
    account = accounts.get(account_id)
    return account.zone if account is not None else DEFAULT_ZONE


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of a local day, in UTC (midnight exists in every zone we accept;
    fold=0 takes the first occurrence should a zone ever repeat it)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    # Through the calendar, not +24h: DST days are 23 or 25 hours long.
    return local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def resolve_period(
    name: PeriodName,
    as_of: datetime,
    zone: ZoneInfo,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Period:
    """The period a request names; custom needs both bounds (the caller checked them)."""
    today = local_date(as_of, zone)
    if name is PeriodName.TODAY:
        first, last = day_bounds(today, zone)
    elif name is PeriodName.WEEK:
        monday = week_start(today)
        first = local_midnight(monday, zone)
        last = local_midnight(monday + timedelta(days=7), zone)
    else:
        if start is None or end is None or start >= end:
            raise ValueError("a custom period needs from < to")
        first, last = start.astimezone(UTC), end.astimezone(UTC)
    return Period(name=name, start=first, end=last, tz=zone.key)


def in_window(moment: datetime | None, period: Period, as_of: datetime) -> bool:
    """In the period and not after as_of: figures are cut at as_of."""
    return moment is not None and period.start <= moment < period.end and moment <= as_of
