"""The concordance artifacts: current, true to DOMAIN.md, complete, and citing what is there."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crm_devstack.concordance.artifacts import artifacts
from crm_devstack.concordance.cli import app, default_directory, stale_artifacts, write_artifacts
from crm_devstack.concordance.sources import DOMAIN_SECTIONS
from crm_schemas.catalog import EventName
from crm_schemas.vocabulary import VOCABULARY_TERMS, Vocabulary

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "docs" / "concordance"
LEGACY = ARTIFACTS / "legacy"
# CI lays shared/ beside the clone; a developer's checkout has it beside main/ too.
DOMAIN_MD = ROOT.parent / "shared" / "design" / "DOMAIN.md"


def _load(name: str) -> Any:
    return json.loads((ARTIFACTS / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mapping() -> Any:
    return _load("status_mapping.json")


@pytest.fixture(scope="module")
def catalog() -> Any:
    return _load("event_catalog.json")


@pytest.fixture(scope="module")
def report() -> Any:
    return _load("report.json")


def test_checked_in_artifacts_are_current() -> None:
    assert default_directory() == ARTIFACTS
    assert stale_artifacts(ARTIFACTS) == [], (
        "run `uv run python -m crm_devstack.concordance` and commit docs/concordance/"
    )


def test_check_names_the_stale_file_and_exits_non_zero(tmp_path: Path) -> None:
    assert write_artifacts(tmp_path) == list(artifacts())
    runner = CliRunner()
    assert runner.invoke(app, ["--check", "--dir", str(tmp_path)]).exit_code == 0
    (tmp_path / "event_catalog.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "README.md").unlink()
    result = runner.invoke(app, ["--check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "event_catalog.json" in result.output
    assert "README.md" in result.output
    assert "status_mapping.json" not in result.output


def test_artifacts_are_deterministic() -> None:
    first, second = artifacts(), artifacts()
    assert first == second
    assert all(text.endswith("\n") and not text.endswith("\n\n") for text in first.values())


# DOMAIN.md's reverse table, spot checks written out here, independently of the code:
# (status, booking, joined_team) -> (frazer, recruiting, sales).
REVERSE_SPOT_CHECKS = [
    (("lead", "booked", False), ("New", "New", "New")),
    (("relationship", "none", False), ("Relationship", "New", "New")),
    (("invited", "held", True), ("Invited", "New", "New")),
    (("qualified", "canceled", False), ("Qualified", "Qualified", "Qualified")),
    (("qualified", "held", False), ("Qualified", "Qualified", "Qualified")),
    (("qualified", "booked", False), ("Booked", "Booked", "Booked")),
    (("qualified", "no_show", False), ("No-Show", "No-Show", "No-Show")),
    (("presentation_sent", "held", False), ("Video Sent", "Held", "Held")),
    (("presentation_sent", "no_show", False), ("Video Sent", "Qualified", "Qualified")),
    (("follow_up", "none", False), ("Follow-up", "Held", "Held")),
    (("signed_up", "none", False), ("Signed-up", "Joined", "Won")),
    (("signed_up", "held", True), ("Team", "Joined", "Won")),
    (("not_now", "canceled", False), ("Not Now", "Lost", "Lost")),
]


@pytest.mark.parametrize(("state", "terms"), REVERSE_SPOT_CHECKS)
def test_status_mapping_reverse_agrees_with_domain(
    mapping: Any, state: tuple[str, str, bool], terms: tuple[str, str, str]
) -> None:
    shown = []
    for vocabulary in ("frazer", "recruiting", "sales"):
        rows = mapping["vocabularies"][vocabulary]["reverse"]
        found = [
            row["term"]
            for row in rows
            if (row["status"], row["booking"], row["joined_team"]) == state
        ]
        assert len(found) == 1, (vocabulary, state)
        shown.append(found[0])
    assert tuple(shown) == terms


def test_status_mapping_forward_and_legacy_aliases(mapping: Any) -> None:
    vocabularies = mapping["vocabularies"]
    assert vocabularies["sales"]["forward"]["Booked"] == {
        "status": "qualified",
        "booking": "booked",
        "joined_team": False,
    }
    assert vocabularies["recruiting"]["forward"]["Joined"]["joined_team"] is True
    assert vocabularies["sales"]["forward"]["Won"]["status"] == "signed_up"
    assert vocabularies["frazer"]["forward"]["Video Sent"]["status"] == "presentation_sent"
    assert vocabularies["recruiting"]["forward"]["Lost"]["status"] == "not_now"
    aliases = mapping["legacy_booking_aliases"]
    assert aliases["pending"] == aliases["confirmed"] == "booked"
    assert aliases["no-show"] == "no_show"
    canonical = mapping["canonical"]
    assert canonical["open_stages"] == [
        "lead",
        "relationship",
        "invited",
        "qualified",
        "presentation_sent",
        "follow_up",
    ]
    assert canonical["booking_states"] == ["none", "booked", "held", "no_show", "canceled"]
    for vocabulary in Vocabulary:
        assert vocabularies[vocabulary.value]["terms"] == list(VOCABULARY_TERMS[vocabulary])


def test_every_event_is_in_the_catalog_and_the_report(catalog: Any, report: Any) -> None:
    for name in EventName:
        assert name.value in catalog["events"], name
        assert name.value in catalog["order"], name
        assert report["events"][name.value]["origins"], name


def test_catalog_lists_required_properties(catalog: Any) -> None:
    booked = catalog["events"]["MEETING_BOOKED"]
    assert booked["required"]["booking_time"] == {"type": "string", "format": "date-time"}
    assert "booking_id" in booked["optional"]
    assert set(catalog["events"]["PURCHASED"]["required"]) == {"amount", "currency", "product_ids"}
    assert catalog["events"]["VIDEO_SENT"]["activity"] is True
    assert catalog["events"]["MEETING_CANCELED"]["activity"] is False
    assert catalog["events"]["COACHING_PROMPT"]["account_level"] is True
    assert catalog["events"]["REMINDER_DUE"]["emitted_by"] == "rules"


def test_every_term_of_every_vocabulary_has_an_origin(report: Any) -> None:
    for vocabulary in Vocabulary:
        traced = report["status_terms"][vocabulary.value]
        assert set(traced) == set(VOCABULARY_TERMS[vocabulary])
        for term, entry in traced.items():
            assert entry["origins"], (vocabulary, term)
    legacy_pipeline = {"source": "legacy/pipelines.json", "path": "Recruiting", "value": "Joined"}
    assert legacy_pipeline in report["status_terms"]["recruiting"]["Joined"]["origins"]


def test_rules_nba_and_kpis_are_traced(report: Any) -> None:
    assert len(report["rules"]) == 8
    assert [row["action"] for row in report["nba"]][:2] == ["follow_up_now", "rebook"]
    assert {"new_leads", "follow_ups_done", "speed_to_lead"} <= {k["name"] for k in report["kpis"]}
    for entry in [*report["rules"], *report["nba"], *report["kpis"]]:
        assert entry["origins"], entry


def _origins(node: Any) -> list[dict[str, Any]]:
    """Every origin cited anywhere in the report."""
    if isinstance(node, dict):
        if "source" in node and ("path" in node or "section" in node):
            return [node]
        return [found for value in node.values() for found in _origins(value)]
    if isinstance(node, list):
        return [found for value in node for found in _origins(value)]
    return []


def _resolve(document: Any, path: str) -> Any:
    for part in filter(None, path.split(".")):
        document = document[part]
    return document


def test_every_legacy_citation_is_in_the_legacy_file(report: Any) -> None:
    cited = [origin for origin in _origins(report) if "path" in origin]
    assert cited
    for origin in cited:
        document = json.loads((ARTIFACTS / origin["source"]).read_text(encoding="utf-8"))
        found = _resolve(document, origin["path"])
        if "value" in origin:
            value = origin["value"]
            if isinstance(found, list):
                assert value in found, origin
            else:
                assert value in str(found), origin


def test_every_domain_citation_is_a_heading_of_domain_md(report: Any) -> None:
    if not DOMAIN_MD.is_file():
        pytest.skip(f"{DOMAIN_MD} is not beside this checkout")
    headings = set(re.findall(r"^#+ (.+)$", DOMAIN_MD.read_text(encoding="utf-8"), re.M))
    assert set(DOMAIN_SECTIONS) <= headings
    for origin in _origins(report):
        if "section" in origin:
            assert origin["section"] in headings, origin


def test_changes_cover_the_known_differences(report: Any) -> None:
    ids = {change["id"] for change in report["changes"]}
    assert {
        "events-added",
        "meeting-booked-requires-booking-time",
        "purchased-requires-amount-currency-product-ids",
        "source-enum",
        "frazer-vocabulary-added",
        "legacy-booking-status",
        "lifecycle-stage-not-carried",
        "won-and-joined-are-signed-up",
        "canonical-status-codes",
        "deterministic-ids",
    } <= ids
    added = next(c for c in report["changes"] if c["id"] == "events-added")["summary"]
    for name in ("MESSAGE_RECEIVED", "MESSAGE_SENT", "INVITE_SENT", "MEETING_CANCELED"):
        assert name in added
    probes = {probe["case"]: probe for probe in report["probes"]}
    assert probes["MEETING_BOOKED without booking_time"]["legacy"] == "accepted"
    assert probes["MEETING_BOOKED without booking_time"]["now"] == "rejected"
    assert probes["MESSAGE_RECEIVED, not in the earlier enum"]["legacy"] == "rejected"
    assert probes["MESSAGE_RECEIVED, not in the earlier enum"]["now"] == "accepted"
