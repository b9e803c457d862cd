"""The KEDA thresholds of deploy/k8s/ are the ones deploy/capacity.json gives, and the check
that `make lint` runs fails when either side changes alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from crm_devstack import deploy_files
from crm_devstack.capacity import (
    CAPACITY_FILE,
    SCALED_SERVICES,
    cpu_target_millicores,
    lag_threshold,
    load_figures,
)
from crm_devstack.deploy_scaling import manifest, with_thresholds

from .manifests import ROOT, one


def _triggers(k8s_objects: list[dict[str, Any]], name: str) -> dict[str, dict[str, Any]]:
    scaled = one(k8s_objects, "ScaledObject", name)
    return {trigger["type"]: trigger for trigger in scaled["spec"]["triggers"]}


@pytest.mark.parametrize("name", SCALED_SERVICES)
def test_each_lag_threshold_is_derived_from_the_capacity_figures(
    k8s_objects: list[dict[str, Any]], name: str
) -> None:
    kafka = _triggers(k8s_objects, name)["kafka"]
    assert kafka["metadata"]["lagThreshold"] == str(lag_threshold(load_figures(ROOT), name))


def test_ingest_scales_on_cpu_at_the_planned_share_of_a_core(
    k8s_objects: list[dict[str, Any]],
) -> None:
    cpu = _triggers(k8s_objects, "ingest")["cpu"]
    assert cpu["metricType"] == "AverageValue"
    assert cpu["metadata"] == {"value": f"{cpu_target_millicores()}m"}


@pytest.fixture
def deploy_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    assert deploy_files.stale_files(tmp_path) == []
    return tmp_path


def test_new_figures_make_every_scaled_manifest_stale_until_written(
    deploy_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures_file = deploy_copy / CAPACITY_FILE
    figures = json.loads(figures_file.read_text(encoding="utf-8"))
    figures["messages_per_event"] *= 2
    figures_file.write_text(json.dumps(figures), encoding="utf-8")
    assert deploy_files.stale_files(deploy_copy) == [manifest(s) for s in SCALED_SERVICES]
    assert deploy_files.main(["--check", "--root", str(deploy_copy)]) == 1
    assert f"stale: {manifest('rules')}" in capsys.readouterr().err
    assert deploy_files.main(["--root", str(deploy_copy)]) == 0
    written = (deploy_copy / manifest("rules")).read_text(encoding="utf-8")
    assert f'lagThreshold: "{lag_threshold(load_figures(deploy_copy), "rules")}"' in written
    assert deploy_files.stale_files(deploy_copy) == []


def test_a_threshold_edited_by_hand_is_stale(deploy_copy: Path) -> None:
    path = deploy_copy / manifest("ingest")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('value: "700m"', 'value: "900m"'), encoding="utf-8")
    assert deploy_files.stale_files(deploy_copy) == [manifest("ingest")]


def test_a_manifest_without_its_trigger_is_an_error_not_left_unchecked() -> None:
    text = (ROOT / manifest("rules")).read_text(encoding="utf-8")
    without = "\n".join(line for line in text.splitlines() if "lagThreshold" not in line)
    with pytest.raises(ValueError, match="lagThreshold"):
        with_thresholds(without, load_figures(ROOT), "rules")
    ingest = (ROOT / manifest("ingest")).read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="type: cpu"):
        with_thresholds(
            ingest.replace("- type: cpu", "- type: memory"), load_figures(ROOT), "ingest"
        )
