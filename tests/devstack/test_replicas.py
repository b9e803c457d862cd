"""Replica counts and names, without servers: what `system up --replicas` and `make up
REPLICAS=...` accept, what each replica's pid file and log are called, what is recorded."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm_devstack.app_servers import APP_SERVER_TYPES, service_replicas
from crm_devstack.cli import app
from crm_devstack.replicas import (
    MAX_REPLICAS,
    forget_counts,
    parse_replicas,
    record_counts,
    recorded_counts,
    replica_name,
    running_replica_indexes,
    split_replica_name,
)
from crm_devstack.settings import Ports, StackConfig
from crm_devstack.system_stack import known_pieces
from crm_schemas.topics import PARTITIONS

ROOT = Path(__file__).resolve().parents[2]
ONE_EACH = {"ingest": 1, "customers": 1, "rules": 1, "nba": 1, "stats": 1}


def _config(tmp_path: Path) -> StackConfig:
    return StackConfig(state_dir=tmp_path, ports=Ports())


def test_counts_are_read_from_words_separated_by_spaces_or_commas() -> None:
    assert parse_replicas(["customers=2 rules=3"]) == {"customers": 2, "rules": 3}
    assert parse_replicas(["ingest=2,nba=12", " stats=1 "]) == {"ingest": 2, "nba": 12, "stats": 1}
    assert parse_replicas([]) == {}
    assert parse_replicas([""]) == {}


def test_the_most_replicas_is_the_partition_count() -> None:
    assert MAX_REPLICAS == PARTITIONS == 12


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("customers=0", "from 1 to 12"),
        ("customers=13", "from 1 to 12"),
        ("customers=-1", "from 1 to 12"),
        ("customers=two", "from 1 to 12"),
        ("customers=", "from 1 to 12"),
        ("customers", "write service=count"),
        ("gateway=2", "unknown service 'gateway'"),
        ("kafka=3", "unknown service 'kafka'"),
        ("rules=2 rules=3", "rules is given twice"),
    ],
)
def test_a_wrong_count_is_refused_naming_the_word(spec: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)) as refused:
        parse_replicas([spec])
    assert repr(spec.split()[-1]) in str(refused.value)


def test_the_first_replica_keeps_the_service_name_and_the_others_are_numbered() -> None:
    assert [replica_name("customers", i) for i in (1, 2, 12)] == [
        "customers",
        "customers-2",
        "customers-12",
    ]
    with pytest.raises(ValueError, match="start at 1"):
        replica_name("customers", 0)
    assert split_replica_name("customers") == ("customers", 1)
    assert split_replica_name("customers-2") == ("customers", 2)
    for not_a_replica in ("customers-1", "customers-x", "gateway", "kafka", "rules-2-3"):
        assert split_replica_name(not_a_replica) is None


def test_each_replica_has_its_own_pid_file_and_log_and_shares_the_port(tmp_path: Path) -> None:
    config = _config(tmp_path)
    first, second = (APP_SERVER_TYPES["customers"](config, i) for i in (1, 2))
    assert first.process.pid_file == tmp_path / "run" / "customers.pid"
    assert first.log_file == tmp_path / "logs" / "customers.log"
    assert second.instance_name == "customers-2"
    assert second.process.pid_file == tmp_path / "run" / "customers-2.pid"
    assert second.log_file == tmp_path / "logs" / "customers-2.log"
    assert first.port == second.port == 8002
    for replica in (first, second):
        assert replica.command().env["CUSTOMERS_HTTP_REUSE_PORT"] == "true"


def test_replicas_start_in_rounds_first_replicas_first(tmp_path: Path) -> None:
    counts = {**ONE_EACH, "customers": 3, "stats": 2}
    names = [replica.instance_name for replica in service_replicas(_config(tmp_path), counts)]
    assert names == [
        *["ingest", "customers", "rules", "nba", "stats"],
        *["customers-2", "stats-2"],
        "customers-3",
    ]


def test_counts_are_recorded_until_forgotten(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    assert recorded_counts(run_dir) == ONE_EACH
    assert record_counts(run_dir, {"customers": 2}) == {**ONE_EACH, "customers": 2}
    # A later change of another service keeps the first one.
    record_counts(run_dir, {"rules": 3})
    assert recorded_counts(run_dir) == {**ONE_EACH, "customers": 2, "rules": 3}
    forget_counts(run_dir)
    assert recorded_counts(run_dir) == ONE_EACH


def test_a_spoilt_record_is_refused_naming_the_file(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "replicas.json").write_text('{"customers": 40}')
    with pytest.raises(ValueError, match="from 1 to 12"):
        recorded_counts(run_dir)
    (run_dir / "replicas.json").write_text("{")
    with pytest.raises(ValueError, match=r"replicas\.json is not valid JSON"):
        recorded_counts(run_dir)


def test_status_lists_every_recorded_replica_and_any_other_with_a_pid_file(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)
    record_counts(config.run_dir, {"rules": 2})
    # A pid file of a replica beyond the count (a count lowered while it ran).
    (config.run_dir / "nba-4.pid").write_text("1 0.0\n")
    (config.run_dir / "gateway.pid").write_text("1 0.0\n")
    assert running_replica_indexes(config.run_dir, "nba") == [4]
    names = [piece.instance_name for piece in known_pieces(config)]
    assert names == [
        *["ingest", "customers", "rules", "rules-2", "nba", "nba-4", "stats", "gateway"],
    ]


def test_system_up_refuses_a_count_beyond_the_partitions_before_starting_anything(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(
        app,
        ["system", "up", "--replicas", "customers=2 rules=13"],
        env={"CRM_STATE_DIR": str(tmp_path), "COLUMNS": "300"},
    )
    assert result.exit_code == 1, result.output
    assert "replicas 'rules=13': the count must be a whole number from 1 to 12" in result.output
    # Nothing was started and nothing recorded.
    assert not (tmp_path / "run").exists()


def test_make_up_passes_replicas_and_make_help_names_them() -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")

    def dry_run(*arguments: str) -> str:
        return subprocess.run(
            [make, "--no-print-directory", "-n", *arguments],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    assert 'crm-devstack system up --replicas "customers=2 rules=2"' in dry_run(
        "up", "REPLICAS=customers=2 rules=2"
    )
    plain = dry_run("up")
    assert re.search(r"crm-devstack system up$", plain, re.M), plain
    assert re.search(r'^echo ".*REPLICAS=.*customers=2 rules=2', dry_run("help"), re.M)
