"""The oracle on docs/domain.md's scenarios, expected values written by hand from the page."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_backtest.accounts import AccountProfile
from crm_backtest.history import PERSON_MOVE
from crm_backtest.kpis import expected_stats
from crm_backtest.nba import expected_nba
from crm_backtest.pipeline import Pipeline, fold
from crm_backtest.reminders import expected_reminders

from .facts import NEW_YORK, D, H, M, S, Story, T


def reminders(story: Story, profile: AccountProfile = NEW_YORK) -> set[tuple[str, datetime, str]]:
    return {(r.type, r.scheduled_for, r.status) for r in expected_reminders(story.facts, profile)}


def nba(story: Story, as_of: datetime) -> tuple[str, int, datetime | None]:
    action = expected_nba(story.facts, NEW_YORK, as_of)
    return action.action, action.priority, action.due_at


def test_s_noshow() -> None:
    story = Story()
    story.add("DM_STARTED", T)
    story.add("INVITE_SENT", T + H)
    story.add("MEETING_BOOKED", T + 2 * H, booking_time=T + D)
    no_show = story.add("NO_SHOW", T + D + 15 * M)
    story.facts += [no_show] * 4  # sent 5 times with one event_id: one effect
    assert fold(story.facts)[-1].after == Pipeline("qualified", "no_show")
    assert reminders(story) == {
        ("follow_up_2h", T + D + 2 * H + 15 * M, "open"),
        ("follow_up_1d", T + 2 * D + 15 * M, "open"),
        ("follow_up_7d", T + D + 15 * M + 7 * D, "open"),
    }
    assert nba(story, T + D + 30 * M) == ("rebook", 90, T + D + 15 * M)
    # Overdue only when more than the grace (1h) past: at exactly 1h it is still rebook.
    assert nba(story, T + D + 3 * H + 15 * M) == ("rebook", 90, T + D + 15 * M)
    assert nba(story, T + D + 3 * H + 16 * M) == ("follow_up_now", 95, T + D + 2 * H + 15 * M)
    stats = expected_stats([story.facts], NEW_YORK, T, T + 2 * D, T + 2 * D)
    assert stats["counts"]["no_shows"] == 1
    assert stats["counts"]["meetings_booked"] == 1
    assert stats["counts"]["invites_sent"] == 1
    assert stats["counts"]["new_leads"] == 1
    assert stats["by_status"]["qualified"] == 1


def test_s_video() -> None:
    story = Story()
    story.add("DM_STARTED", T)
    story.add("VIDEO_SENT", T + 3 * H)
    assert fold(story.facts)[-1].after.status == "presentation_sent"
    assert reminders(story) == {
        ("follow_up_24h", T + 27 * H, "open"),
        ("follow_up_48h", T + 51 * H, "open"),
        ("follow_up_7d", T + 3 * H + 7 * D, "open"),
    }
    assert nba(story, T + 27 * H - M) == ("request_feedback", 75, T + 51 * H)
    assert nba(story, T + 27 * H) == ("ask_video_feedback", 85, T + 27 * H)
    assert nba(story, T + 28 * H) == ("ask_video_feedback", 85, T + 27 * H)
    assert nba(story, T + 28 * H + S) == ("follow_up_now", 95, T + 27 * H)


def test_s_inactivity() -> None:
    story = Story()
    story.add("DM_STARTED", T)
    assert reminders(story) == {("follow_up_7d", T + 7 * D, "open")}
    story.add("INVITE_SENT", T + 5 * D)
    assert reminders(story) == {("follow_up_7d", T + 12 * D, "open")}
    assert nba(story, T + 12 * D + M) == ("reconnect", 65, T + 12 * D)
    assert nba(story, T + 12 * D + H + S) == ("follow_up_now", 95, T + 12 * D)
    assert nba(story, T + 12 * D - M) == ("ask_why", 60, T + 5 * D)


def test_s1_video_then_no_show() -> None:
    story = Story()
    story.add("DM_STARTED", T)
    story.add("INVITE_SENT", T + H)
    story.add("VIDEO_SENT", T + 2 * H)
    story.add("NO_SHOW", T + 3 * H)
    assert fold(story.facts)[-1].after == Pipeline("presentation_sent", "no_show")
    assert reminders(story) == {
        ("follow_up_24h", T + 26 * H, "open"),
        ("follow_up_48h", T + 50 * H, "open"),
        ("follow_up_2h", T + 5 * H, "open"),
        ("follow_up_1d", T + 27 * H, "open"),
        ("follow_up_7d", T + 3 * H + 7 * D, "open"),
    }
    assert nba(story, T + 3 * H + 30 * M) == ("rebook", 90, T + 3 * H)


def test_s2_person_move_follow_up_and_joined_team() -> None:
    r = T + H  # the request time of the person's next-stage
    story = Story()
    story.add("LEAD_QUALIFIED", T)
    story.add(PERSON_MOVE, r, to_status="presentation_sent")
    story.add("FOLLOW_UP_DONE", r + M)
    # Before the signing: the stage entry's 48h is still open (not yet due when followed up).
    assert ("follow_up_48h", r + 48 * H, "open") in reminders(story)
    assert fold(story.facts)[-1].after.status == "follow_up"
    story.add("JOINED_TEAM", r + 2 * M)
    assert reminders(story) == {
        ("follow_up_48h", r + 48 * H, "canceled"),
        ("follow_up_7d", r + M + 7 * D, "canceled"),
    }
    assert fold(story.facts)[-1].after == Pipeline("signed_up", "none", joined_team=True)
    stats = expected_stats([story.facts], NEW_YORK, T, T + D, r + 2 * M)
    assert stats["counts"]["signed_up"] == 1
    assert stats["counts"]["follow_ups_done"] == 1
    assert nba(story, r + 3 * M) == ("onboard", 40, r + 2 * M)
    assert nba(story, r + 2 * M + 31 * D) == ("none", 0, None)


def test_s3_opted_out_then_in() -> None:
    story = Story()
    story.add("DM_STARTED", T, consent_messaging=False)
    story.add("INVITE_SENT", T + H)
    story.add("VIDEO_SENT", T + 2 * H)
    assert reminders(story) == set()
    assert nba(story, T + 3 * H) == ("none", 0, None)
    story.add("MESSAGE_RECEIVED", T + D, consent_messaging=True)
    assert reminders(story) == {("follow_up_7d", T + 8 * D, "open")}
    assert nba(story, T + D + H) == ("request_feedback", 75, T + 2 * H + 48 * H)


def test_opt_out_cancels_every_open_reminder() -> None:
    story = Story()
    story.add("DM_STARTED", T)
    story.add("NO_SHOW", T + H)
    story.add("UNSUBSCRIBED", T + 2 * H)
    assert {status for *_, status in reminders(story)} == {"canceled"}
    assert fold(story.facts)[-1].after.opted_out


def test_follow_up_done_completes_what_is_due_and_a_second_video_supersedes() -> None:
    story = Story()
    story.add("DM_STARTED", T)
    story.add("VIDEO_SENT", T + H)
    story.add("FOLLOW_UP_DONE", T + 30 * H)  # after the 24h reminder, before the 48h one
    story.add("VIDEO_SENT", T + 40 * H)
    assert reminders(story) == {
        ("follow_up_24h", T + 25 * H, "completed"),
        ("follow_up_48h", T + 49 * H, "canceled"),
        ("follow_up_24h", T + 64 * H, "open"),
        ("follow_up_48h", T + 88 * H, "open"),
        ("follow_up_7d", T + 40 * H + 7 * D, "open"),
    }


def test_a_late_no_show_before_the_purchase_leaves_nothing_open() -> None:
    story = Story()
    story.add("DM_STARTED", T)
    story.add("PURCHASED", T + 2 * D)
    story.add("NO_SHOW", T + D)  # arrives last, but a later fact already took them out
    assert {status for *_, status in reminders(story)} == {"canceled"}
    assert fold(story.facts)[-1].after == Pipeline("signed_up", "no_show")


def test_quiet_hours_move_a_reminder_to_their_end() -> None:
    oslo = AccountProfile("demo", "Europe/Oslo", ("22:00", "07:00"))
    story = Story(account="demo")
    no_show = datetime(2026, 3, 2, 19, 30, tzinfo=UTC)  # 20:30 in Oslo
    story.add("NO_SHOW", no_show)
    assert reminders(story, oslo) == {
        # 22:30 local is quiet: 07:00 local the next morning (06:00Z in winter).
        ("follow_up_2h", datetime(2026, 3, 3, 6, 0, tzinfo=UTC), "open"),
        ("follow_up_1d", no_show + D, "open"),
        ("follow_up_7d", no_show + 7 * D, "open"),
    }
