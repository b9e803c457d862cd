"""The oracle's activity: a creation through the API in an open stage is activity at its
time (docs/domain.md, 'Activity'); an import at signed_up or not_now is none."""

from __future__ import annotations

from crm_backtest.history import PERSON_CREATE
from crm_backtest.kpis import expected_stats
from crm_backtest.nba import expected_nba, last_activity
from crm_backtest.pipeline import fold
from crm_backtest.reminders import expected_reminders

from .facts import NEW_YORK, D, H, Story, T


def test_an_api_created_lead_gets_its_follow_up_7d_and_later_activity_moves_it() -> None:
    story = Story()
    story.add(PERSON_CREATE, T, term="lead")
    assert last_activity(fold(story.facts)) == T
    assert [(r.type, r.scheduled_for) for r in expected_reminders(story.facts, NEW_YORK)] == [
        ("follow_up_7d", T + 7 * D)
    ]
    recommendation = expected_nba(story.facts, NEW_YORK, T + 7 * D + H)
    assert (recommendation.action, recommendation.due_at) == ("reconnect", T + 7 * D)
    story.add("INVITE_SENT", T + 5 * D)
    assert [(r.type, r.scheduled_for) for r in expected_reminders(story.facts, NEW_YORK)] == [
        ("follow_up_7d", T + 12 * D)
    ]
    stats = expected_stats([story.facts], NEW_YORK, T, T + D, T + D)
    assert stats["pipeline_health"] == 1.0


def test_an_import_at_signed_up_or_not_now_is_no_activity() -> None:
    for status in ("signed_up", "not_now"):
        story = Story()
        story.add(PERSON_CREATE, T, term=status)
        assert fold(story.facts)[-1].after.status == status
        assert last_activity(fold(story.facts)) is None
        assert expected_reminders(story.facts, NEW_YORK) == []
