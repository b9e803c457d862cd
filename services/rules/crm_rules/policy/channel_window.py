"""The messaging window at a reminder's time: what the platform lets the marketer send then.

Information for the person acting, never a block: it is computed when a reminder is read,
from the customer's last inbound message (DM_STARTED or MESSAGE_RECEIVED) at or before
`scheduled_for` and the platform that message came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from pydantic import AwareDatetime, BaseModel, ConfigDict

from crm_schemas.contact import Source

FREE_REPLY: Final = timedelta(hours=24)
HUMAN_AGENT: Final = timedelta(days=7)


INBOUND_PLATFORMS: Final = frozenset({Source.IG, Source.MESSENGER, Source.WHATSAPP})


class ChannelWindow(StrEnum):
    OPEN_24H = "open_24h"  # any reply, on any platform
    HUMAN_AGENT_7D = "human_agent_7d"  # Instagram/Messenger: a person may still reply
    TEMPLATE_ONLY = "template_only"  # WhatsApp after 24h: approved templates only
    CLOSED = "closed"  # Instagram/Messenger after 7 days
    NOT_APPLICABLE = "not_applicable"  # no messaging channel to speak of


class InboundMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    platform: Source


def channel_window(at: datetime, inbound: Sequence[InboundMessage]) -> ChannelWindow:
    """The window at `at`: each window is half-open, so at exactly 24h the free reply is over."""
    before = [message for message in inbound if message.at <= at]
    if not before:
        return ChannelWindow.NOT_APPLICABLE
    last = max(before, key=lambda message: message.at)
    elapsed = at - last.at
    if last.platform not in INBOUND_PLATFORMS:
        return ChannelWindow.NOT_APPLICABLE
    if elapsed < FREE_REPLY:
        return ChannelWindow.OPEN_24H
    if last.platform is Source.WHATSAPP:
        return ChannelWindow.TEMPLATE_ONLY
    if elapsed < HUMAN_AGENT:
        return ChannelWindow.HUMAN_AGENT_7D
    return ChannelWindow.CLOSED
