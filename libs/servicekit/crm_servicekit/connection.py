"""The connection type handlers receive: a plain connection or one borrowed from a pool.

A string alias: asyncpg's classes are generic only in its type stubs, not at run time.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Conn: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"
