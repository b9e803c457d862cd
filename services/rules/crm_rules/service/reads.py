"""Reading reminders for the API: each with the messaging window at its time, a page at a time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, NamedTuple, TypeVar

from crm_rules import repository as repo
from crm_rules.policy.channel_window import ChannelWindow, channel_window
from crm_rules.policy.reminder import Reminder, ReminderStatus, is_overdue
from crm_rules.repository import ReminderFilter
from crm_schemas.system_properties import ReminderType
from crm_servicekit.accounts import Account
from crm_servicekit.connection import Conn
from crm_servicekit.instants import StoredInstant
from crm_servicekit.pagination import Keyset
from crm_servicekit.problems import NotFound
from crm_servicekit.settings_store import settings_history


class Position(NamedTuple):
    """Where a page of reminders starts: after this (scheduled_for, id); a cursor's key."""

    scheduled_for: StoredInstant
    id: uuid.UUID


@dataclass(frozen=True)
class ReminderView:
    """A reminder as read: with the window a messaging platform leaves open at its time."""

    reminder: Reminder
    channel_window: ChannelWindow


@dataclass(frozen=True)
class DueReminderView(ReminderView):
    overdue: bool


S = TypeVar("S", bound=ReminderView)


@dataclass(frozen=True)
class ReminderPage(Generic[S]):
    items: list[S]
    next_cursor: str | None


async def one(conn: Conn, account_id: str, reminder_id: uuid.UUID) -> ReminderView:
    found = await repo.get_reminder(conn, account_id, reminder_id)
    if found is None:
        raise NotFound(f"No reminder {reminder_id}.")
    return (await views(conn, account_id, [found]))[0]


async def listed(
    conn: Conn,
    account_id: str,
    *,
    customer_id: uuid.UUID | None,
    status: ReminderStatus | None,
    type_: ReminderType | None,
    page: Keyset[Position],
) -> ReminderPage[ReminderView]:
    matching = ReminderFilter(customer_id=customer_id, status=status, type=type_, after=page.after)
    return await _page(conn, account_id, matching, page)


async def upcoming(
    conn: Conn,
    account_id: str,
    *,
    as_of: datetime,
    within: timedelta,
    page: Keyset[Position],
) -> ReminderPage[ReminderView]:
    """Open reminders due after as_of and at the latest `within` later."""
    matching = ReminderFilter(
        status=ReminderStatus.OPEN,
        scheduled_after=as_of,
        scheduled_until=as_of + within,
        after=page.after,
    )
    return await _page(conn, account_id, matching, page)


async def due(
    conn: Conn,
    account: Account,
    *,
    as_of: datetime,
    customer_id: uuid.UUID | None,
    page: Keyset[Position],
) -> ReminderPage[DueReminderView]:
    """Open reminders due at as_of, each overdue once past the grace the account's settings
    in force at as_of give."""
    matching = ReminderFilter(
        customer_id=customer_id, status=ReminderStatus.OPEN, scheduled_until=as_of, after=page.after
    )
    found = await _page(conn, account.account_id, matching, page)
    grace = (await settings_history(conn, account)).in_force(as_of).overdue_grace
    return ReminderPage(
        items=[
            DueReminderView(
                item.reminder,
                item.channel_window,
                is_overdue(item.reminder, as_of, grace),
            )
            for item in found.items
        ],
        next_cursor=found.next_cursor,
    )


async def views(conn: Conn, account_id: str, reminders: Sequence[Reminder]) -> list[ReminderView]:
    inbound = await repo.inbound_messages(conn, account_id, [r.customer_id for r in reminders])
    return [
        ReminderView(r, channel_window(r.scheduled_for, inbound.get(r.customer_id, [])))
        for r in reminders
    ]


async def _page(
    conn: Conn, account_id: str, matching: ReminderFilter, keyset: Keyset[Position]
) -> ReminderPage[ReminderView]:
    """Oldest first by (scheduled_for, id); the cursor is the last item's pair."""
    rows = await repo.list_reminders(conn, account_id, matching, limit=keyset.limit + 1)
    page = keyset.page(rows, lambda r: Position(r.scheduled_for, r.id))
    return ReminderPage(
        items=await views(conn, account_id, page.items), next_cursor=page.next_cursor
    )
