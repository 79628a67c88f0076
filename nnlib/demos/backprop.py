"""Helpers for notebook 06 (backpropagation and gradient checking).

A backward pass assembled from swappable pieces (so that the notebook can plant a bug in one piece and
watch a gradient check catch it), a whole-model gradient check that reports one relative error per
parameter, and the error-against-step-size experiment. Everything uses the nnlib reference.
"""

from __future__ import annotations

import numpy as np

from ..activations import activation_backward as _activation_backward
from ..activations import get_activation
from ..gradcheck import numerical_gradient, relative_error
from ..layers import dense_backward as _dense_backward
from ..layers import dense_forward
from ..mlp import _check_output, _output_loss, mlp_forward, mlp_loss_and_grads

__all__ = ["chain_numbers", "draw_chain_graph", "error_vs_step", "gradient_errors", "mlp_grads_from_pieces",
           "mlp_loss"]


def mlp_loss(X, y, params, activation: str = "relu", output: str = "softmax") -> float:
    """Mean loss of the MLP ``params`` on ``(X, y)`` (the reference forward pass and loss)."""
    _, caches = mlp_forward(X, params, activation, output)
    return float(_output_loss(caches[-1][1], y, output)[0])


def mlp_grads_from_pieces(X, y, params, activation: str = "relu", output: str = "softmax",
                          dense_backward=_dense_backward, activation_backward=_activation_backward,
                          mean: bool = True):
    """``(loss, grads)`` of an MLP by backpropagation through the layer pieces given.

    With the default pieces this equals :func:`nnlib.mlp_loss_and_grads`. Pass a faulty
    ``dense_backward(dZ, (X, W)) -> (dX, dW, db)`` or ``activation_backward(dA, (Z, name)) -> dZ`` to
    see what a bug in one piece does to the whole gradient; ``mean=False`` forgets the ``1/N`` of the
    mean loss (the gradient of the *summed* loss, while the loss reported is still the mean).
    """
    _check_output(output)
    g, _ = get_activation(activation)
    A = np.asarray(X, dtype=float)
    dense_caches, act_caches = [], []
    for i, (W, b) in enumerate(params):
        Z, cache = dense_forward(A, W, b)
        dense_caches.append(cache)
        if i < len(params) - 1:
            act_caches.append((Z, activation))
            A = g(Z)
    # Loss and output delta dL/dZ_out from the reference (the fused form); the delta carries the 1/N.
    loss, delta = _output_loss(Z, y, output)
    if not mean:
        delta = delta * A.shape[0]
    grads = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        dA, dW, db = dense_backward(delta, dense_caches[i])
        grads[i] = (dW, db)
        if i > 0:
            delta = activation_backward(dA, act_caches[i - 1])
    return float(loss), grads


def gradient_errors(grads, X, y, params, activation: str = "relu", output: str = "softmax",
                    h: float = 1e-5) -> dict[str, float]:
    """Relative error of each gradient in ``grads`` against central differences of the reference loss.

    Returns ``{"W1": err, "b1": err, "W2": err, ...}``. A shape mismatch (e.g. a transposed ``dW`` of a
    non-square layer) is reported as ``nan``.
    """
    params = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in params]
    out = {}
    for i, ((W, b), (dW, db)) in enumerate(zip(params, grads, strict=True)):
        for name, p, dp in ((f"W{i + 1}", W, dW), (f"b{i + 1}", b, db)):
            num = numerical_gradient(lambda _: mlp_loss(X, y, params, activation, output), p, h)
            dp = np.asarray(dp)
            out[name] = relative_error(dp, num) if dp.shape == num.shape else float("nan")
    return out


def error_vs_step(X, y, params, activation: str = "tanh", output: str = "softmax", steps=None):
    """Whole-gradient relative error of central and forward differences against backprop, per step h.

    Returns ``steps, central_errors, forward_errors`` (arrays of the same length).
    """
    steps = np.logspace(-12, -1, 12) if steps is None else np.asarray(steps, dtype=float)
    params = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in params]
    _, grads = mlp_loss_and_grads(X, y, params, activation, output)
    exact = np.concatenate([np.concatenate([dW.ravel(), db.ravel()]) for dW, db in grads])
    central, forward = [], []
    for h in steps:
        c_parts, f_parts = [], []
        f0 = mlp_loss(X, y, params, activation, output)
        for W, b in params:
            for p in (W, b):
                c_parts.append(numerical_gradient(lambda _: mlp_loss(X, y, params, activation,
                                                                     output), p, h).ravel())
                fwd = np.zeros(p.size)
                flat = p.reshape(-1)
                for k in range(flat.size):
                    old = flat[k]
                    flat[k] = old + h
                    fwd[k] = (mlp_loss(X, y, params, activation, output) - f0) / h
                    flat[k] = old
                f_parts.append(fwd)
        central.append(relative_error(exact, np.concatenate(c_parts)))
        forward.append(relative_error(exact, np.concatenate(f_parts)))
    return steps, np.array(central), np.array(forward)


def chain_numbers(x: float, y: float, w1: float, w2: float) -> dict:
    """Forward values and backward gradients of section 1's chain
    ``s1 = w1 x, x1 = tanh s1, s2 = w2 x1, x2 = tanh s2, e = (x2 - y)^2`` (UCLA's notation)."""
    s1 = w1 * x
    x1 = np.tanh(s1)
    s2 = w2 * x1
    x2 = np.tanh(s2)
    e = (x2 - y) ** 2
    de_dx2 = 2 * (x2 - y)
    delta2 = de_dx2 * (1 - x2 ** 2)
    de_dx1 = w2 * delta2
    delta1 = de_dx1 * (1 - x1 ** 2)
    return {"s1": s1, "x1": x1, "s2": s2, "x2": x2, "e": e, "de/dx2": de_dx2, "delta2": delta2,
            "de/dx1": de_dx1, "delta1": delta1, "de/dw2": delta2 * x1, "de/dw1": delta1 * x}


def draw_chain_graph(ax, x: float, y: float, w1: float, w2: float,
                     title: str = "The chain of section 1: forward values (top), de/d(node) (bottom)"):
    """The computational graph of section 1 with its numbers: each node's forward value above it, the
    gradient of the loss with respect to it below (the deltas at s1 and s2), and each edge's local
    derivative on the edge. Returns the numbers of :func:`chain_numbers`."""
    import matplotlib.patches as mpatches

    from .plot import PALETTE

    v = chain_numbers(x, y, w1, w2)
    nodes = {"x": (0, 0), "w1": (1.5, 1.1), "s1": (1.5, 0), "x1": (3, 0), "w2": (4.5, 1.1), "s2": (4.5, 0),
             "x2": (6, 0), "e": (7.5, 0)}
    value = {"x": x, "w1": w1, "s1": v["s1"], "x1": v["x1"], "w2": w2, "s2": v["s2"], "x2": v["x2"],
             "e": v["e"]}
    grad = {"w1": v["de/dw1"], "s1": v["delta1"], "x1": v["de/dx1"], "w2": v["de/dw2"], "s2": v["delta2"],
            "x2": v["de/dx2"], "e": 1.0}
    names = {"x": "$x$", "w1": "$w^{(1)}$", "s1": "$s^{(1)}$", "x1": "$x^{(1)}$", "w2": "$w^{(2)}$",
             "s2": "$s^{(2)}$", "x2": "$x^{(2)}$", "e": "$e$"}
    edges = [("x", "s1", f"$w^{{(1)}}$ = {w1:g}"),
             ("w1", "s1", f"$x$ = {x:g}"),
             ("s1", "x1", f"1 - $x_1^2$ = {1 - v['x1'] ** 2:.3f}"),
             ("x1", "s2", f"$w^{{(2)}}$ = {w2:g}"),
             ("w2", "s2", f"$x^{{(1)}}$ = {v['x1']:.3f}"),
             ("s2", "x2", f"1 - $x_2^2$ = {1 - v['x2'] ** 2:.3f}"),
             ("x2", "e", f"2($x_2$ - y) = {v['de/dx2']:.3f}")]
    for a, b, label in edges:
        (xa, ya), (xb, yb) = nodes[a], nodes[b]
        length = np.hypot(xb - xa, yb - ya)
        tip = (xb - 0.24 * (xb - xa) / length, yb - 0.24 * (yb - ya) / length)   # stop at the circle
        ax.annotate("", xy=tip, xytext=(xa, ya), arrowprops={"arrowstyle": "->", "lw": 1.2, "color": "0.3"})
        vertical = xa == xb
        ax.text((xa + xb) / 2 + (0.08 if vertical else 0), (ya + yb) / 2 + (0 if vertical else -0.13), label,
                ha="left" if vertical else "center", va="center", fontsize=7, color="0.25")
    for key, (px, py) in nodes.items():
        is_param = key.startswith("w")
        ax.add_patch(mpatches.Circle((px, py), 0.22, facecolor=PALETTE[1] if is_param else PALETTE[4],
                                     edgecolor="k", zorder=3))
        ax.text(px, py, names[key], ha="center", va="center", fontsize=9, zorder=4)
        below_param = key in ("s1", "s2")   # a parameter's edge arrives from above: value to the side
        ax.text(px + (0.28 if below_param else 0), py + 0.3, f"{value[key]:.4f}",
                ha="left" if below_param else "center", fontsize=8, color=PALETTE[0], fontweight="bold")
        if key in grad:
            ax.text(px - (0.28 if is_param else 0), py - 0.5 if not is_param else py - 0.3,
                    f"{grad[key]:+.4f}", ha="right" if is_param else "center", fontsize=8, color=PALETTE[5],
                    fontweight="bold")
    ax.text(-0.3, -0.9, "blue: forward value;  vermillion: de/d(node), so at $s^{(2)}$ and $s^{(1)}$ the "
            "deltas;  grey on the edges: local derivatives", fontsize=7, color="0.2")
    ax.set_xlim(-0.5, 8.0)
    ax.set_ylim(-1.0, 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    return v
