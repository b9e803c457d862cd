"""The accounts file's connectors: provider ids belong to one account, secrets are not blank."""

from __future__ import annotations

import pytest

from crm_servicekit.accounts import AccountsFileError, parse_accounts


def _account(account_id: str, **meta: object) -> dict[str, object]:
    return {"account_id": account_id, "connectors": {"meta": meta}}


def test_each_provider_id_finds_the_account_that_lists_it() -> None:
    accounts = parse_accounts(
        [
            _account("acme", page_ids=["111"], whatsapp_phone_number_ids=["555"]),
            _account("beta", instagram_account_ids=["111"]),
        ]
    )
    acme, beta = accounts.get("acme"), accounts.get("beta")
    assert accounts.owner_of("page", "111") is acme
    assert accounts.owner_of("whatsapp_phone", "555") is acme
    # The same digits as an Instagram account are another provider id.
    assert accounts.owner_of("instagram", "111") is beta
    assert accounts.owner_of("page", "999") is None


def test_an_account_without_connectors_has_empty_ones() -> None:
    account = parse_accounts([{"account_id": "acme"}]).get("acme")
    assert account is not None
    assert account.connectors.meta.page_ids == ()
    assert account.connectors.calendly.signing_keys == ()
    assert account.connectors.meta.page_access_token is None


def test_a_provider_id_listed_by_two_accounts_refuses_the_file() -> None:
    with pytest.raises(
        AccountsFileError, match=r"page id '111' is listed by accounts 'acme' and 'beta'"
    ):
        parse_accounts([_account("acme", page_ids=["111"]), _account("beta", page_ids=["111"])])


def test_blank_secrets_and_unknown_keys_are_refused_naming_the_field() -> None:
    with pytest.raises(AccountsFileError, match=r"connectors\.calendly\.signing_keys\.0"):
        parse_accounts(
            [{"account_id": "acme", "connectors": {"calendly": {"signing_keys": [" "]}}}]
        )
    with pytest.raises(AccountsFileError, match=r"connectors\.meta\.page_id"):
        parse_accounts([_account("acme", page_id="111")])
