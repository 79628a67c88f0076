"""PyTorch CPU as an independent oracle, in float64: forward values and gradients to 1e-10.

Skipped as a whole (and reported as skipped) where torch is not installed: ``pip install .[oracle]``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import nnlib  # noqa: E402

TOL = 1e-10


def t(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def close(a, b, tol=TOL):
    """Whole-array relative error ``||a - b|| / (||a|| + ||b||)`` below ``tol`` (0 if both are 0)."""
    a = np.asarray(a, dtype=np.float64)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"{a.shape} vs {b.shape}"
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    err = 0.0 if denom == 0 else np.linalg.norm(a - b) / denom
    assert err < tol, f"relative error {err:.2e}"


TORCH_ACTIVATIONS = {
    # step: differentiable "0 * z" keeps the graph connected; its derivative is 0 as in nnlib
    "step": lambda z: (z > 0).to(z.dtype) + 0 * z,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=0.1),
    "identity": lambda z: z,
}


def away_from_zero(z, margin=0.1):
    return np.where(z >= 0, 1.0, -1.0) * np.maximum(np.abs(z), margin)


@pytest.mark.parametrize("name", sorted(nnlib.ACTIVATIONS))
def test_activation_values_and_derivatives_match_torch(name):
    g, g_prime = nnlib.get_activation(name)
    z = away_from_zero(np.random.default_rng(0).normal(scale=3.0, size=(4, 5)))
    zt = t(z, grad=True)
    out = TORCH_ACTIVATIONS[name](zt)
    out.sum().backward()  # d(sum g(z))/dz = g'(z) element-wise
    close(g(z), out)
    close(g_prime(z), zt.grad)


def test_softmax_and_log_softmax_match_torch():
    Z = np.random.default_rng(1).normal(scale=5.0, size=(6, 7))
    close(nnlib.softmax(Z), torch.softmax(t(Z), dim=1))
    close(nnlib.log_softmax(Z), torch.log_softmax(t(Z), dim=1))
    close(nnlib.softmax(Z, axis=0), torch.softmax(t(Z), dim=0))
    big = np.array([[1e4, 0.0, -1e4], [-3.0, 1e4, 1e4]])
    close(nnlib.softmax(big), torch.softmax(t(big), dim=1))
    close(nnlib.log_softmax(big), torch.log_softmax(t(big), dim=1))


def _loss_cases():
    rng = np.random.default_rng(2)
    y_pm = rng.choice([-1, 1], size=8)
    z_h = rng.normal(scale=2.0, size=8)
    z_h = np.where(np.abs(1 - y_pm * z_h) < 0.05, z_h + 0.2 * y_pm, z_h)
    y01 = rng.integers(0, 2, size=8)
    yK = rng.integers(0, 5, size=8)
    return {
        "squared_error": (nnlib.squared_error, rng.normal(size=(8, 3)), rng.normal(size=(8, 3)),
                          lambda a, y: ((a - t(y)) ** 2).sum() / a.shape[0]),
        "binary_cross_entropy": (nnlib.binary_cross_entropy, rng.uniform(0.02, 0.98, 8), y01,
                                 lambda p, y: F.binary_cross_entropy(p, t(y))),
        "binary_cross_entropy_with_logits": (
            nnlib.binary_cross_entropy_with_logits, rng.normal(scale=4.0, size=8), y01,
            lambda z, y: F.binary_cross_entropy_with_logits(z, t(y))),
        "softmax_cross_entropy": (nnlib.softmax_cross_entropy, rng.normal(scale=3.0, size=(8, 5)), yK,
                                  lambda z, y: F.cross_entropy(z, torch.tensor(y))),
        "hinge": (nnlib.hinge, z_h, y_pm, lambda z, y: torch.clamp(1 - t(y) * z, min=0).mean()),
    }


LOSS_CASES = _loss_cases()


@pytest.mark.parametrize("case", sorted(LOSS_CASES))
def test_loss_value_and_gradient_match_torch(case):
    loss_fn, A, y, torch_loss = LOSS_CASES[case]
    loss, grad = loss_fn(A, y)
    At = t(A, grad=True)
    lt = torch_loss(At, y)
    lt.backward()
    close(loss, lt)
    close(grad, At.grad)


def test_dense_forward_and_backward_match_torch():
    rng = np.random.default_rng(3)
    X, W, b, G = (rng.normal(size=s) for s in ((5, 3), (4, 3), (4,), (5, 4)))
    Z, cache = nnlib.dense_forward(X, W, b)
    dX, dW, db = nnlib.dense_backward(G, cache)
    Xt, Wt, bt = t(X, True), t(W, True), t(b, True)
    Zt = F.linear(Xt, Wt, bt)  # PyTorch's nn.Linear convention is nnlib's: X W^T + b
    (Zt * t(G)).sum().backward()
    close(Z, Zt)
    close(dX, Xt.grad)
    close(dW, Wt.grad)
    close(db, bt.grad)


@pytest.mark.parametrize("name", sorted(nnlib.ACTIVATIONS))
def test_activation_backward_matches_torch(name):
    rng = np.random.default_rng(4)
    Z, G = away_from_zero(rng.normal(scale=2.0, size=(3, 4))), rng.normal(size=(3, 4))
    _, cache = nnlib.activation_forward(Z, name)
    Zt = t(Z, True)
    (TORCH_ACTIVATIONS[name](Zt) * t(G)).sum().backward()
    close(nnlib.activation_backward(G, cache), Zt.grad)


OUTPUT_WIDTH = {"softmax": 4, "sigmoid": 1, "identity": 2}


def torch_mlp_loss(X, y, params, activation, output):
    g = TORCH_ACTIVATIONS[activation]
    A = t(X)
    for i, (W, b) in enumerate(params):
        Z = F.linear(A, W, b)
        A = g(Z) if i < len(params) - 1 else Z
    if output == "softmax":
        return torch.softmax(A, dim=1), F.cross_entropy(A, torch.tensor(y))
    if output == "sigmoid":
        return torch.sigmoid(A), F.binary_cross_entropy_with_logits(A[:, 0], t(y))
    return A, ((A - t(y)) ** 2).sum() / A.shape[0]


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("output", nnlib.OUTPUTS)
@pytest.mark.parametrize("activation", sorted(nnlib.ACTIVATIONS))
def test_mlp_forward_loss_and_gradients_match_torch(activation, output, depth):
    rng = np.random.default_rng(100 + depth)
    sizes = [3, *[5] * depth, OUTPUT_WIDTH[output]]
    N = 7
    X = rng.normal(size=(N, 3))
    params = [(rng.normal(size=(o, i)), rng.normal(scale=0.5, size=o))
              for i, o in itertools.pairwise(sizes)]
    y = {"softmax": rng.integers(0, 4, N), "sigmoid": rng.integers(0, 2, N),
         "identity": rng.normal(size=(N, 2))}[output]
    out, _ = nnlib.mlp_forward(X, params, activation, output)
    loss, grads = nnlib.mlp_loss_and_grads(X, y, params, activation, output)
    tparams = [(t(W, True), t(b, True)) for W, b in params]
    out_t, loss_t = torch_mlp_loss(X, y, tparams, activation, output)
    loss_t.backward()
    close(out, out_t)
    close(loss, loss_t)
    for (dW, db), (Wt, bt) in zip(grads, tparams, strict=True):
        close(dW, Wt.grad if Wt.grad is not None else torch.zeros_like(Wt))
        close(db, bt.grad if bt.grad is not None else torch.zeros_like(bt))
