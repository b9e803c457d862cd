"""The accounts file, re-read while the service runs.

Every service process watches its accounts file: a cheap stat every
`accounts_reload_interval_s`, and the content's hash once the stat differs, so an editor's
rename into place, a Kubernetes ConfigMap's symlink swap and a rewrite in place are all seen.
A file that parses replaces the registry's contents in place (`Accounts.replace_with`), so
auth, ingest's webhook checks and connector owners, and every use case holding the registry
see the new accounts at their next lookup. A file that does not parse is refused whole: the
last good accounts stay, the problem is logged, counted and reported by `/health/ready` until
a good file is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import structlog
from prometheus_client import Counter, Gauge

from crm_servicekit.accounts import Accounts, AccountsFileError, accounts_from_bytes
from crm_servicekit.health import CheckProblem

log = structlog.get_logger(__name__)

ACCOUNTS_RELOADS = Counter(
    "crm_accounts_reloads",
    "Changes of the accounts file read while running, by outcome (applied, refused).",
    ["service", "outcome"],
)
ACCOUNTS_FILE_REFUSED = Gauge(
    "crm_accounts_file_refused",
    "1 while the accounts file as it stands was refused and the last good accounts are served.",
    ["service"],
)

# A file changed this close to the moment it was read may change again within the same
# mtime tick (coarse on some file systems) and with the same size, which a stat cannot tell
# apart: such a reading is hashed again at the next poll.
RACY_WINDOW_NS = 2_000_000_000


@dataclass(frozen=True)
class Stat:
    """What a stat tells of the file; a rename into place changes the inode."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> Stat | None:
        """None when the file is missing or cannot be looked at."""
        try:
            found = os.stat(path)
        except OSError:
            return None
        return cls(found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)


@dataclass(frozen=True)
class Reading:
    """The file as last read: its stat, the hash of its content (None: it could not be read)
    and whether it must be hashed again although its stat stays the same."""

    stat: Stat | None
    digest: str | None
    racy: bool

    def unchanged_at(self, stat: Stat | None) -> bool:
        return stat == self.stat and not self.racy


# Before the first reading: whatever the file is, it is read.
NEVER_READ = Reading(None, None, racy=True)


@dataclass(frozen=True)
class Looked:
    """One look at a changed file: how it reads now, and its accounts or why it is refused
    (both None: the content is the same as before, nothing to do)."""

    reading: Reading
    accounts: Accounts | None = None
    problem: str | None = None


@dataclass(frozen=True)
class AccountChanges:
    added: list[str]
    removed: list[str]
    changed: list[str]


def changes_between(old: Accounts, new: Accounts) -> AccountChanges:
    before = {account.account_id: account for account in old}
    after = {account.account_id: account for account in new}
    return AccountChanges(
        added=sorted(after.keys() - before.keys()),
        removed=sorted(before.keys() - after.keys()),
        changed=sorted(i for i in after.keys() & before.keys() if after[i] != before[i]),
    )


class AccountsFileWatcher:
    """Keeps `accounts` equal to the last good reading of the file at `path`."""

    def __init__(
        self,
        path: Path,
        accounts: Accounts | None = None,
        *,
        service: str,
        wall_clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        """Without `accounts`, the file is read now, and a file that does not parse stops
        the start (AccountsFileError), as it always has."""
        self.path = path
        self.service = service
        # Why the file as it stands is refused; None while the last reading was applied.
        self.problem: str | None = None
        self._wall_clock_ns = wall_clock_ns
        # The loop and a consumer looking again (poll_for) take turns, so a change is
        # applied once.
        self._polling = asyncio.Lock()
        # Only a change after the accounts were read (or given) is a reload; the registry and
        # the reading it is compared with come from the same bytes.
        looked = self._look(NEVER_READ, parse=accounts is None)
        self._reading = looked.reading
        if accounts is None:
            if looked.accounts is None:
                raise AccountsFileError(looked.problem or f"accounts file {path}: not read")
            accounts = looked.accounts
        self.accounts = accounts
        ACCOUNTS_FILE_REFUSED.labels(service).set(0)

    async def run(self, stop: asyncio.Event, interval_s: float) -> None:
        """Poll until `stop` is set; a background loop of the runtime."""
        while not stop.is_set():
            await self.poll()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_s)

    async def poll(self) -> None:
        """Look at the file once; apply it or refuse it if it changed."""
        async with self._polling:
            # Stat, read, hash and parse off the event loop: a large file takes a while.
            looked = await asyncio.to_thread(self._look, self._reading)
            self._reading = looked.reading
            if looked.accounts is not None:
                self._apply(looked.accounts)
            elif looked.problem is not None:
                self._refuse(looked.problem)

    async def poll_for(self, account_ids: Iterable[str]) -> None:
        """Look at the file now if any of these accounts is unknown: before a consumer gives
        up on an account's event, since ingest may have read the newer file already and
        accepted it (a stat when the file did not change)."""
        if any(account_id not in self.accounts for account_id in account_ids):
            await self.poll()

    async def readiness(self) -> None:
        """The readiness check "accounts": passes unless the file as it stands was refused."""
        if self.problem is not None:
            raise CheckProblem(f"{self.problem}; serving the last good accounts")

    def _look(self, before: Reading, *, parse: bool = True) -> Looked:
        stat = Stat.of(self.path)
        if before.unchanged_at(stat):
            return Looked(before)
        if stat is None:
            problem = f"accounts file {self.path}: cannot be read: missing or not accessible"
            return Looked(Reading(None, None, racy=False), problem=problem)
        started_ns = self._wall_clock_ns()
        try:
            content = self.path.read_bytes()
        except OSError as error:
            problem = f"accounts file {self.path}: cannot be read: {error.strerror or error}"
            return Looked(Reading(None, None, racy=False), problem=problem)
        reading = Reading(
            stat,
            hashlib.sha256(content).hexdigest(),
            racy=stat.mtime_ns >= started_ns - RACY_WINDOW_NS,
        )
        if reading.digest == before.digest or not parse:
            return Looked(reading)
        if not content.strip() and before is not NEVER_READ:
            # Truncated for a rewrite in place, most likely: dropping every account for the
            # moment until the write ends would refuse every caller. (At start an empty file
            # is no accounts, as it always was.)
            problem = f"accounts file {self.path}: is empty (write `accounts: []` for none)"
            return Looked(reading, problem=problem)
        try:
            accounts = accounts_from_bytes(content, source=f"accounts file {self.path}")
        except AccountsFileError as error:
            return Looked(reading, problem=str(error))
        return Looked(reading, accounts=accounts)

    def _apply(self, accounts: Accounts) -> None:
        changes = changes_between(self.accounts, accounts)
        self.accounts.replace_with(accounts)
        self.problem = None
        ACCOUNTS_FILE_REFUSED.labels(self.service).set(0)
        ACCOUNTS_RELOADS.labels(self.service, "applied").inc()
        log.info(
            "accounts reloaded",
            accounts=len(self.accounts),
            added=changes.added,
            removed=changes.removed,
            changed=changes.changed,
            version=self.accounts.version,
        )

    def _refuse(self, problem: str) -> None:
        self.problem = problem
        ACCOUNTS_FILE_REFUSED.labels(self.service).set(1)
        ACCOUNTS_RELOADS.labels(self.service, "refused").inc()
        log.error("accounts file refused; keeping the last good accounts", problem=problem)
