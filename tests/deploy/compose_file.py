"""Reading deploy/compose.yaml as compose does: its variable interpolation, the environment the
tests resolve it with, and what a service's healthcheck runs."""

from __future__ import annotations

import re
from typing import Any

from crm_devstack.gateway_routes import SERVICE_PORTS

APP_SERVICES = sorted(SERVICE_PORTS)

VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class MissingVariable(KeyError):
    pass


def interpolate(value: Any, environment: dict[str, str]) -> Any:
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}; $$ is a literal $."""
    if isinstance(value, dict):
        return {key: interpolate(item, environment) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, environment) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        current = environment.get(name)
        if op in (":?", "?") and not current:
            raise MissingVariable(f"{name}: {arg}")
        if op in (":-", "-") and not current:
            return str(arg)
        return current or ""

    pieces = value.split("$$")
    return "$".join(VARIABLE.sub(substitute, piece) for piece in pieces)


ENVIRONMENT = {
    "CRM_JWT_SECRET": "x7Qp2LmN9vR4tY8wZ1aB3cD5eF6gH0jK",
    "CRM_SERVICE_TOKEN": "s9Tk3Wq7Er1Yu5Io2Pa4Sd6Fg8Hj0Kl",
    "POSTGRES_PASSWORD": "pg3Xv8Rm2Lq",
    "CRM_ACCOUNTS_PATH": "/etc/crm/accounts.yaml",
}


def healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def without_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
