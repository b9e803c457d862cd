"""Checked-in files generated from the code: write those that differ, or check them.

The published API documents (crm_devstack.contract), the concordance artifacts
(crm_devstack.concordance) and the deployment files (crm_devstack.deploy_files) each come from
one source and share this behaviour: writing touches only the files that differ; `--check`
(make lint, CI) changes nothing and exits 1 naming every file that differs, so a change to the
source that was not followed by a regeneration cannot land.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, TypeVar

import typer

# A generated file under its directory: a bare file name, or a path relative to it.
Name = TypeVar("Name", str, Path)


def stale_files(directory: Path, expected: Mapping[Name, str]) -> list[Name]:
    """The files missing from directory or differing from the expected texts."""
    return [
        name
        for name, text in expected.items()
        # Bytes, not text: a checkout that rewrote line endings is stale too.
        if not (directory / name).is_file()
        or (directory / name).read_bytes() != text.encode("utf-8")
    ]


def write_stale_files(directory: Path, expected: Mapping[Name, str]) -> list[Name]:
    """Write every file that differs (making its folder); returns the names written."""
    stale = stale_files(directory, expected)
    for name in stale:
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(expected[name].encode("utf-8"))
    return stale


def write_or_check(
    directory: Path,
    expected: Mapping[Name, str],
    *,
    check: bool,
    what: str,
    command: str,
    shown: Callable[[Name], str] | None = None,
) -> int:
    """Write the files that differ, or (check) only name them; returns the exit status.

    what: the files as the messages call them ("deploy files"); command: what rewrites them;
    shown: how a file is named in the messages (default: its path under directory).
    """
    show = shown or (lambda name: str(directory / name))
    if check:
        stale = stale_files(directory, expected)
        for name in stale:
            print(f"stale: {show(name)}", file=sys.stderr)
        if stale:
            print(f"{what} are out of date; run `{command}` and commit the result", file=sys.stderr)
            return 1
        print(f"{what} in {directory} are current")
        return 0
    written = write_stale_files(directory, expected)
    for name in written:
        print(f"wrote {show(name)}")
    if not written:
        print(f"{what} in {directory} were already current")
    return 0


def write_or_check_app(
    *,
    what: str,
    command: str,
    expected: Callable[[], Mapping[str, str]],
    default_directory: Callable[[], Path],
) -> typer.Typer:
    """The command of one kind of generated file: writes the files that differ into `--dir`
    (default_directory() when not given), or with `--check` only names them and exits 1.

    what and command: as write_or_check takes them; expected: the texts the source gives,
    computed when the command runs.
    """
    app = typer.Typer(
        help=f"Write {what} from their source, or --check that they are current.",
        add_completion=False,
    )

    @app.callback(invoke_without_command=True)
    def write_or_check_command(
        check: Annotated[
            bool, typer.Option("--check", help="Change nothing; exit 1 if any file is stale.")
        ] = False,
        directory: Annotated[
            Path | None, typer.Option("--dir", help="Where the files live.", show_default=False)
        ] = None,
    ) -> None:
        status = write_or_check(
            directory or default_directory(), expected(), check=check, what=what, command=command
        )
        if status:
            raise typer.Exit(status)

    return app
