"""Reads at an instant: the "who next" list, one customer's recommendation, coaching.

A stored recommendation holds in [valid_from, next_change_at); customers outside that
interval at `as_of` are evaluated afresh from their stored projection and merged in, so a
read at any instant gives what the policy gives then.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_nba import repository as repo
from crm_nba.coaching import local_day, prompts_holding, streak_may_matter
from crm_nba.policy import recommend
from crm_nba.repository import FAR_FUTURE
from crm_schemas.system_properties import CoachingPrompt, Recommendation
from crm_servicekit.accounts import Account
from crm_servicekit.connection import Conn
from crm_servicekit.pagination import PageRequest, encode_cursor
from crm_servicekit.problems import FieldError, Unprocessable

WhoNextKey = tuple[int, datetime, datetime, UUID]


def who_next_key(recommendation: Recommendation, last_activity_at: datetime | None) -> WhoNextKey:
    """Priority desc, due_at asc (nulls last), last activity asc (nulls last), customer id."""
    return (
        -recommendation.priority,
        recommendation.due_at or FAR_FUTURE,
        last_activity_at or FAR_FUTURE,
        recommendation.customer_id,
    )


def cursor_key(after: Any) -> WhoNextKey:
    """The sort key a cursor carries; one we did not make is 422 naming `cursor`."""
    try:
        neg_priority, due, activity, customer = after
        return (
            int(neg_priority),
            datetime.fromisoformat(due),
            datetime.fromisoformat(activity),
            UUID(customer),
        )
    except (TypeError, ValueError):
        raise Unprocessable(
            "The cursor does not belong to this list; pass next_cursor unchanged.",
            errors=[FieldError(("query", "cursor"), "not a cursor of /api/nba")],
        ) from None


@dataclass(frozen=True)
class WhoNextPage:
    """A page of the list as JSON text: stored recommendations are passed through as stored."""

    items: list[str]
    next_cursor: str | None

    def to_json(self) -> bytes:
        cursor = json.dumps(self.next_cursor)
        return f'{{"items":[{",".join(self.items)}],"next_cursor":{cursor}}}'.encode()


async def who_next(conn: Conn, account: Account, as_of: datetime, page: PageRequest) -> WhoNextPage:
    after = cursor_key(page.after) if page.after is not None else None
    stored = await repo.who_next_page(conn, account.account_id, as_of, after, page.limit + 1)
    fresh = [
        (who_next_key(rec, p.last_activity_at), rec.model_dump_json())
        for p in await repo.stale_at(conn, account.account_id, as_of)
        if (rec := recommend(p, as_of, account)).priority > 0
    ]
    ranked = sorted(
        (entry for entry in [*stored, *fresh] if after is None or entry[0] > after),
        key=lambda entry: entry[0],
    )[: page.limit + 1]
    more = len(ranked) > page.limit
    return WhoNextPage(
        items=[body for _, body in ranked[: page.limit]],
        next_cursor=encode_cursor(list(ranked[page.limit - 1][0])) if more else None,
    )


async def customer_recommendation(
    conn: Conn, account: Account, customer_id: UUID, as_of: datetime
) -> Recommendation | None:
    stored = await repo.stored_customer(conn, account.account_id, customer_id)
    if stored is None:
        return None
    return recommend(stored.projection, as_of, account)


async def rebooks_waiting(conn: Conn, account: Account, as_of: datetime) -> int:
    """Customers whose action is rebook at `as_of` (only no-shows can be): the stored
    recommendations that hold then, counted in the database, and the others evaluated afresh.
    The timer asks every second; deciding all no-shows afresh each time cost it half of the
    service's CPU on an account with thousands of them."""
    held = await repo.rebooks_held(conn, account.account_id, as_of)
    stale = await repo.no_shows_stale_at(conn, account.account_id, as_of)
    return held + sum(recommend(p, as_of, account).action == "rebook" for p in stale)


async def coaching_at(
    conn: Conn, account: Account, as_of: datetime, emitted: Collection[str] = ()
) -> list[CoachingPrompt]:
    """The prompts that hold at `as_of`, leaving out streak_at_risk when it is in `emitted`
    (the kinds emitted today, which the timer will not emit again).

    The days before today are read only when the streak can matter: the timer asks every
    second for every account, and reading an account's whole DMO history each time cost
    more the longer the account was used."""
    zone = account.time_zone
    recent = await repo.dmo_days(conn, account.account_id, zone, as_of, horizon_days=2)
    if streak_may_matter(as_of, account, recent, emitted):
        days = await repo.dmo_days(conn, account.account_id, zone, as_of)
    else:  # today alone: its counts are complete, and no streak can be made of it
        today = local_day(as_of, account)
        days = {today: recent[today]} if today in recent else {}
    waiting = await rebooks_waiting(conn, account, as_of)
    return prompts_holding(as_of, account, days, waiting)
