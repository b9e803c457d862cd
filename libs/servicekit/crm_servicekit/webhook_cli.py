"""`crm webhook post`: send a Standard Webhooks-signed request, as a provider would."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer
from standardwebhooks.webhooks import Webhook

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
    raw = Path(body[1:]).read_text(encoding="utf-8") if body.startswith("@") else body
    json.loads(raw)  # refuse to sign what is not JSON: the server would only answer 400
    message_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, raw),
    }
    answer = httpx.post(f"{api.rstrip('/')}{path}", content=raw.encode(), headers=headers)
    typer.echo(f"{answer.status_code} {answer.text}")
    if answer.status_code >= 400:
        raise typer.Exit(1)
