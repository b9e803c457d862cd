"""docs/domain.md's scenarios through the policy, imports, and the urgency bands."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_nba.policy.projection import project
from crm_nba.policy.table import recommend, urgency_of
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status
from crm_schemas.system_properties import Recommendation, Urgency
from crm_servicekit.accounts import Account

from .history import D, H, History, M, T, s1, s_inactivity, s_noshow, s_video, unchanged

ACME = Account(account_id="acme")
SECOND = timedelta(seconds=1)


def nba(h: History, as_of: datetime, account: Account = ACME) -> Recommendation:
    return recommend(project(h.customer, h.events), as_of, unchanged(account))


class TestScenarios:
    def test_s_noshow(self) -> None:
        h = History()
        s_noshow(h)
        rec = nba(h, T + D + 30 * M)
        assert (rec.action, rec.priority) == ("rebook", 90)
        assert rec.reason == "No-show on Wed 4 Nov 14:15, no new booking yet"
        late = nba(h, T + D + 3 * H + 15 * M + SECOND)
        assert (late.action, late.priority, late.due_at) == (
            "follow_up_now",
            95,
            T + D + 2 * H + 15 * M,
        )

    def test_s_video(self) -> None:
        h = History()
        s_video(h)
        assert nba(h, T + 27 * H - SECOND).action == "request_feedback"
        assert nba(h, T + 27 * H).action == "ask_video_feedback"
        assert nba(h, T + 28 * H).action == "ask_video_feedback"
        assert nba(h, T + 28 * H + SECOND).action == "follow_up_now"

    def test_s_inactivity(self) -> None:
        h = History()
        s_inactivity(h)
        assert nba(h, T + 12 * D - M).action == "ask_why"
        rec = nba(h, T + 12 * D + M)
        assert (rec.action, rec.due_at) == ("reconnect", T + 12 * D)
        assert nba(h, T + 12 * D + H + SECOND).action == "follow_up_now"

    def test_s1(self) -> None:
        h = History()
        s1(h)
        rec = nba(h, T + 3 * H + 30 * M)
        assert (rec.action, rec.priority, rec.due_at) == ("rebook", 90, T + 3 * H)


class TestImports:
    def test_import_with_a_no_show_booking_is_rebook_at_the_booking_time(self) -> None:
        h = History()
        booking = Booking(state=BookingState.NO_SHOW, time=T - D)
        h.created(T, PipelineState(status=Status.QUALIFIED, booking=booking))
        rec = nba(h, T + H)
        assert (rec.action, rec.due_at) == ("rebook", T - D)

    def test_imported_stage_is_entered_at_creation(self) -> None:
        h = History()
        h.created(T, PipelineState(status=Status.INVITED))
        assert nba(h, T + H).due_at == T


@given(st.integers(min_value=0, max_value=100))
def test_urgency_bands(priority: int) -> None:
    expected = (
        Urgency.CRITICAL
        if priority >= 90
        else Urgency.HIGH
        if priority >= 75
        else Urgency.MEDIUM
        if priority >= 60
        else Urgency.LOW
    )
    assert urgency_of(priority) is expected


@pytest.mark.parametrize(
    ("priority", "urgency"),
    [
        (89, Urgency.HIGH),
        (90, Urgency.CRITICAL),
        (74, Urgency.MEDIUM),
        (75, Urgency.HIGH),
        (59, Urgency.LOW),
        (60, Urgency.MEDIUM),
    ],
)
def test_urgency_band_edges(priority: int, urgency: Urgency) -> None:
    assert urgency_of(priority) is urgency
