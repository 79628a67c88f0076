"""Regression tests for bugs once found in nnlib/optim.py and nnlib/mlp.py: schedule parameters
are validated, and a target-shape error names the shape the caller passed."""

from __future__ import annotations

import numpy as np
import pytest

import nnlib


@pytest.mark.parametrize("every", [0, -1])
def test_step_decay_rejects_a_non_positive_period(every):
    # today: every=0 builds a schedule that raises ZeroDivisionError at its first call, and
    # every=-1 builds one whose rate *grows* (0.5 ** (epoch // -1) = 2 ** epoch)
    with pytest.raises(ValueError, match=rf"every.*{every}"):
        schedule = nnlib.step_decay(0.1, every=every)
        schedule(0)
        schedule(3)


def test_inverse_time_decay_rejects_a_negative_k():
    # today: k=-0.5 gives 0.1 / (1 - 0.5 epoch): ZeroDivisionError at epoch 2, negative after
    with pytest.raises(ValueError, match=r"k.*-0\.5"):
        schedule = nnlib.inverse_time_decay(0.1, k=-0.5)
        [schedule(e) for e in range(4)]


def test_mlp_target_shape_error_names_the_shape_the_caller_passed():
    net = nnlib.MLP([3, 4, 2], output="identity", rng=np.random.default_rng(0))
    with pytest.raises(ValueError) as info:
        net.loss_and_grads(np.zeros((5, 3)), np.zeros(5))  # y (5,) for 2 outputs
    assert "(5,)" in str(info.value) and "(5, 2)" in str(info.value), str(info.value)
