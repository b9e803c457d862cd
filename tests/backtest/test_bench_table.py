"""`make bench`'s one table: rows built from the JSON the benchmarks and backtests write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console

from crm_backtest.bench_rows import Row, build_rows
from crm_backtest.bench_runs import Plan, running_services, steps
from crm_backtest.bench_table import BenchTable
from crm_backtest.machine import Machine, cpu_model, memory_gb

INGEST = {
    "benchmark": "ingest",
    "replicas": 2,
    "phases": [
        {"name": "single, concurrency 1", "events_per_s": 310.0, "p50_ms": 3.1, "p99_ms": 6.0},
        {"name": "single, concurrency 16", "events_per_s": 3200.0, "p50_ms": 4.9, "p99_ms": 9.0},
        {"name": "single, concurrency 64", "events_per_s": 2900.0, "p50_ms": 21.0, "p99_ms": 60.0},
        {"name": "single, paced at 1600/s", "events_per_s": 1590.0, "p50_ms": 4.0, "p99_ms": 70.0},
        {"name": "batch of 500, concurrency 4", "events_per_s": 12000.0, "p50_ms": 150.0,
         "p99_ms": 300.0},
        {"name": "meta delivery of 100 messages, concurrency 1", "events_per_s": 800.0,
         "p50_ms": 120.0, "p99_ms": 180.0, "deliveries": 80, "deliveries_per_s": 8.0,
         "messages_per_s": 800.0},
        {"name": "meta delivery of 100 messages, concurrency 4", "events_per_s": 1600.0,
         "p50_ms": 240.0, "p99_ms": 400.0, "deliveries": 160, "deliveries_per_s": 16.0,
         "messages_per_s": 1600.0},
    ],
}  # fmt: skip
NBA = {
    "benchmark": "nba",
    "customers": 10000,
    "recompute_events_per_s": 956.0,
    "recompute_in_time_order_events_per_s": 1200.0,
    "list now": {"requests": 500, "p50_ms": 8.7, "p99_ms": 38.5},
}
STATS = {
    "consumer": {"events": 50000, "events_per_s": 4100.0},
    "ticker": {"samples": 200, "p50_ms": 65.0, "p99_ms": 286.0},
    "customers_stats": {
        "week frazer": {"events": 1_000_000, "requests": 200, "p50_ms": 90.0, "p99_ms": 232.0},
        "today": {"events": 1_000_000, "requests": 200, "p50_ms": 9.0, "p99_ms": 21.0},
    },
}


def backtest(contacts: int, rate: float, replay: float, checks: float, **extra: Any) -> Any:
    deliveries = contacts * 5
    return {
        "contacts": contacts,
        "deliveries": deliveries,
        "rate": rate,
        "replay_seconds": replay,
        "check_seconds": checks,
        "throughput_events_per_s": round(deliveries / replay, 1),
        "ok": True,
        "mismatch_count": 0,
        "latency": {
            "accepted → reminder readable": {"samples": 50, "p50_ms": 80.0, "p99_ms": 210.0},
            "accepted → KPI updated": {"samples": 3, "p50_ms": 400.0, "p99_ms": 900.0},
        },
        **extra,
    }


def by_metric(rows: list[Row], part: str) -> dict[str, Row]:
    return {row.metric: row for row in rows if row.part == part}


def test_floor_rows_give_each_phase_rate_and_latency() -> None:
    floor = {
        "benchmark": "http_floor",
        "phases": {
            "no work": {"requests_per_s": 2100.0, "p50_ms": 29.0, "p99_ms": 41.5},
            "bearer token checked": {"requests_per_s": 1500.0, "p50_ms": 40.0, "p99_ms": 60.0},
        },
    }
    rows = by_metric(build_rows({"floor": floor}), "http floor")
    checked = rows["POST answered 202 doing nothing, bearer token checked: requests/s, p50 / p99"]
    assert checked.value == "1,500 requests/s, 40.0 ms / 60.0 ms"
    assert checked.met is None  # a reference figure, not a target of its own
    assert len(rows) == 2


def test_ingest_rows_judge_best_single_rate_paced_p99_and_batches() -> None:
    rows = by_metric(build_rows({"ingest": INGEST}), "ingest")
    best = rows["single events, best concurrency"]
    assert (best.value, best.met) == ("3,200 events/s", True)
    paced = rows["single, paced at 1600/s (half the best): p99"]
    assert (paced.value, paced.target, paced.met) == ("70.0 ms", "< 50 ms", False)
    assert rows["batch of 500, concurrency 4"].met is False
    assert rows["single, concurrency 1: events/s, p50 / p99"].value == (
        "310 events/s, 3.1 ms / 6.0 ms"
    )
    assert rows["replicas (processes sharing the port)"].value == "2"
    one_process = {key: value for key, value in INGEST.items() if key != "replicas"}
    assert "replicas (processes sharing the port)" not in by_metric(
        build_rows({"ingest": one_process}), "ingest"
    )


def test_meta_delivery_rows_give_deliveries_and_messages_per_s_and_the_ratio_to_singles() -> None:
    rows = by_metric(build_rows({"ingest": INGEST}), "ingest")
    four = rows[
        "meta delivery of 100 messages, concurrency 4: deliveries/s, messages/s,"
        " p50 / p99 per delivery"
    ]
    assert four.value == "16.0 deliveries/s, 1,600 messages/s, 240.0 ms / 400.0 ms"
    assert four.met is None  # no target was set for it
    ratio = rows["meta deliveries: best messages/s over best single events/s"]
    assert ratio.value == "0.50×"  # 1,600 messages/s against 3,200 single events/s
    before = {**INGEST, "phases": [p for p in INGEST["phases"] if "deliveries" not in p]}
    assert not any(row.metric.startswith("meta") for row in build_rows({"ingest": before}))


def test_query_p99s_are_judged_only_at_the_size_the_target_names() -> None:
    small = {**STATS, "customers_stats": {"today": {**STATS["customers_stats"]["today"],
                                                     "events": 20_000}}}  # fmt: skip
    rows = build_rows({"nba": NBA, "stats": STATS})
    nba = by_metric(rows, "nba")["NBA query GET /api/nba?limit=50, 10,000 customers: p99"]
    assert (nba.value, nba.met) == ("38.5 ms", True)
    recompute = by_metric(rows, "nba")
    assert recompute["recompute, each customer's history at once"].value == "956 events/s"
    assert recompute["recompute, events in time order"].value == "1,200 events/s"
    kpi = by_metric(rows, "stats")
    assert (
        kpi["KPI query GET /api/customers/stats (week frazer), 1,000,000 events: p99"].met is False
    )
    assert kpi["KPI query GET /api/customers/stats (today), 1,000,000 events: p99"].met is True
    unjudged = by_metric(build_rows({"stats": small}), "stats")
    assert unjudged["KPI query GET /api/customers/stats (today), 20,000 events: p99"].met is None


def test_backtest_rows_give_verified_time_and_fully_processed_rate() -> None:
    rows = build_rows(
        {
            "backtest 1000": backtest(1000, 100_000, replay=1.0, checks=0.5),
            "backtest 10000": backtest(10_000, 100_000, replay=150.0, checks=10.0),
        }
    )
    small, large = by_metric(rows, "backtest 1,000"), by_metric(rows, "backtest 10,000")
    timed = small["replayed + verified (5,000 deliveries)"]
    assert timed.value.startswith("1.5 s (replay 1.0 s + checks 0.5 s)")
    assert (timed.target, timed.met) == ("< 30 s, zero mismatches", True)
    assert small["fully processed (deliveries / replayed + verified)"].value == "3,333 events/s"
    assert small["fully processed (deliveries / replayed + verified)"].met is False
    assert large["replayed + verified (50,000 deliveries)"].met is False  # 160 s > 120 s
    assert large["ingest answered (replayer asked 100,000 events/s)"].value == "333 events/s"


def test_a_backtest_with_mismatches_meets_no_target() -> None:
    failed = backtest(1000, 100_000, replay=1.0, checks=0.2, ok=False, mismatch_count=3)
    rows = by_metric(build_rows({"backtest 1000": failed}), "backtest 1,000")
    timed = rows["replayed + verified (5,000 deliveries)"]
    assert "3 mismatches" in timed.value
    assert timed.met is False
    assert rows["fully processed (deliveries / replayed + verified)"].met is False


def test_latency_at_the_controlled_rate_counts_only_when_the_rate_was_held() -> None:
    held = backtest(1000, 500, replay=10.2, checks=1.0)  # 490 events/s reached
    rows = by_metric(build_rows({"latency 1000": held}), "end to end at 500 events/s")
    reminder = rows["accepted → reminder readable, p50 / p99 (n=50)"]
    assert (reminder.value, reminder.met) == ("80.0 ms / 210.0 ms", True)
    assert reminder.target == "p99 < 250 ms at 500 events/s"
    slow = backtest(1000, 500, replay=250.0, checks=1.0)  # 20 events/s reached
    rows = by_metric(build_rows({"latency 1000": slow}), "end to end at 500 events/s")
    assert rows["replay rate reached (1,000 contacts)"].met is False
    assert rows["accepted → reminder readable, p50 / p99 (n=50)"].met is False
    lower = by_metric(build_rows({"latency 1000": backtest(1000, 100, 50.0, 1.0)}),
                      "end to end at 100 events/s")  # fmt: skip
    assert lower["accepted → reminder readable, p50 / p99 (n=50)"].met is None
    steady = by_metric(build_rows({"steady 300": backtest(300, 50, 30.0, 1.0)}),
                       "end to end at 50 events/s")  # fmt: skip
    assert steady["replay rate reached (300 contacts)"].met is True
    assert steady["accepted → reminder readable, p50 / p99 (n=50)"].met is None  # not the target


def test_system_cpu_rows_give_cpu_per_event_by_process_and_the_share_of_the_floor() -> None:
    by_group = {"postgres": 10.0, "kafka": 5.0, "ingest": 3.5}
    single = {"name": "single, concurrency 16", "concurrency": 16, "accepted": 3000,
              "refused": 0, "events_per_s": 300.0, "drained": True, "processed_per_s": 48.0,
              "cpu_ms_per_event": 18.5, "cpu_ms_per_event_by_group": by_group,
              "floor_requests_per_s": 6000.0, "floor_share": 0.008}  # fmt: skip
    backlogged = {**single, "name": "single, concurrency 64", "drained": False, "refused": 1200}
    replayed = {"name": "backtest, 1000 contacts", "contacts": 1000, "deliveries": 5000,
                "ok": False, "mismatch_count": 2, "drained": True, "processed_per_s": 250.0,
                "cpu_ms_per_event": 6.0, "cpu_ms_per_event_by_group": by_group,
                "floor_requests_per_s": 5000.0, "floor_share": 0.05}  # fmt: skip
    data = {"benchmark": "system_cpu", "phases": [single, backlogged, replayed]}
    rows = by_metric(build_rows({"cpu": data}), "system cpu")
    cpu = rows["single, concurrency 16: CPU per event, all processes (by process)"]
    assert cpu.value == "18.5 ms (postgres 10.0 · kafka 5.0 · ingest 3.5)"
    share = rows["single, concurrency 16: fully processed, share of the HTTP floor"]
    assert share.value == "48.0 events/s (accepted 300 events/s), 0.8% of 6,000 requests/s"
    late = rows["single, concurrency 64: fully processed, share of the HTTP floor"].value
    assert late.endswith("(backlog NOT drained, 1,200 refused)")
    delivery = rows["backtest, 1000 contacts: fully processed, share of the HTTP floor"]
    assert delivery.value == "250.0 deliveries/s, 5.0% of 5,000 requests/s (2 mismatches)"
    assert rows["backtest, 1000 contacts: CPU per delivery, all processes (by process)"].value
    assert "single, concurrency 16: messages on crm.events.v1 per event" not in rows


def test_system_cpu_rows_give_the_topic_messages_per_event_when_counted() -> None:
    phase = {"name": "single, concurrency 64", "events_per_s": 200.0, "drained": True,
             "processed_per_s": 170.0, "cpu_ms_per_event": 10.0,
             "cpu_ms_per_event_by_group": {"rules": 2.0}, "floor_requests_per_s": 2000.0,
             "floor_share": 0.085, "topic_messages": 9_350, "messages_per_event": 5.5}  # fmt: skip
    rows = by_metric(build_rows({"cpu": {"benchmark": "system_cpu", "phases": [phase]}}),
                     "system cpu")  # fmt: skip
    assert rows["single, concurrency 64: messages on crm.events.v1 per event"].value == "5.50"


def test_a_step_without_figures_is_one_row_in_run_order() -> None:
    rows = build_rows({"nba": NBA, "backtest 10000": "timed out after 1800 s", "stats": STATS})
    parts = list(dict.fromkeys(row.part for row in rows))
    assert parts == ["nba", "backtest 10,000", "stats"]
    failed = next(row for row in rows if row.part == "backtest 10,000")
    assert (failed.value, failed.met) == ("timed out after 1800 s", False)


def test_table_is_written_as_json_and_markdown_with_the_machine(tmp_path: Path) -> None:
    machine = Machine(2, "Test CPU", 7.8, "3.11.9", "abc1234", "2026-11-30 10:00 UTC",
                      (1.0, 2.0, 3.0), (2.5, 2.0, 3.0))  # fmt: skip
    table = BenchTable(machine, build_rows({"nba": NBA}), ["uv run python -m bench.nba"])
    as_json, as_markdown = table.write(tmp_path)
    written = json.loads(as_json.read_text())
    assert written["machine"]["cpus"] == 2
    assert written["rows"][0]["met"] is True
    markdown = as_markdown.read_text()
    assert "- machine: 2 CPUs (Test CPU), 7.8 GB memory" in markdown
    assert "1.00 / 2.00 / 3.00 at start, 2.50 / 2.00 / 3.00 at end" in markdown
    assert "| nba | NBA query GET /api/nba?limit=50, 10,000 customers: p99 | 38.5 ms |" in markdown
    console = Console(record=True, width=200)
    table.print(console)
    assert "38.5 ms" in console.export_text()


def test_machine_facts_from_proc_files() -> None:
    assert cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n") == "AMD EPYC 7B13"
    assert memory_gb("MemTotal:        8041220 kB\nMemFree: 1 kB\n") == 8041220 / 1024 / 1024


def test_plan_runs_services_first_then_the_controlled_rate_then_the_sizes(tmp_path: Path) -> None:
    planned = steps(Plan(contacts=(1000, 10000)), tmp_path)
    assert [s.name for s in planned] == [
        "consumer", "floor", "ingest", "rules", "nba", "stats", "cpu",
        "latency 1000", "steady 300", "backtest 1000", "backtest 10000",
    ]  # fmt: skip
    assert [s.needs_system for s in planned].count(True) == 5
    assert planned[1].shown().startswith("uv run python -m bench.http_floor --seconds 10")
    cpu = planned[6].shown()
    assert cpu.startswith("uv run python -m bench.system_cpu --seconds 10")
    assert "--backtest-contacts 1000 --backtest-seed 107 " in cpu
    latency = planned[7].shown()
    assert "--rate 500 " in latency
    assert latency.startswith("uv run python -m crm_backtest.cli run --contacts 1000 --seed 7")
    steady = planned[8].shown()
    assert "--contacts 300 --seed 8 --rate 50 " in steady
    assert "--seed 10" in planned[10].shown()  # a seed of its own per run
    assert all(str(s.output) in s.command for s in planned)
    only = steps(Plan(parts=("ingest",)), tmp_path)
    assert [s.name for s in only] == ["ingest"]


def test_the_card_stories_are_asked_of_every_backtest_run_only_when_wanted(tmp_path: Path) -> None:
    runs = ("latency", "steady", "backtest")
    assert not any("--kundekort" in s.command for s in steps(Plan(), tmp_path))
    planned = steps(Plan(kundekort=True), tmp_path)
    with_stories = [s.name.split()[0] for s in planned if "--kundekort" in s.command]
    assert with_stories == ["latency", "steady", "backtest", "backtest"]
    assert all(s.name.split()[0] in runs for s in planned if "--kundekort" in s.command)


def test_running_services_read_from_the_status_lines() -> None:
    status = (
        "ingest     running  ready          http://127.0.0.1:8001  /x/ingest.log\n"
        "gateway    stopped  not answering  http://127.0.0.1:8000  /x/gateway.log\n"
    )
    assert running_services(status) == (1, 2)
