"""The ingest benchmark's Meta deliveries are ones ingest takes whole: signed with the app
secret it is started with, addressed to the bench account's page, a hundred DMs from distinct
senders with message ids never seen before, and figures per delivery and per message."""

from __future__ import annotations

import json

import pytest

from bench import ingest_meta as meta
from bench.ingest_phase import Phase
from crm_ingest.policy.connectors.items import Connector, Mapped, ProviderIdKind
from crm_ingest.policy.connectors.meta import meta_items
from crm_ingest.policy.connectors.signatures import verify_meta
from crm_ingest.settings import IngestSettings
from crm_servicekit.provider_signatures import META_SIGNATURE_HEADER


def test_a_bench_delivery_is_a_hundred_dms_to_the_bench_page_signed_for_ingest() -> None:
    senders = [meta.new_sender() for _ in range(meta.MESSAGES_PER_DELIVERY)]
    raw, headers = meta.signed(meta.delivery(senders, "run1"))
    secrets = json.loads(meta.settings()["INGEST_META_APP_SECRETS"])
    assert verify_meta(raw, headers[META_SIGNATURE_HEADER], secrets) == meta.APP_SECRET
    items = meta_items(json.loads(raw))
    assert len(items) == meta.MESSAGES_PER_DELIVERY
    assert {item.connector for item in items} == {Connector.MESSENGER}
    assert {(i.addressee.kind, i.addressee.id) for i in items if i.addressee} == {
        (ProviderIdKind.PAGE, meta.PAGE_ID)
    }
    judged = [item.judged for item in items]
    assert all(isinstance(j, Mapped) and j.is_dm for j in judged)
    mids = {item.provider_id for item in items}
    assert len(mids) == meta.MESSAGES_PER_DELIVERY
    again = meta_items(json.loads(meta.signed(meta.delivery(senders, "run1"))[0]))
    assert mids.isdisjoint(item.provider_id for item in again)
    assert meta.connectors().meta.page_ids == (meta.PAGE_ID,)


def test_ingest_reads_the_bench_app_secret_from_its_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in meta.settings().items():
        monkeypatch.setenv(name, value)
    assert meta.APP_SECRET in IngestSettings().meta_app_secrets


def test_a_delivery_phase_gives_deliveries_and_messages_per_second() -> None:
    phase = Phase("meta delivery of 100 messages, concurrency 1", 1_000, 2.0, [250.0] * 10,
                  server_cpu_s=0.5, deliveries=10)  # fmt: skip
    figures = phase.figures()
    assert (figures["deliveries_per_s"], figures["messages_per_s"]) == (5.0, 500.0)
    assert figures["events_per_s"] == 500.0
    assert figures["cpu_ms_per_event"] == 0.5
    assert "5.0 deliveries/s" in phase.line()
    single = Phase("single, concurrency 1", 100, 2.0, [], percentiles_ms=(3.0, 6.0)).figures()
    assert "deliveries_per_s" not in single
