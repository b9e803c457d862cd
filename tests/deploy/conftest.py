"""Fixtures: the deployment files of deploy/, loaded once."""

from __future__ import annotations

from typing import Any

import pytest

from .compose_file import ENVIRONMENT, interpolate
from .manifests import k8s_documents, load_compose


@pytest.fixture(scope="session")
def k8s_objects() -> list[dict[str, Any]]:
    return [document for _, document in k8s_documents()]


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def resolved(compose: dict[str, Any]) -> dict[str, Any]:
    document = interpolate(compose, ENVIRONMENT)
    assert isinstance(document, dict)
    return document
