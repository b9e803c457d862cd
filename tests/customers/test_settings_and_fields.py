"""Settings (prefix CUSTOMERS_, port 8002, ingest's address), the identity normalization the
service takes from crm_schemas.identity, and its own country and language checks."""

from __future__ import annotations

import pytest

from crm_customers.customers.policy.fields import check_country, check_language
from crm_customers.settings import CustomersSettings
from crm_schemas.identity import normalize_email, normalize_handle, normalize_phone
from crm_schemas.topics import EVENTS_TOPIC


def test_defaults_and_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "CUSTOMERS_INGEST_URL",
        "CUSTOMERS_HTTP_PORT",
        "CUSTOMERS_EVENTS_TOPIC",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = CustomersSettings()
    assert settings.http_port == 8002
    assert settings.ingest_url == "http://127.0.0.1:8001"
    assert settings.events_topic == EVENTS_TOPIC
    assert str(settings.database_url).endswith("/customers")
    monkeypatch.setenv("CUSTOMERS_INGEST_URL", "http://ingest:8001")
    monkeypatch.setenv("CUSTOMERS_EVENTS_TOPIC", "other.topic")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db:5432/whatever")
    configured = CustomersSettings()
    assert (configured.ingest_url, configured.events_topic) == ("http://ingest:8001", "other.topic")
    assert str(configured.database_url) == "postgresql://u@db:5432/customers"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [(" Kari@Example.NO ", "kari@example.no"), ("a.b+c@sub.example.com", "a.b+c@sub.example.com")],
)
def test_email(raw: str, normalized: str) -> None:
    assert normalize_email(raw) == normalized


@pytest.mark.parametrize("raw", ["kari", "kari@", "@example.no", "a b@example.no"])
def test_bad_email(raw: str) -> None:
    with pytest.raises(ValueError, match="email"):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "region", "normalized"),
    [
        ("912 34 567", "NO", "+4791234567"),
        ("+47 912 34 567", "SE", "+4791234567"),
        ("070-123 45 67", "SE", "+46701234567"),
        ("0047 91234567", "NO", "+4791234567"),
    ],
)
def test_phone(raw: str, region: str, normalized: str) -> None:
    assert normalize_phone(raw, region) == normalized


@pytest.mark.parametrize("raw", ["12", "phone", "+47 1"])
def test_bad_phone(raw: str) -> None:
    with pytest.raises(ValueError, match="phone"):
        normalize_phone(raw, "NO")


def test_handles() -> None:
    assert normalize_handle(" @Kari.N ") == "kari.n"
    for bad in ("@", "  ", "kari n"):
        with pytest.raises(ValueError, match="handle"):
            normalize_handle(bad)


def test_country_and_language() -> None:
    assert (check_country(" no "), check_language("NB")) == ("NO", "nb")
    for bad in ("XX", "NOR", "EU"):
        with pytest.raises(ValueError, match="ISO 3166"):
            check_country(bad)
    for bad in ("xx", "nob", "e"):
        with pytest.raises(ValueError, match="ISO 639"):
            check_language(bad)
