"""Stats settings: its prefix, port, database and topic."""

from __future__ import annotations

import pytest

from crm_schemas.topics import EVENTS_TOPIC
from crm_stats.main import service_spec
from crm_stats.settings import StatsSettings


def test_defaults_and_the_shared_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://crm@db.internal:5432/anything")
    monkeypatch.setenv("STATS_TICKER_MAX_ITEMS", "250")
    settings = StatsSettings()
    assert str(settings.database_url) == "postgresql://crm@db.internal:5432/stats"
    assert settings.http_port == 8005
    assert settings.ticker_max_items == 250
    spec = service_spec(settings)
    assert spec.consumed_topic == EVENTS_TOPIC
    assert spec.wanted is None  # every event reaches the log
    assert spec.uses_redis
    assert not spec.relay_outbox


def test_tests_point_the_consumer_at_their_own_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATS_EVENTS_TOPIC", "test-topic")
    assert service_spec(StatsSettings()).consumed_topic == "test-topic"
