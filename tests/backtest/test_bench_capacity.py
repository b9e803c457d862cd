"""bench.capacity's table and crm_devstack.capacity's derivation, from figures given here
(the run of 2026-12-07 05:37 UTC) so that a new measurement changes no expectation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import capacity
from crm_devstack.capacity import (
    CapacityFigures,
    Measurement,
    cpu_target_millicores,
    events_per_s_per_replica,
    lag_threshold,
    load_figures,
    replicas_for,
)

ROOT = Path(__file__).resolve().parents[2]
MS_PER_EVENT = {
    "ingest": 1.28,
    "customers": 1.02,
    "rules": 2.00,
    "nba": 1.38,
    "stats": 0.96,
    "gateway": 0.08,
    "kafka": 0.38,
    "postgres": 2.82,
    "redis": 0.04,
}


def run_figures(messages_per_event: float = 5.5) -> CapacityFigures:
    return CapacityFigures(
        measurement=Measurement(
            command="uv run python -m bench.system_cpu --seconds 10",
            commit="362b49c",
            measured_at="2026-12-07 05:37 UTC",
            phase="single, concurrency 64",
            accepted_per_s=202.0,
            processed_per_s=170.8,
            cpu_ms_per_event=9.95,
        ),
        cpu_ms_per_event_by_process=MS_PER_EVENT,
        messages_per_event=messages_per_event,
        messages_per_event_measured=False,
    )


def sized(rate: float) -> dict[str, capacity.Sizing]:
    return {s.process: s for s in capacity.size(run_figures(), rate)}


def test_cores_are_ms_per_event_times_the_rate_over_the_target_utilization() -> None:
    at_3500 = sized(3_500)
    assert at_3500["rules"].cores == pytest.approx(2.00 * 3_500 / 1000 / 0.7)  # 10.0
    assert at_3500["postgres"].cores == pytest.approx(2.82 * 3.5 / 0.7)
    assert at_3500["postgres"].replicas is None  # a server, not one of our replicas
    assert sum(s.cores for s in at_3500.values()) == pytest.approx(9.96 * 3.5 / 0.7)


def test_replicas_are_the_cores_rounded_up_and_never_zero() -> None:
    assert [sized(500)[name].replicas for name in ("ingest", "customers", "rules")] == [1, 1, 2]
    assert [sized(3_500)[name].replicas for name in ("ingest", "customers", "rules")] == [7, 6, 10]
    assert replicas_for(10.0000000001) == 10  # float noise above an integer is that integer
    assert replicas_for(0.01) == 1


def test_consumers_are_capped_at_the_partitions_and_the_table_says_more_are_needed() -> None:
    at_35000 = sized(35_000)
    rules = at_35000["rules"]
    assert (rules.replicas, rules.needed, rules.capped) == (12, 100, True)
    assert not sized(3_500)["rules"].capped
    # Ingest's replicas serve HTTP: the partitions do not bound them, its ScaledObject does.
    assert (at_35000["ingest"].replicas, at_35000["ingest"].capped) == (64, False)
    table = capacity.markdown(run_figures())
    assert "| rules | 2.00 | 1.4 / 2 | 10.0 / 10 | 100.0 / 12 (100 needed) ¹ |" in table
    assert "| ingest | 1.28 | 0.9 / 1 | 6.4 / 7 | 64.0 / 64 ² |" in table
    assert "¹ Capped at the 12 partitions of crm.events.v1" in table
    assert "more partitions would be needed" in table
    assert "² More than the maxReplicaCount (12) of deploy/k8s/ingest.yaml" in table


def test_no_footnote_when_no_rate_hits_a_cap() -> None:
    cheap = run_figures().model_copy(
        update={"cpu_ms_per_event_by_process": {k: v / 100 for k, v in MS_PER_EVENT.items()}}
    )
    table = capacity.markdown(cheap)
    assert "¹" not in table
    assert "²" not in table


def test_lag_threshold_is_what_a_replica_drains_in_the_catch_up_time() -> None:
    figures = run_figures()
    # At 70% of a core and 2.00 ms per event rules takes 350 events/s, 1,925 messages/s.
    assert events_per_s_per_replica(2.00) == pytest.approx(350.0)
    assert lag_threshold(figures, "rules") == 19_250
    assert lag_threshold(figures, "stats") == 40_104  # 729.17 events/s × 5.5 × 10 s
    assert lag_threshold(run_figures(messages_per_event=11.0), "rules") == 38_500
    assert cpu_target_millicores() == 700
    table = capacity.markdown(figures)
    assert "| rules | 350 | 1,925 | 19,250 |" in table
    assert "5.5 (NOT measured, assumed)" in table


def test_a_process_without_a_figure_cannot_be_sized() -> None:
    figures = run_figures().model_copy(update={"cpu_ms_per_event_by_process": {"rules": 0.0}})
    with pytest.raises(ValueError, match="rules"):
        lag_threshold(figures, "rules")


def system_cpu_result(**sustained: Any) -> dict[str, Any]:
    phase = {
        "name": "single, concurrency 64",
        "events_per_s": 202.0,
        "processed_per_s": 170.8,
        "cpu_ms_per_event": 9.95,
        "cpu_ms_per_event_by_group": MS_PER_EVENT,
        "drained": True,
        "refused": 0,
        **sustained,
    }
    costly = {**phase, "name": "single, concurrency 1", "cpu_ms_per_event_by_group": {"x": 50.0}}
    return {
        "benchmark": "system_cpu",
        "command": "uv run python -m bench.system_cpu --seconds 10 --json r.json",
        "commit": "abc1234",
        "measured_at": "2026-12-08 09:00 UTC",
        "phases": [costly, phase],
    }


def test_the_figures_are_the_concurrency_64_phase_of_a_system_cpu_result() -> None:
    figures = capacity.figures_from_system_cpu(system_cpu_result(messages_per_event=6.25))
    assert figures.cpu_ms_per_event_by_process == MS_PER_EVENT
    assert (figures.messages_per_event, figures.messages_per_event_measured) == (6.25, True)
    assert figures.measurement.commit == "abc1234"
    assert figures.measurement.phase == "single, concurrency 64"
    assert figures.notes == []


def test_an_older_result_without_messages_gets_the_assumed_figure_and_says_so() -> None:
    figures = capacity.figures_from_system_cpu(system_cpu_result(drained=False, refused=3))
    assert (figures.messages_per_event, figures.messages_per_event_measured) == (5.5, False)
    assert any("NOT drained" in note for note in figures.notes)
    assert any("3 requests were refused" in note for note in figures.notes)


def test_write_stores_the_figures_and_the_docs_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = tmp_path / "system-cpu.json"
    result.write_text(json.dumps(system_cpu_result(messages_per_event=6.0)), encoding="utf-8")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "docs").mkdir()
    docs = tmp_path / capacity.DOCS_TABLE
    docs.write_text(f"# Capacity\n{capacity.TABLE_START}\nold\n{capacity.TABLE_END}\nafter\n")
    assert capacity.main([str(result), "--write", "--root", str(tmp_path)]) == 0
    written = load_figures(tmp_path)
    assert written.messages_per_event == 6.0
    table = capacity.markdown(written)
    assert capsys.readouterr().out == table
    assert docs.read_text() == (
        f"# Capacity\n{capacity.TABLE_START}\n\n{table}\n{capacity.TABLE_END}\nafter\n"
    )


def test_docs_without_the_markers_are_refused() -> None:
    with pytest.raises(ValueError, match="markers"):
        capacity.with_table("# Capacity\nno table here\n", "| a |\n")


def test_the_docs_table_is_the_one_the_committed_figures_give() -> None:
    docs = (ROOT / capacity.DOCS_TABLE).read_text(encoding="utf-8")
    table = capacity.markdown(load_figures(ROOT))
    assert capacity.with_table(docs, table) == docs, (
        "docs/capacity.md's table differs from deploy/capacity.json; run "
        "`uv run python -m bench.capacity deploy/capacity.json --write`"
    )
