"""One contact's life as facts: the Frazer loop with typical delays, drop-offs, no-shows and
rebooks, replies (speed to lead), opt-outs and opt-ins. Pure and seeded."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from crm_backtest.clock import HOUR
from crm_backtest.history import Contact, Fact

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


class Timeline:
    """A contact's facts in time order; nothing at or after the anchor happens yet."""

    def __init__(
        self,
        rng: random.Random,
        contact: Contact,
        start: datetime,
        anchor: datetime,
        new_id: Callable[[], str],
    ) -> None:
        self.rng = rng
        self.contact = contact
        self.at = start
        self.anchor = anchor
        self.new_id = new_id
        self.facts: list[Fact] = []
        self.ended = False

    def wait(self, low: timedelta, high: timedelta) -> None:
        seconds = self.rng.uniform(low.total_seconds(), high.total_seconds())
        self.at += timedelta(seconds=int(seconds))

    def add(self, name: str, *, at: datetime | None = None, **details: object) -> bool:
        """Record a fact at the cursor (or at `at`, a side fact such as a late reply); False
        once the story runs past the anchor, which ends it (a side fact only skips itself)."""
        when = at or self.at
        if self.ended or when >= self.anchor:
            self.ended = self.ended or at is None
            return False
        self.facts.append(
            Fact(
                event_id=self.new_id(),
                name=name,
                at=when,
                contact=self.contact.key,
                account_id=self.contact.account_id,
                **details,  # type: ignore[arg-type]
            )
        )
        return True

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


def _reply(line: Timeline) -> None:
    """The marketer's first answer: mostly fast, sometimes hours late (speed to lead)."""
    roll = line.rng.random()
    if roll < 0.5:
        delay = (timedelta(seconds=20), 5 * MINUTE)
    elif roll < 0.8:
        delay = (5 * MINUTE, 2 * HOUR)
    else:
        delay = (2 * HOUR, DAY)
    seconds = line.rng.uniform(delay[0].total_seconds(), delay[1].total_seconds())
    # A side fact: the story goes on from the DM, not from the reply.
    line.add("MESSAGE_SENT", at=line.at + timedelta(seconds=int(seconds)))


def _maybe_unsubscribe(line: Timeline) -> bool:
    """A few people opt out along the way; some of those opt back in later. True: go on."""
    if not line.chance(0.02):
        return True
    line.wait(HOUR, 2 * DAY)
    line.add("UNSUBSCRIBED")
    if not line.chance(0.4):
        return False
    line.wait(2 * DAY, 6 * DAY)
    return line.add("MESSAGE_RECEIVED", consent_messaging=True)


def _meeting(line: Timeline, rebooks_left: int) -> bool:
    """Book, then held, no-show (maybe rebook) or canceled. True: the show happened."""
    line.wait(HOUR, DAY)
    booking = (line.at + line.rng.randint(1, 3) * DAY).replace(minute=0, second=0)
    if not line.add("MEETING_BOOKED", booking_time=booking):
        return False
    roll = line.rng.random()
    if roll < 0.05:
        line.add("MEETING_CANCELED", at=booking - HOUR)
        return False
    if roll < 0.72:
        line.at = booking + 45 * MINUTE
        return line.add("MEETING_HELD")
    line.at = booking + 15 * MINUTE
    if not line.add("NO_SHOW") or rebooks_left == 0 or not line.chance(0.45):
        return False
    line.wait(HOUR, 4 * DAY)
    return _meeting(line, rebooks_left - 1)


def _show(line: Timeline) -> bool:
    """Show the opportunity: a video (sometimes a second one), or a meeting."""
    if line.chance(0.4):
        line.wait(2 * HOUR, 2 * DAY)
        if not line.add("VIDEO_SENT"):
            return False
        if line.chance(0.2):
            line.wait(DAY, 3 * DAY)
            return line.add("VIDEO_SENT")
        return True
    return _meeting(line, rebooks_left=1)


def _close(line: Timeline) -> None:
    """Keep talking, then the decision."""
    follow_ups = line.rng.choice((0, 1, 1, 2))
    for _ in range(follow_ups):
        line.wait(12 * HOUR, 3 * DAY)
        if not line.add("FOLLOW_UP_DONE"):
            return
    if follow_ups == 0 or not _maybe_unsubscribe(line):
        return
    roll = line.rng.random()
    line.wait(DAY, 4 * DAY)
    if roll < 0.3:
        line.add("PURCHASED")
    elif roll < 0.5:
        line.add("JOINED_TEAM")


def dm_journey(line: Timeline) -> None:
    """DM → reply → invite → (qualified) → video or meeting → follow-up → signed up."""
    refuses_messaging = line.chance(0.03)
    line.add("DM_STARTED", consent_messaging=False if refuses_messaging else None)
    if line.chance(0.85):
        _reply(line)
    if refuses_messaging:
        if line.chance(0.5):  # opts in later, by writing again with consent
            line.wait(DAY, 5 * DAY)
            line.add("MESSAGE_RECEIVED", consent_messaging=True)
        else:
            return
    if line.chance(0.3):
        line.wait(10 * MINUTE, 6 * HOUR)
        line.add("MESSAGE_RECEIVED")
    if line.chance(0.25) or not _maybe_unsubscribe(line):
        return
    line.wait(HOUR, 2 * DAY)
    if not line.add("INVITE_SENT") or line.chance(0.2):
        return
    if line.chance(0.45):
        line.wait(HOUR, DAY)
        line.add("LEAD_QUALIFIED")
    if not _maybe_unsubscribe(line) or not _show(line) or line.chance(0.15):
        return
    _close(line)


def lead_journey(line: Timeline) -> None:
    """A lead form (CAPI): qualified at once, a reply, then the show and the close."""
    line.add("LEAD_QUALIFIED")
    if line.chance(0.9):
        seconds = line.rng.uniform(300, 86400)
        line.add("MESSAGE_SENT", at=line.at + timedelta(seconds=int(seconds)))
    if line.chance(0.2) or not _show(line) or line.chance(0.15):
        return
    _close(line)
