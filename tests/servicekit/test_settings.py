from __future__ import annotations

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from crm_servicekit.settings import DEVELOPMENT_JWT_SECRET, ServiceSettings, weak_secret_problem

STRONG_SECRET = "Zq8v-Lr2mP0xWc7kTb5nHy3sJd9fGa1e"


class RulesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RULES_")
    service_name = "rules"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test run may itself be configured through these; each test sets what it needs.
    for name in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("ENVIRONMENT", "JWT_SECRET", "SERVICE_TOKEN", "DATABASE_URL", "ACCOUNTS_FILE"):
        monkeypatch.delenv(f"CRM_{name}", raising=False)
        monkeypatch.delenv(f"RULES_{name}", raising=False)


def test_development_accepts_the_default_secret() -> None:
    settings = RulesSettings()
    assert settings.environment == "development"
    assert settings.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET


@pytest.mark.parametrize(
    "secret",
    [
        DEVELOPMENT_JWT_SECRET,
        "changeme",
        "secret",
        "short-but-random-9f",
        "a" * 40,
        "x-changeme-" * 4,
    ],
)
def test_production_refuses_default_placeholder_and_short_secrets(secret: str) -> None:
    with pytest.raises(ValidationError, match="jwt_secret"):
        RulesSettings(environment="production", jwt_secret=secret)


def test_production_refuses_the_default_when_no_secret_is_configured() -> None:
    with pytest.raises(ValidationError, match="jwt_secret is a default or placeholder value"):
        RulesSettings(environment="production")


def test_production_refuses_a_weak_service_token() -> None:
    with pytest.raises(ValidationError, match="service_token"):
        RulesSettings(environment="production", jwt_secret=STRONG_SECRET, service_token="token")


def test_production_accepts_strong_secrets() -> None:
    settings = RulesSettings(
        environment="production", jwt_secret=STRONG_SECRET, service_token=STRONG_SECRET[::-1]
    )
    assert settings.jwt_secret.get_secret_value() == STRONG_SECRET
    assert STRONG_SECRET not in repr(settings)


def test_test_environment_accepts_weak_secrets() -> None:
    assert RulesSettings(environment="test", jwt_secret="x").jwt_secret.get_secret_value() == "x"


def test_weak_secret_problem_says_why() -> None:
    assert weak_secret_problem("abc") == "is shorter than 32 characters"
    assert weak_secret_problem(STRONG_SECRET) is None


def test_shared_database_url_gets_the_services_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://crm:pw@db.internal:15432/postgres")
    settings = RulesSettings()
    assert str(settings.database_url) == "postgresql://crm:pw@db.internal:15432/rules"


def test_service_prefixed_database_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://crm@db.internal:15432/postgres")
    monkeypatch.setenv("RULES_DATABASE_URL", "postgresql://rules@rules-db:5432/rules_v2")
    assert str(RulesSettings().database_url) == "postgresql://rules@rules-db:5432/rules_v2"


def test_without_any_database_url_the_local_default_names_the_service() -> None:
    assert RulesSettings().database_url.path == "/rules"


def test_prefix_then_shared_crm_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_JWT_SECRET", "shared-secret")
    monkeypatch.setenv("CRM_ENVIRONMENT", "test")
    monkeypatch.setenv("RULES_ENVIRONMENT", "development")
    settings = RulesSettings()
    assert settings.jwt_secret.get_secret_value() == "shared-secret"
    assert settings.environment == "development"


def test_infrastructure_addresses_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker-1:9092,broker-2:9092")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6380/2")
    monkeypatch.setenv("RULES_HTTP_PORT", "8102")
    settings = RulesSettings()
    assert settings.kafka_bootstrap_servers == "broker-1:9092,broker-2:9092"
    assert str(settings.redis_url) == "redis://cache:6380/2"
    assert settings.http_port == 8102


@pytest.mark.parametrize(
    ("field", "value"),
    [("database_url", "mysql://x@y/z"), ("environment", "staging"), ("http_port", "0")],
)
def test_invalid_values_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=field):
        RulesSettings.model_validate({field: value})
