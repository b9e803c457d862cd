"""A failed group: live requests get the failure, hung-up ones leave no log noise (no servers)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pytest

from crm_ingest.policy.outcomes import Candidate, Outcome

from .test_group_commit import NOW, ScriptedAcceptor, candidate, group_commit, settle


class GroupFailed(Exception):
    pass


class FailingAcceptor(ScriptedAcceptor):
    """The scripted acceptor, failing every call with a fresh exception once it has done
    its part (the first call waits until released); it notes the group tasks that called."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.raised: list[GroupFailed] = []
        self.groups: list[asyncio.Future[Any]] = []

    async def accept(
        self,
        account_id: str,
        candidates: Sequence[Candidate],
        *,
        actor_id: str | None,
        now: datetime,
        received_at: Mapping[str, datetime] | None = None,
    ) -> dict[str, Outcome]:
        group = asyncio.current_task()
        assert group is not None
        self.groups.append(group)
        error = GroupFailed(f"group {len(self.raised)} failed")
        self.raised.append(error)
        self.started.set()
        await super().accept(
            account_id, candidates, actor_id=actor_id, now=now, received_at=received_at
        )
        raise error


async def test_every_live_waiter_of_a_failed_group_gets_its_exception() -> None:
    acceptor = FailingAcceptor()
    singles = group_commit(acceptor)
    blocker = asyncio.create_task(singles.accept("acme", candidate("b"), actor_id="u", now=NOW))
    await acceptor.started.wait()
    waiters = [
        asyncio.create_task(singles.accept("acme", candidate(f"e{n}"), actor_id="u", now=NOW))
        for n in range(3)
    ]
    await settle()  # all three queue behind the blocker, for one group
    acceptor.release_first.set()
    results: list[Any] = await asyncio.gather(blocker, *waiters, return_exceptions=True)
    first, second = acceptor.raised
    assert results[0] is first
    assert all(r is second for r in results[1:])


async def _fail_a_group_with_a_hung_up_client() -> None:
    acceptor = FailingAcceptor()
    singles = group_commit(acceptor)
    blocker = asyncio.create_task(singles.accept("acme", candidate("b"), actor_id="u", now=NOW))
    await acceptor.started.wait()
    gone = asyncio.create_task(singles.accept("acme", candidate("g"), actor_id="u", now=NOW))
    kept = asyncio.create_task(singles.accept("acme", candidate("k"), actor_id="u", now=NOW))
    await settle()
    gone.cancel()  # the client hung up while its group was still waiting
    await settle()
    acceptor.release_first.set()
    with pytest.raises(GroupFailed):
        await blocker
    with pytest.raises(GroupFailed):
        await kept  # the one still listening gets the failure
    with pytest.raises(asyncio.CancelledError):
        await gone
    # Until the group tasks and their callbacks are through, the loop still holds the futures.
    await asyncio.gather(*acceptor.groups)


async def test_a_hung_up_waiter_of_a_failed_group_leaves_no_unretrieved_exception() -> None:
    loop = asyncio.get_running_loop()
    gc.collect()  # garbage of earlier tests is not this test's to report
    seen: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    try:
        await _fail_a_group_with_a_hung_up_client()
        # Its futures are now unreachable (in reference cycles through the exception's
        # traceback); collecting them is when asyncio reports an unretrieved exception.
        gc.collect()
    finally:
        loop.set_exception_handler(previous)
    assert [c.get("message") for c in seen] == []
