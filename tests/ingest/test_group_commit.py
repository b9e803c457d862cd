"""The group commit of single events, against a scripted acceptor (no servers)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import uuid4

import pytest

from crm_ingest.policy.normalization import content_hash, normalize_incoming
from crm_ingest.policy.outcomes import Candidate, Outcome, Status
from crm_ingest.service.acceptance import Acceptor
from crm_ingest.service.group_commit import GroupCommit
from crm_schemas.account_settings import AutomationSettings, SettingsHistory
from crm_schemas.contact import Source

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def candidate(event_id: str, email: str = "ada@example.com") -> Candidate:
    event = normalize_incoming(
        {
            "event_name": "INVITE_SENT",
            "event_id": event_id,
            "timestamp": "2026-11-02T08:00:00Z",
            "contact": {"email": email},
        },
        account_id="acme",
        settings=SettingsHistory([], AutomationSettings(default_region="NO")),
        now=NOW,
        future_tolerance=timedelta(minutes=5),
        default_source=Source.MANUAL,
    ).event
    return Candidate(event, content_hash(event))


class ScriptedAcceptor:
    """Accepts everything for one customer; the first call waits until released."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, list[str], dict[str, datetime]]] = []
        self.release_first = asyncio.Event()
        self.customer = uuid4()
        self.failure: Exception | None = None

    async def accept(
        self,
        account_id: str,
        candidates: Sequence[Candidate],
        *,
        actor_id: str | None,
        now: datetime,
        received_at: Mapping[str, datetime] | None = None,
    ) -> dict[str, Outcome]:
        ids = [c.event_id for c in candidates]
        assert len(ids) == len(set(ids)), "the acceptor is given distinct event ids"
        self.calls.append((account_id, actor_id, ids, dict(received_at or {})))
        if len(self.calls) == 1:
            await self.release_first.wait()
        if self.failure is not None:
            raise self.failure
        return {i: Outcome(i, Status.ACCEPTED, self.customer) for i in ids}


def group_commit(acceptor: ScriptedAcceptor, in_flight: int = 1) -> GroupCommit:
    return GroupCommit(cast(Acceptor, acceptor), max_in_flight=in_flight, max_group=500)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_requests_arriving_during_a_group_go_together_in_the_next() -> None:
    acceptor = ScriptedAcceptor()
    singles = group_commit(acceptor)
    first = asyncio.create_task(singles.accept("acme", candidate("e0"), actor_id="u", now=NOW))
    await settle()
    later = [
        asyncio.create_task(
            singles.accept(
                "acme", candidate(f"e{n}"), actor_id="u", now=NOW + timedelta(milliseconds=n)
            )
        )
        for n in range(1, 6)
    ]
    await settle()
    assert [ids for *_, ids, _ in acceptor.calls] == [["e0"]]  # the rest wait for a slot
    acceptor.release_first.set()
    answers = await asyncio.gather(first, *later)
    assert [ids for *_, ids, _ in acceptor.calls] == [["e0"], ["e1", "e2", "e3", "e4", "e5"]]
    # Each event keeps its own arrival time, and its own answer.
    assert acceptor.calls[1][3]["e3"] == NOW + timedelta(milliseconds=3)
    assert [a.event_id for a in answers] == [f"e{n}" for n in range(6)]
    assert {a.status for a in answers} == {Status.ACCEPTED}


async def test_a_repeat_in_the_same_group_is_a_duplicate_or_a_conflict() -> None:
    acceptor = ScriptedAcceptor()
    singles = group_commit(acceptor)
    blocker = asyncio.create_task(singles.accept("acme", candidate("b"), actor_id="u", now=NOW))
    await settle()
    same = [
        asyncio.create_task(singles.accept("acme", candidate("x"), actor_id="u", now=NOW))
        for _ in range(3)
    ]
    other_body = asyncio.create_task(
        singles.accept("acme", candidate("x", email="eve@example.com"), actor_id="u", now=NOW)
    )
    await settle()
    acceptor.release_first.set()
    await blocker
    answers = [await task for task in same]
    conflict = await other_body
    assert acceptor.calls[1][2] == ["x"]  # the acceptor saw the event once
    assert [a.status for a in answers] == [Status.ACCEPTED, Status.DUPLICATE, Status.DUPLICATE]
    assert {a.customer_id for a in answers} == {acceptor.customer}
    assert conflict.status is Status.REJECTED
    assert conflict.reason == "conflict"
    assert [e.loc for e in conflict.errors] == [["body", "event_id"]]


async def test_accounts_and_actors_are_never_mixed_in_one_group() -> None:
    acceptor = ScriptedAcceptor()
    singles = group_commit(acceptor)
    blocker = asyncio.create_task(singles.accept("acme", candidate("b"), actor_id="u", now=NOW))
    await settle()
    tasks = [
        asyncio.create_task(singles.accept(account, candidate(event_id), actor_id=actor, now=NOW))
        for account, actor, event_id in [
            ("acme", "u", "a1"),
            ("other", "u", "o1"),
            ("acme", None, "w1"),
            ("acme", "u", "a2"),
        ]
    ]
    await settle()
    acceptor.release_first.set()
    await asyncio.gather(blocker, *tasks)
    groups = {(account, actor): ids for account, actor, ids, _ in acceptor.calls[1:]}
    assert groups == {("acme", "u"): ["a1", "a2"], ("other", "u"): ["o1"], ("acme", None): ["w1"]}


async def test_several_groups_may_be_in_flight() -> None:
    acceptor = ScriptedAcceptor()
    singles = group_commit(acceptor, in_flight=2)
    first = asyncio.create_task(singles.accept("acme", candidate("e0"), actor_id="u", now=NOW))
    await settle()
    second = asyncio.create_task(singles.accept("acme", candidate("e1"), actor_id="u", now=NOW))
    assert (await second).status is Status.ACCEPTED  # not held behind the blocked first group
    acceptor.release_first.set()
    assert (await first).status is Status.ACCEPTED


async def test_a_failed_group_fails_each_of_its_requests() -> None:
    acceptor = ScriptedAcceptor()
    acceptor.failure = ConnectionError("database unreachable")
    acceptor.release_first.set()
    singles = group_commit(acceptor)
    tasks = [
        asyncio.create_task(singles.accept("acme", candidate(f"e{n}"), actor_id="u", now=NOW))
        for n in range(3)
    ]
    results: list[Any] = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    # The next request is accepted again once the acceptor recovers.
    acceptor.failure = None
    answer = await singles.accept("acme", candidate("e9"), actor_id="u", now=NOW)
    assert answer.status is Status.ACCEPTED


async def test_a_cancelled_request_does_not_break_its_group() -> None:
    acceptor = ScriptedAcceptor()
    singles = group_commit(acceptor)
    blocker = asyncio.create_task(singles.accept("acme", candidate("b"), actor_id="u", now=NOW))
    await settle()
    gone = asyncio.create_task(singles.accept("acme", candidate("g"), actor_id="u", now=NOW))
    kept = asyncio.create_task(singles.accept("acme", candidate("k"), actor_id="u", now=NOW))
    await settle()
    gone.cancel()  # the client hung up
    acceptor.release_first.set()
    await blocker
    assert (await kept).status is Status.ACCEPTED
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert acceptor.calls[1][2] == ["g", "k"]  # its event was still accepted, once
