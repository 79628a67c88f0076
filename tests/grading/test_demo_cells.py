"""Demo cells do not run at grading, and grades and feedback stay right (issue 16).

Unit tests read every solution notebook: which cells run at grading, that nothing graded depends on
a name only a demo cell defines, and that the blanked sources come back. The end-to-end test grades
04_xor with the real driver (nbgrader in its jailed kernel, the isolated re-check) on a full-marks
and a zero-marks submission that each carry an extra demo cell sleeping 45 s: the autograde must
take far less than that, nbgrader's own scores must be full and zero, and the autograded notebook
and the feedback must still show the demo cell.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from autograder.exercises import ASSIGNMENTS, exercises_for
from autograder.grading.demo_cells import (
    RestoreDemoCells,
    SkipDemoCells,
    autograde_preprocessors,
    cell_runs_at_grading,
)
from autograder.notebooks import ROOT, solution_path

SOLUTIONS = [a for a in ASSIGNMENTS if solution_path(a).exists()]


def _role(cell) -> str:
    nbg = cell.metadata.get("nbgrader", {})
    if nbg.get("solution"):
        return "answer"
    if nbg.get("grade"):
        return "graded"
    if "setup" in cell.metadata.get("tags", []):
        return "setup"
    if "run_check(" in cell.source:
        return "check"
    return "demo"


def _names(source: str) -> tuple[set, set]:
    """Names a cell binds and names it reads (IPython magics turned into Python first)."""
    tree = ast.parse(TransformerManager().transform_cell(source))
    bound, read = set(), set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name):
            (bound if isinstance(n.ctx, ast.Store) else read).add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef)):
            bound.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in n.names}
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
    return bound, read


@pytest.mark.parametrize("assignment", SOLUTIONS)
def test_only_setup_answer_and_graded_cells_run_and_demo_and_check_cells_come_back(assignment):
    nb = nbformat.read(solution_path(assignment), as_version=4)
    original = [c.source for c in nb.cells]
    roles = [_role(c) if c.cell_type == "code" else "markdown" for c in nb.cells]
    assert roles.count("setup") >= 1 and "demo" in roles and "check" in roles
    resources = {"nbgrader": {"assignment": assignment}}
    nb, resources = SkipDemoCells()(nb, resources)  # called as nbconvert calls it (enabled or not)
    for cell, role, source in zip(nb.cells, roles, original, strict=True):
        if role in ("demo", "check"):  # the graded cell below a check cell runs the same check
            assert cell.source == "", f"a {role} cell would run at grading: {source[:80]!r}"
        else:
            assert cell.source == source, f"a {role} cell was changed: {source[:80]!r}"
    nb, _ = RestoreDemoCells()(nb, resources)
    assert [c.source for c in nb.cells] == original


@pytest.mark.parametrize("assignment", SOLUTIONS)
def test_no_cell_that_runs_at_grading_needs_a_name_only_a_demo_defines(assignment):
    nb = nbformat.read(solution_path(assignment), as_version=4)
    defined_by_demos: dict[str, int] = {}
    defined: set[str] = set(dir(builtins))
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        bound, read = _names(cell.source)
        if cell_runs_at_grading(cell):
            needs = {n: defined_by_demos[n] for n in read - bound - defined if n in defined_by_demos}
            assert not needs, f"{assignment} cell {i} ({_role(cell)}) reads names defined in demo cells: {needs}"
            defined |= bound
        else:
            for n in bound:
                defined_by_demos.setdefault(n, i)


def test_a_student_who_drops_the_setup_tag_still_gets_the_setup_run():
    nb = nbformat.read(solution_path("04_xor"), as_version=4)
    setup = next(c for c in nb.cells if "setup" in c.metadata.get("tags", []))
    setup.metadata.pop("tags")
    nb, _ = SkipDemoCells()(nb, {"nbgrader": {"assignment": "04_xor"}})
    assert "import nnlib" in setup.source


def test_the_pipeline_is_nbgraders_with_the_two_steps_around_execute():
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    default = Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default()
    ours = autograde_preprocessors()
    i = ours.index(Execute)
    assert ours[i - 1] is SkipDemoCells and ours[i + 1] is RestoreDemoCells
    assert [p for p in ours if p not in (SkipDemoCells, RestoreDemoCells)] == default


# --- end to end ----------------------------------------------------------------------------------

A = "04_xor"
SLEEP = 45
DEMO = f"import time\ntime.sleep({SLEEP})  # a demo cell: must not run at grading\nprint('demo' + ' output')"


def _submission(course_dir: Path, student: str, stub: bool) -> None:
    nb = nbformat.read(solution_path(A), as_version=4)
    # The first demo cell after the set-up, edited (it keeps the instructor's cell id): a cell
    # the student added would run at grading (demo_cells.added_by_student).
    setup_at = next(i for i, c in enumerate(nb.cells) if "setup" in c.metadata.get("tags", []))
    demo = next(c for c in nb.cells[setup_at + 1:] if c.cell_type == "code" and _role(c) == "demo")
    demo.source = DEMO
    if stub:
        for c in nb.cells:
            if c.metadata.get("nbgrader", {}).get("solution"):
                c.source = c.source.split("### BEGIN SOLUTION")[0] + "raise NotImplementedError()"
    d = course_dir / "submitted" / student / A
    d.mkdir(parents=True)
    nbformat.write(nb, d / f"{A}.ipynb")


@pytest.mark.slow
@pytest.mark.grading
@pytest.mark.timeout(600)
def test_demo_cells_do_not_run_at_grading_and_grades_and_feedback_stay_right(tmp_path):
    _submission(tmp_path, "full", stub=False)
    _submission(tmp_path, "zero", stub=True)
    state = tmp_path / "reports" / ".state" / A
    state.mkdir(parents=True)
    (state / "seed").write_text("20261201")
    env = {**os.environ, "NNCOURSE_CELL_TIMEOUT": str(SLEEP + 60), "NNCOURSE_STALL_SECONDS": "30",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    out = subprocess.run([sys.executable, "-m", "autograder", "grade", A, "--course-dir", str(tmp_path),
                          "--jobs", "1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=540)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    points = {ex.name: ex.points for ex in exercises_for(A)}
    for student, want in (("full", 1.0), ("zero", 0.0)):
        entry = json.loads((state / f"{student}.json").read_text())
        assert entry["nbgrader_ok"], f"nbgrader failed on {student}"
        assert entry["autograde_seconds"] < SLEEP - 10, (
            f"{student}: nbgrader's autograde took {entry['autograde_seconds']:.1f} s: the demo ran")
        for row in entry["exercises"]:
            expect = want * points[row["exercise"]]
            assert row["nbgrader_score"] == expect and row["score"] == expect, (student, row)
            assert not row["overridden"], (student, row)
        graded = nbformat.read(tmp_path / "autograded" / student / A / f"{A}.ipynb", as_version=4)
        demo = [c for c in graded.cells if c.source == DEMO]
        assert len(demo) == 1 and demo[0].outputs == [], "the demo cell must be shown, not run"
        feedback = (tmp_path / "feedback" / student / A / f"{A}.html").read_text()
        assert "must not run at grading" in feedback and "demo output" not in feedback
    full_feedback = (tmp_path / "feedback" / "full" / A / f"{A}.html").read_text()
    assert "xor_weights" in full_feedback and "train_xor" in full_feedback
