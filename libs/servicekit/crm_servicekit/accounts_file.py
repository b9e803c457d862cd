"""Changing an accounts file in place: `crm accounts` and the local launcher edit the one file
the running services read, so every write is checked as the services would read it and
replaces the file in one rename (a service re-reading it meanwhile sees the old file or the
new one, never half of one)."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from crm_servicekit.accounts import Accounts, AccountsFileError, parse_accounts

# The top-level key of the local accounts file naming the entries `make up` rewrites at every
# start (the demo and backtest accounts); every other entry is the user's and is kept as it is.
# The services read only "accounts", so the key is invisible to them.
WRITTEN_BY_MAKE_UP = "written_by_make_up"


class AccountsDocument:
    """An accounts file's whole document, read for a change: its entries as they are written
    (a user's entries keep their own shape) and any other top-level keys."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    @property
    def entries(self) -> list[dict[str, Any]]:
        if self.document.get("accounts") is None:
            self.document["accounts"] = []
        entries = self.document["accounts"]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise AccountsFileError("'accounts' must be a list of accounts")
        return entries

    @property
    def written_by_make_up(self) -> frozenset[str]:
        names = self.document.get(WRITTEN_BY_MAKE_UP) or []
        return frozenset(str(name) for name in names)

    def entry(self, account_id: str) -> dict[str, Any] | None:
        return next((e for e in self.entries if e.get("account_id") == account_id), None)

    def account_ids(self) -> list[str]:
        return [str(entry.get("account_id")) for entry in self.entries]


def read_document(path: Path) -> AccountsDocument:
    """The file's document; a file that does not exist yet is an empty one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return AccountsDocument({"accounts": []})
    except OSError as error:
        raise AccountsFileError(f"accounts file {path}: cannot be read: {error}") from error
    try:
        # YAML 1.2 reads JSON too, as the services' own reader does.
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise AccountsFileError(f"accounts file {path}: not valid YAML or JSON: {error}") from error
    if document is None:
        document = {"accounts": []}
    if isinstance(document, list):
        document = {"accounts": document}
    if not isinstance(document, dict):
        raise AccountsFileError(f"accounts file {path}: expected {{accounts: [...]}}")
    return AccountsDocument(document)


def replace_document(path: Path, document: AccountsDocument) -> Accounts:
    """Check the document as the services read it, then put it in place of the file at once;
    a document that does not parse leaves the file as it was. Unchanged content is not
    rewritten, so a service watching the file has nothing to reload."""
    accounts = parse_accounts(document.document, source=str(path))
    if path.suffix == ".json":
        text = json.dumps(document.document, indent=2) + "\n"
    else:
        text = yaml.safe_dump(document.document, sort_keys=False)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return accounts
    path.parent.mkdir(parents=True, exist_ok=True)
    # The file holds webhook secrets: a new one is readable by its owner only (mkstemp's
    # 0600); a replaced one keeps the mode it had.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return accounts


@contextmanager
def editing(path: Path) -> Iterator[AccountsDocument]:
    """The file's document to change in the block, written back (checked, atomically) when the
    block ends without an error. One editor at a time: `make up` and `crm accounts` may run
    together, and the second would otherwise write back a document without the first's
    change."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f".{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        document = read_document(path)
        yield document
        replace_document(path, document)
