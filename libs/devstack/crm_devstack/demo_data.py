"""A little demo data for the console's screenshots: a fresh `make up` leaves the demo account
empty, and an empty dashboard shows nothing of the console. A few prospects are sent through
the API as a user's tools would: a signed DM webhook each, then invites, bookings and a no-show
with the token. Their event ids carry the day, so a second run the same day sends nothing new:
the ids are taken (a repeat is a duplicate, or a conflict once the hour, and so the times, has
moved on), and a run on another day adds that day's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from crm_devstack.demo_account import DEMO_ACCOUNT
from crm_servicekit.webhook_cli import standard_webhook_headers

# (handle, name, the steps after the DM); the times are hours before now. No handle or name
# holds what the README's examples search for (`?q=ada.l`), which would find it as well.
PROSPECTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("lovelace.ada", "Ada Lovelace", ("INVITE_SENT", "MEETING_BOOKED")),
    ("grace.hopper", "Grace Hopper", ("INVITE_SENT",)),
    ("alan.turing", "Alan Turing", ("INVITE_SENT", "MEETING_BOOKED", "NO_SHOW")),
    ("katherine.johnson", "Katherine Johnson", ()),
)


def read_demo_env(state_dir: Path) -> dict[str, str]:
    """The variables of `demo.env`, which `make up` writes."""
    lines = (state_dir / "demo.env").read_text(encoding="utf-8").splitlines()
    return dict(line.removeprefix("export ").split("=", 1) for line in lines if "=" in line)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _signed_dm(client: httpx.Client, secret: str, body: dict[str, Any]) -> None:
    raw = json.dumps(body)
    headers = standard_webhook_headers(secret, raw)
    _sent(client.post("/hooks/dm", content=raw, headers=headers))


def _sent(response: httpx.Response) -> None:
    """Accepted, or already sent today: 409 is the event id taken by an earlier run's body."""
    if response.status_code != httpx.codes.CONFLICT:
        response.raise_for_status()


def _event(name: str, event_id: str, at: datetime, handle: str) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_name": name,
        "event_id": event_id,
        "timestamp": _iso(at),
        "contact": {"handles": {"ig": handle}},
        "source": "ig",
    }
    if name == "MEETING_BOOKED":
        event["properties"] = {"booking_time": _iso(at + timedelta(hours=1))}
    return event


def seed_demo_data(env: dict[str, str], now: datetime | None = None) -> None:
    """Send the prospects to the demo account through the API of `env` (demo.env's)."""
    now = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    day = now.strftime("%Y%m%d")
    auth = {"Authorization": f"Bearer {env['TOKEN']}"}
    with httpx.Client(base_url=env["CRM_API"], timeout=30.0) as client:
        for number, (handle, name, steps) in enumerate(PROSPECTS):
            began = now - timedelta(hours=len(steps) + number + 1)
            prefix = f"demo-data-{day}-{handle}"
            sender = {"id": f"ig-{handle}", "handle": f"@{handle}", "name": name}
            dm = {
                "event_id": f"{prefix}-dm",
                "account_id": DEMO_ACCOUNT,
                "platform": "ig",
                "sender": sender,
                "text": "Hi! Tell me more",
                "timestamp": _iso(began),
            }
            _signed_dm(client, env["WEBHOOK_SECRET"], dm)
            for step, event_name in enumerate(steps, start=1):
                at = began + timedelta(hours=step) - timedelta(minutes=30)
                event = _event(event_name, f"{prefix}-{event_name.lower()}", at, handle)
                _sent(client.post("/events", json=event, headers=auth))


def first_customer_id(env: dict[str, str]) -> str:
    """A real customer of the demo account: the first of "who next", else of the customers."""
    auth = {"Authorization": f"Bearer {env['TOKEN']}"}
    with httpx.Client(base_url=env["CRM_API"], timeout=30.0, headers=auth) as client:
        who_next = client.get("/nba", params={"limit": 1})
        who_next.raise_for_status()
        items = who_next.json()["items"]
        if items:
            return str(items[0]["customer_id"])
        customers = client.get("/customers", params={"limit": 1})
        customers.raise_for_status()
        if not customers.json()["items"]:
            raise LookupError("the demo account has no customer: run with --seed-demo-data")
        return str(customers.json()["items"][0]["id"])
