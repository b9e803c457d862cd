"""deploy/Dockerfile and .dockerignore: one image for every service, built from the lock file.

No Docker engine runs here, so the build itself is not run; these tests read the files.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

from crm_devstack.gateway_routes import SERVICE_PORTS

from .manifests import DEPLOY, ROOT

DOCKERFILE = DEPLOY / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    result = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            instruction, _, arguments = stripped.partition(" ")
            result.append((instruction.upper(), arguments.strip()))
    return result


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def _root_project() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _workspace_members() -> dict[str, Path]:
    """Project name -> folder of every workspace member."""
    members = {}
    for pattern in _root_project()["tool"]["uv"]["workspace"]["members"]:
        for folder in sorted(ROOT.glob(pattern)):
            if (folder / "pyproject.toml").is_file():
                project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
                members[project["project"]["name"]] = folder
    return members


def _production_members() -> dict[str, Path]:
    """The members the root project depends on (its dev group left out, as the image does)."""
    production = set(_root_project()["project"]["dependencies"])
    return {name: folder for name, folder in _workspace_members().items() if name in production}


def test_both_stages_start_from_python_3_11_slim() -> None:
    instructions = _instructions()
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim") in instructions
    froms = [arguments for name, arguments in instructions if name == "FROM"]
    assert froms == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE}"]


def test_uv_comes_from_pypi_at_the_makefiles_version_and_syncs_the_lock_without_dev() -> None:
    instructions = _instructions()
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    version = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert version is not None
    assert ("ARG", f"UV_VERSION={version[1]}") in instructions
    assert ("RUN", 'pip install "uv==${UV_VERSION}"') in instructions
    syncs = [
        arguments for name, arguments in instructions if name == "RUN" and "uv sync" in arguments
    ]
    assert syncs, "no uv sync"
    for sync in syncs:
        assert "--frozen" in sync.split()
        assert "--no-dev" in sync.split()


def _copy_sources() -> list[str]:
    """Every source of a COPY from the build context (not from another stage)."""
    sources = []
    for name, arguments in _instructions():
        if name == "COPY" and not arguments.startswith("--from"):
            sources += shlex.split(arguments)[:-1]
    return sources


def test_every_production_member_is_copied_for_the_dependency_layer() -> None:
    copied = set(_copy_sources())
    assert {"pyproject.toml", "uv.lock"} <= copied
    production = _production_members()
    assert set(production) >= {"crm-schemas", "crm-servicekit"}
    for folder in production.values():
        assert f"{folder.relative_to(ROOT).as_posix()}/pyproject.toml" in copied, folder


def test_the_developer_tools_are_neither_copied_nor_sent() -> None:
    tools = {
        folder.relative_to(ROOT).as_posix()
        for name, folder in _workspace_members().items()
        if name not in _production_members()
    }
    assert tools == {"libs/devstack", "libs/backtest"}
    for source in _copy_sources():
        assert not any(f"{source.rstrip('/')}/".startswith(f"{tool}/") for tool in tools), source
        assert not any(tool.startswith(f"{source.rstrip('/')}/") for tool in tools), source
    for tool in tools:
        assert _ignored(f"{tool}/pyproject.toml", _dockerignore()), tool


def test_the_runtime_runs_as_a_numeric_non_root_user_with_the_venv_on_path() -> None:
    final = _final_stage()
    users = [arguments for name, arguments in final if name == "USER"]
    assert users, "the runtime stage must set USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit()
    assert int(uid) != 0
    env = " ".join(arguments for name, arguments in final if name == "ENV")
    assert "PATH=/app/.venv/bin:$PATH" in env
    assert "CRM_ENVIRONMENT=production" in env
    assert ("COPY", "--from=build /app/.venv /app/.venv") in final
    exposed = {
        int(port) for name, arguments in final if name == "EXPOSE" for port in arguments.split()
    }
    assert exposed == set(SERVICE_PORTS.values())


def test_each_service_command_is_a_console_script_of_its_package() -> None:
    for name in SERVICE_PORTS:
        project = tomllib.loads(
            (ROOT / "services" / name / "pyproject.toml").read_text(encoding="utf-8")
        )
        assert f"crm-{name}" in project["project"]["scripts"], name


def _pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regular expression (Go's filepath.Match, plus **)."""
    body = pattern.strip("/")
    regex = ""
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif body.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif body[i] == "*":
            regex, i = regex + "[^/]*", i + 1
        elif body[i] == "?":
            regex, i = regex + "[^/]", i + 1
        else:
            regex, i = regex + re.escape(body[i]), i + 1
    return re.compile(regex)


def _ignored(path: str, patterns: list[str]) -> bool:
    """The last pattern matching the path or one of its parents wins; ! re-includes."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = _pattern(pattern.removeprefix("!"))
        if any(regex.fullmatch(candidate) for candidate in candidates):
            ignored = not negated
    return ignored


def _dockerignore() -> list[str]:
    return [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def test_dockerignore_sends_what_the_copies_need_and_no_caches() -> None:
    patterns = _dockerignore()
    assert patterns[0] == "*", "ignore everything, then let in what the image needs"
    for source in _copy_sources():
        assert (ROOT / source).exists(), source
        assert not _ignored(source, patterns), source
    assert not _ignored("services/ingest/crm_ingest/migrations/0001_ingest.sql", patterns)
    # The API's documents ingest serves are package data, sent and installed with its wheel.
    assert not _ignored("services/ingest/crm_ingest/published/openapi.json", patterns)
    assert not _ignored("services/ingest/crm_ingest/published/asyncapi.json", patterns)
    assert _ignored("services/ingest/crm_ingest/__pycache__/main.cpython-311.pyc", patterns)
    assert _ignored(".venv/bin/python", patterns)
    assert _ignored(".local/kafka/data", patterns)
