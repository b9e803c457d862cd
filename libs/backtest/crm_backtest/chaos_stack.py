"""The local system as `make up` runs it, driven through its own commands: `crm-devstack kill`
crashes a piece, `crm-devstack system up` (what `make up` runs) starts whatever is not running
and waits until every piece answers its readiness check, and `crm dlq list` reads the
dead-letter topic. This package imports no project code (test_independence), so it runs them
as commands, from the same virtual environment as itself."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

UP_TIMEOUT_S = 600.0
COMMAND_TIMEOUT_S = 120.0
_LETTER_COUNT = re.compile(r"^(\d+) dead letter\(s\)$", re.M)


class StackError(RuntimeError):
    """A command of the stack failed; the message carries what it printed."""


class Stack(Protocol):
    """What the chaos suite does to the system and reads from it (LocalStack: the real one)."""

    async def kill(self, piece: str) -> None: ...

    async def system_up(self) -> None: ...

    async def healthy(self) -> bool: ...

    async def dead_letters(self) -> int: ...


@dataclass(frozen=True)
class LocalStack:
    state_dir: Path

    def _env(self) -> dict[str, str]:
        # The state folder names the stack (its pid files, secrets and ports' owner); the ports
        # come from the CRM_*_PORT variables the caller has, as for `make up`. Wide lines, so
        # that nothing the commands print is wrapped.
        return {
            **os.environ,
            "CRM_STATE_DIR": str(self.state_dir),
            "COLUMNS": "400",
            "NO_COLOR": "1",
        }

    async def _run(self, program: str, *args: str, timeout_s: float = COMMAND_TIMEOUT_S) -> str:
        command = [str(Path(sys.executable).parent / program), *args]
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=self._env(),
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout_s)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise StackError(f"`{program} {' '.join(args)}` ran over {timeout_s:.0f} s") from None
        text = output.decode(errors="replace")
        if process.returncode != 0:
            tail = "\n".join(text.splitlines()[-20:])
            raise StackError(f"`{program} {' '.join(args)}` exited {process.returncode}:\n{tail}")
        return text

    async def kill(self, piece: str) -> None:
        """SIGKILL the piece and all its processes; returns once they are gone."""
        await self._run("crm-devstack", "kill", piece)

    async def system_up(self) -> None:
        """Start what is not running; returns once every piece answers ready."""
        await self._run("crm-devstack", "system", "up", timeout_s=UP_TIMEOUT_S)

    async def healthy(self) -> bool:
        """Every server, service and the gateway running and answering."""
        try:
            await self._run("crm-devstack", "status", "--quiet")
            shown = await self._run("crm-devstack", "system", "status")
        except StackError:
            return False
        lines = [line.split() for line in shown.splitlines() if line.strip()]
        return bool(lines) and all(words[1:3] == ["running", "ready"] for words in lines)

    async def kafka_bootstrap(self) -> str:
        for line in (await self._run("crm-devstack", "env")).splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            if name == "KAFKA_BOOTSTRAP_SERVERS":
                return value.strip()
        raise StackError("`crm-devstack env` printed no KAFKA_BOOTSTRAP_SERVERS")

    async def dead_letters(self) -> int:
        """How many letters the dead-letter topic holds (it keeps them forever)."""
        bootstrap = await self.kafka_bootstrap()
        shown = await self._run("crm", "dlq", "list", "--bootstrap", bootstrap)
        found = _LETTER_COUNT.search(shown)
        if found is None:
            raise StackError(f"`crm dlq list` printed no count:\n{shown[-500:]}")
        return int(found[1])
