"""Figures, experiments and the widget of notebook 04 (XOR).

Plotting functions draw on the ``ax`` they are given and return it; none calls ``plt.show()``
except the widget's callback, which must display its figure.
"""

from __future__ import annotations

import numpy as np

from ..activations import get_activation, relu, softmax
from ..mlp import MLP, init_params
from .interact import interactive  # not ipywidgets': see nnlib.demos.interact
from .plot import CMAP, plot_decision_boundary, scatter_classes

__all__ = [
    "XOR_NAMES",
    "plot_hidden_space",
    "plot_hidden_units",
    "plot_input_space",
    "plot_network_output",
    "plot_seed_losses",
    "plot_trained",
    "success_rates",
    "train_mlp",
    "trained_figure",
    "xor_widget",
]

#: Labels of the four XOR points, in the order of ``nnlib.make_xor()``.
XOR_NAMES = ("(0,0)", "(0,1)", "(1,0)", "(1,1)")


def _points(ax, P, y, names=XOR_NAMES):
    scatter_classes(ax, P, y, s=160, zorder=3)
    for (px, py), name, label in zip(P, names, y, strict=True):
        ax.annotate(f"{name}: y={label}", (px, py), xytext=(8, 8), textcoords="offset points",
                    fontsize=9)
    ax.grid(alpha=0.3)
    ax.set_aspect("equal")


def plot_input_space(ax, X, y, title: str = "Input space: no line separates the colours"):
    """The four XOR points in the plane ``(x1, x2)``."""
    _points(ax, np.asarray(X, dtype=float), np.asarray(y))
    ax.set(title=title, xlabel="$x_1$ (unitless)", ylabel="$x_2$ (unitless)",
           xlim=(-0.5, 1.7), ylim=(-0.5, 1.5))
    return ax


def plot_hidden_space(ax, X, y, W, c, w, title: str = "Hidden space $h = $relu$(Wx + c)$"):
    """The four points mapped to ``h = relu(W x + c)``, and the output unit's line ``w . h = 1/2``."""
    H = relu(np.asarray(X, dtype=float) @ np.asarray(W, dtype=float).T + np.asarray(c, dtype=float))
    w = np.asarray(w, dtype=float)
    # several inputs may land on the same hidden point: label each hidden point once
    names = {}
    for h, name in zip(map(tuple, H), XOR_NAMES, strict=True):
        names[h] = names[h] + " and " + name if h in names else name
    first = [list(map(tuple, H)).index(h) for h in names]
    _points(ax, H[first], np.asarray(y)[first], [names[tuple(H[i])] for i in first])
    h1 = np.linspace(-0.5, 2.5, 2)
    if abs(w[1]) > 1e-12:   # the line w1 h1 + w2 h2 = 1/2, where the output crosses one half
        ax.plot(h1, (0.5 - w[0] * h1) / w[1], color="k", ls="--", label="$w \\cdot h = 1/2$")
        ax.legend(loc="upper left", fontsize=8)
    ax.set(title=title, xlabel="$h_1$ (unitless)", ylabel="$h_2$ (unitless)",
           xlim=(-0.5, 2.7), ylim=(-0.5, 1.5))
    return ax


def plot_network_output(ax, W, c, w, title: str = "Output $\\hat y = w \\cdot $relu$(Wx + c)$"):
    """The network's output over the plane, as filled contours, with the four points on top."""
    g = np.linspace(-0.5, 1.5, 161)
    gx, gy = np.meshgrid(g, g)
    G = np.c_[gx.ravel(), gy.ravel()]
    out = (relu(G @ np.asarray(W, dtype=float).T + np.asarray(c, dtype=float))
           @ np.asarray(w, dtype=float)).reshape(gx.shape)
    cs = ax.contourf(gx, gy, out, levels=np.linspace(-1, 1, 21), cmap=CMAP, extend="both")
    ax.contour(gx, gy, out, levels=[0.5], colors="k", linestyles="--")
    ax.figure.colorbar(cs, ax=ax, label="output $\\hat y$ (unitless)")
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    scatter_classes(ax, X, np.array([0, 1, 1, 0]), s=120)
    ax.set(title=title, xlabel="$x_1$ (unitless)", ylabel="$x_2$ (unitless)")
    ax.set_aspect("equal")
    return ax


def train_mlp(X, y, hidden: int, lr: float, n_epochs: int, seed: int, activation: str = "relu"):
    """A fresh ``MLP([2, hidden, 2])`` (softmax output) trained by full-batch gradient descent.

    The initial weights depend only on ``seed``. Returns ``(model, losses)``, ``losses[t]`` the mean
    cross-entropy on all of ``(X, y)`` before step ``t``.
    """
    model = MLP([2, int(hidden), 2], activation=activation, output="softmax",
                rng=np.random.default_rng(seed))
    losses = [model.train_step(X, y, lr) for _ in range(int(n_epochs))]   # full batch: 1 step/epoch
    return model, losses


def success_rates(hidden_sizes, activation: str, seeds, lr: float, n_epochs: int, X=None, y=None):
    """Fraction of ``seeds`` for which ``MLP([2, H, 2], activation, "softmax")`` trained by full-batch
    gradient descent classifies all of ``(X, y)`` (default: the four XOR points) correctly.

    Trains every seed at once: the same arithmetic as :meth:`nnlib.MLP.train_step` (softmax output,
    mean cross-entropy, initial weights from ``init_params(sizes, default_rng(seed))``), with the
    seeds stacked along a leading axis so that one NumPy call serves all of them.
    Returns ``{H: fraction}``.
    """
    if X is None:
        X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        y = np.array([0, 1, 1, 0])
    g, g_prime = get_activation(activation)
    N = len(X)
    Y = np.eye(2)[y]                                             # one-hot targets (N, 2)
    rates = {}
    for H in hidden_sizes:
        layers = [init_params([2, int(H), 2], np.random.default_rng(s)) for s in seeds]
        W1, b1 = np.stack([p[0][0] for p in layers]), np.stack([p[0][1] for p in layers])
        W2, b2 = np.stack([p[1][0] for p in layers]), np.stack([p[1][1] for p in layers])
        for _ in range(int(n_epochs)):
            # forward, every seed s at once: Z1 (S, N, H), Z2 (S, N, 2)
            Z1 = np.einsum("nd,shd->snh", X, W1) + b1[:, None, :]
            A1 = g(Z1)
            Z2 = np.einsum("snh,skh->snk", A1, W2) + b2[:, None, :]
            # backward: the fused softmax + cross-entropy delta (P - Y) / N
            dZ2 = (softmax(Z2) - Y) / N
            dZ1 = np.einsum("snk,skh->snh", dZ2, W2) * g_prime(Z1)
            # update
            W2 = W2 - lr * np.einsum("snk,snh->skh", dZ2, A1)
            b2 = b2 - lr * dZ2.sum(axis=1)
            W1 = W1 - lr * np.einsum("snh,nd->shd", dZ1, X)
            b1 = b1 - lr * dZ1.sum(axis=1)
        Z1 = np.einsum("nd,shd->snh", X, W1) + b1[:, None, :]
        Z2 = np.einsum("snh,skh->snk", g(Z1), W2) + b2[:, None, :]
        rates[int(H)] = float(np.mean(np.all(Z2.argmax(axis=2) == y, axis=1)))
    return rates


def plot_trained(axes, X, y, hidden: int, lr: float, n_epochs: int = 300, seed: int = 0,
                 activation: str = "relu"):
    """Train with :func:`train_mlp` and draw (left) the decision boundary, (right) the loss.
    Returns the trained model."""
    ax_db, ax_loss = axes
    with np.errstate(over="ignore", invalid="ignore"):   # a huge lr may overflow: plot, don't warn
        model, losses = train_mlp(X, y, hidden, lr, n_epochs, seed, activation)
        plot_decision_boundary(ax_db, model.predict, X, y, resolution=100, margin=0.4,
                               title=f"{hidden} hidden {activation} units, lr {lr:.3g}: "
                                     f"accuracy {model.accuracy(X, y):.0%}")
        ax_db.set_aspect("equal")
        ax_loss.plot(np.arange(n_epochs), losses, color="tab:blue")
        ax_loss.set_yscale("log")
        ax_loss.grid(alpha=0.3)
        ax_loss.set(title=f"Training loss ({n_epochs} full-batch steps)", xlabel="step (= epoch: full batch)",
                    ylabel="cross-entropy (nats)")
    return model


def plot_hidden_units(axes, model, X, y, max_units: int = 8):
    """One small map per hidden unit (the first ``max_units``), as TensorFlow Playground draws them:
    the unit's activation ``relu(w_m . x + b_m)`` over the plane, with the data on top. Together they
    show the pieces the output layer adds up."""
    g = np.linspace(X[:, 0].min() - 0.4, X[:, 0].max() + 0.4, 60)
    gx, gy = np.meshgrid(g, g)
    G = np.c_[gx.ravel(), gy.ravel()]
    (W1, b1), _ = model.params
    g_act, _ = get_activation(model.activation)
    H = g_act(G @ W1.T + b1)
    for m, ax in enumerate(np.ravel(axes)):
        ax.set_xticks([])
        ax.set_yticks([])
        if m >= min(len(b1), max_units):
            ax.axis("off")
            continue
        ax.contourf(gx, gy, H[:, m].reshape(gx.shape), levels=12, cmap="cividis")
        scatter_classes(ax, X, y, s=6, linewidths=0.3)
        ax.set_title(f"unit {m + 1}", fontsize=8)
        ax.set_xlabel("$x_1$ (unitless)", fontsize=6, labelpad=1)
        ax.set_ylabel("$x_2$ (unitless)", fontsize=6, labelpad=1)
        ax.set_aspect("equal")
    return axes


def trained_figure(X, y, hidden: int, lr: float, n_epochs: int = 300, seed: int = 0,
                   activation: str = "relu", max_units: int = 8):
    """The widget's figure: top, the decision boundary and the loss (:func:`plot_trained`); bottom,
    each hidden unit's map (:func:`plot_hidden_units`). Returns the figure."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(10, 6.8))
    grid = fig.add_gridspec(2, max_units, height_ratios=[3, 1.6])
    top = [fig.add_subplot(grid[0, : max_units // 2]), fig.add_subplot(grid[0, max_units // 2:])]
    units = [fig.add_subplot(grid[1, k]) for k in range(max_units)]
    with np.errstate(over="ignore", invalid="ignore"):
        model = plot_trained(top, X, y, hidden, lr, n_epochs, seed, activation)
        plot_hidden_units(units, model, X, y, max_units)
    shown = min(hidden, max_units)
    fig.text(0.5, 0.015, f"Hidden units' activations over the plane (units 1 to {shown} of {hidden}; "
             "dark = 0, bright = large)", ha="center", fontsize=9)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def xor_widget(X, y, hidden: int = 8, lr: float = 0.5, n_epochs: int = 300, seed: int = 0):
    """Sliders for the number of hidden units and the learning rate; each change retrains from
    the same seed and redraws :func:`plot_trained`."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    def show(hidden, lr):
        trained_figure(X, y, hidden, lr, n_epochs, seed)
        plt.show()

    return interactive(
        show,
        hidden=widgets.IntSlider(value=hidden, min=1, max=32, description="hidden units",
                                 continuous_update=False),
        lr=widgets.FloatLogSlider(value=lr, base=10, min=-2, max=1, step=0.1, description="lr",
                                  readout_format=".3g", continuous_update=False),
    )


def plot_seed_losses(ax, hidden: int = 2, activation: str = "tanh", seeds=range(12), lr: float = 1.0,
                     n_epochs: int = 150):
    """Training loss of ``MLP([2, hidden, 2])`` on the four XOR points from each of ``seeds``: the
    successful starts (all four right) in one style, the failed ones in another. Returns
    ``{seed: (losses, solved)}``."""
    from .plot import style

    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    runs = {}
    for seed in seeds:
        model, losses = train_mlp(X, y, hidden, lr, n_epochs, seed, activation)
        solved = bool(np.array_equal(model.predict(X), y))
        runs[seed] = (losses, solved)
        s = style(0 if solved else 1)
        ax.plot(np.arange(n_epochs), losses, color=s["color"], linestyle=s["linestyle"], lw=1.2,
                label=("reaches 100%" if solved else "stuck") if seed == min(
                    k for k in runs if runs[k][1] == solved) else None)
    for level, text in ((np.log(2), "log 2: a coin flip on all four points"),
                        (0.5 * np.log(2), "log 2 / 2: two points sure, two a coin flip")):
        ax.axhline(level, color="0.5", lw=0.8, ls=":")
        ax.text(n_epochs * 0.98, level, text, ha="right", va="bottom", fontsize=8, color="0.3")
    ax.set(title=f"XOR, {hidden} hidden {activation} units: {len(runs)} random starts",
           xlabel="gradient-descent step (full batch)", ylabel="cross-entropy (nats)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower left")
    return runs
