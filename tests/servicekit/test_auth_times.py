"""A token's times on the injected clock: `nbf` honoured, `iat` not in the future, each ahead
by at most the leeway (the setting `jwt_leeway_s`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from crm_servicekit.auth import InvalidToken, verify_token
from crm_servicekit.clock import FixedClock

from .sample_service import JWT_SECRET, T0, sample_app, sample_settings
from .test_auth import assert_unauthorized

LEEWAY = timedelta(seconds=60)


def signed(**times: object) -> str:
    """A token of account demo, valid for a day from T0, with the time claims given."""
    claims: dict[str, Any] = {
        "sub": "u",
        "account_id": "demo",
        "exp": int((T0 + timedelta(days=1)).timestamp()),
    }
    for name, value in times.items():
        claims[name] = int(value.timestamp()) if isinstance(value, datetime) else value
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    ("claim", "reason"), [("nbf", "not valid yet"), ("iat", "issued in the future")]
)
def test_a_time_claim_beyond_the_leeway_is_refused(claim: str, reason: str) -> None:
    clock = FixedClock(T0)
    token = signed(**{claim: T0 + LEEWAY + timedelta(seconds=1)})
    with pytest.raises(InvalidToken, match=reason):
        verify_token(JWT_SECRET, token, clock=clock, leeway=LEEWAY)
    # The same token once the clock has come within the leeway: accepted (the check is made
    # on every call, not cached with the signature).
    clock.advance(timedelta(seconds=1))
    assert verify_token(JWT_SECRET, token, clock=clock, leeway=LEEWAY).sub == "u"


def test_time_claims_in_the_past_or_within_the_leeway_are_kept() -> None:
    token = signed(nbf=T0 + LEEWAY, iat=T0 - timedelta(hours=1))
    claims = verify_token(JWT_SECRET, token, clock=FixedClock(T0), leeway=LEEWAY)
    assert (claims.nbf, claims.iat) == (T0 + LEEWAY, T0 - timedelta(hours=1))
    assert verify_token(JWT_SECRET, signed(), clock=FixedClock(T0)).nbf is None


def test_no_leeway_means_none() -> None:
    token = signed(nbf=T0 + timedelta(seconds=1))
    with pytest.raises(InvalidToken, match="nbf"):
        verify_token(JWT_SECRET, token, clock=FixedClock(T0), leeway=timedelta(0))


@pytest.mark.parametrize("value", ["soon", None, True, 10**30])
@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_a_time_claim_that_is_no_instant_is_refused(claim: str, value: object) -> None:
    with pytest.raises(InvalidToken, match=claim):
        verify_token(JWT_SECRET, signed(**{claim: value}), clock=FixedClock(T0))


async def test_the_service_answers_401_to_a_token_not_valid_yet(
    client: httpx.AsyncClient,
) -> None:
    # The app's clock reads T0 + 1 minute.
    later = T0 + timedelta(minutes=1) + LEEWAY + timedelta(minutes=5)
    for token in (signed(nbf=later), signed(iat=later)):
        response = await client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
        assert_unauthorized(response)
    fine = signed(nbf=T0, iat=T0)
    answer = await client.get("/api/whoami", headers={"Authorization": f"Bearer {fine}"})
    assert answer.json() == {"account_id": "demo", "user_id": "u"}


async def test_the_leeway_is_the_services_setting() -> None:
    app = sample_app(settings=sample_settings(jwt_leeway_s=600), clock=FixedClock(T0))
    within = signed(nbf=T0 + timedelta(minutes=9), iat=T0 + timedelta(minutes=9))
    beyond = signed(nbf=T0 + timedelta(minutes=11))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sample") as client:
        ok = await client.get("/api/whoami", headers={"Authorization": f"Bearer {within}"})
        refused = await client.get("/api/whoami", headers={"Authorization": f"Bearer {beyond}"})
    assert ok.status_code == 200, ok.text
    assert_unauthorized(refused)
