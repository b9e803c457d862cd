"""Group commit for single-event requests.

Each accepted event costs a dozen round trips to PostgreSQL and one to Kafka whether it comes
alone or with 500 others, and on this kind of machine a round trip costs more than the rest
of the request together. So requests that arrive while earlier ones are being accepted wait
for a free slot and then go together, as one call of `Acceptor.accept`: at concurrency 1
nothing waits, under load the statements and sends are shared by the whole group.

A request's answer is exactly what it would get alone: the group is per (account, actor),
repeats of an event id inside a group are judged like repeats inside a batch (a `duplicate`
of the first, or a conflict), and repeats in different groups meet in the database as
before (the de-duplication record's unique index and row lock).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from opentelemetry.context import Context
from prometheus_client import Histogram

from crm_ingest.policy.outcomes import ANOTHER_BODY, Candidate, Outcome, repeat_outcome
from crm_ingest.service.acceptance import Acceptor
from crm_servicekit.problems import FieldError
from crm_servicekit.tracing import current_context, on_behalf_of

log = structlog.get_logger(__name__)

GROUP_SIZE = Histogram(
    "crm_ingest_group_commit_size",
    "Single-event requests accepted together in one group.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 500),
)

_Key = tuple[str, str | None]  # (account_id, actor_id): what one accept call shares


@dataclass
class _Waiting:
    candidate: Candidate
    received_at: datetime
    answer: asyncio.Future[Outcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    # The request's trace (None when tracing is off): its group publishes on its behalf.
    trace: Context | None = field(default_factory=current_context)


def _retrieve(answer: asyncio.Future[Outcome]) -> None:
    if not answer.cancelled():
        answer.exception()  # marks a failure retrieved: its request is gone


class GroupCommit:
    """Accepts single events in groups: at most `max_in_flight` groups run at once."""

    def __init__(self, acceptor: Acceptor, *, max_in_flight: int, max_group: int) -> None:
        self._acceptor = acceptor
        self._max_in_flight = max_in_flight
        self._max_group = max_group
        self._waiting: dict[_Key, list[_Waiting]] = defaultdict(list)
        self._in_flight: set[asyncio.Task[None]] = set()

    async def accept(
        self, account_id: str, candidate: Candidate, *, actor_id: str | None, now: datetime
    ) -> Outcome:
        waiting = _Waiting(candidate, now)
        self._waiting[(account_id, actor_id)].append(waiting)
        self._start_groups()
        # Shielded: a client that hangs up does not cancel its share of a group.
        try:
            return await asyncio.shield(waiting.answer)
        except asyncio.CancelledError:
            # Nobody reads this answer now, so a failure of the group would be logged as
            # "Future exception was never retrieved" when the future is dropped.
            waiting.answer.add_done_callback(_retrieve)
            raise

    def _start_groups(self) -> None:
        while len(self._in_flight) < self._max_in_flight and self._waiting:
            key = next(iter(self._waiting))
            queue = self._waiting[key]
            group, rest = queue[: self._max_group], queue[self._max_group :]
            del self._waiting[key]
            if rest:  # back in line behind the other keys, so accounts take turns
                self._waiting[key] = rest
            task = asyncio.create_task(self._run(key, group))
            self._in_flight.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._start_groups()

    async def _run(self, key: _Key, group: list[_Waiting]) -> None:
        account_id, actor_id = key
        GROUP_SIZE.observe(len(group))
        firsts: dict[str, _Waiting] = {}
        for waiting in group:
            firsts.setdefault(waiting.candidate.event_id, waiting)
        try:
            with on_behalf_of("ingest accept group", [w.trace for w in group]):
                outcomes = await self._acceptor.accept(
                    account_id,
                    [w.candidate for w in firsts.values()],
                    actor_id=actor_id,
                    now=max(w.received_at for w in group),
                    received_at={w.candidate.event_id: w.received_at for w in firsts.values()},
                )
        except Exception as error:  # every request of the group gets the same failure
            for waiting in group:
                if not waiting.answer.done():
                    waiting.answer.set_exception(error)
            return
        for waiting in group:
            first = firsts[waiting.candidate.event_id]
            outcome = outcomes[waiting.candidate.event_id]
            if first is not waiting:
                conflict = FieldError(["body", "event_id"], ANOTHER_BODY)
                outcome = repeat_outcome(waiting.candidate, first.candidate, outcome, conflict)
            if not waiting.answer.done():
                waiting.answer.set_result(outcome)
