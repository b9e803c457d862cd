"""Applying one batch of consumed messages: triage, one transaction, retries, isolation.

This is transport-free (a list of Delivery in, effects in PostgreSQL and dead letters
out), so it is tested without Kafka. consumer.py feeds it from FastStream and commits
offsets only after it returned.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

import asyncpg
import structlog

from crm_schemas.catalog import KNOWN_EVENT_NAMES, EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.connection import Conn
from crm_servicekit.delivery import Delivery
from crm_servicekit.dlq import DeadLetter
from crm_servicekit.failures import PermanentEventError, is_permanent, is_transient
from crm_servicekit.idempotency_store import claim_new, drop_tombstoned
from crm_servicekit.logging import event_log_context
from crm_servicekit.metrics import EVENTS_CONSUMED, EVENTS_SKIPPED, HANDLER_LATENCY
from crm_servicekit.tracing import process_span

log = structlog.get_logger(__name__)

BatchHandler = Callable[[Conn, Sequence[EventEnvelope]], Awaitable[None]]
DeadLetterSink = Callable[[list[DeadLetter]], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5  # for errors that are neither transient nor permanent
    first_backoff_s: float = 0.2
    max_backoff_s: float = 10.0

    def backoff(self, attempt: int) -> float:
        return float(min(self.max_backoff_s, self.first_backoff_s * 2 ** max(0, attempt - 1)))


@dataclass
class BatchOutcome:
    applied: int = 0
    duplicates: int = 0
    skipped: int = 0
    dead_lettered: list[DeadLetter] = field(default_factory=list)
    skip_reasons: Counter[str] = field(default_factory=Counter)
    # Whether a transaction ran (something was claimed, applied or found a duplicate).
    transacted: bool = False

    @property
    def changed_nothing(self) -> bool:
        """Every message was skipped before any transaction, and none was dead-lettered."""
        return not self.transacted and not self.dead_lettered


@dataclass
class BatchApplier:
    """Applies batches for one service's consumer group."""

    pool: asyncpg.Pool
    handler: BatchHandler
    service: str
    group_id: str
    dead_letter: DeadLetterSink
    # Event names the handler needs; None means all. CUSTOMER_DELETED is always read,
    # because the runtime keeps the tombstones.
    wanted: frozenset[str] | None = None
    # A finer choice among the wanted names, once decoded (e.g. only what a person did).
    # Events it turns down are skipped before they are claimed, like unwanted names.
    accepts: Callable[[EventEnvelope], bool] | None = None
    retry: RetryPolicy = RetryPolicy()
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def apply(self, deliveries: Sequence[Delivery]) -> BatchOutcome:
        outcome = BatchOutcome()
        candidates = self._triage(deliveries, outcome)
        if candidates:
            outcome.transacted = True
            started = time.perf_counter()
            with (
                process_span(
                    candidates[0][0].topic,
                    self.group_id,
                    (delivery.decoded_headers for delivery, _ in candidates),
                    len(candidates),
                ),
                _logged_as(candidates),
            ):
                await self._apply_with_retries(candidates, outcome)
            HANDLER_LATENCY.labels(self.service).observe(time.perf_counter() - started)
        if outcome.dead_lettered:
            await self._wait_out_transient(lambda: self.dead_letter(outcome.dead_lettered))
        for reason, count in outcome.skip_reasons.items():
            EVENTS_SKIPPED.labels(self.service, reason).inc(count)
        return outcome

    def _triage(
        self, deliveries: Sequence[Delivery], outcome: BatchOutcome
    ) -> list[tuple[Delivery, EventEnvelope]]:
        """Skip by headers without decoding; dead-letter what cannot be decoded."""
        candidates = []
        for delivery in deliveries:
            name = delivery.event_name
            if name is not None and name not in KNOWN_EVENT_NAMES:
                self._skip(outcome, "unknown_event_name")
                continue
            if name is not None and not self._needed(name):
                self._skip(outcome, "not_needed")
                continue
            try:
                event = EventEnvelope.from_json(delivery.value)
            except ValueError as exc:  # JSON and validation errors alike
                self._dead(outcome, delivery, "invalid_payload", repr(exc), attempts=1)
                continue
            if not self._needed(event.event_name) or not self._accepted(event):
                self._skip(outcome, "not_needed")
                continue
            candidates.append((delivery, event))
        return candidates

    def _needed(self, name: str) -> bool:
        return self.wanted is None or name in self.wanted or name == EventName.CUSTOMER_DELETED

    def _accepted(self, event: EventEnvelope) -> bool:
        if self.accepts is None or event.event_name is EventName.CUSTOMER_DELETED:
            return True
        return self.accepts(event)

    async def _apply_with_retries(
        self, candidates: list[tuple[Delivery, EventEnvelope]], outcome: BatchOutcome
    ) -> None:
        attempts = outages = 0
        while candidates:
            try:
                self._count(outcome, *await self._transaction([e for _, e in candidates]))
                return
            except Exception as exc:
                if is_transient(exc):
                    # An outage: hold the partition and wait it out, however long it lasts.
                    outages += 1
                    await self._pause(exc, outages, "transient error; batch held")
                    continue
                if isinstance(exc, PermanentEventError) and exc.culprits & _keys(candidates):
                    # The handler said which events can never apply: they alone go, the rest
                    # is applied together again (the batch shrinks, so this ends).
                    kept = []
                    for delivery, event in candidates:
                        if (event.account_id, event.event_id) in exc.culprits:
                            self._dead(outcome, delivery, exc.kind, repr(exc), attempts + 1)
                        else:
                            kept.append((delivery, event))
                    candidates = kept
                    continue
                attempts += 1
                if is_permanent(exc) or attempts >= self.retry.max_attempts:
                    log.warning("batch failed; isolating the culprit", error=repr(exc))
                    break
                await self._pause(exc, attempts, "handler error; retrying batch")
        for delivery, event in candidates:
            await self._apply_alone(delivery, event, attempts, outcome)

    async def _apply_alone(
        self, delivery: Delivery, event: EventEnvelope, attempts: int, outcome: BatchOutcome
    ) -> None:
        with _event_logged(event):
            await self._apply_one(delivery, event, attempts, outcome)

    async def _apply_one(
        self, delivery: Delivery, event: EventEnvelope, attempts: int, outcome: BatchOutcome
    ) -> None:
        outages = 0
        while True:
            try:
                self._count(outcome, *await self._transaction([event]))
                return
            except Exception as exc:
                if is_transient(exc):
                    outages += 1
                    await self._pause(exc, outages, "transient error; event held")
                    continue
                kind = (
                    exc.kind
                    if isinstance(exc, PermanentEventError)
                    else "invalid_payload"
                    if is_permanent(exc)
                    else "handler_error"
                )
                self._dead(outcome, delivery, kind, traceback.format_exc(), attempts + 1)
                return

    async def _transaction(self, events: list[EventEnvelope]) -> tuple[int, int, int]:
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await claim_new(conn, events)
            live, dropped = await drop_tombstoned(conn, fresh)
            wanted_live = [e for e in live if self.wanted is None or e.event_name in self.wanted]
            if wanted_live:
                await self.handler(conn, wanted_live)
        _log_applied(wanted_live)
        for name, count in Counter(e.event_name.value for e in wanted_live).items():
            EVENTS_CONSUMED.labels(self.service, name, "applied").inc(count)
        return len(live), len(events) - len(fresh), dropped

    def _count(self, outcome: BatchOutcome, applied: int, duplicates: int, dropped: int) -> None:
        outcome.applied += applied
        outcome.duplicates += duplicates
        if duplicates:
            EVENTS_CONSUMED.labels(self.service, "*", "duplicate").inc(duplicates)
        for _ in range(dropped):
            self._skip(outcome, "deleted_customer")

    def _skip(self, outcome: BatchOutcome, reason: str) -> None:
        outcome.skipped += 1
        outcome.skip_reasons[reason] += 1  # counted in the metric once per batch (apply)

    def _dead(
        self, outcome: BatchOutcome, delivery: Delivery, kind: str, error: str, attempts: int
    ) -> None:
        log.error("dead-lettering", position=delivery.position, kind=kind, error=error[-500:])
        outcome.dead_lettered.append(
            DeadLetter(delivery, error, kind, attempts, consumer_group=self.group_id)
        )
        name = delivery.event_name or "unknown"
        EVENTS_CONSUMED.labels(self.service, name, "dead_lettered").inc()

    async def _pause(self, exc: BaseException, attempt: int, message: str) -> None:
        delay = self.retry.backoff(max(attempt, 1))
        log.warning(message, error=repr(exc), retry_in_s=delay, attempt=attempt)
        await self.sleep(delay)

    async def _wait_out_transient(self, action: Callable[[], Awaitable[None]]) -> None:
        attempt = 0
        while True:
            try:
                await action()
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                attempt += 1
                await self._pause(exc, attempt, "dead-letter topic unavailable; holding batch")


def _keys(candidates: list[tuple[Delivery, EventEnvelope]]) -> set[tuple[str, str]]:
    return {(event.account_id, event.event_id) for _, event in candidates}


# A line per applied event costs ~90 us of CPU in every consumer: fine for the live flow,
# whose batches are small, but a consumer catching up (a rebuild, a backlog) would spend more
# on logging than on applying, so a larger batch is logged as one line.
LOGGED_ONE_BY_ONE = 20


def _log_applied(events: Sequence[EventEnvelope]) -> None:
    if len(events) > LOGGED_ONE_BY_ONE:
        log.info(
            "events applied",
            count=len(events),
            first_event_id=events[0].event_id,
            last_event_id=events[-1].event_id,
        )
        return
    for event in events:
        with _event_logged(event):
            log.info("event applied")


def _event_logged(event: EventEnvelope) -> AbstractContextManager[None]:
    return event_log_context(
        event_id=event.event_id,
        customer_id=str(event.customer_id) if event.customer_id else None,
        account_id=event.account_id,
        event_name=event.event_name.value,
    )


def _logged_as(
    candidates: Sequence[tuple[Delivery, EventEnvelope]],
) -> AbstractContextManager[None]:
    """A batch of one event: everything logged while it is handled names it."""
    return _event_logged(candidates[0][1]) if len(candidates) == 1 else nullcontext()
