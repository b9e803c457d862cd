"""A person's actions read back from the topic (a rebuild): what each does to the store."""

from __future__ import annotations

import uuid

from crm_rules.announce import announcement, is_person_action
from crm_rules.consumer import accepts
from crm_rules.policy.decisions import Change, Decision, canceled
from crm_rules.policy.reminder import CANCELED_BY_PERSON, Reminder, ReminderStatus, manual_reminder
from crm_rules.policy.restore import restored
from crm_schemas.causes import Cause
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_properties import CompletedBy, ReminderRule, ReminderType

from .history import T0, D, H

CUSTOMER = uuid.uuid4()


def manual(at_hours: int = 0) -> Reminder:
    cause = f"request-{uuid.uuid4()}"
    return manual_reminder("acme", CUSTOMER, cause, T0 + D, "Call", created_at=T0 + at_hours * H)


def automated() -> Reminder:
    return manual().model_copy(
        update={
            "type": ReminderType.FOLLOW_UP_24H,
            "rule": ReminderRule.VIDEO_SENT,
            "automated": True,
            "message": None,
        }
    )


def told(decision: Decision, at_hours: int, actor: str | None = "marketer-1") -> EventEnvelope:
    at = T0 + at_hours * H
    cause = Cause(f"request-{uuid.uuid4()}", decision.change.event_name.value, at, at, actor)
    return announcement(decision, cause)


def test_a_manual_reminder_comes_back_as_it_was_made() -> None:
    made = manual()
    event = told(Decision(Change.CREATE, made), 0)
    assert restored(event, {}) == made
    assert restored(event, {made.id: made}) is None


def test_completion_cancel_and_snooze_come_back_at_the_request_time() -> None:
    have = automated()
    done = have.model_copy(
        update={
            "status": ReminderStatus.COMPLETED,
            "closed_at": T0 + 2 * H,
            "completed_by": CompletedBy.PERSON,
        }
    )
    assert restored(told(Decision(Change.COMPLETE, done), 2), {have.id: have}) == done
    gone = canceled(have, T0 + 3 * H, CANCELED_BY_PERSON)
    assert restored(told(Decision(Change.CANCEL, gone), 3), {have.id: have}) == gone
    later = have.model_copy(update={"scheduled_for": T0 + 3 * D})
    snooze = told(Decision(Change.RESCHEDULE, later, have.scheduled_for), 4)
    assert restored(snooze, {have.id: have}) == later
    assert later.rule_scheduled_for == have.rule_scheduled_for  # the rules' own time is kept
    assert restored(snooze, {later.id: later}) is None


def test_closing_is_final_and_nothing_is_made_up() -> None:
    have = automated()
    gone = canceled(have, T0 + H, "late_event")
    done = have.model_copy(
        update={"status": ReminderStatus.COMPLETED, "completed_by": CompletedBy.PERSON}
    )
    moved = have.model_copy(update={"scheduled_for": T0 + 5 * D})
    for decision in (
        Decision(Change.COMPLETE, done),
        Decision(Change.CANCEL, canceled(have, T0, CANCELED_BY_PERSON)),
        Decision(Change.RESCHEDULE, moved, have.scheduled_for),
    ):
        assert restored(told(decision, 2), {gone.id: gone}) is None
        assert restored(told(decision, 2), {}) is None


def test_only_a_person_s_announcements_are_taken_back() -> None:
    person = told(Decision(Change.CREATE, manual()), 0)
    rules_own = told(Decision(Change.CREATE, automated()), 0, actor=None)
    assert (is_person_action(person), accepts(person)) == (True, True)
    assert (is_person_action(rules_own), accepts(rules_own)) == (False, False)
