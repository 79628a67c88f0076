"""The course notebooks: solutions/ and the committed student release in course/ stay honest.

nbval itself runs over solutions/ (see test.sh); these tests cover what nbval cannot.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.exercises import ASSIGNMENTS, exercises_for
from autograder.notebooks import (
    ROOT,
    autograde_scores,
    error_cells,
    execute,
    release,
    solution_path,
    sync_metadata,
    text_outputs,
)

pytestmark = pytest.mark.notebooks

PRESENT = [a for a in ASSIGNMENTS if solution_path(a).exists()]
CHECK_CALL = re.compile(r"\b(run_check|grade)\(")


def course_path(a: str) -> Path:
    return ROOT / "course" / a / f"{a}.ipynb"


def test_every_assignment_has_a_solution_and_a_release():
    missing = [a for a in ASSIGNMENTS if not solution_path(a).exists() or not course_path(a).exists()]
    assert not missing, f"assignments without a solution notebook or a released copy: {missing}"


@pytest.mark.parametrize("a", PRESENT)
def test_metadata_is_derived_from_the_registry(a):
    assert not sync_metadata(a, write=False), f"run `python -m autograder sync {a}`"


@pytest.mark.parametrize("a", PRESENT)
def test_solutions_carry_no_outputs(a):
    nb = nbformat.read(solution_path(a), as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{a}: cells {dirty} have saved outputs"


@pytest.mark.parametrize("a", PRESENT)
def test_setup_cell_is_tagged_and_first(a):
    nb = nbformat.read(solution_path(a), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and "setup" in code[0].metadata.get("tags", []), f"{a}: first code cell must be tagged setup"


@pytest.fixture(scope="session")
def fresh_release(tmp_path_factory):
    return release(PRESENT, dest=tmp_path_factory.mktemp("release"))


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("a", PRESENT)
def test_course_is_exactly_what_nbgrader_generates(a, fresh_release):
    assert _files(fresh_release / a) == _files(ROOT / "course" / a)
    for rel in _files(fresh_release / a):
        got = (ROOT / "course" / a / rel).read_bytes()
        want = (fresh_release / a / rel).read_bytes()
        assert got == want, f"course/{a}/{rel} differs from the release: `python -m autograder release`"


def _regions(source: str, begin: str, end: str) -> list[str]:
    return re.findall(rf"{re.escape(begin)}(.*?){re.escape(end)}", source, flags=re.S)


def _distinctive_lines(block: str) -> list[str]:
    lines = []
    for line in block.splitlines():
        s = line.strip()
        if len(s) >= 20 and not s.startswith("#"):
            lines.append(s)
    return lines


@pytest.mark.parametrize("a", PRESENT)
def test_course_leaks_no_solution_or_hidden_test(a):
    sol = nbformat.read(solution_path(a), as_version=4)
    course_text = course_path(a).read_text()
    course_nb = nbformat.read(course_path(a), as_version=4)
    course_code = "\n".join(c.source for c in course_nb.cells if c.cell_type == "code")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden=True"):
        assert marker not in course_text, f"course/{a} contains {marker!r}"
    secret = []
    for cell in sol.cells:
        secret += _regions(cell.source, "### BEGIN SOLUTION", "### END SOLUTION")
        secret += _regions(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
    assert secret, f"{a}: no solution regions found"
    for block in secret:
        for line in _distinctive_lines(block):
            assert line not in course_code, f"course/{a} leaks a solution/hidden-test line: {line!r}"


@pytest.mark.parametrize("a", PRESENT)
def test_course_regions_are_stubbed(a):
    nb = nbformat.read(course_path(a), as_version=4)
    stubs = [c for c in nb.cells if c.cell_type == "code" and "raise NotImplementedError()" in c.source]
    assert len(stubs) == len(exercises_for(a)), f"{a}: expected one stub per exercise"


@pytest.mark.parametrize("a", PRESENT)
def test_blank_copy_fails_only_in_stubbed_exercise_cells(a, tmp_path):
    shutil.copytree(course_path(a).parent, tmp_path, dirs_exist_ok=True)
    nb, _ = execute(tmp_path / f"{a}.ipynb", allow_errors=True)
    errors = error_cells(nb)
    assert errors, f"{a}: the blank copy raised nowhere: its checks cannot fail"
    for i, out in errors:
        src = nb.cells[i].source
        assert CHECK_CALL.search(src), (
            f"{a}: cell {i} is not a check cell but raised {out.ename}: {out.evalue}\n{src[:300]}"
        )
    checks = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "run_check(" in c.source]
    for i in checks:
        outs = [o for o in nb.cells[i].outputs if o.output_type == "error"]
        assert outs, f"{a}: visible check cell {i} passed on a blank copy"
        shown = "\n".join(outs[0].traceback)
        assert "not written yet" in shown or "NotImplementedError" in shown, shown
        assert "Traceback" not in shown and 'File "' not in shown, f"{a}: check cell {i}: long traceback"


@pytest.mark.parametrize("a", PRESENT)
def test_solution_is_deterministic_and_error_free(a, tmp_path):
    runs = []
    for k in range(2):
        work = tmp_path / f"run{k}"
        shutil.copytree(solution_path(a).parent, work)
        nb, _ = execute(work / f"{a}.ipynb", allow_errors=True)
        assert not error_cells(nb), f"{a}: solution raised in cells {[i for i, _ in error_cells(nb)]}"
        runs.append(text_outputs(nb))
    assert runs[0] == runs[1], f"{a}: two runs printed different text"


@pytest.mark.parametrize("a", PRESENT)
def test_nbgrader_gives_solution_full_marks_and_blank_copy_zero(a, tmp_path):
    for student, src in (("solution", solution_path(a)), ("blank", course_path(a))):
        dest = tmp_path / "submitted" / student / a
        dest.mkdir(parents=True)
        shutil.copy(src, dest / f"{a}.ipynb")
    scores = autograde_scores(tmp_path, a, ["solution", "blank"])
    expected = {f"{ex.name}_tests": ex.points for ex in exercises_for(a)}
    assert {k: v[1] for k, v in scores["solution"].items()} == expected
    full = {k: v[0] for k, v in scores["solution"].items()}
    assert full == expected, f"{a}: the solution lost points: {json.dumps(scores['solution'])}"
    assert all(v[0] == 0 for v in scores["blank"].values()), f"{a}: blank copy scored: {scores['blank']}"
