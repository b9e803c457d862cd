"""The console's pages `make screenshots` photographs into docs/console/, one entry each.

A page of console/src/layout/pages.ts without an entry here fails
tests/backtest/test_readme_console.py: adding a page means adding its line below. `path` may
hold `{customer_id}`, filled with a real customer of the demo account (the first of "who
next", else of GET /api/customers); `loaded` is the CSS selector that is on the page once it
has read its data (the tool also waits until no panel says "Loading…"); `admin` signs in with
an admin's token of the demo account (a page only admins are offered) instead of a member's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

CUSTOMER_ID: Final = "{customer_id}"


@dataclass(frozen=True)
class ConsolePage:
    name: str  # the images are docs/console/<name>-<width>.png
    path: str
    loaded: str
    signed_in: bool = True
    admin: bool = False


PAGES: Final[tuple[ConsolePage, ...]] = (
    ConsolePage("sign-in", "/", "textarea#token", signed_in=False),
    ConsolePage("dashboard", "/", "#ticker-connection.live"),
    ConsolePage("customers", "/customers", "#customers li"),
    ConsolePage("customer-card", f"/customers/{CUSTOMER_ID}", "#stage"),
    ConsolePage("deliveries", "/deliveries", "#deliveries li"),
    ConsolePage("settings", "/settings", "#reminder-follow_up_2h-delay", admin=True),
)

# A phone's width and a desktop's: the two the console is held to.
WIDTHS: Final = (375, 1280)


def image_name(page: ConsolePage, width: int) -> str:
    return f"{page.name}-{width}.png"


def path_pattern(path: str) -> str:
    """A path with each variable segment as `*`, however it is spelled (`{customer_id}` here,
    `:id` or `<id>` in the console's router), so that the two lists can be compared."""
    return "/".join(re.sub(r"^(?::\w+|\{\w+\}|<\w+>)$", "*", part) for part in path.split("/"))


def needs_customer(page: ConsolePage) -> bool:
    return CUSTOMER_ID in page.path
