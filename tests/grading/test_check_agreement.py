"""One verdict: a notebook's check reaches the verdict of the grading re-check.

Honest but unusual submissions (an answer that calls nnlib's twin of its exercise, one that reuses
the student's own earlier answers, a helper defined in the answer cell, another library) go
through the real isolated re-check (:func:`autograder.grading.sandbox.recheck`: a jailed sandbox
process, twins blocked, outcomes judged here); the same answer cells run as a kernel runs them
(set-up cell, then the answer cells in notebook order, in one namespace) are checked with
:func:`autograder.checks.check` on the same cases (the re-check's hidden seed). Every verdict must
be the same, passed or not, with the same diagnosis.
"""

from __future__ import annotations

import json
import linecache

import nbformat
import pytest

from autograder.checks import check
from autograder.grading.sandbox import answer_cells, exercise_seed, recheck, setup_source
from autograder.grading.sandbox_main import strip_magics
from autograder.notebooks import ROOT, solution_path

pytestmark = [pytest.mark.grading]

RUN_SEED = 20261201
RELEASE = ROOT / "course"

REUSES_OWN_ANSWERS = {  # 06: own dense_backward and activation_backward inside mlp_loss_and_grads
    "dense_backward": '''
def dense_backward(dZ, cache):
    X, W = cache
    return dZ @ W, np.einsum("no,ni->oi", dZ, X), dZ.sum(axis=0)
''',
    "activation_backward": '''
def _derivative(Z, name):
    """A helper defined in the answer cell itself."""
    if name == "sigmoid":
        s = 0.5 * (1 + np.tanh(Z / 2))
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(Z) ** 2
    if name == "relu":
        return (Z > 0).astype(Z.dtype)
    if name == "leaky_relu":
        return np.where(Z > 0, 1.0, 0.1).astype(Z.dtype)
    _, g_prime = nnlib.get_activation(name)
    return g_prime(Z)

def activation_backward(dA, cache):
    Z, name = cache
    return dA * _derivative(Z, name)
''',
    "mlp_loss_and_grads": '''
def mlp_loss_and_grads(X, y, params, activation="relu", output="softmax"):
    out, caches = nnlib.mlp_forward(X, params, activation, output)
    Z = caches[-1][1]
    if output == "softmax":
        loss, delta = nnlib.softmax_cross_entropy(Z, y)
    elif output == "sigmoid":
        loss, delta = nnlib.binary_cross_entropy_with_logits(Z, y.reshape(Z.shape))
    else:
        loss, delta = nnlib.squared_error(Z, y.reshape(Z.shape))
    grads = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        A_prev, _ = caches[i]
        dA_prev, dW, db = dense_backward(delta, (A_prev, params[i][0]))
        grads[i] = (dW, db)
        if i > 0:
            delta = activation_backward(dA_prev, (caches[i - 1][1], activation))
    return loss, grads
''',
    "relative_error": '''
import scipy.linalg

def relative_error(a, b):
    return float(scipy.linalg.norm(a - b) / max(scipy.linalg.norm(a) + scipy.linalg.norm(b), 1e-12))
''',
}

CALLS_TWINS = {  # 06: the twin of the exercise itself, another exercise's twin, an import of one
    "dense_backward": '''
def dense_backward(dZ, cache):
    return nnlib.dense_backward(dZ, cache)
''',
    "activation_backward": '''
from nnlib import activation_backward as _reference

def activation_backward(dA, cache):
    return _reference(dA, cache)
''',
    "numerical_gradient": '''
def numerical_gradient(f, x, h=1e-5):
    g = nnlib.numerical_gradient(f, x, h)
    return g
''',
    "relative_error": '''
def relative_error(a, b):
    return nnlib.relative_error(a, b)
''',
}

SOFTMAX_REUSE = {  # 07: log_softmax through nnlib's softmax (refused); cross-entropy from own log_softmax
    "log_softmax": '''
def log_softmax(Z):
    return np.log(nnlib.softmax(Z))
''',
    "softmax_cross_entropy": '''
def softmax_cross_entropy(Z, y):
    N = len(Z)
    logp = Z - Z.max(axis=1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(axis=1, keepdims=True))
    dZ = np.exp(logp)
    dZ[np.arange(N), y] -= 1
    return -logp[np.arange(N), y].mean(), dZ / N
''',
}


def _submission(folder, assignment, replaced: dict, added=(), release=False):
    """The solution notebook (or the released one, untouched) with the answers ``replaced`` and
    new code cells ``added`` (``(exercise, source)``: a cell the student inserted just above that
    exercise's answer cell; a new cell id, as JupyterLab gives it)."""
    source = RELEASE / assignment / f"{assignment}.ipynb" if release else solution_path(assignment)
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in replaced and not cell.metadata["nbgrader"].get("grade"):
            cell.source = replaced[gid].strip() + "\n"
    for exercise, text in added:
        at = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == exercise)
        nb.cells.insert(at, nbformat.v4.new_code_cell(text.strip() + "\n"))
    path = folder / f"{assignment}.ipynb"
    nbformat.write(nb, path)
    return path


def _kernel_verdicts(assignment, notebook, seed=RUN_SEED) -> dict:
    """As a kernel runs the notebook top to bottom: the set-up, then in notebook order every answer
    cell and every cell the student added (one whose id is not the solution notebook's; errors in
    it shown and passed over, as Run All would show them), and at each graded cell that
    exercise's check (on the re-check's hidden cases of run ``seed``, or the visible check with
    ``seed=None``). The demo cells define nothing an answer needs (tests/grading/test_demo_cells.py)."""
    ns = {"__name__": "__main__"}
    exec(compile(strip_magics(setup_source(assignment)), "<setup>", "exec"), ns)
    instructor_ids = {c.get("id") for c in nbformat.read(solution_path(assignment), as_version=4).cells}
    nb = json.loads(notebook.read_text())
    answers = {source: name for name, source in answer_cells(nb, assignment).items()}
    verdicts = {}
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if cell["cell_type"] != "code":
            continue
        if source in answers or cell.get("id") not in instructor_ids:
            code, filename = strip_magics(source), f"<cell {cell.get('id')}>"
            linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)  # as IPython does
            try:
                exec(compile(code, filename, "exec"), ns)
            except Exception as exc:  # the student sees it; the notebook goes on
                print(f"(a cell raised {type(exc).__name__}: {exc})")
        elif gid.endswith("_tests") and gid[:-6] in answers.values():
            name = gid[:-6]
            result = (check(name, ns[name]) if seed is None else
                      check(name, ns[name], seed=exercise_seed(seed, name), hidden=True))
            verdicts[name] = (result.passed, result.diagnosis)
    return verdicts


@pytest.mark.timeout(180)
@pytest.mark.parametrize("assignment, replaced, refused", [
    ("06_backprop", REUSES_OWN_ANSWERS, set()),
    ("06_backprop", CALLS_TWINS, {"dense_backward", "activation_backward", "numerical_gradient",
                                  "relative_error"}),
    ("07_softmax", SOFTMAX_REUSE, {"log_softmax"}),
], ids=["own-answers-helper-scipy", "twins-called", "softmax-reuse"])
def test_check_cell_and_recheck_agree(tmp_path, assignment, replaced, refused):
    notebook = _submission(tmp_path, assignment, replaced)
    graded, _info = recheck(assignment, notebook, run_seed=RUN_SEED, slot=5)
    in_kernel = _kernel_verdicts(assignment, notebook)
    regraded = {v.exercise: (v.passed, v.diagnosis) for v in graded}
    assert in_kernel == regraded, {n: (in_kernel.get(n), regraded[n]) for n in regraded}
    assert {n for n, (ok, code) in regraded.items() if code == "calls_reference"} == refused
    assert all(ok for n, (ok, _) in regraded.items() if n not in refused), regraded


# --- through the real grading driver ------------------------------------------------------------

DRIVER_STUDENTS = {  # 07_softmax submissions: honest-but-unusual answers
    "reuses_own_answers": {  # softmax via own helper; log_softmax and the loss from own answers
        "softmax": '''
def _shifted(Z):
    return Z - Z.max(axis=1, keepdims=True)

def softmax(Z):
    E = np.exp(_shifted(Z))
    return E / E.sum(axis=1, keepdims=True)
''',
        "log_softmax": '''
def log_softmax(Z):
    shifted = _shifted(Z)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
''',
        "softmax_cross_entropy": '''
def softmax_cross_entropy(Z, y):
    N = len(Z)
    logp = log_softmax(Z)
    dZ = softmax(Z)
    dZ[np.arange(N), y] -= 1
    return -logp[np.arange(N), y].mean(), dZ / N
''',
    },
    "calls_twins": {  # nnlib's softmax inside log_softmax, nnlib's loss as the answer
        "log_softmax": '''
def log_softmax(Z):
    return np.log(nnlib.softmax(Z))
''',
        "softmax_cross_entropy": '''
from nnlib import softmax_cross_entropy as _sce

def softmax_cross_entropy(Z, y):
    return _sce(Z, y)
''',
    },
}


#: 07_softmax submissions whose helpers live in cells the student added (the rule: a helper may be
#: in an answer cell or in a code cell of the student's own; an error in such a cell costs nothing).
DRIVER_ADDED = {
    "helpers_in_own_cells": ({
        "softmax": '''
def softmax(Z):
    E = np.exp(_shifted(Z))
    return E / E.sum(axis=1, keepdims=True)
''',
        "log_softmax": '''
def log_softmax(Z):
    return Z - _logsumexp(Z)
''',
        "softmax_cross_entropy": '''
def softmax_cross_entropy(Z, y):
    dZ = softmax(Z)
    dZ[_rows(y), y] -= 1
    return -log_softmax(Z)[_rows(y), y].mean(), dZ / len(Z)
''',
    }, [
        ("softmax", '''
def _shifted(Z):
    """Z minus its row maxima: exp of it never overflows."""
    return Z - Z.max(axis=1, keepdims=True)
'''),
        ("log_softmax", '''
from numpy import log as _log

def _logsumexp(Z):
    m = Z.max(axis=1, keepdims=True)
    return m + _log(np.exp(Z - m).sum(axis=1, keepdims=True))

print(_logsumexp(np.zeros((1, 3))))
scratch_value_I_never_defined  # a scratch line that raises NameError: shown, and passed over
'''),
        ("softmax_cross_entropy", "def _rows(y):  # a one-line helper in a cell of its own\n    return np.arange(len(y))"),
    ]),
}


def _grade_through_driver(tmp_path, assignment, seed, students) -> tuple[dict, dict]:
    """Grade ``students`` (``{student: (replaced, added)}``; ``"untouched"``: the release as it is)
    with ``python -m autograder grade``, and assert for every exercise that the visible check's
    verdict, nbgrader's score of the graded cell and the CSV's score agree, and that the CSV's
    diagnosis is check()'s on the re-check's cases. Returns the CSV rows and the journal messages,
    both by ``(student, exercise)``."""
    import csv
    import os
    import subprocess
    import sys

    from autograder.exercises import exercises_for
    from autograder.grading.journal import state_dir

    for student, (replaced, added) in students.items():
        folder = tmp_path / "submitted" / student / assignment
        folder.mkdir(parents=True)
        _submission(folder, assignment, replaced, added, release=student == "untouched")
    state = state_dir(tmp_path, assignment)
    state.mkdir(parents=True, exist_ok=True)
    (state / "seed").write_text(str(seed))
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    out = subprocess.run([sys.executable, "-m", "autograder", "grade", assignment, "--course-dir",
                          str(tmp_path), "--jobs", "1"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=400)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    with open(tmp_path / "reports" / "grades.csv", newline="") as f:
        rows = {(r["student"], r["exercise"]): r for r in csv.DictReader(f)}
    messages = {(s, r["exercise"]): r["message"] for s in students
                for r in json.loads((state / f"{s}.json").read_text())["exercises"]}
    for student in students:
        notebook = tmp_path / "submitted" / student / assignment / f"{assignment}.ipynb"
        visible = _kernel_verdicts(assignment, notebook, seed=None)
        regraded = _kernel_verdicts(assignment, notebook, seed=seed)
        for ex in exercises_for(assignment):
            row = rows[(student, ex.name)]
            score, nbgrader = float(row["score"]), float(row["nbgrader_score"] or -1)
            passed, _ = visible[ex.name]
            assert (score == ex.points) == passed, (student, ex.name, row, visible[ex.name])
            assert nbgrader == score, (student, ex.name, row)
            assert (row["diagnosis"] or None) == regraded[ex.name][1], (student, ex.name, row)
    return rows, messages


@pytest.mark.slow
@pytest.mark.timeout(500)
def test_visible_check_graded_cell_and_recheck_agree_through_the_driver(tmp_path):
    """The real driver (nbgrader autograde in a kernel, the isolated re-check, the CSV) on 07:
    one verdict for every exercise (see :func:`_grade_through_driver`). Among the submissions:
    helpers in cells the student added, and the released notebook untouched (every exercise
    ``not_implemented``, the stub's own diagnosis)."""
    from autograder.exercises import exercises_for

    assignment = "07_softmax"
    students = {**{s: (r, ()) for s, r in DRIVER_STUDENTS.items()}, **DRIVER_ADDED, "untouched": ({}, ())}
    rows, messages = _grade_through_driver(tmp_path, assignment, 20261202, students)
    points = {ex.name: ex.points for ex in exercises_for(assignment)}
    assert {n: float(rows[("helpers_in_own_cells", n)]["score"]) for n in points} == points, \
        "helpers in the student's own cells must pass"
    assert {rows[("untouched", n)]["diagnosis"] for n in points} == {"not_implemented"}
    assert all("replace `raise NotImplementedError()`" in messages[("untouched", n)] for n in points)


_FORWARD = '''
def mlp_forward(X, params, activation="relu", output="softmax"):
    {check}g, _ = nnlib.get_activation(activation)
    A, caches = X, []
    for i, (W, b) in enumerate(params):
        Z = A @ W.T + b
        caches.append((A, Z))
        A = g(Z) if i < len(params) - 1 else Z
    if output == "softmax":
        return nnlib.softmax(A), caches
    elif output == "sigmoid":
        return nnlib.sigmoid(A), caches
    {last}
'''
_RAISE = 'if output not in ("softmax", "sigmoid", "identity"):\n        raise ValueError(output)\n    '

NONE_RETURNS = {  # 03: mlp_forward returning None in three ways
    "identity_unhandled": ({"mlp_forward": _FORWARD.format(check=_RAISE, last="")}, ()),
    "unknown_falls_through": ({"mlp_forward": _FORWARD.format(
        check="", last='elif output == "identity":\n        return A, caches')}, ()),
    "forgot_return": ({"mlp_forward": _FORWARD.format(check=_RAISE, last="").replace("return ", "")}, ()),
}


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_a_function_returning_none_is_told_why_through_the_driver(tmp_path):
    """03 through the real driver: an if/elif chain with no branch for 'identity' is told so (not
    "did you forget the return?"), one with no branch for an unknown name is missing_error, a
    forgotten return is still told so; the untouched release is not_implemented throughout."""
    rows, messages = _grade_through_driver(tmp_path, "03_mlp_forward", 20261203,
                                           {**NONE_RETURNS, "untouched": ({}, ())})
    unhandled = messages[("identity_unhandled", "mlp_forward")]
    assert rows[("identity_unhandled", "mlp_forward")]["diagnosis"] == "not_implemented", unhandled
    assert "returned None for" in unhandled and "'identity'" in unhandled and "end without a `return`" in unhandled
    assert "forget" not in unhandled and "returned None for 'identity':" in unhandled, unhandled  # `output`
    unknown = messages[("unknown_falls_through", "mlp_forward")]
    assert rows[("unknown_falls_through", "mlp_forward")]["diagnosis"] == "missing_error", unknown
    assert "returned None for an invalid argument" in unknown and "ValueError" in unknown, unknown
    assert "did you forget the `return` statement?" in messages[("forgot_return", "mlp_forward")]
    assert {rows[("untouched", n)]["diagnosis"] for n in ("dense_forward", "mlp_forward", "count_parameters")} \
        == {"not_implemented"}


# --- cells the student added: run in notebook order, never at any cost to the grade ------------

PERCEPTRON = {
    "perceptron_predict": '''
def perceptron_predict(X, w, b):
    return _signs(b + X @ w)
''',
    "perceptron_epoch": '''
def perceptron_epoch(X, y, w, b, lr=1.0):
    w, b, n = w.copy(), float(b), 0
    for x_n, y_n in zip(X, y):
        if y_n * (b + x_n @ w) <= 0:
            w, b, n = w + lr * y_n * x_n, b + lr * y_n, n + 1
    return w, b, n
''',
}

HOSTILE_ADDED = [  # all above perceptron_predict's answer cell, in this order
    ("perceptron_predict", "def _signs(s):\n    return np.where(s > 0, 1, -1)"),
    ("perceptron_predict", "1 / 0  # raises: passed over"),
    ("perceptron_predict", "import os\nos._exit(3)  # ends the sandbox: this cell is left out"),
    ("perceptron_predict", "while True:  # never ends: this cell is left out\n    pass"),
    ("perceptron_predict", 'run_check("perceptron_predict", perceptron_predict)  # before its answer: a no-op'),
]


@pytest.mark.timeout(240)
def test_cells_the_student_added_run_and_one_that_stops_the_sandbox_costs_nothing(tmp_path):
    """A helper in a cell of the student's own reaches the answer; a cell that raises is passed
    over; one that ends the sandbox (os._exit) and one that never ends are each left out of a
    fresh sandbox, and both exercises still pass, as they do in a kernel where the student
    interrupted the loop."""
    from autograder.grading.sandbox import grading_steps

    notebook = _submission(tmp_path, "01_perceptron", PERCEPTRON, HOSTILE_ADDED)
    steps = grading_steps(json.loads(notebook.read_text()), "01_perceptron")
    kinds = [("check", st["check"]) if "check" in st else (st["name"] or "added",) for st in steps]
    assert kinds == [("added",)] * 5 + [("perceptron_predict",), ("check", "perceptron_predict"),
                                        ("perceptron_epoch",), ("check", "perceptron_epoch")], kinds
    graded, info = recheck("01_perceptron", notebook, run_seed=RUN_SEED, slot=5, stall_seconds=3.0)
    assert [(v.exercise, v.passed, v.diagnosis) for v in graded] == [
        ("perceptron_predict", True, None), ("perceptron_epoch", True, None)], graded
    assert info["cells_skipped"] == 2 and info["launches"] == 3, info


def test_demo_cells_even_edited_stay_out_and_copies_of_instructor_cells_too():
    """Which cells count as the student's own: a new id and a source no instructor cell has."""
    from autograder.grading.demo_cells import added_by_student, instructor_cells

    ins = instructor_cells("07_softmax")
    nb = nbformat.read(solution_path("07_softmax"), as_version=4)
    assert not any(added_by_student(c, ins) for c in nb.cells)
    demo = next(c for c in nb.cells if c.cell_type == "code" and not c.metadata.get("nbgrader")
                and "setup" not in c.metadata.get("tags", []))
    edited = nbformat.v4.new_code_cell(demo.source + "\n# played with", id=demo.id)
    copied = nbformat.v4.new_code_cell(demo.source)
    new = nbformat.v4.new_code_cell("def _helper(Z):\n    return Z")
    blank = nbformat.v4.new_code_cell("  \n")
    assert [added_by_student(c, ins) for c in (edited, copied, new, blank)] == [False, False, True, False]


def test_none_returned_by_a_return_line_or_a_chain_without_names_is_told_where():
    """The two other ways to return None: a ``return`` whose value is None (named, with its line),
    and an if/elif chain over numbers with no branch for this input (no name to blame)."""
    from autograder.checks import check

    ns = {"np": __import__("numpy")}
    source = '''
def relu_prime(z):
    out = None
    if z.ndim > 5:
        out = np.where(z > 0, 1.0, 0.0)
    return out

def sigmoid_prime(z):
    if z.size > 10**9:
        return z
    elif z.size < 0:
        return -z
'''
    linecache.cache["<a cell>"] = (len(source), None, source.splitlines(True), "<a cell>")  # as IPython does
    exec(compile(source, "<a cell>", "exec"), ns)
    by_return = check("relu_prime", ns["relu_prime"])
    assert by_return.diagnosis == "not_implemented", by_return.message
    assert "the `return` at line 6 gives None" in by_return.message and "return out" in by_return.message
    chain = check("sigmoid_prime", ns["sigmoid_prime"])
    assert chain.diagnosis == "not_implemented" and "reached its end without a `return`" in chain.message
    assert "every branch of your if/elif chain must end in a `return`" in chain.message, chain.message


@pytest.mark.timeout(120)
def test_a_stub_raised_at_the_top_of_an_answer_cell_is_not_implemented_not_an_exception(tmp_path):
    """A student who cleared the answer cell down to the stub's two lines (no ``def`` left, so the
    NotImplementedError is raised by the cell, not by a call, and crosses the jail as a plain
    error): the re-check calls it not_implemented, as it does the untouched stub, and as the term
    report's "not attempted" counts it."""
    stub = "# YOUR CODE HERE\nraise NotImplementedError()"
    notebook = _submission(tmp_path, "01_perceptron", {"perceptron_predict": stub}, release=True)
    graded, _ = recheck("01_perceptron", notebook, run_seed=RUN_SEED, slot=5)
    assert [(v.exercise, v.diagnosis) for v in graded] == [
        ("perceptron_predict", "not_implemented"), ("perceptron_epoch", "not_implemented")], graded
    assert "replace `raise NotImplementedError()`" in graded[0].message


@pytest.mark.timeout(180)
@pytest.mark.parametrize("assignment, name, answer, code", [
    ("02_logistic_neuron", "choice_dead_relu", 'return "B"', "wrong_choice"),
    ("08_sgd_vs_gd", "choice_batch_noise", "return 2", "wrong_type"),
], ids=["02-wrong-letter", "08-not-a-letter"])
def test_a_multiple_choice_answer_gets_the_same_verdict_in_the_check_and_the_recheck(
        tmp_path, assignment, name, answer, code):
    """A graded multiple-choice question (issue 15) returns one letter, a string: it crosses the
    jail and is judged there as the check cell judges it; the notebook's other answers still pass."""
    notebook = _submission(tmp_path, assignment, {name: f"def {name}():\n    {answer}\n"})
    graded, _info = recheck(assignment, notebook, run_seed=RUN_SEED, slot=5)
    regraded = {v.exercise: (v.passed, v.diagnosis) for v in graded}
    assert regraded == _kernel_verdicts(assignment, notebook)
    assert regraded[name] == (False, code)
    assert all(ok for n, (ok, _) in regraded.items() if n != name), regraded
