"""The rng contract of train_xor (issue 14): another rng gives another model that still predicts
XOR, the same rng the same model. The runner records the models' probabilities on fixed probe
points (runner.rng_runs); kinds.judge_rng_contract judges them; the record crosses the wire."""

from __future__ import annotations

import time

import numpy as np
import pytest

import nnlib
from autograder.checks import Outcome, call, check, make_cases
from autograder.checks.runner import PROBES, fingerprint
from autograder.checks.wire import WireError, dumps


def good(X, y, rng):
    model = nnlib.MLP([2, 8, 2], activation="tanh", output="softmax", rng=rng)
    nnlib.train(model, X, y, lr=1.0, n_epochs=200, batch_size=None, progress=False)
    return model


def own_seed(X, y, rng):
    return good(X, y, np.random.default_rng(7))


class LabelsOnly:
    """A model of the student's own that can only give class labels: the contract cannot be read."""

    def predict(self, X):
        return (np.asarray(X).sum(axis=1) == 1).astype(int)


def test_the_visible_case_records_three_models_and_a_correct_answer_passes():
    (case,) = make_cases("train_xor", 2026)
    outcome = call("train_xor", good, case)
    runs = outcome.rng_runs
    assert runs["error"] is None
    assert runs["first"].shape == (len(PROBES), 2)
    assert np.array_equal(runs["first"], runs["again"])
    assert not np.allclose(runs["first"], runs["other"])
    assert np.array_equal(runs["other_predict"], [0, 1, 1, 0])
    assert check("train_xor", good).passed


def test_an_own_seed_is_rng_ignored_and_hidden_messages_show_no_seed():
    visible = check("train_xor", own_seed)
    assert visible.diagnosis == "rng_ignored"
    assert "default_rng(" in visible.message and "probe points" in visible.message
    hidden = check("train_xor", own_seed, hidden=True, seed=5)
    assert hidden.diagnosis == "rng_ignored"
    seed2 = next(t for t in hidden.case.tags if t.startswith("rng_pair:")).split(":")[1]
    assert seed2 not in hidden.message and str(hidden.case.args[2].seed) not in hidden.message


def test_a_model_that_only_predicts_labels_is_not_judged_on_its_rng():
    def train_xor(X, y, rng):
        return LabelsOnly()

    assert fingerprint(LabelsOnly()) is None
    assert check("train_xor", train_xor).passed


def test_a_second_rng_that_breaks_training_is_caught_in_the_visible_check():
    first_seed = make_cases("train_xor", 2026)[0].args[2].seed

    def train_xor(X, y, rng):  # trains only for the one seed the visible case starts with
        n = 200 if rng.bit_generator.state == np.random.default_rng(first_seed).bit_generator.state else 1
        model = nnlib.MLP([2, 8, 2], activation="tanh", output="softmax", rng=rng)
        nnlib.train(model, X, y, lr=1.0, n_epochs=n, batch_size=None, progress=False)
        return model

    result = check("train_xor", train_xor)
    assert result.diagnosis == "values" and "with another rng" in result.message, result.message


def test_an_error_with_the_second_rng_is_an_exception():
    first_seed = make_cases("train_xor", 2026)[0].args[2].seed

    def train_xor(X, y, rng):
        if rng.bit_generator.state != np.random.default_rng(first_seed).bit_generator.state:
            raise KeyError("unknown seed")
        return good(X, y, rng)

    result = check("train_xor", train_xor)
    assert result.diagnosis == "exception" and "another rng" in result.message, result.message


def test_rng_runs_cross_the_wire_and_are_checked():
    (case,) = make_cases("train_xor", 2026)
    outcome = call("train_xor", own_seed, case)
    back = Outcome.from_wire(outcome.to_wire())
    for key in ("first", "other", "again", "other_predict"):
        assert np.array_equal(back.rng_runs[key], outcome.rng_runs[key])
    assert back.rng_runs["error"] is None
    hostile = {"output": np.zeros(4), "returned": "a model",
               "rng_runs": {"first": "not an array", "other": None, "again": None}}
    with pytest.raises(WireError, match="rng_runs"):
        Outcome.from_wire(dumps(hostile))


def test_the_visible_check_of_train_xor_stays_fast():
    """Three trainings instead of one: still well under a second (CPU time, best of 2)."""
    best = float("inf")
    for _ in range(2):
        t0 = time.process_time()
        assert check("train_xor", good).passed
        best = min(best, time.process_time() - t0)
    assert best < 0.8, best


# --- the same verdict in the grading re-check ----------------------------------------------------

RUN_SEED = 20261202

RECHECKED = {  # train_xor answers: (source, the diagnosis the kernel and the re-check must both give)
    "fresh-default-rng": ('''
def train_xor(X, y, rng):
    model = nnlib.MLP([2, 8, 2], activation="tanh", output="softmax", rng=np.random.default_rng())
    nnlib.train(model, X, y, lr=1.0, n_epochs=200, batch_size=None, progress=False)
    return model
''', "rng_ignored"),
    "np-random-seed": ('''
def train_xor(X, y, rng):
    np.random.seed(0)
    model = nnlib.MLP([2, 8, 2], activation="tanh", output="softmax",
                      rng=np.random.default_rng(np.random.randint(1000)))
    nnlib.train(model, X, y, lr=1.0, n_epochs=200, batch_size=None, progress=False)
    return model
''', "rng_ignored"),
    "rng-normal-init": ('''
def train_xor(X, y, rng):
    model = nnlib.MLP([2, 8, 2], activation="tanh", output="softmax", rng=rng)
    model.params = [(rng.normal(0.0, 1.0, size=(8, 2)), np.zeros(8)),
                    (rng.normal(0.0, 0.5, size=(2, 8)), np.zeros(2))]
    nnlib.train(model, X, y, lr=1.0, n_epochs=300, batch_size=None, progress=False)
    return model
''', None),
}


@pytest.mark.grading
@pytest.mark.timeout(240)
@pytest.mark.parametrize("variant", sorted(RECHECKED))
def test_the_grading_recheck_gives_the_kernels_verdict(tmp_path, variant):
    """The isolated re-check (a sandbox process; outcomes, rng_runs included, judged here) and a
    check in this process on the same hidden cases reach the same verdict."""
    import nbformat

    from autograder.grading.sandbox import exercise_seed, recheck
    from autograder.notebooks import solution_path

    source, code = RECHECKED[variant]
    nb = nbformat.read(solution_path("04_xor"), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "train_xor")
    cell.source = source.strip() + "\n"
    path = tmp_path / "04_xor.ipynb"
    nbformat.write(nb, path)
    graded, _info = recheck("04_xor", path, run_seed=RUN_SEED, slot=6)
    regraded = {v.exercise: (v.passed, v.diagnosis) for v in graded}
    ns = {"np": np, "nnlib": nnlib}
    exec(compile(source, "<answer>", "exec"), ns)
    in_kernel = check("train_xor", ns["train_xor"], seed=exercise_seed(RUN_SEED, "train_xor"), hidden=True)
    assert regraded["train_xor"] == (in_kernel.passed, in_kernel.diagnosis) == (code is None, code), \
        (regraded, in_kernel.message)
