"""The README's "Guarantees": every line names the tests that show it, and they exist.

A guarantee is only as good as the test behind it; this keeps the README from naming a test
that was renamed or removed, and from gaining a line that names none.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
SECTION = re.compile(r"^## Guarantees\n(.*?)(?=^## )", re.S | re.M)
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")


def guarantee_lines() -> list[str]:
    match = SECTION.search(README.read_text())
    assert match, "the README has no Guarantees section"
    items = re.split(r"^- ", match.group(1), flags=re.M)[1:]
    return [" ".join(item.split()) for item in items]


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_the_readme_states_guarantees() -> None:
    assert len(guarantee_lines()) >= 6


def test_every_guarantee_names_a_test() -> None:
    unbacked = [line for line in guarantee_lines() if not REFERENCE.search(line)]
    assert not unbacked, f"guarantees naming no test: {unbacked}"


def test_every_test_a_guarantee_names_exists() -> None:
    missing = []
    for line in guarantee_lines():
        for file, name in REFERENCE.findall(line):
            path = ROOT / file
            if not path.is_file():
                missing.append(file)
            elif name and name not in defined_tests(path):
                missing.append(f"{file}::{name}")
    assert not missing, f"the README names tests that do not exist: {missing}"
