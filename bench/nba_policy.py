"""Benchmark: the NBA policy's CPU per event, for customers with realistic histories.

    uv run python -m bench.nba_policy [--customers 300] [--rounds 5] [--most-reminders 20]

Pure policy, no server: what the consumer's use case computes for each customer an event
touches (the stored fold continued by the event, its projection, and `assess` at now),
and `assess` alone. Each customer has about 50 facts and 2 to 20 open reminders, scheduled
from ten days before now to ten days after, so some are overdue and some are not
(--most-reminders sets the most, to show how the cost grows with them). Prints
microseconds per event, the best of the rounds (the figure least distorted by a busy
machine); compare only figures of one sitting.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from crm_nba.policy.projection import Fold, Projection, fold, fold_more, projection_of
from crm_nba.policy.transitions import assess
from crm_schemas.account_settings import SettingsHistory
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account

ACCOUNT = Account(account_id="bench")
# An account that never changed its settings: the accounts file's values throughout.
SETTINGS = SettingsHistory([], ACCOUNT.seed_settings())
NOW = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
# The stages a history may end in, each as its events after the first DM.
ENDINGS: tuple[tuple[str, ...], ...] = (
    (),
    ("INVITE_SENT",),
    ("INVITE_SENT", "LEAD_QUALIFIED"),
    ("INVITE_SENT", "VIDEO_SENT"),
    ("INVITE_SENT", "MEETING_BOOKED", "NO_SHOW"),
    ("INVITE_SENT", "VIDEO_SENT", "JOINED_TEAM"),
)
REMINDER_TYPES = ("follow_up_2h", "follow_up_1d", "follow_up_48h", "follow_up_7d", "custom")


def _event(
    customer: uuid.UUID, n: int, name: str, at: datetime, props: dict[str, object]
) -> EventEnvelope:
    return EventEnvelope(
        event_name=name,
        event_id=f"{customer.hex}-{n}",
        timestamp=at,
        account_id=ACCOUNT.account_id,
        customer_id=customer,
        source="system" if name.startswith("REMINDER_") else "ig",
        properties=props,
        received_at=at,
        producer="bench",
    )


def history(rng: random.Random, most: int) -> tuple[uuid.UUID, list[EventEnvelope]]:
    """About 50 facts over the 40 days before now, then 2 to `most` open reminders."""
    customer = uuid.UUID(int=rng.getrandbits(128), version=4)
    at = NOW - timedelta(days=40)
    names = ["DM_STARTED"] + [rng.choice(("MESSAGE_SENT", "MESSAGE_RECEIVED")) for _ in range(44)]
    names += list(rng.choice(ENDINGS))
    events: list[EventEnvelope] = []
    for name in names:
        at += timedelta(minutes=rng.randrange(10, 600))
        props: dict[str, object] = {"channel": "ig"} if name.startswith("MESSAGE_") else {}
        if name == "MEETING_BOOKED":
            props = {"booking_time": (at + timedelta(hours=2)).isoformat()}
        at = min(at, NOW - timedelta(hours=1))
        events.append(_event(customer, len(events), name, at, props))
    for _ in range(rng.randrange(2, most + 1)):
        reminder = {
            "reminder_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "type": rng.choice(REMINDER_TYPES),
            "rule": "manual",
            "scheduled_for": (NOW + timedelta(minutes=rng.randrange(-14400, 14400))).isoformat(),
            "trigger_event_id": "bench",
            "automated": False,
        }
        opened = NOW - timedelta(minutes=30)
        events.append(_event(customer, len(events), "REMINDER_CREATED", opened, reminder))
    return customer, events


def per_event(work: Callable[[], object], count: int, rounds: int) -> float:
    """Microseconds per call of `work`, the best of `rounds` runs of `count` calls."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(count):
            work()
        best = min(best, time.process_time() - started)
    return best / count * 1e6


def main(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    stored: list[Fold] = []
    arriving: list[EventEnvelope] = []
    for _ in range(args.customers):
        customer, events = history(rng, args.most_reminders)
        stored.append(fold(customer, events))
        arriving.append(_event(customer, 10_000, "MESSAGE_RECEIVED", NOW, {"channel": "ig"}))
    projections: list[Projection] = [projection_of(f) for f in stored]
    pending = list(zip(stored, arriving, strict=True))

    def use_case() -> None:
        for folded, event in pending:
            continued = fold_more(folded, [event])
            assert continued is not None
            assess(projection_of(continued), NOW, SETTINGS)

    def assess_only() -> None:
        for p in projections:
            assess(p, NOW, SETTINGS)

    reminders = sum(len(p.open_reminders) for p in projections) / len(projections)
    print(f"customers: {args.customers}, open reminders per customer: {reminders:.1f} on average")
    for label, work in (("fold_more + projection + assess", use_case), ("assess", assess_only)):
        micros = per_event(work, 1, args.rounds) / args.customers
        print(f"{label}: {micros:,.1f} µs per event (CPU, best of {args.rounds})")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--most-reminders", type=int, default=20)
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())
