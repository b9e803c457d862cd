"""Redis from Debian's redis-server package, on loopback, with no persistence.

Nothing in Redis may be the only copy of anything that must not be lost (rate limits, caches,
the capped ticker stream), so the local server keeps nothing on disk.
"""

from __future__ import annotations

import shutil
from typing import ClassVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from crm_devstack.local_server import LocalServer
from crm_devstack.processes import Command, DevstackError
from crm_devstack.settings import HOST


def redis_binary() -> str | None:
    # Debian puts it in /usr/bin, which a trimmed PATH (e.g. under sudo or cron) may lack.
    return shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/sbin")


class RedisServer(LocalServer):
    name: ClassVar[str] = "redis"

    def ports(self) -> list[int]:
        return [self.config.ports.redis]

    def address(self) -> str:
        return self.config.endpoints.redis_url

    def missing_pieces(self) -> list[str]:
        return [] if redis_binary() else ["Redis server (apt-get install -y redis-server)"]

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)

    def command(self) -> Command:
        binary = redis_binary()
        if binary is None:
            raise DevstackError("redis-server not found; run `make install`")
        return Command(
            argv=[
                binary,
                "--bind",
                HOST,
                "--port",
                str(self.config.ports.redis),
                "--save",
                "",
                "--appendonly",
                "no",
                # In the foreground, logging to stdout: our pid file and log file track it.
                "--daemonize",
                "no",
                "--logfile",
                "",
                "--dir",
                str(self.home),
            ],
            cwd=self.home,
        )

    async def answers(self) -> bool:
        client = aioredis.Redis.from_url(self.address(), socket_connect_timeout=2)
        try:
            return bool(await client.ping())
        except (RedisError, OSError):
            return False
        finally:
            await client.aclose()

    async def provision(self) -> None:
        """Nothing to create: keys appear on first write, and no persistence is wanted."""
