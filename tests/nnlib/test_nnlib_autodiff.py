"""nnlib.exp_backward, the twin of notebook 06's autodiff exercise: against central differences written
in these tests, against PyTorch's autograd (float64; skipped where torch is not installed), and the
notebook's ``x`` used twice."""

from __future__ import annotations

import numpy as np
import pytest
from _nnlib_helpers import GRAD_TOL, central_difference, rel_err

import nnlib


def _case(seed, shape=(3, 4)):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 2, shape), rng.normal(size=shape), rng.normal(size=shape)


@pytest.mark.parametrize("seed", range(3))
def test_exp_backward_is_x_grad_plus_the_central_difference_share(seed):
    x, x_grad, out_grad = _case(seed)
    # the share this node passes back is d/dx of sum(out_grad * exp(x))
    share = central_difference(lambda v: np.sum(out_grad * np.exp(v)), x)
    assert rel_err(nnlib.exp_backward(x, x_grad, out_grad), x_grad + share) < GRAD_TOL


def test_exp_backward_matches_torch_autograd_which_also_accumulates():
    torch = pytest.importorskip("torch")
    x, x_grad, out_grad = _case(7, (5, 3))
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tx.grad = torch.tensor(x_grad, dtype=torch.float64)      # a gradient from an earlier use of x
    torch.exp(tx).backward(torch.tensor(out_grad, dtype=torch.float64))
    np.testing.assert_allclose(nnlib.exp_backward(x, x_grad, out_grad), tx.grad.numpy(), rtol=1e-13, atol=0)


def test_x_used_twice_gets_both_shares_as_in_the_notebook():
    # f = exp(x) * exp(x) = exp(2x), so df/dx = 2 exp(2x) at x = 0.3; each exp's upstream gradient is
    # the other factor, exp(0.3)
    x, e = 0.3, np.exp(0.3)
    g = nnlib.exp_backward(x, nnlib.exp_backward(x, 0.0, e), e)
    assert float(g) == pytest.approx(2 * np.exp(0.6), rel=1e-14)
    assert float(nnlib.exp_backward(x, 0.0, e)) == pytest.approx(np.exp(0.6), rel=1e-14)   # one share


def test_exp_backward_keeps_float32_and_changes_nothing():
    x, x_grad, out_grad = (a.astype(np.float32) for a in _case(1))
    before = [a.copy() for a in (x, x_grad, out_grad)]
    out = nnlib.exp_backward(x, x_grad, out_grad)
    assert out.dtype == np.float32 and out.shape == x.shape
    for a, b in zip((x, x_grad, out_grad), before, strict=True):
        np.testing.assert_array_equal(a, b)
