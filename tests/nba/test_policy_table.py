"""The NBA table row by row, its precedence, the `none` cases, urgency and time boundaries."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from crm_nba.policy.projection import project
from crm_nba.policy.table import NBA_TABLE, recommend
from crm_schemas.pipeline import PipelineState, Status
from crm_schemas.system_properties import Recommendation, Urgency
from crm_servicekit.accounts import Account

from .history import D, H, History, M, T, s1, s_noshow, unchanged

ACME = Account(account_id="acme")
SECOND = timedelta(seconds=1)


def nba(h: History, as_of: datetime, account: Account = ACME) -> Recommendation:
    return recommend(project(h.customer, h.events), as_of, unchanged(account))


def test_the_table_has_domain_md_rows_in_order() -> None:
    assert [(r.action, r.priority) for r in NBA_TABLE] == [
        ("follow_up_now", 95),
        ("rebook", 90),
        ("ask_video_feedback", 85),
        ("send_presentation", 80),
        ("request_feedback", 75),
        ("reconnect", 65),
        ("ask_why", 60),
        ("invite", 50),
        ("start_conversation", 50),
        ("onboard", 40),
    ]


class TestRows:
    def test_overdue_reminder_is_follow_up_now_due_at_its_time(self) -> None:
        h = History()
        h.add("DM_STARTED", T)
        rid = uuid.uuid4()
        h.reminder("REMINDER_CREATED", T, rid, "custom", T + H)
        rec = nba(h, T + 2 * H + SECOND)
        assert (rec.action, rec.priority, rec.due_at) == ("follow_up_now", 95, T + H)
        assert rec.facts["reminder_id"] == str(rid)
        assert "was due Tue 3 Nov 15:00 and is overdue" in rec.reason

    def test_due_but_within_grace_is_not_overdue(self) -> None:
        h = History()
        h.add("DM_STARTED", T)
        h.reminder("REMINDER_CREATED", T, uuid.uuid4(), "custom", T + H)
        assert nba(h, T + 2 * H).action == "invite"  # exactly the grace: not yet more than it
        assert nba(h, T + 2 * H + timedelta(microseconds=1)).action == "follow_up_now"

    def test_completed_or_canceled_reminder_is_not_overdue(self) -> None:
        h = History()
        h.add("DM_STARTED", T)
        a, b = uuid.uuid4(), uuid.uuid4()
        h.reminder("REMINDER_CREATED", T, a, "custom", T + H)
        h.reminder("REMINDER_CREATED", T, b, "follow_up_7d", T + H)
        h.reminder("REMINDER_COMPLETED", T + H, a, "custom", T + H, completed_by="person")
        h.reminder("REMINDER_CANCELED", T + H, b, "follow_up_7d", T + H)
        assert nba(h, T + 5 * H).action == "invite"

    def test_no_show_is_rebook_naming_the_no_show_in_local_time(self) -> None:
        h = History()
        h.add("DM_STARTED", T - D)
        h.add("MEETING_BOOKED", T - D, {"booking_time": T.isoformat()})
        h.add("NO_SHOW", T)
        rec = nba(h, T + M)
        assert (rec.action, rec.priority, rec.due_at) == ("rebook", 90, T)
        assert rec.reason == "No-show on Tue 3 Nov 14:00, no new booking yet"
        assert rec.urgency is Urgency.CRITICAL

    def test_a_new_booking_after_the_no_show_ends_rebook(self) -> None:
        h = History()
        h.add("MEETING_BOOKED", T - D, {"booking_time": T.isoformat()})
        h.add("NO_SHOW", T)
        h.add("MEETING_BOOKED", T + H, {"booking_time": (T + D).isoformat()})
        assert nba(h, T + 2 * H).action == "send_presentation"

    def test_video_feedback_from_24h_until_a_follow_up(self) -> None:
        h = History()
        h.add("VIDEO_SENT", T)
        rec = nba(h, T + D)
        assert (rec.action, rec.priority, rec.due_at) == ("ask_video_feedback", 85, T + D)
        assert rec.reason == "Video sent Tue 3 Nov 14:00, no follow-up since"
        h.add("FOLLOW_UP_DONE", T + D + H)
        assert nba(h, T + D + 2 * H).action == "request_feedback"

    def test_video_boundary_23_59_59_and_24_00_00(self) -> None:
        h = History()
        h.add("VIDEO_SENT", T)
        assert nba(h, T + D - SECOND).action == "request_feedback"
        assert nba(h, T + D).action == "ask_video_feedback"

    def test_qualified_is_send_presentation_due_when_qualified(self) -> None:
        h = History()
        h.add("LEAD_QUALIFIED", T, {"prospect_why": "freedom"})
        rec = nba(h, T + H)
        assert (rec.action, rec.priority, rec.due_at, rec.urgency) == (
            "send_presentation",
            80,
            T,
            Urgency.HIGH,
        )

    @pytest.mark.parametrize("extra", [[], ["FOLLOW_UP_DONE"]])
    def test_presentation_or_follow_up_is_request_feedback_at_entry_plus_48h(
        self, extra: list[str]
    ) -> None:
        h = History()
        h.add("MEETING_HELD", T)
        for name in extra:
            h.add(name, T + H)
        rec = nba(h, T + 2 * H)
        entered = T + H if extra else T
        assert (rec.action, rec.priority, rec.due_at) == (
            "request_feedback",
            75,
            entered + 48 * H,
        )
        assert rec.facts["status"] == ("follow_up" if extra else "presentation_sent")

    def test_seven_silent_days_is_reconnect_at_the_boundary(self) -> None:
        h = History()
        h.add("INVITE_SENT", T)
        assert nba(h, T + 7 * D - SECOND).action == "ask_why"
        rec = nba(h, T + 7 * D)
        assert (rec.action, rec.priority, rec.due_at, rec.urgency) == (
            "reconnect",
            65,
            T + 7 * D,
            Urgency.MEDIUM,
        )
        assert rec.reason == "No activity since Tue 3 Nov 14:00"

    def test_invited_is_ask_why(self) -> None:
        h = History()
        h.add("INVITE_SENT", T)
        rec = nba(h, T + H)
        assert (rec.action, rec.priority, rec.due_at) == ("ask_why", 60, T)

    def test_relationship_is_invite_due_at_last_activity(self) -> None:
        h = History()
        h.add("DM_STARTED", T)
        h.add("MESSAGE_SENT", T + H, {"channel": "ig"})
        rec = nba(h, T + 2 * H)
        assert (rec.action, rec.priority, rec.due_at, rec.urgency) == (
            "invite",
            50,
            T + H,
            Urgency.LOW,
        )

    def test_lead_is_start_conversation_due_at_creation(self) -> None:
        h = History()
        h.created(T)
        rec = nba(h, T + H)
        assert (rec.action, rec.priority, rec.due_at) == ("start_conversation", 50, T)

    def test_signed_up_is_onboard_for_30_days(self) -> None:
        h = History()
        h.add("DM_STARTED", T - D)
        h.add("JOINED_TEAM", T)
        rec = nba(h, T + 30 * D)
        assert (rec.action, rec.priority, rec.due_at) == ("onboard", 40, T)
        after = nba(h, T + 30 * D + timedelta(microseconds=1))
        assert (after.action, after.priority, after.reason) == (
            "none",
            0,
            "Signed up more than 30 days ago",
        )


class TestPrecedence:
    def test_overdue_beats_rebook(self) -> None:
        h = History()
        s_noshow(h)
        assert nba(h, T + D + 30 * M).action == "rebook"
        assert nba(h, T + D + 3 * H + 15 * M).action == "rebook"  # due, within the grace
        assert nba(h, T + D + 3 * H + 16 * M).action == "follow_up_now"

    def test_rebook_beats_video_feedback(self) -> None:
        h = History()
        s1(h)
        assert nba(h, T + 3 * H + 30 * M).action == "rebook"
        assert nba(h, T + 3 * D).action == "rebook"

    def test_video_feedback_beats_reconnect(self) -> None:
        h = History()
        h.add("VIDEO_SENT", T)
        assert nba(h, T + 8 * D).action == "ask_video_feedback"

    def test_send_presentation_and_request_feedback_beat_reconnect(self) -> None:
        q = History()
        q.add("LEAD_QUALIFIED", T)
        assert nba(q, T + 10 * D).action == "send_presentation"
        p = History()
        p.add("MEETING_HELD", T)
        assert nba(p, T + 10 * D).action == "request_feedback"

    def test_reconnect_beats_the_stage_rows(self) -> None:
        for first in ("DM_STARTED", "INVITE_SENT"):
            h = History()
            h.add(first, T)
            assert nba(h, T + 8 * D).action == "reconnect"
        lead = History()
        lead.created(T)
        assert nba(lead, T + 8 * D).action == "reconnect"

    def test_onboard_customer_with_overdue_reminder_gets_follow_up_now(self) -> None:
        h = History()
        h.add("PURCHASED", T, {"amount": "10", "currency": "EUR", "product_ids": ["p"]})
        h.reminder("REMINDER_CREATED", T, uuid.uuid4(), "custom", T + H)
        assert nba(h, T + 3 * H).action == "follow_up_now"

    def test_stage_rows_never_apply_to_signed_up(self) -> None:
        h = History()
        h.add("VIDEO_SENT", T - D)
        h.add("JOINED_TEAM", T)
        assert nba(h, T + 2 * D).action == "onboard"


class TestNone:
    def test_opted_out(self) -> None:
        h = History()
        h.add("DM_STARTED", T, consent={"messaging": False})
        h.reminder("REMINDER_CREATED", T, uuid.uuid4(), "custom", T + H)
        rec = nba(h, T + 5 * H)
        assert (rec.action, rec.priority, rec.reason) == ("none", 0, "Opted out of messages")

    def test_unsubscribed_then_back_in(self) -> None:
        h = History()
        h.add("DM_STARTED", T)
        h.add("UNSUBSCRIBED", T + H)
        assert nba(h, T + 2 * H).action == "none"
        h.add("MESSAGE_SENT", T + 3 * H, {"channel": "ig"}, consent={"messaging": True})
        rec = nba(h, T + 4 * H)
        assert (rec.action, rec.due_at) == ("invite", T + 3 * H)

    def test_deleted(self) -> None:
        h = History()
        h.add("DM_STARTED", T)
        h.add("CUSTOMER_DELETED", T + H, source="system")
        assert nba(h, T + 2 * H).reason == "Customer deleted"

    def test_not_now_by_a_person(self) -> None:
        h = History()
        h.add("DM_STARTED", T)
        before = PipelineState(status=Status.RELATIONSHIP)
        h.person_move(T + H, before, before.with_changes(status=Status.NOT_NOW))
        rec = nba(h, T + 2 * H)
        assert (rec.action, rec.reason, rec.urgency) == ("none", "Marked Not Now", Urgency.LOW)

    def test_signed_up_over_30_days(self) -> None:
        h = History()
        h.add("JOINED_TEAM", T)
        assert nba(h, T + 31 * D).action == "none"
