"""Creating and dropping databases on a PostgreSQL server through asyncpg."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

import asyncpg

# Database names are put into SQL as identifiers (CREATE DATABASE takes no parameters), so only
# plain lower-case names are accepted: no quoting rules to get wrong.
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _checked(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"database name {name!r} must match {_NAME.pattern}")
    return name


def database_url(server_url: str, database: str) -> str:
    """The same server's DSN with another database name."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path="/" + _checked(database)))


async def server_answers(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        # Refused, or "the database system is starting up": not yet.
        return False
    try:
        await connection.fetchval("SELECT 1")
    finally:
        await connection.close()
    return True


async def ensure_databases(url: str, names: Iterable[str]) -> None:
    """Create each named database that does not exist yet."""
    connection = await asyncpg.connect(url)
    try:
        existing = {row[0] for row in await connection.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if _checked(name) not in existing:
                await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def create_database(url: str, name: str) -> str:
    """Create an empty database and return its DSN."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f'CREATE DATABASE "{_checked(name)}"')
    finally:
        await connection.close()
    return database_url(url, name)


async def drop_database(url: str, name: str) -> None:
    """Drop a database even if a test left connections open (FORCE ends them)."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)')
    finally:
        await connection.close()
