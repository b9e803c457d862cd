"""An account's connectors in the accounts file: the provider ids that belong to it and the
secrets its providers sign with (docs/connectors.md, Configuration)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# An empty secret would sign with an empty key, and an empty id match an absent one.
NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]


class MetaConnector(BaseModel):
    """One Meta app for Messenger, Instagram, WhatsApp and Lead Ads (docs/connectors.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The account's own app secret(s); empty: it trusts the deployment's Meta app.
    app_secrets: tuple[NonBlank, ...] = ()
    page_ids: tuple[NonBlank, ...] = ()
    instagram_account_ids: tuple[NonBlank, ...] = ()
    whatsapp_phone_number_ids: tuple[NonBlank, ...] = ()
    # Reads the Lead Ads answers from the Graph API.
    page_access_token: NonBlank | None = None
    # The Lead Ads form field that holds the prospect's Why.
    lead_why_question: NonBlank | None = None


class CalendlyConnector(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Several at once while a key rotates.
    signing_keys: tuple[NonBlank, ...] = ()


class CalcomConnector(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    secrets: tuple[NonBlank, ...] = ()


class Connectors(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    meta: MetaConnector = MetaConnector()
    calendly: CalendlyConnector = CalendlyConnector()
    calcom: CalcomConnector = CalcomConnector()

    def provider_ids(self) -> Iterator[tuple[str, str]]:
        """(kind, id) of every provider id this account claims; each belongs to one account."""
        for kind, ids in (
            ("page", self.meta.page_ids),
            ("instagram", self.meta.instagram_account_ids),
            ("whatsapp_phone", self.meta.whatsapp_phone_number_ids),
        ):
            for provider_id in ids:
                yield kind, provider_id
