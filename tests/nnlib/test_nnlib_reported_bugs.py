"""Bugs found in files this suite's author does not own (nnlib/optim.py, nnlib/mlp.py), reported to
the lead. Each test states the expected behaviour and is marked ``xfail(strict=True)``: it shows up
as XFAIL in every run, and turns into a failure (XPASS) the moment the bug is fixed, so that the
mark gets removed rather than forgotten."""

from __future__ import annotations

import numpy as np
import pytest

import nnlib

OPTIM_BUG = "optim.py: schedule parameters are not validated (reported to the lead)"


@pytest.mark.xfail(strict=True, raises=(ZeroDivisionError, AssertionError, pytest.fail.Exception),
                   reason=OPTIM_BUG)
@pytest.mark.parametrize("every", [0, -1])
def test_step_decay_rejects_a_non_positive_period(every):
    # today: every=0 builds a schedule that raises ZeroDivisionError at its first call, and
    # every=-1 builds one whose rate *grows* (0.5 ** (epoch // -1) = 2 ** epoch)
    with pytest.raises(ValueError, match=rf"every.*{every}"):
        schedule = nnlib.step_decay(0.1, every=every)
        schedule(0)
        schedule(3)


@pytest.mark.xfail(strict=True, raises=(ZeroDivisionError, pytest.fail.Exception), reason=OPTIM_BUG)
def test_inverse_time_decay_rejects_a_negative_k():
    # today: k=-0.5 gives 0.1 / (1 - 0.5 epoch): ZeroDivisionError at epoch 2, negative after
    with pytest.raises(ValueError, match=r"k.*-0\.5"):
        schedule = nnlib.inverse_time_decay(0.1, k=-0.5)
        [schedule(e) for e in range(4)]


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="mlp.py: _output_loss reports the reshaped (N, 1) targets, not the caller's "
                          "(N,) (reported to the lead)")
def test_mlp_target_shape_error_names_the_shape_the_caller_passed():
    net = nnlib.MLP([3, 4, 2], output="identity", rng=np.random.default_rng(0))
    with pytest.raises(ValueError) as info:
        net.loss_and_grads(np.zeros((5, 3)), np.zeros(5))  # y (5,) for 2 outputs
    assert "(5,)" in str(info.value) and "(5, 2)" in str(info.value), str(info.value)
