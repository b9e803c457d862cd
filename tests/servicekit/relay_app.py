"""An outbox relay in its own process, so a test can SIGKILL it:
python relay_app.py DSN BOOTSTRAP SERVICE
"""

from __future__ import annotations

import asyncio
import signal
import sys

from crm_servicekit.kafka import idempotent_producer
from crm_servicekit.outbox import OutboxRelay


async def main(dsn: str, bootstrap: str, service: str) -> None:
    producer = idempotent_producer(bootstrap, client_id=f"{service}-relay")
    await producer.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    relay = OutboxRelay(dsn=dsn, producer=producer, service=service, idle_wait_s=0.2)
    print("ready", flush=True)
    await relay.run(stop)
    await producer.stop()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
