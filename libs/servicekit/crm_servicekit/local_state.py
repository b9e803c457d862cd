"""The local system's state folder, as the `crm` command finds it: `$CRM_STATE_DIR`, else
`.local` in the current folder (the repository's, where `make up` keeps it). The local
launcher (crm_devstack) writes there the secrets the services run with (`secrets.json`) and
the accounts file they read (`accounts.json`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

STATE_DIR_ENV = "CRM_STATE_DIR"
SECRETS_FILE = "secrets.json"
ACCOUNTS_FILE = "accounts.json"


class LocalStateError(ValueError):
    """The local state cannot give what was asked; the message says what to do."""


def local_state_dir() -> Path:
    return Path(os.environ.get(STATE_DIR_ENV) or ".local").expanduser().resolve()


def local_accounts_file(state_dir: Path | None = None) -> Path:
    return (state_dir or local_state_dir()) / ACCOUNTS_FILE


def local_jwt_secret(state_dir: Path) -> str:
    """The JWT secret the local services run with (crm_devstack's LocalSecrets.jwt_secret)."""
    path = state_dir / SECRETS_FILE
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LocalStateError(
            f"no local system's secrets in {path}: give the services' JWT secret with --secret "
            f"or CRM_JWT_SECRET, or run `make up` first (or set {STATE_DIR_ENV} to the state "
            "folder it uses)"
        ) from None
    except (OSError, ValueError) as error:
        raise LocalStateError(f"{path} cannot be read: {error}") from None
    secret = kept.get("jwt_secret") if isinstance(kept, dict) else None
    if not isinstance(secret, str) or not secret:
        raise LocalStateError(f"{path} has no jwt_secret: run `make up` to complete it")
    return secret
