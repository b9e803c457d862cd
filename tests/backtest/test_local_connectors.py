"""The local system configured for the providers' own webhooks: its secrets, every local
account's connectors, ingest's Meta settings, and the backtest reading the same ids back."""

from __future__ import annotations

import json
from pathlib import Path

from crm_backtest.accounts import DEFAULT_ACCOUNTS, connector_ids, load_profiles
from crm_backtest.client import Credentials
from crm_devstack.app_servers import APP_SERVER_TYPES
from crm_devstack.demo_account import LocalSecrets, demo_env_text, write_accounts_file
from crm_devstack.settings import StackConfig

PROVIDER_SECRETS = ("meta_app_secret", "meta_verify_token", "calendly_signing_key", "calcom_secret")


def test_a_state_dir_from_before_the_connectors_keeps_its_secrets_and_gains_the_new_ones(
    tmp_path: Path,
) -> None:
    earlier = {"jwt_secret": "j" * 40, "service_token": "s" * 40, "webhook_secret": "whsec_a2V5"}
    (tmp_path / "secrets.json").write_text(json.dumps(earlier))
    local = LocalSecrets.load_or_create(tmp_path)
    kept = json.loads((tmp_path / "secrets.json").read_text())
    assert {name: kept[name] for name in earlier} == earlier
    assert all(len(kept[name]) >= 32 for name in PROVIDER_SECRETS)
    assert LocalSecrets.load_or_create(tmp_path) == local  # generated once, then kept
    credentials = Credentials.from_state_dir(tmp_path)
    assert credentials.meta_app_secret == local.meta_app_secret
    assert credentials.calendly_signing_key == local.calendly_signing_key
    assert credentials.calcom_secret == local.calcom_secret


def test_every_local_account_owns_its_own_provider_ids_and_the_local_keys(tmp_path: Path) -> None:
    local = LocalSecrets.load_or_create(tmp_path)
    accounts = json.loads(write_accounts_file(tmp_path, local).read_text())["accounts"]
    assert {a["account_id"] for a in accounts} == {"demo", "demo-ny", "demo-tokyo", "demo-oslo"}
    seen: list[str] = []
    for account in accounts:
        connectors = account["connectors"]
        meta = connectors["meta"]
        ids = connector_ids(account["account_id"])
        assert meta["page_ids"] == [ids["page_id"]]
        assert meta["instagram_account_ids"] == [ids["instagram_account_id"]]
        assert meta["whatsapp_phone_number_ids"] == [ids["whatsapp_phone_number_id"]]
        assert meta["app_secrets"] == []  # the deployment's app
        assert connectors["calendly"] == {"signing_keys": [local.calendly_signing_key]}
        assert connectors["calcom"] == {"secrets": [local.calcom_secret]}
        seen += meta["page_ids"] + meta["instagram_account_ids"]
        seen += meta["whatsapp_phone_number_ids"]
    assert len(seen) == len(set(seen)) == 12
    assert all(one.isdigit() for one in seen)


def test_the_backtest_reads_the_accounts_provider_ids_as_its_defaults_have_them(
    tmp_path: Path,
) -> None:
    path = write_accounts_file(tmp_path, LocalSecrets.load_or_create(tmp_path))
    wanted = [profile.account_id for profile in DEFAULT_ACCOUNTS]
    assert load_profiles(path, wanted) == list(DEFAULT_ACCOUNTS)


def test_ingest_starts_with_the_meta_app_secret_and_verify_token_as_json_lists(
    tmp_path: Path,
) -> None:
    config = StackConfig.from_env(tmp_path)
    env = APP_SERVER_TYPES["ingest"](config).command().env
    local = LocalSecrets.load_or_create(tmp_path)
    assert json.loads(env["INGEST_META_APP_SECRETS"]) == [local.meta_app_secret]
    assert json.loads(env["INGEST_META_VERIFY_TOKENS"]) == [local.meta_verify_token]


def test_demo_env_gives_crm_webhook_the_providers_secrets(tmp_path: Path) -> None:
    local = LocalSecrets.load_or_create(tmp_path)
    console = "http://127.0.0.1:8000/#token=a.token"
    lines = demo_env_text("http://127.0.0.1:8000/api", "a.token", local, console).splitlines()
    exported = dict(line.removeprefix("export ").split("=", 1) for line in lines)
    assert exported == {
        "CRM_API": "http://127.0.0.1:8000/api",
        "TOKEN": "a.token",
        "CRM_CONSOLE": console,
        "WEBHOOK_SECRET": local.webhook_secret,
        "META_APP_SECRET": local.meta_app_secret,
        "META_VERIFY_TOKEN": local.meta_verify_token,
        "CALENDLY_SIGNING_KEY": local.calendly_signing_key,
        "CALCOM_WEBHOOK_SECRET": local.calcom_secret,
        "DEMO_PAGE_ID": connector_ids("demo")["page_id"],
        "DEMO_INSTAGRAM_ID": connector_ids("demo")["instagram_account_id"],
        "DEMO_WHATSAPP_ID": connector_ids("demo")["whatsapp_phone_number_id"],
    }
