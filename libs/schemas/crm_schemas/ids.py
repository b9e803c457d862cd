"""Deterministic ids for system events, so re-processing or a rebuild emits the same events."""

from __future__ import annotations

import uuid
from typing import Final

# Fixed forever: changing it would give every system event a new id on the next rebuild.
SYSTEM_EVENT_NAMESPACE: Final = uuid.UUID("5f0b5a8e-3c1d-5b7e-9a41-6d2c8e7f1a90")


def system_event_id(
    account_id: str, cause_id: str, kind: str, discriminator: str = ""
) -> uuid.UUID:
    """UUIDv5 over the account, the cause's id, the kind of effect and a discriminator.

    The separator cannot appear inside a UUID, and the parts are length-prefixed so that
    ("a|b", "c") and ("a", "b|c") never collide.
    """
    parts = (account_id, cause_id, kind, discriminator)
    name = "|".join(f"{len(part)}:{part}" for part in parts)
    return uuid.uuid5(SYSTEM_EVENT_NAMESPACE, name)


def api_action_id(account_id: str, idempotency_key: str | None, kind: str) -> uuid.UUID:
    """The cause id of a person's API action: stable for a repeated Idempotency-Key."""
    if idempotency_key is None:
        return uuid.uuid4()
    return system_event_id(account_id, idempotency_key, "api_action", kind)
