"""The rules fetch promptly: a reminder's way from an accepted event to being readable
(p99 < 250 ms at 500 events/s, docs/benchmarks.md) passes through one rules fetch alone, and
the other services' 250 ms wait would take all of it."""

from __future__ import annotations

from crm_rules.main import service_spec
from crm_rules.settings import RulesSettings
from crm_servicekit.consumer import Fetching


def test_the_rules_consumer_holds_a_fetch_at_most_100_ms() -> None:
    fetching = service_spec(RulesSettings(), scheduler=False).fetching
    assert fetching == Fetching.prompt()
    assert fetching.fetch_max_wait_ms <= 100 < Fetching().fetch_max_wait_ms
