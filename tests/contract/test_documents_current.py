"""The checked-in documents are what the code generates (make lint checks the same), and the
check names a document that a changed model would make differ."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from crm_devstack.contract.cli import (
    ASYNCAPI_FILE,
    OPENAPI_FILE,
    app,
    default_directory,
    stale_files,
)


def test_the_checked_in_documents_are_what_the_code_generates(generated: dict[str, str]) -> None:
    assert stale_files(default_directory(), generated) == [], (
        "run `uv run python -m crm_devstack.contract` and commit the result"
    )


def test_a_changed_model_makes_its_document_stale(
    generated: dict[str, str], tmp_path: Path
) -> None:
    for name, text in generated.items():
        (tmp_path / name).write_text(text)
    assert stale_files(tmp_path, generated) == []
    # What the check compares after a model gained a field: the document the code gives.
    changed = json.loads(generated[ASYNCAPI_FILE])
    changed["components"]["schemas"]["MeetingBooked"]["properties"]["room"] = {"type": "string"}
    assert stale_files(tmp_path, {**generated, ASYNCAPI_FILE: json.dumps(changed)}) == [
        ASYNCAPI_FILE
    ]


def test_the_check_exits_1_naming_the_stale_file(tmp_path: Path) -> None:
    (tmp_path / ASYNCAPI_FILE).write_text("{}\n")
    result = CliRunner().invoke(app, ["--check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert str(tmp_path / ASYNCAPI_FILE) in result.output
    assert str(tmp_path / OPENAPI_FILE) in result.output  # missing is stale too
