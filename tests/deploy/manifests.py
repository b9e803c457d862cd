"""Loading the deployment files of deploy/ for the tests of this folder.

No cluster and no Docker engine run here, so these tests validate the files themselves: they
parse, the Kubernetes objects validate against Kubernetes' schemas (kubernetes-validate), the
operators' custom resources carry the fields this project relies on, compose is complete, and
the generated files are current.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from crm_devstack.gateway_routes import SERVICE_PORTS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"

# Names the Kubernetes objects share: the Strimzi cluster, the ConfigMap and Secrets the services
# read, and the services themselves.
KAFKA_CLUSTER = "crm"
SECRETS = "crm-secrets"
CONFIG = "crm-config"
ACCOUNTS_SECRET = "crm-accounts"
SERVICES = sorted(SERVICE_PORTS)
# The web console's Deployment and Service, and its HTTPRoute (deploy/k8s/console.yaml).
CONSOLE = "console"
CONSOLE_ROUTE = "crm-console"


def k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    """Every object of deploy/k8s/*.yaml with the file it is in."""
    documents = []
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document is not None:
                documents.append((path.name, document))
    return documents


def load_compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def find(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [
        o
        for o in objects
        if o.get("kind") == kind and (name is None or o["metadata"]["name"] == name)
    ]


def one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = find(objects, kind, name)
    assert len(found) == 1, f"expected exactly one {kind} {name!r}, found {len(found)}"
    return found[0]
