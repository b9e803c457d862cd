"""The providers' own signatures (Meta, Calendly, Cal.com) on the raw body (pure)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_ingest.policy.connectors.signatures import (
    ConnectorSignatureRefused,
    calcom_signature,
    calendly_signature,
    meta_signature,
    verify_calcom,
    verify_calendly,
    verify_meta,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TOLERANCE = timedelta(minutes=5)
BODY = b'{"object":"page","entry":[]}'
SECRET, OLD_SECRET, OTHER = "current-secret", "previous-secret", "someone-elses"
T = int(NOW.timestamp())


def hex_hmac(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def calendly(header: str | None, keys: tuple[str, ...] = (SECRET,), body: bytes = BODY) -> None:
    verify_calendly(body, header, keys, now=NOW, tolerance=TOLERANCE)


def refused(check: object, *args: object) -> str:
    with pytest.raises(ConnectorSignatureRefused) as refusal:
        check(*args)  # type: ignore[operator]
    return refusal.value.reason


class TestMeta:
    def test_the_header_is_sha256_of_the_body_keyed_by_the_app_secret(self) -> None:
        assert meta_signature(BODY, SECRET) == "sha256=" + hex_hmac(SECRET, BODY)

    def test_valid_answers_the_secret_that_matched(self) -> None:
        header = meta_signature(BODY, SECRET)
        assert verify_meta(BODY, header, [SECRET]) == SECRET
        # Rotation: the deployment's and an account's own secrets are all tried.
        assert verify_meta(BODY, meta_signature(BODY, OLD_SECRET), [SECRET, OLD_SECRET]) == (
            OLD_SECRET
        )
        assert verify_meta(BODY, header.upper().replace("SHA256=", "sha256="), [SECRET]) == SECRET

    def test_wrong_secret_tampered_body_missing_or_malformed_header_are_refused(self) -> None:
        header = meta_signature(BODY, SECRET)
        assert "no configured" in refused(verify_meta, BODY, header, [OTHER])
        assert "no configured" in refused(verify_meta, BODY + b" ", header, [SECRET])
        assert "no configured" in refused(verify_meta, BODY, header, [])
        assert "missing" in refused(verify_meta, BODY, None, [SECRET])
        assert "missing" in refused(verify_meta, BODY, "", [SECRET])
        for malformed in ("sha1=" + hex_hmac(SECRET, BODY), "sha256=", hex_hmac(SECRET, BODY)):
            assert "sha256=<hex>" in refused(verify_meta, BODY, malformed, [SECRET])
        assert refused(verify_meta, BODY, "sha256=ünïcödé", [SECRET])


class TestCalendly:
    def test_the_header_signs_t_dot_body_keyed_by_the_signing_key(self) -> None:
        expected = hex_hmac(SECRET, f"{T}.".encode() + BODY)
        assert calendly_signature(BODY, SECRET, T) == f"t={T},v1={expected}"

    def test_valid_and_rotated_keys_pass(self) -> None:
        assert calendly(calendly_signature(BODY, SECRET, T)) is None
        rotated = calendly_signature(BODY, OLD_SECRET, T)
        assert calendly(rotated, (SECRET, OLD_SECRET)) is None
        # Spaces after the comma, and several v1 values (one of them ours), are accepted.
        ours = calendly_signature(BODY, SECRET, T).split(",")[1]
        assert calendly(f"t={T}, v1={'0' * 64}, {ours}") is None

    def test_wrong_key_or_tampered_body_is_refused(self) -> None:
        header = calendly_signature(BODY, SECRET, T)
        assert "no signing key" in refused(calendly, header, (OTHER,))
        assert "no signing key" in refused(calendly, header, (SECRET,), BODY + b"\n")
        # The time is signed too: the same signature under another t does not pass.
        moved = header.replace(f"t={T}", f"t={T + 1}")
        assert "no signing key" in refused(calendly, moved)

    @pytest.mark.parametrize(
        "header",
        [None, "", "v1=abc", f"t={T}", f"t={T},v1=", "t=soon,v1=ab", f"t={T},t={T},v1=ab"],
    )
    def test_missing_or_malformed_header_is_refused(self, header: str | None) -> None:
        assert refused(calendly, header)

    @pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
    def test_stale_or_future_t_is_refused_even_when_signed(self, offset: timedelta) -> None:
        stamp = int((NOW + offset).timestamp())
        assert "tolerance" in refused(calendly, calendly_signature(BODY, SECRET, stamp))

    def test_t_within_the_tolerance_either_way_passes(self) -> None:
        for offset in (timedelta(minutes=-5), timedelta(minutes=5)):
            stamp = int((NOW + offset).timestamp())
            assert calendly(calendly_signature(BODY, SECRET, stamp)) is None

    def test_an_absurd_t_is_refused_not_an_overflow(self) -> None:
        assert refused(calendly, f"t={'9' * 40},v1=ab")
        assert refused(calendly, "t=99999999999,v1=ab")


class TestCalcom:
    def test_the_header_is_hex_hmac_of_the_body(self) -> None:
        assert calcom_signature(BODY, SECRET) == hex_hmac(SECRET, BODY)

    def test_valid_and_rotated_secrets_pass(self) -> None:
        assert verify_calcom(BODY, calcom_signature(BODY, SECRET), [SECRET]) is None
        rotated = calcom_signature(BODY, OLD_SECRET)
        assert verify_calcom(BODY, rotated, [SECRET, OLD_SECRET]) is None

    def test_wrong_secret_tampered_body_missing_or_malformed_header_are_refused(self) -> None:
        header = calcom_signature(BODY, SECRET)
        assert "no secret" in refused(verify_calcom, BODY, header, [OTHER])
        assert "no secret" in refused(verify_calcom, BODY[:-1], header, [SECRET])
        assert "missing" in refused(verify_calcom, BODY, None, [SECRET])
        assert "missing" in refused(verify_calcom, BODY, "  ", [SECRET])
        assert "no secret" in refused(verify_calcom, BODY, "sha256=" + header, [SECRET])
        assert "no secret" in refused(verify_calcom, BODY, "zz\udcff", [SECRET])


@given(header=st.one_of(st.none(), st.text()), body=st.binary())
def test_any_header_and_body_are_refused_by_the_one_refusal(
    header: str | None, body: bytes
) -> None:
    """A forged delivery is a 401, never a 500: only the one refusal is ever raised."""
    for check in (
        lambda: verify_meta(body, header, [SECRET]),
        lambda: verify_calcom(body, header, [SECRET]),
        lambda: verify_calendly(body, header, [SECRET], now=NOW, tolerance=TOLERANCE),
    ):
        with pytest.raises(ConnectorSignatureRefused):
            check()
