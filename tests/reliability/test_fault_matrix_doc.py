"""docs/faults.md stays honest: at least 30 faults, each naming a test that
exists, and every row saying what the customer sees, what happens to the
money and what the technician sees."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| (\d+) \|(.*)\|$")
TEST = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def rows() -> list[list[str]]:
    text = (ROOT / "docs" / "faults.md").read_text(encoding="utf-8")
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in text.splitlines()
        if ROW.match(line)
    ]


def test_every_fault_names_a_test_that_exists() -> None:
    table = rows()
    assert len(table) >= 30
    missing = []
    for number, fault, customer, money, technician, test in table:
        assert fault and customer and money and technician, f"row {number} is incomplete"
        named = TEST.findall(test)
        assert named, f"row {number} names no test"
        for path, name in named:
            source = (ROOT / path).read_text(encoding="utf-8")
            tree = ast.parse(source)
            names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
            if name not in names:
                missing.append(f"{number}: {path}::{name}")
    assert missing == []
    numbers = [int(row[0]) for row in table]
    assert numbers == list(range(1, len(table) + 1))
