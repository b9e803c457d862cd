"""Accepting what clients send: one event, a provider's DM or lead, a batch of events.

Each use case normalizes with the policy (raising `InvalidEvent` naming every bad field) and
accepts: single events through the group commit, a batch's valid items in one acceptance,
each item judged alone and answered in input order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter

from crm_ingest.policy.hooks import capi_as_incoming, dm_as_incoming, lead_phone_field
from crm_ingest.policy.normalization import (
    InvalidEvent,
    Normalized,
    content_hash,
    normalize_incoming,
    refuse_unstorable,
)
from crm_ingest.policy.outcomes import Caller, Candidate, Outcome, Status, repeat_outcome
from crm_ingest.schemas import CapiLead, DmHook
from crm_ingest.service.acceptance import Acceptor
from crm_ingest.service.account_settings import SettingsCache
from crm_ingest.service.group_commit import GroupCommit
from crm_ingest.settings import IngestSettings
from crm_schemas.account_settings import SettingsHistory
from crm_schemas.storable import unstorable
from crm_servicekit.clock import Clock
from crm_servicekit.problems import FieldError

IDENTITIES_DROPPED = Counter(
    "crm_ingest_identities_dropped",
    "Identities left off accepted events as invalid (a phone that is no valid number).",
    ["kind"],
)


@dataclass(frozen=True)
class BatchOutcome:
    # One per item, in input order.
    outcomes: list[Outcome]
    # Whether any item could be taken (else the answer is 503).
    taken: bool


@dataclass(frozen=True)
class Ingestion:
    settings: IngestSettings
    clock: Clock
    acceptor: Acceptor
    # Single-event requests go through the group commit; batches straight to the acceptor.
    singles: GroupCommit
    # Each account's settings history: the default_region in force at an event's timestamp.
    account_settings: SettingsCache

    async def accept_event(self, caller: Caller, document: Any) -> Outcome:
        """One event as a client sent it (docs/domain.md's incoming envelope)."""
        refuse_unstorable(document, ("body",))
        now = self.clock.now()
        settings = await self.account_settings.history(caller.account)
        normalized = self._normalized(caller, settings, document, now, ("body",))
        return await self._accept_one(caller, _candidate(normalized), now)

    async def accept_dm(self, caller: Caller, hook: DmHook) -> Outcome:
        """A DM: DM_STARTED if it opens a thread, else MESSAGE_RECEIVED (decided on accepting)."""
        now = self.clock.now()
        settings = await self.account_settings.history(caller.account)
        normalized = self._normalized(caller, settings, dm_as_incoming(hook), now, ("body",))
        return await self._accept_one(caller, _candidate(normalized, is_dm=True), now)

    async def accept_lead(self, caller: Caller, lead: CapiLead) -> Outcome:
        """A Meta-style lead, as LEAD_QUALIFIED from ads."""
        now = self.clock.now()
        settings = await self.account_settings.history(caller.account)
        try:
            document = capi_as_incoming(lead)
            normalized = self._normalized(caller, settings, document, now, ("body",))
        except InvalidEvent as invalid:
            raise invalid.renamed(["body", "contact", "phone"], lead_phone_field(lead)) from None
        return await self._accept_one(caller, _candidate(normalized), now)

    async def accept_batch(self, caller: Caller, items: list[Any]) -> BatchOutcome:
        """Each item judged alone; a repeat of an event id inside the batch answers like a
        repeat of an accepted event (duplicate), or names the conflict."""
        now = self.clock.now()
        settings = await self.account_settings.history(caller.account)
        judged: list[Outcome | Candidate] = []
        firsts: dict[str, Candidate] = {}
        for index, item in enumerate(items):
            entry = self._judged_item(caller, settings, item, now, ("body", "events", index))
            judged.append(entry)
            if isinstance(entry, Candidate):
                firsts.setdefault(entry.event_id, entry)
        accepted = await self.acceptor.accept(
            caller.account.account_id, list(firsts.values()), actor_id=caller.actor_id, now=now
        )
        outcomes = []
        for index, entry in enumerate(judged):
            if isinstance(entry, Outcome):
                outcomes.append(entry)
                continue
            outcome = accepted[entry.event_id]
            if firsts[entry.event_id] is not entry:  # a repeat inside this batch
                conflict = FieldError(
                    ["body", "events", index, "event_id"],
                    "was already used in this batch for an event with another body",
                )
                outcome = repeat_outcome(entry, firsts[entry.event_id], outcome, conflict)
            else:
                _count_dropped(entry, outcome)
            outcomes.append(outcome)
        # 503 only when there was something to take and Kafka took none of it.
        taken = not accepted or any(o.status is not Status.FAILED for o in accepted.values())
        return BatchOutcome(outcomes, taken)

    def _judged_item(
        self,
        caller: Caller,
        settings: SettingsHistory,
        item: Any,
        now: datetime,
        loc: tuple[str | int, ...],
    ) -> Outcome | Candidate:
        # As the item gave it, whatever it is: a rejected item is answered with its own id,
        # unless the answer could not carry it (a lone surrogate, NaN): then null, and the
        # item's errors name it.
        event_id: Any = item.get("event_id") if isinstance(item, dict) else None
        if unstorable(event_id):
            event_id = None
        limit = self.settings.max_event_bytes
        if len(json.dumps(item).encode()) > limit:
            error = FieldError(list(loc), f"exceeds {limit} bytes")
            return Outcome(event_id, Status.REJECTED, errors=[error])
        try:
            refuse_unstorable(item, loc)
            normalized = self._normalized(caller, settings, item, now, loc)
        except InvalidEvent as invalid:
            return Outcome(event_id, Status.REJECTED, errors=invalid.errors)
        return _candidate(normalized)

    async def _accept_one(self, caller: Caller, candidate: Candidate, now: datetime) -> Outcome:
        outcome = await self.singles.accept(
            caller.account.account_id, candidate, actor_id=caller.actor_id, now=now
        )
        _count_dropped(candidate, outcome)
        return outcome

    def _normalized(
        self,
        caller: Caller,
        settings: SettingsHistory,
        document: Any,
        now: datetime,
        loc: tuple[str | int, ...],
    ) -> Normalized:
        return normalize_incoming(
            document,
            account_id=caller.account.account_id,
            settings=settings,
            now=now,
            future_tolerance=timedelta(seconds=self.settings.future_tolerance_s),
            default_source=caller.default_source,
            loc=loc,
        )


def _candidate(normalized: Normalized, *, is_dm: bool = False) -> Candidate:
    event = normalized.event
    return Candidate(event, content_hash(event), is_dm=is_dm, dropped=normalized.dropped)


def _count_dropped(candidate: Candidate, outcome: Outcome) -> None:
    """Identities left off an event count once, when the event is accepted (not its repeats,
    nor an event refused for another reason)."""
    if outcome.status is Status.ACCEPTED:
        for kind in candidate.dropped:
            IDENTITIES_DROPPED.labels(kind).inc()
