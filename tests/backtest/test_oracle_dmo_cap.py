"""The oracle's DMO streak ends with targets of 0 (every day met), at the same ten years."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_backtest.accounts import AccountProfile
from crm_backtest.kpis import STREAK_HORIZON_DAYS, dmo

AS_OF = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.timeout(10)
def test_targets_of_zero_give_a_capped_streak() -> None:
    profile = AccountProfile("zero", invites_target=0, follow_ups_target=0)
    figures = dmo([], profile, AS_OF)
    assert figures["streak_days"] == STREAK_HORIZON_DAYS == 3660


def test_nothing_done_with_targets_is_no_streak() -> None:
    assert dmo([], AccountProfile("busy"), AS_OF)["streak_days"] == 0
