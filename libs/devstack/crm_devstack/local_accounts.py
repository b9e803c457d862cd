"""The local accounts file: the accounts `make up` writes, and the user's own beside them.

The running services read one file (`.local/accounts.json`). `make up` rewrites its own
accounts there at every start and names them under `written_by_make_up`; every other entry is
the user's (`crm accounts add`, or written by hand) and is kept exactly as it is, so a user's
accounts live across restarts and their edits reach the running services without one.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from crm_servicekit.accounts import AccountsFileError
from crm_servicekit.accounts_file import WRITTEN_BY_MAKE_UP, editing


class LocalAccountsError(ValueError):
    """The user's accounts cannot be kept beside `make up`'s; the file is left as it was."""


def write_beside_users_accounts(path: Path, written: list[dict[str, Any]]) -> Path:
    """Put `written` (make up's accounts) first in the file at `path`, then the user's
    accounts as they are; refuse, changing nothing, a user's account under one of make up's
    ids or a result the services would not read."""
    ours = [str(entry["account_id"]) for entry in written]
    try:
        with editing(path) as document:
            # A file without the key was written whole by an earlier `make up`, which kept no
            # entry of anyone else's: every one of our ids in it is ours.
            known = WRITTEN_BY_MAKE_UP in document.document
            before = document.written_by_make_up if known else frozenset(ours)
            _refuse_users_under_our_ids(path, document.account_ids(), before, ours)
            users = [entry for entry in document.entries if entry.get("account_id") not in before]
            rest = dict(document.document)
            rest.pop("accounts", None)
            rest.pop(WRITTEN_BY_MAKE_UP, None)
            document.document = {WRITTEN_BY_MAKE_UP: ours, "accounts": [*written, *users], **rest}
    except AccountsFileError as error:
        raise LocalAccountsError(
            f"the local accounts cannot be written, {path} is left as it was: {error}"
        ) from None
    return path


def _refuse_users_under_our_ids(
    path: Path, present: list[str], before: frozenset[str], ours: list[str]
) -> None:
    counts = Counter(present)
    taken = sorted(
        name
        for name in set(ours) & counts.keys()
        if name not in before or counts[name] > 1  # beside ours, or ours not written yet
    )
    if taken:
        raise LocalAccountsError(
            f"{path}: {', '.join(map(repr, taken))} {'is' if len(taken) == 1 else 'are'} "
            f"written by `make up` (the demo and backtest accounts: {', '.join(ours)}); give "
            "your account another id in that file and start again"
        )
