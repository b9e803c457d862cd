"""`crm webhook ...`: send signed webhook requests, as providers would.

`post` signs with Standard Webhooks (our own `/hooks/*` endpoints); `meta`, `calendly` and
`calcom` sign a provider's own payload the way that provider does and POST it to the
provider's connector endpoint, for trying a connector with a documented example by hand.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

import httpx
import typer
from standardwebhooks.webhooks import Webhook

from crm_servicekit.clock import SYSTEM_CLOCK
from crm_servicekit.provider_signatures import (
    CALCOM_SIGNATURE_HEADER,
    CALENDLY_SIGNATURE_HEADER,
    META_SIGNATURE_HEADER,
    calcom_signature,
    calendly_signature,
    meta_signature,
)

webhook_app = typer.Typer(help="Signed webhooks, as providers send them.", no_args_is_help=True)


@webhook_app.command("post")
def post(
    path: Annotated[str, typer.Argument(help="API path, e.g. /hooks/dm")],
    body: Annotated[str, typer.Option("--json", help="the JSON body, or @file to read it")],
    secret: Annotated[str, typer.Option(envvar="WEBHOOK_SECRET", help="the account's whsec_ key")],
    api: Annotated[str, typer.Option(envvar="CRM_API", help="API base")] = (
        "http://127.0.0.1:8000/api"
    ),
) -> None:
    """Sign the body (webhook-id, webhook-timestamp, webhook-signature) and POST it."""
    raw = json_body(body)
    send(f"{api.rstrip('/')}{path}", raw.encode(), standard_webhook_headers(secret, raw))


def standard_webhook_headers(secret: str, raw: str) -> dict[str, str]:
    """The headers of a JSON body signed with Standard Webhooks: a new message id, now."""
    message_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, raw),
    }


Body = Annotated[str, typer.Option("--json", help="the provider's JSON payload, or @file")]
Api = Annotated[str, typer.Option(envvar="CRM_API", help="API base")]
DEFAULT_API = "http://127.0.0.1:8000/api"


@webhook_app.command("meta")
def meta(
    body: Body,
    app_secret: Annotated[
        str, typer.Option(envvar="META_APP_SECRET", help="the Meta app's secret")
    ],
    api: Api = DEFAULT_API,
) -> None:
    """Sign a Meta Webhooks payload (X-Hub-Signature-256) and POST it to /hooks/meta."""
    raw = json_body(body).encode()
    headers = {
        "content-type": "application/json",
        META_SIGNATURE_HEADER: meta_signature(raw, app_secret),
    }
    send(f"{api.rstrip('/')}/hooks/meta", raw, headers)


@webhook_app.command("calendly")
def calendly(
    account: Annotated[str, typer.Option(help="the account_id the subscription belongs to")],
    body: Body,
    signing_key: Annotated[
        str, typer.Option(envvar="CALENDLY_SIGNING_KEY", help="the subscription's signing key")
    ],
    api: Api = DEFAULT_API,
) -> None:
    """Sign a Calendly webhook payload (Calendly-Webhook-Signature, now) and POST it to
    /hooks/calendly/ACCOUNT."""
    raw = json_body(body).encode()
    timestamp = int(SYSTEM_CLOCK.now().timestamp())
    signature = calendly_signature(raw, signing_key, timestamp)
    headers = {"content-type": "application/json", CALENDLY_SIGNATURE_HEADER: signature}
    send(f"{api.rstrip('/')}/hooks/calendly/{quote(account, safe='')}", raw, headers)


@webhook_app.command("calcom")
def calcom(
    account: Annotated[str, typer.Option(help="the account_id the webhook belongs to")],
    body: Body,
    secret: Annotated[
        str, typer.Option(envvar="CALCOM_WEBHOOK_SECRET", help="the Cal.com webhook's secret")
    ],
    api: Api = DEFAULT_API,
) -> None:
    """Sign a Cal.com webhook payload (X-Cal-Signature-256) and POST it to
    /hooks/calcom/ACCOUNT."""
    raw = json_body(body).encode()
    headers = {
        "content-type": "application/json",
        CALCOM_SIGNATURE_HEADER: calcom_signature(raw, secret),
    }
    send(f"{api.rstrip('/')}/hooks/calcom/{quote(account, safe='')}", raw, headers)


def json_body(body: str) -> str:
    """The body as given (its exact bytes are signed), or read from @file; refused unless it
    is JSON, which the server would only answer with 400."""
    raw = Path(body[1:]).read_text(encoding="utf-8") if body.startswith("@") else body
    try:
        json.loads(raw)
    except ValueError as error:
        raise typer.BadParameter(f"not JSON: {error}", param_hint="--json") from None
    return raw


def send(url: str, raw: bytes, headers: dict[str, str]) -> None:
    """POST the signed body, print the answer, and fail the command on a 4xx or 5xx."""
    try:
        answer = httpx.post(url, content=raw, headers=headers)
    except httpx.TransportError as error:
        typer.echo(f"cannot reach {url}: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{answer.status_code} {answer.text}")
    if answer.status_code >= 400:
        raise typer.Exit(1)
