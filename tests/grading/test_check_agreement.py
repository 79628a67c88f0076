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

import nbformat
import pytest

from autograder.checks import check
from autograder.grading.sandbox import answer_cells, exercise_seed, recheck, setup_source
from autograder.grading.sandbox_main import strip_magics
from autograder.notebooks import solution_path

pytestmark = [pytest.mark.grading]

RUN_SEED = 20261201

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


def _submission(folder, assignment, replaced: dict):
    nb = nbformat.read(solution_path(assignment), as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in replaced and not cell.metadata["nbgrader"].get("grade"):
            cell.source = replaced[gid].strip() + "\n"
    path = folder / f"{assignment}.ipynb"
    nbformat.write(nb, path)
    return path


def _kernel_verdicts(assignment, notebook, seed=RUN_SEED) -> dict:
    """As a kernel runs the notebook: set-up, then each answer cell, then that exercise's check
    (on the re-check's hidden cases of run ``seed``, or the visible check with ``seed=None``)."""
    ns = {"__name__": "__main__"}
    exec(compile(strip_magics(setup_source(assignment)), "<setup>", "exec"), ns)
    verdicts = {}
    for name, source in answer_cells(json.loads(notebook.read_text()), assignment).items():
        exec(compile(strip_magics(source), f"<answer cell of {name}>", "exec"), ns)
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


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_visible_check_graded_cell_and_recheck_agree_through_the_driver(tmp_path):
    """The real driver (nbgrader autograde in a kernel, the isolated re-check, the CSV): for each
    exercise, the visible check cell's verdict, nbgrader's score of the graded cell and the score in
    grades.csv are the same, and the diagnosis in the CSV is the one check() gives on the
    re-check's cases."""
    import csv
    import os
    import subprocess
    import sys

    from autograder.exercises import exercises_for
    from autograder.grading.journal import state_dir
    from autograder.notebooks import ROOT

    assignment, seed = "07_softmax", 20261202
    for student, replaced in DRIVER_STUDENTS.items():
        folder = tmp_path / "submitted" / student / assignment
        folder.mkdir(parents=True)
        _submission(folder, assignment, replaced)
    state = state_dir(tmp_path, assignment)
    state.mkdir(parents=True, exist_ok=True)
    (state / "seed").write_text(str(seed))
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    out = subprocess.run([sys.executable, "-m", "autograder", "grade", assignment, "--course-dir",
                          str(tmp_path), "--jobs", "1"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=380)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    with open(tmp_path / "reports" / "grades.csv", newline="") as f:
        rows = {(r["student"], r["exercise"]): r for r in csv.DictReader(f)}
    for student in DRIVER_STUDENTS:
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
