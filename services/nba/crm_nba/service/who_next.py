"""Reads at an instant: the "who next" list and one customer's recommendation.

A stored recommendation holds in [valid_from, next_change_at); customers outside that
interval at `as_of` are evaluated afresh from their stored projection and merged in, so a
read at any instant gives what the policy gives then, under the settings in force then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, NamedTuple
from uuid import UUID

from pydantic import Field

from crm_nba.policy.table import recommend
from crm_nba.repository import customers
from crm_nba.repository import who_next as listing
from crm_nba.repository.who_next import FAR_FUTURE, WhoNextKey
from crm_schemas.system_properties import Recommendation
from crm_servicekit.accounts import Account
from crm_servicekit.connection import Conn
from crm_servicekit.instants import StoredInstant
from crm_servicekit.pagination import Keyset
from crm_servicekit.settings_store import settings_history


def who_next_key(recommendation: Recommendation, last_activity_at: datetime | None) -> WhoNextKey:
    """Priority desc, due_at asc (nulls last), last activity asc (nulls last), customer id."""
    return (
        -recommendation.priority,
        recommendation.due_at or FAR_FUTURE,
        last_activity_at or FAR_FUTURE,
        recommendation.customer_id,
    )


class WhoNextPosition(NamedTuple):
    """A cursor's key: the last listed item's place in the order of ``who_next_key``."""

    neg_priority: Annotated[int, Field(ge=-100, le=0)]
    due: StoredInstant
    last_activity: StoredInstant
    customer_id: UUID


@dataclass(frozen=True)
class WhoNextPage:
    """A page of the list as JSON text: stored recommendations are passed through as stored."""

    items: list[str]
    next_cursor: str | None

    def to_json(self) -> bytes:
        cursor = json.dumps(self.next_cursor)
        return f'{{"items":[{",".join(self.items)}],"next_cursor":{cursor}}}'.encode()


async def who_next_at(
    conn: Conn, account: Account, as_of: datetime, page: Keyset[WhoNextPosition]
) -> WhoNextPage:
    after = page.after
    settings = await settings_history(conn, account)
    stored = await listing.who_next_page(conn, account.account_id, as_of, after, page.limit + 1)
    fresh = [
        (who_next_key(rec, p.last_activity_at), rec.model_dump_json())
        for p in await listing.stale_at(conn, account.account_id, as_of)
        if (rec := recommend(p, as_of, settings)).priority > 0
    ]
    ranked = sorted(
        (entry for entry in [*stored, *fresh] if after is None or entry[0] > after),
        key=lambda entry: entry[0],
    )[: page.limit + 1]
    more = len(ranked) > page.limit
    return WhoNextPage(
        items=[body for _, body in ranked[: page.limit]],
        next_cursor=page.cursor_at(WhoNextPosition(*ranked[page.limit - 1][0])) if more else None,
    )


async def customer_recommendation(
    conn: Conn, account: Account, customer_id: UUID, as_of: datetime
) -> Recommendation | None:
    stored = await customers.stored_customer(conn, account.account_id, customer_id)
    if stored is None:
        return None
    return recommend(stored.projection, as_of, await settings_history(conn, account))
