"""A phone without a country code is read in the account's default_region in force at the
event's timestamp, from its settings history (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from crm_ingest.policy.normalization import normalize_incoming
from crm_schemas.account_settings import AutomationSettings, SettingsChange, SettingsHistory
from crm_schemas.contact import Source

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_a_phone_without_country_code_is_read_in_the_region_in_force_at_its_timestamp() -> None:
    seeded_no = AutomationSettings(default_region="NO")
    history = SettingsHistory(
        [
            SettingsChange(NOW - timedelta(days=10), seeded_no),
            SettingsChange(NOW - timedelta(hours=1), seeded_no.merged({"default_region": "SE"})),
        ],
        seeded_no,
    )

    def phone_at(at: datetime, phone: str) -> str | None:
        raw = {
            "event_name": "INVITE_SENT",
            "event_id": f"e-{uuid.uuid4().hex[:8]}",
            "timestamp": at.isoformat(),
            "contact": {"phone": phone, "email": "kari@example.com"},
        }
        event = normalize_incoming(
            raw,
            account_id="acme",
            settings=history,
            now=NOW,
            future_tolerance=timedelta(minutes=5),
            default_source=Source.MANUAL,
        ).event
        return event.contact.phone if event.contact else None

    assert phone_at(NOW - timedelta(minutes=30), "22334455") == "+4622334455"
    assert phone_at(NOW - timedelta(hours=2), "22334455") == "+4722334455"
    assert phone_at(NOW - timedelta(hours=2), "98765432") == "+4798765432"
    # No Swedish number reads so: left off, the event still names the person by email.
    assert phone_at(NOW - timedelta(minutes=30), "98765432") is None
