"""The fault-injection seam: the checkpoints the tests kill at (tests/faults/checkpoints.py)
are the ones the production code announces with ``sys.audit``, and nothing else of the
production code knows about kills."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

import videotheque
from tests.faults.checkpoints import CHECKPOINTS, PREFIX

PACKAGE = Path(videotheque.__file__).parent


def sources() -> Iterator[Path]:
    """The package's modules (an editable install links its folders: followed)."""
    for folder, _, files in os.walk(PACKAGE, followlinks=True):
        yield from (Path(folder, f) for f in sorted(files) if f.endswith(".py"))


def announced() -> dict[str, list[str]]:
    """Each ``sys.audit("videotheque....")`` name of the package, with where it is."""
    found: dict[str, list[str]] = {}
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func) == "sys.audit"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and str(node.args[0].value).startswith(PREFIX)
            ):
                found.setdefault(str(node.args[0].value), []).append(path.name)
    return found


def test_the_tests_kill_at_the_checkpoints_the_code_announces() -> None:
    names = announced()
    assert set(names) == CHECKPOINTS
    assert set(names["videotheque.import.saved"]) == {"importer.py"}
    assert {n for k, v in names.items() if k.startswith("videotheque.links.") for n in v} == {
        "linkops.py"
    }


def test_no_production_module_holds_a_kill_switch() -> None:
    """No module sends SIGKILL (the tests do that, at the checkpoints), and none reads a
    test's kill variable. The one SIGKILL allowed is the one the kernel sends a worker
    process whose command has ended: ``prctl(PR_SET_PDEATHSIG, signal.SIGKILL)``."""
    for path in sources():
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        allowed = {
            id(arg)
            for call in ast.walk(tree)
            if isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "prctl"
            for arg in call.args
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "SIGKILL":
                assert id(node) in allowed, f"{path}:{node.lineno}"
            if isinstance(node, ast.Name) and node.id == "SIGKILL":
                raise AssertionError(f"{path}:{node.lineno}")
        assert "VIDEOTHEQUE_TEST_KILL" not in text, path
