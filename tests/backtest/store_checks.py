"""What a backtest's run left in the services' own databases, read directly: the facts that must
have one customer id each (ingest), the identities one live customer each (customers), and the
reminders one row each (rules). Each check returns what it found wrong, for the assert message.

The API reads of the backtest cannot see all of this: a second row for one reminder, or a
second customer holding a handle, may never show in the lists the oracle compares.
"""

from __future__ import annotations

from collections import defaultdict

import asyncpg

from crm_backtest.history import History

_RECORDS = """
SELECT r.account_id, r.event_id, r.state, r.customer_id::text AS customer_id
FROM event_records r
JOIN unnest($1::text[], $2::text[]) AS wanted(account_id, event_id)
  ON r.account_id = wanted.account_id AND r.event_id = wanted.event_id
"""

# A reminder is one row per (customer, rule, type, triggering event): the identity the rules
# give it (crm_rules.policy.reminder.reminder_identity), so a second row for one trigger is a
# reminder stored twice. The inactivity reminder keeps its id when it moves (its trigger
# becomes the latest activity), so for it the duplicate to look for is a second open one: a
# customer has at most one (crm_rules.policy.replay.keep_inactivity).
_SAME_TRIGGER = """
SELECT account_id, customer_id::text AS customer_id, rule, type, trigger_event_id,
       count(*) AS n
FROM reminders WHERE customer_id = ANY($1::uuid[])
GROUP BY account_id, customer_id, rule, type, trigger_event_id HAVING count(*) > 1
"""
_TWO_OPEN_INACTIVITY = """
SELECT account_id, customer_id::text AS customer_id, array_agg(id::text) AS ids
FROM reminders
WHERE customer_id = ANY($1::uuid[]) AND status = 'open' AND rule = 'inactivity'
GROUP BY account_id, customer_id HAVING count(*) > 1
"""

# Every identity a customer of the run holds (email, phone, each platform's handle), and every
# live customer of the account holding the same one: deleted customers' rows are gone.
_IDENTITIES = """
WITH held AS (
    SELECT account_id, id, 'email' AS kind, email AS value FROM customers WHERE email IS NOT NULL
    UNION ALL
    SELECT account_id, id, 'phone', phone FROM customers WHERE phone IS NOT NULL
    UNION ALL
    SELECT c.account_id, c.id, 'handle:' || h.key, h.value
    FROM customers c CROSS JOIN LATERAL jsonb_each_text(c.handles) AS h
)
SELECT account_id, kind, value, array_agg(id::text ORDER BY id) AS ids
FROM held
WHERE (account_id, kind, value) IN (SELECT account_id, kind, value FROM held
                                    WHERE id = ANY($1::uuid[]))
GROUP BY account_id, kind, value HAVING count(*) > 1
"""


async def ingest_problems(conn: asyncpg.Connection, history: History) -> tuple[list[str], set[str]]:
    """Every delivered fact recorded once, published, under its contact's one customer id, and
    no customer id shared by two contacts. Returns the problems and the run's customer ids."""
    contact_of = {(d.account_id, d.published_event_id): d.contact for d in history.deliveries}
    accounts, event_ids = zip(*contact_of, strict=True)
    rows = await conn.fetch(_RECORDS, list(accounts), list(event_ids))
    problems = []
    recorded = {(r["account_id"], r["event_id"]) for r in rows}
    missing = sorted(set(contact_of) - recorded)
    if missing:
        problems.append(f"{len(missing)} facts never recorded, e.g. {missing[:3]}")
    ids_of_contact: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row["state"] != "published" or row["customer_id"] is None:
            problems.append(f"{row['event_id']}: {row['state']}, customer {row['customer_id']}")
            continue
        ids_of_contact[contact_of[(row["account_id"], row["event_id"])]].add(row["customer_id"])
    contacts_of_id: dict[str, set[str]] = defaultdict(set)
    for contact, ids in sorted(ids_of_contact.items()):
        if len(ids) != 1:
            problems.append(f"contact {contact}'s facts recorded under {sorted(ids)}")
        for customer_id in ids:
            contacts_of_id[customer_id].add(contact)
    for customer_id, contacts in sorted(contacts_of_id.items()):
        if len(contacts) != 1:
            problems.append(f"customer {customer_id} recorded for contacts {sorted(contacts)}")
    return problems, set(contacts_of_id)


async def customers_problems(conn: asyncpg.Connection, customer_ids: set[str]) -> list[str]:
    """Each of the run's customers is one row, and no identity it holds is held by another
    live customer of its account."""
    found = await conn.fetchval(
        "SELECT count(*) FROM customers WHERE id = ANY($1::uuid[])", sorted(customer_ids)
    )
    problems = []
    if found != len(customer_ids):
        problems.append(f"{len(customer_ids)} customers expected, {found} rows found")
    for row in await conn.fetch(_IDENTITIES, sorted(customer_ids)):
        problems.append(f"{row['account_id']} {row['kind']} {row['value']!r}: {row['ids']}")
    return problems


async def reminder_problems(conn: asyncpg.Connection, customer_ids: set[str]) -> list[str]:
    """No reminder of the run's customers stored twice."""
    problems = []
    for query in (_SAME_TRIGGER, _TWO_OPEN_INACTIVITY):
        for row in await conn.fetch(query, sorted(customer_ids)):
            problems.append(str(dict(row)))
    return problems
