"""Every SQL statement of the stats service, split by subject, with typed filters."""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg

from crm_servicekit.connection import Conn

# A read runs on a connection of the caller's transaction, or on the pool, which lends
# each statement a connection of its own (the dashboard's reads run at once).
Reader: TypeAlias = "Conn | asyncpg.Pool[Any]"
