"""Accepting a provider's delivery: each item judged alone, then its account's events
accepted together (docs/connectors.md).

A lead is read from the Graph API first; an item whose event cannot be normalized is
`rejected` with the reason; the rest go through the acceptor like a batch, with a record hash
of the event id alone, so any repeat of a provider's fact is a duplicate. An item that could
not be fetched or published is `failed`, and the delivery answers 503 so the provider sends it
again.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from crm_ingest.graph_api import GraphApi, GraphUnavailable, LeadNotFound
from crm_ingest.policy.connectors.delivery import (
    Owned,
    Verdict,
    booking_reference,
    connector_hash,
)
from crm_ingest.policy.connectors.items import LeadToFetch, Mapped, Skipped
from crm_ingest.policy.connectors.meta_leads import lead_as_incoming
from crm_ingest.policy.deliveries import DeliveryOutcome
from crm_ingest.policy.normalization import InvalidEvent, normalize_incoming
from crm_ingest.policy.outcomes import Candidate, Status
from crm_ingest.service.acceptance import Acceptor
from crm_ingest.service.account_settings import SettingsCache
from crm_ingest.settings import IngestSettings
from crm_schemas.account_settings import SettingsHistory
from crm_schemas.contact import Source

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DeliveryResult:
    verdicts: list[Verdict]

    @property
    def complete(self) -> bool:
        """Whether every item was taken or judged; else the provider must send it again."""
        return all(verdict.outcome is not DeliveryOutcome.FAILED for verdict in self.verdicts)


@dataclass(frozen=True)
class ConnectorIngestion:
    settings: IngestSettings
    acceptor: Acceptor
    graph: GraphApi
    # Each account's settings history: the default_region in force at an event's timestamp.
    account_settings: SettingsCache

    async def accept(self, owned: Sequence[Owned], received_at: datetime) -> DeliveryResult:
        by_account: dict[str, list[Owned]] = defaultdict(list)
        for entry in owned:
            by_account[entry.account.account_id].append(entry)
        verdicts: list[Verdict] = []
        for entries in by_account.values():
            verdicts += await self._accept_account(entries, received_at)
        return DeliveryResult(verdicts)

    async def _accept_account(
        self, entries: Sequence[Owned], received_at: datetime
    ) -> list[Verdict]:
        account = entries[0].account
        judged = await asyncio.gather(*(self._judged(entry) for entry in entries))
        settings = await self.account_settings.history(account)
        verdicts: list[Verdict | None] = []
        candidates: dict[str, Candidate] = {}
        waiting: list[tuple[int, Owned, Candidate]] = []
        for entry, judgement in zip(entries, judged, strict=True):
            if isinstance(judgement, Verdict):
                verdicts.append(judgement)
                continue
            try:
                candidate = self._candidate(entry, settings, judgement, received_at)
            except InvalidEvent as invalid:
                verdicts.append(_rejected(entry, judgement, str(invalid)))
                continue
            candidates.setdefault(candidate.event_id, candidate)
            waiting.append((len(verdicts), entry, candidate))
            verdicts.append(None)
        outcomes = await self.acceptor.accept(
            account.account_id, list(candidates.values()), actor_id=None, now=received_at
        )
        for index, entry, candidate in waiting:
            outcome = outcomes[candidate.event_id]
            status = DeliveryOutcome(outcome.status.value)
            if candidates[candidate.event_id] is not candidate and outcome.status in (
                Status.ACCEPTED,
                Status.DUPLICATE,
            ):
                status = DeliveryOutcome.DUPLICATE  # the same fact twice in one delivery
            verdicts[index] = Verdict(
                account.account_id,
                entry.item,
                status,
                reason=outcome.reason if outcome.status is Status.REJECTED else None,
                event_id=candidate.event_id,
                customer_id=outcome.customer_id,
            )
        return [verdict for verdict in verdicts if verdict is not None]

    async def _judged(self, entry: Owned) -> Mapped | Verdict:
        judged: Mapped | LeadToFetch | Skipped | Verdict = entry.item.judged
        if isinstance(judged, LeadToFetch):
            judged = await self._lead(entry, judged)
        if isinstance(judged, Skipped):
            return Verdict(
                entry.account.account_id,
                entry.item,
                DeliveryOutcome(judged.outcome.value),
                judged.reason,
            )
        assert not isinstance(judged, LeadToFetch)
        return judged

    async def _lead(self, entry: Owned, lead: LeadToFetch) -> Mapped | Skipped | Verdict:
        account_id = entry.account.account_id
        meta = entry.account.connectors.meta
        if meta.page_access_token is None:
            reason = "no page access token configured to read Lead Ads answers"
            return Verdict(account_id, entry.item, DeliveryOutcome.REJECTED, reason)
        try:
            answer: dict[str, Any] | LeadNotFound = await self.graph.lead(
                lead.leadgen_id, meta.page_access_token
            )
        except GraphUnavailable as error:
            log.warning("lead could not be read", account_id=account_id, reason=str(error))
            return Verdict(account_id, entry.item, DeliveryOutcome.FAILED, f"Graph API: {error}")
        if isinstance(answer, LeadNotFound):
            return Verdict(
                account_id, entry.item, DeliveryOutcome.REJECTED, f"Graph API: {answer.reason}"
            )
        mapped = lead_as_incoming(lead, answer, meta.lead_why_question)
        return Mapped(mapped) if isinstance(mapped, dict) else mapped

    def _candidate(
        self, entry: Owned, settings: SettingsHistory, mapped: Mapped, received_at: datetime
    ) -> Candidate:
        account = entry.account
        normalized = normalize_incoming(
            {**mapped.event, "account_id": account.account_id},
            account_id=account.account_id,
            settings=settings,
            now=received_at,
            future_tolerance=timedelta(seconds=self.settings.future_tolerance_s),
            default_source=Source.WEB,
            loc=("body",),
        )
        event = normalized.event
        return Candidate(
            event,
            connector_hash(event.event_id),
            is_dm=mapped.is_dm,
            dropped=normalized.dropped,
            reference=booking_reference(mapped),
            follows=mapped.follows,
            books=mapped.books,
        )


def _rejected(entry: Owned, mapped: Mapped, reason: str) -> Verdict:
    event_id = mapped.event.get("event_id")
    return Verdict(
        entry.account.account_id,
        entry.item,
        DeliveryOutcome.REJECTED,
        reason,
        event_id=event_id if isinstance(event_id, str) else None,
    )
