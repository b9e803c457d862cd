"""Every channel_window value at its boundaries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm_rules.policy.channel_window import ChannelWindow, InboundMessage, channel_window
from crm_schemas.contact import Source

from .history import T0, D, H

SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("platform", "elapsed", "expected"),
    [
        (Source.IG, timedelta(0), ChannelWindow.OPEN_24H),
        (Source.IG, 24 * H - SECOND, ChannelWindow.OPEN_24H),
        (Source.IG, 24 * H, ChannelWindow.HUMAN_AGENT_7D),
        (Source.IG, 7 * D - SECOND, ChannelWindow.HUMAN_AGENT_7D),
        (Source.IG, 7 * D, ChannelWindow.CLOSED),
        (Source.MESSENGER, 24 * H, ChannelWindow.HUMAN_AGENT_7D),
        (Source.MESSENGER, 7 * D, ChannelWindow.CLOSED),
        (Source.WHATSAPP, 24 * H - SECOND, ChannelWindow.OPEN_24H),
        (Source.WHATSAPP, 24 * H, ChannelWindow.TEMPLATE_ONLY),
        (Source.WHATSAPP, 30 * D, ChannelWindow.TEMPLATE_ONLY),
        (Source.WEB, timedelta(0), ChannelWindow.NOT_APPLICABLE),
        (Source.MANUAL, H, ChannelWindow.NOT_APPLICABLE),
    ],
)
def test_window_at_scheduled_for(
    platform: Source, elapsed: timedelta, expected: ChannelWindow
) -> None:
    inbound = [InboundMessage(at=T0, platform=platform)]
    assert channel_window(T0 + elapsed, inbound) is expected


def test_no_inbound_message_is_not_applicable() -> None:
    assert channel_window(T0, []) is ChannelWindow.NOT_APPLICABLE


def test_the_last_message_before_scheduled_for_decides() -> None:
    inbound = [
        InboundMessage(at=T0, platform=Source.WHATSAPP),
        InboundMessage(at=T0 + 3 * D, platform=Source.IG),
        InboundMessage(at=T0 + 9 * D, platform=Source.IG),  # after: not yet written then
    ]
    assert channel_window(T0 + 4 * D, inbound) is ChannelWindow.HUMAN_AGENT_7D
    assert channel_window(T0 + 2 * D, inbound) is ChannelWindow.TEMPLATE_ONLY
    assert channel_window(T0 - H, inbound) is ChannelWindow.NOT_APPLICABLE
