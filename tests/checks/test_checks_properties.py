"""Property tests: the twin never trips a false alarm on odd but valid inputs (any shape from a
batch of one up, values from tiny to large, float32 and float64)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from autograder.checks.diagnose import judge
from autograder.checks.runner import call
from autograder.checks.wire import Case
from autograder.exercises import EXERCISES

SETTINGS = settings(max_examples=60, deadline=None)

shapes = st.tuples(st.integers(1, 6), st.integers(1, 6))
dtypes = st.sampled_from([np.float64, np.float32])


@st.composite
def matrices(draw, max_abs=50.0):
    dtype = draw(dtypes)
    shape = draw(shapes)
    return draw(arrays(dtype, shape, elements=st.floats(-max_abs, max_abs, width=32)))


def _passes(name, *args, names=()):
    case = Case(label="property", args=args, names=names or tuple(f"a{i}" for i in
                                                                   range(len(args))))
    result = judge(name, case, call(name, EXERCISES[name].reference, case))
    assert result.passed, result.message


@SETTINGS
@given(Z=matrices(), name=st.sampled_from(["sigmoid_prime", "tanh_prime", "relu_prime",
                                            "leaky_relu_prime", "softmax", "log_softmax"]))
def test_elementwise_and_softmax(Z, name):
    _passes(name, Z)


@SETTINGS
@given(Z=matrices(max_abs=1e3), data=st.data())
def test_softmax_cross_entropy(Z, data):
    y = np.array(data.draw(st.lists(st.integers(0, Z.shape[1] - 1), min_size=Z.shape[0],
                                    max_size=Z.shape[0])))
    _passes("softmax_cross_entropy", Z, y)


@SETTINGS
@given(N=st.integers(1, 6), n_in=st.integers(1, 5), n_out=st.integers(1, 5), dtype=dtypes,
       seed=st.integers(0, 2**32 - 1))
def test_dense_layer(N, n_in, n_out, dtype, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, n_in)).astype(dtype)
    W = rng.standard_normal((n_out, n_in)).astype(dtype)
    b = rng.standard_normal(n_out).astype(dtype)
    _passes("dense_forward", X, W, b)
    _passes("dense_backward", rng.standard_normal((N, n_out)).astype(dtype), (X, W),
            names=("dZ", "cache"))
