"""The connectors' hostile cases (docs/connectors.md): Meta's handshake and deliveries, and
the booking tools' paths. Signed the way each provider signs; anything unsigned, signed with
another secret, too old or for an unknown account is 401, and what is signed but unreadable is
refused, never a 500."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ingest.support import T0

from crm_ingest.policy.connectors.signatures import (
    calcom_signature,
    calendly_signature,
    meta_signature,
)
from crm_servicekit.account_connectors import Connectors

from .attack import REFUSED, UNAUTHENTICATED, Case
from .families import LONE_SURROGATE, NUL

META_SECRET, VERIFY_TOKEN = "hostile-meta-app-secret", "hostile-verify-token"
CALENDLY_KEY, CALCOM_SECRET = "hostile-calendly-key", "hostile-calcom-secret"
PAGE = "1000000001"
ACME_CONNECTORS = Connectors.model_validate(
    {
        "meta": {"page_ids": [PAGE]},
        "calendly": {"signing_keys": [CALENDLY_KEY]},
        "calcom": {"secrets": [CALCOM_SECRET]},
    }
)
# start the served ingest with these (a deployment's Meta app).
META_SETTINGS: Mapping[str, Any] = {
    "meta_app_secrets": (META_SECRET,),
    "meta_verify_tokens": (VERIFY_TOKEN,),
}

VERIFY = "GET /api/hooks/meta"
META = "POST /api/hooks/meta"
CALENDLY = "POST /api/hooks/calendly/{account_id}"
CALCOM = "POST /api/hooks/calcom/{account_id}"
ACME = {"account_id": "acme"}
TAKEN = frozenset({200})
FORBIDDEN = frozenset({403})

Signer = Callable[[bytes], Mapping[str, str]]


def meta_signed(secret: str = META_SECRET) -> Signer:
    return lambda body: {"x-hub-signature-256": meta_signature(body, secret)}


def calendly_signed(key: str = CALENDLY_KEY, at: datetime = T0) -> Signer:
    return lambda body: {
        "calendly-webhook-signature": calendly_signature(body, key, int(at.timestamp()))
    }


def calcom_signed(secret: str = CALCOM_SECRET) -> Signer:
    return lambda body: {"x-cal-signature-256": calcom_signature(body, secret)}


def dm(text: str) -> dict[str, Any]:
    item = {
        "sender": {"id": "psid-1"},
        "recipient": {"id": PAGE},
        "timestamp": int(T0.timestamp() * 1000),
        "message": {"mid": "m-hostile", "text": text},
    }
    return {"object": "page", "entry": [{"id": PAGE, "time": 0, "messaging": [item]}]}


def _unreadable(route: str, sign: Signer, path: Mapping[str, str]) -> list[Case]:
    """Signed right, but no JSON the provider would send: refused or judged, never a 500."""
    name = route.split(" ", 1)[1]
    bodies: dict[str, Any] = {
        "malformed": b'{"object": ',
        "nan": b'{"object": NaN}',
        "deep": b"[" * 100_000,
        "array": [1, 2, 3],
        "nul": {"object": "page", "entry": [{"id": f"1{NUL}"}]},
        "lone-surrogate": {"event": f"invitee.created{LONE_SURROGATE}", "payload": None},
    }
    cases = [
        Case(
            f"{name} signed {label}",
            route,
            REFUSED | TAKEN,
            path=path,
            body=body,
            auth=None,
            sign=sign,
        )
        for label, body in bodies.items()
    ]
    cases.append(
        Case(
            f"{name} signed as text",
            route,
            frozenset({415}),
            path=path,
            body=b"object=page",
            content_type="text/plain",
            auth=None,
            sign=sign,
        )
    )
    return cases


def _refused(
    route: str, path: Mapping[str, str], signers: Mapping[str, Signer | None]
) -> list[Case]:
    name = route.split(" ", 1)[1]
    return [
        Case(
            f"{name} {label}",
            route,
            UNAUTHENTICATED,
            path=path,
            body=dm("Hei"),
            auth=None,
            sign=sign,
        )
        for label, sign in signers.items()
    ]


CONNECTOR_CASES: list[Case] = [
    Case(
        "meta handshake with another token",
        VERIFY,
        FORBIDDEN,
        auth=None,
        query={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
    ),
    Case(
        "meta handshake with a NUL token",
        VERIFY,
        FORBIDDEN,
        auth=None,
        query={
            "hub.mode": "subscribe",
            "hub.verify_token": f"{VERIFY_TOKEN}{NUL}",
            "hub.challenge": "1",
        },
    ),
    Case("meta handshake without parameters", VERIFY, FORBIDDEN, auth=None),
    Case(
        "meta handshake for another mode",
        VERIFY,
        FORBIDDEN,
        auth=None,
        query={"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
    ),
    Case(
        "meta DM with a lone surrogate in its text",
        META,
        TAKEN,
        body=dm(f"Hei{LONE_SURROGATE}"),
        auth=None,
        sign=meta_signed(),
    ),
    *_refused(
        META,
        {},
        {
            "unsigned": None,
            "signed by another app": meta_signed("other-app"),
        },
    ),
    Case(
        "meta with a person's token instead of a signature", META, UNAUTHENTICATED, body=dm("Hei")
    ),
    *_unreadable(META, meta_signed(), {}),
    *_refused(
        CALENDLY,
        ACME,
        {
            "unsigned": None,
            "signed with another key": calendly_signed("k"),
            "signed an hour ago": calendly_signed(at=T0 - timedelta(hours=1)),
        },
    ),
    *_refused(CALENDLY, {"account_id": f"acme{NUL}"}, {"for a NUL account": calendly_signed()}),
    *_refused(CALENDLY, {"account_id": "nobody"}, {"for an unknown account": calendly_signed()}),
    *_unreadable(CALENDLY, calendly_signed(), ACME),
    *_refused(CALCOM, ACME, {"unsigned": None, "signed with another secret": calcom_signed("s")}),
    *_refused(CALCOM, {"account_id": "beta"}, {"for an account without Cal.com": calcom_signed()}),
    *_unreadable(CALCOM, calcom_signed(), ACME),
]
