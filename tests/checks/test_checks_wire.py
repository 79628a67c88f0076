"""The three stages across a process boundary: cases and outcomes as plain data."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from _checks_corpus import CORPUS

import nnlib
from autograder.checks import check
from autograder.checks.cases import make_cases
from autograder.checks.diagnose import judge
from autograder.checks.runner import Outcome, call
from autograder.checks.wire import (
    Case,
    FnSpec,
    RngSpec,
    WireError,
    cases_from_wire,
    cases_to_wire,
    dumps,
    loads,
    resolve,
)
from autograder.exercises import EXERCISES


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, Case):
        return (a.label, a.names, a.tags, a.hidden) == (b.label, b.names, b.tags, b.hidden) and \
            _same(a.args, b.args) and _same(a.kwargs, b.kwargs)
    if isinstance(a, FnSpec):
        return a.kind == b.kind and _same(a.params, b.params)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("name", list(EXERCISES))
def test_cases_round_trip(name):
    cases = make_cases(name, 5, hidden=True)
    back = cases_from_wire(cases_to_wire(cases))
    assert len(back) == len(cases)
    assert all(_same(a, b) for a, b in zip(cases, back, strict=True))


def test_specs_resolve_to_fresh_live_objects():
    rng_spec = RngSpec(3)
    a, b = resolve(rng_spec), resolve(rng_spec)
    assert a is not b and a.integers(1000) == b.integers(1000)
    f = resolve(FnSpec("cubic", {"A": np.eye(2), "c": np.zeros(2)}))
    assert f(np.array([1.0, 2.0])) == 2.5
    with pytest.raises(WireError, match="unknown function kind 'nope'"):
        resolve(FnSpec("nope"))


def test_the_sandbox_loss_function_matches_nnlib():
    """sgd_epoch's FnSpec loss is written without nnlib; it must agree with nnlib's MLP."""
    rng = np.random.default_rng(0)
    params = nnlib.init_params([3, 4, 2], rng)
    X, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    ours = resolve(FnSpec("tanh_mlp_loss"))(params, X, y)
    theirs = nnlib.mlp_loss_and_grads(X, y, params, "tanh", "identity")
    assert np.isclose(ours[0], theirs[0])
    for (a, b), (c, d) in zip(ours[1], theirs[1], strict=True):
        assert np.allclose(a, c) and np.allclose(b, d)


@pytest.mark.parametrize("wrong", CORPUS, ids=lambda w: f"{w.exercise}-{w.what}")
def test_staged_judgement_across_the_wire_equals_check(wrong):
    """make_cases -> wire -> call (student side) -> wire -> judge gives check()'s verdict."""
    fn = wrong.function()
    cases = cases_from_wire(cases_to_wire(make_cases(wrong.exercise, 11, False)))
    verdict = None
    for case in cases:
        outcome = Outcome.from_wire(call(wrong.exercise, fn, case).to_wire())
        result = judge(wrong.exercise, case, outcome)
        if not result.passed:
            verdict = result
            break
    direct = check(wrong.exercise, fn, seed=11)
    assert verdict is not None and verdict.diagnosis == direct.diagnosis == wrong.code
    if wrong.code != "too_slow":
        assert verdict.message == direct.message


def test_blobs_never_unpickle():
    buf = io.BytesIO()
    np.savez(buf, __json__=np.frombuffer(b'{"__array__": "a0"}', np.uint8),
             a0=np.array([object()], dtype=object))
    with pytest.raises(WireError, match="not a valid payload"):
        loads(buf.getvalue())
    with pytest.raises(WireError, match="only numeric arrays"):
        dumps(np.array([{}], dtype=object))
    with pytest.raises(WireError, match="cannot serialise a function"):
        dumps(lambda: 0)
    with pytest.raises(WireError):
        loads(b"not a zip file")


@pytest.mark.parametrize("doc", [
    {"__array__": "missing"}, {"__float__": "1e999"}, {"__rng__": "seed"}, {"__case__": {}},
    {"what": 1}, {"__tuple__": 3},
])
def test_malformed_payloads_are_rejected(doc):
    buf = io.BytesIO()
    np.savez(buf, __json__=np.frombuffer(json.dumps(doc).encode(), np.uint8))
    with pytest.raises(WireError):
        loads(buf.getvalue())


def test_outcome_from_untrusted_blob_checks_types():
    good = Outcome(output=(np.ones(2), 3.0), returned="a tuple of 2", mutated={"X": 1.0},
                   warnings=["RuntimeWarning: overflow"], seconds=0.1)
    back = Outcome.from_wire(good.to_wire())
    assert _same(back.output, good.output) and back.mutated == {"X": 1.0}
    with pytest.raises(WireError, match="'error' has the wrong type"):
        Outcome.from_wire(dumps({"error": [1, 2]}))
    with pytest.raises(WireError):
        Outcome.from_wire(dumps([1, 2]))


@pytest.mark.parametrize("output", [
    None, 3, "text", (np.ones(2),), [np.ones((2, 4))], (np.ones(2), [1, 2]),
    (np.ones((2, 4)), np.array(["a"])), (np.array([1.0]), np.array([2.0]), np.array([[3.0]]), 4),
])
def test_judge_rejects_outcomes_of_the_wrong_structure(output):
    """An outcome from a (possibly compromised) sandbox is checked before it is judged."""
    case = make_cases("dense_backward", 1)[0]
    result = judge("dense_backward", case, Outcome(output=output, returned="a tuple of 3"))
    assert not result.passed and result.diagnosis == "wrong_type"
    assert "could not be read as 3 values" in result.message
