"""Every diagnosis code that can reach a journal has a meaning in CODE_MEANINGS.

The grading driver writes codes in three ways: a ``Verdict(name, points, passed, CODE, message)``,
a ``"diagnosis": CODE`` entry of a journal row, and the judge's own codes. This test reads the
grading package's source with ``ast`` and collects every code it can write, so a new code written
there without a meaning here fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import autograder.grading
from autograder.checks.codes import CODE_MEANINGS, JUDGE_CODES, RECHECK_MEANINGS

GRADING = Path(autograder.grading.__file__).parent


def _strings(node, constants):
    """The string values an expression can take (constants, names of module constants, a if c else b)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body, constants) | _strings(node.orelse, constants)
    if isinstance(node, ast.Name) and node.id in constants:
        return {constants[node.id]}
    return set()


def _module_constants(trees) -> dict[str, str]:
    """``NAME = "text"`` at the top of any grading module (such as ``NOT_GRADED = "not_graded"``)."""
    constants = {}
    for tree in trees:
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        constants[target.id] = node.value.value
    return constants


def recorded_codes() -> dict[str, set[str]]:
    """code -> the grading modules that write it."""
    trees = {path.name: ast.parse(path.read_text()) for path in sorted(GRADING.glob("*.py"))}
    constants = _module_constants(trees.values())
    found: dict[str, set[str]] = {}
    for module, tree in trees.items():
        for node in ast.walk(tree):
            codes = set()
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Verdict" \
                    and len(node.args) >= 4:
                codes = _strings(node.args[3], constants)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "diagnosis":
                        codes |= _strings(value, constants)
            for code in codes:
                found.setdefault(code, set()).add(module)
    return found


def test_the_walk_finds_the_drivers_codes():
    """The walk itself works: it finds the codes the re-check and the driver are known to write."""
    found = recorded_codes()
    assert {"timeout", "crashed", "not_implemented", "exception", "not_graded"} <= set(found), found


def test_every_code_the_grading_package_records_has_a_meaning():
    missing = {code: sorted(where) for code, where in recorded_codes().items()
               if code not in CODE_MEANINGS}
    assert not missing, f"codes written by autograder/grading without a meaning in CODE_MEANINGS: {missing}"


def test_recheck_codes_are_not_judge_codes_and_every_meaning_is_a_sentence():
    assert set(RECHECK_MEANINGS).isdisjoint(JUDGE_CODES)
    assert set(CODE_MEANINGS) == set(JUDGE_CODES) | set(RECHECK_MEANINGS)
    for code, text in CODE_MEANINGS.items():
        assert len(text.split()) >= 4, (code, text)
