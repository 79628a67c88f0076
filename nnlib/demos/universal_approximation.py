"""Plots and the widget of notebook 05 (universal approximation by bumps of steep sigmoids).

Everything here uses the nnlib reference (:func:`nnlib.fit_bumps`, :func:`nnlib.bump_forward`), never a
student's function. Plotting functions draw on the ``ax`` they are given and return it.
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..approx import bump_forward, fit_bumps
from ..data import TARGET_FUNCTIONS
from .interact import interactive  # not ipywidgets': see nnlib.demos.interact

__all__ = ["DEPTH_WIDTH_SIZES", "approximation_widget", "depth_vs_width", "error_vs_width", "max_error",
           "plot_bump_approximation", "plot_depth_vs_width"]

#: Default steepness per bump: an edge about a tenth of an interval wide (see :func:`error_vs_width`).
STEEPNESS_PER_BUMP = 10.0


def _target(name: str):
    if name not in TARGET_FUNCTIONS:
        raise ValueError(f"unknown target {name!r}; valid: {', '.join(TARGET_FUNCTIONS)}")
    return TARGET_FUNCTIONS[name]


def max_error(f, params, low: float = -1.0, high: float = 1.0, n: int = 2001) -> float:
    """Largest ``|network(x) - f(x)|`` on ``n`` evenly spaced points of ``[low, high]``."""
    x = np.linspace(low, high, n)
    return float(np.max(np.abs(bump_forward(x[:, None], params) - f(x))))


def error_vs_width(name: str = "sine", n_bumps=(4, 8, 16, 32, 64, 128, 256),
                   steepness_per_bump: float = STEEPNESS_PER_BUMP):
    """Hidden-layer widths ``2 m`` and the max error of the bump network with ``m`` bumps on ``[-1, 1]``.

    The steepness grows with the number of bumps (``s = steepness_per_bump * m``) so that each edge
    stays a fixed fraction of its interval; with a fixed steepness the error stops falling once the
    intervals are narrower than the edges.

    Returns
    -------
    widths : int array (k,); errors : float array (k,); slope : float, the least-squares slope of
    ``log(error)`` against ``log(width)``.
    """
    f = _target(name)
    n_bumps = np.asarray(n_bumps, dtype=int)
    errors = np.array([max_error(f, fit_bumps(f, m, steepness_per_bump * m)) for m in n_bumps])
    widths = 2 * n_bumps
    slope = float(np.polyfit(np.log(widths), np.log(errors), 1)[0])
    return widths, errors, slope


def plot_bump_approximation(ax, name: str = "sine", width: int = 16, steepness: float = 80.0,
                            show_bumps: bool = True):
    """The target ``name`` on ``[-1, 1]``, its bump network with ``width`` hidden units (``width // 2``
    bumps) of the given steepness, and (faintly) each bump's contribution."""
    f = _target(name)
    m = max(int(width) // 2, 1)
    params = fit_bumps(f, m, steepness)
    x = np.linspace(-1.2, 1.2, 1201)
    inside = np.abs(x) <= 1
    out = bump_forward(x[:, None], params)
    if show_bumps:
        (W1, b1), (W2, _) = params
        H = sigmoid(x[:, None] @ W1.T + b1)
        contrib = H * W2[0]                        # column j: output weight times hidden unit j
        bumps = contrib[:, 0::2] + contrib[:, 1::2]  # rising + falling edge = one bump
        for j in range(bumps.shape[1]):
            ax.plot(x, bumps[:, j], color="0.6", lw=0.8, label="single bumps" if j == 0 else None)
    ax.plot(x, f(x), color="k", lw=2, label=f"target: {name}")
    ax.plot(x, out, color="tab:red", lw=1.5, label=f"network, {2 * m} hidden units")
    err = float(np.max(np.abs(out[inside] - f(x[inside]))))
    ax.axvspan(-1.2, -1, color="0.92")
    ax.axvspan(1, 1.2, color="0.92")
    ax.set(title=f"Bump network: {2 * m} sigmoid units, steepness {steepness:g}, "
                 f"max error {err:.3f}",
           xlabel="x (unitless)", ylabel="f(x) (unitless)", xlim=(-1.2, 1.2))
    ax.title.set_fontsize(10)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def approximation_widget(width: int = 16, steepness: float = 80.0, name: str = "sine"):
    """An ipywidgets ``interactive``: width and steepness sliders over the approximation of the target
    ``name`` (a key of :data:`nnlib.TARGET_FUNCTIONS`). Returns the widget; display it as the last
    expression of a cell."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    _target(name)

    def draw(width, steepness):
        ax = plt.subplots(figsize=(8, 4))[1]
        plot_bump_approximation(ax, name, width, steepness)
        plt.show()

    return interactive(
        draw,
        width=widgets.IntSlider(value=width, min=2, max=80, step=2, description="hidden units",
                                continuous_update=False),
        steepness=widgets.FloatSlider(value=steepness, min=1.0, max=400.0, step=1.0,
                                      description="steepness", continuous_update=False),
    )


#: One wide hidden layer against two and three narrow ones, at (about) the same parameter budget:
#: 193, 193 and 169 parameters (the deepest has the fewest).
DEPTH_WIDTH_SIZES = ((1, 64, 1), (1, 12, 12, 1), (1, 8, 8, 8, 1))


def depth_vs_width(name: str = "wiggle", sizes=DEPTH_WIDTH_SIZES, seeds=range(4), n: int = 200,
                   activation: str = "tanh", lr: float = 0.05, n_epochs: int = 300, batch_size: int = 20):
    """Train each architecture of ``sizes`` from every seed on ``n`` samples of the target ``name``,
    with the same minibatch SGD (``lr``, ``n_epochs``, ``batch_size``), and measure the mean squared
    error against the target on 1,001 points of ``[-1, 1]``.

    Returns ``{sizes: {"params": count, "errors": [one per seed], "curve": (x, prediction of the
    first seed)}}``. Deterministic: the data come from seed 0, each net and its shuffles from its seed.
    """
    from ..counting import count_parameters
    from ..data import make_regression_1d
    from ..mlp import MLP
    from ..optim import train

    f = _target(name)
    X, y = make_regression_1d(name, n, np.random.default_rng(0))
    x = np.linspace(-1, 1, 1001)[:, None]
    results = {}
    for layer_sizes in sizes:
        errors, curve = [], None
        for seed in seeds:
            net = MLP(list(layer_sizes), activation=activation, output="identity",
                      rng=np.random.default_rng(seed))
            train(net, X, y, lr=lr, n_epochs=n_epochs, batch_size=batch_size,
                  rng=np.random.default_rng(seed), progress=False)
            pred = net(x)[:, 0]
            errors.append(float(np.mean((pred - f(x[:, 0])) ** 2)))
            if curve is None:
                curve = (x[:, 0], pred)
        results[tuple(layer_sizes)] = {"params": count_parameters(list(layer_sizes)), "errors": errors,
                                       "curve": curve}
    return results


def plot_depth_vs_width(axes, results, name: str = "wiggle"):
    """Left: the target and each architecture's fit (first seed). Right: every seed's error per
    architecture, on a log scale, with the median marked."""
    from .plot import style

    ax_fit, ax_err = axes
    x = np.linspace(-1, 1, 1001)
    ax_fit.plot(x, _target(name)(x), color="k", lw=2.5, label=f"target: {name}")
    for k, (sizes, r) in enumerate(results.items()):
        label = f"{len(sizes) - 2} x {sizes[1]} units ({r['params']} parameters)"
        ax_fit.plot(*r["curve"], lw=1.5, markevery=100, ms=5, label=label, **style(k))
        errs = np.array(r["errors"])
        s = style(k)
        ax_err.scatter(np.full(len(errs), k), errs, color=s["color"], marker=s["marker"], s=40,
                       edgecolors="k", zorder=3)
        ax_err.plot([k - 0.25, k + 0.25], [np.median(errs)] * 2, color=s["color"], lw=2.5)
    ax_fit.set(title="Same budget, same training: the fits (seed 0)", xlabel="x (unitless)",
               ylabel="f(x) (unitless)")
    ax_fit.legend(fontsize=7, loc="lower left")
    ax_err.set_yscale("log")
    ax_err.set_xticks(range(len(results)),
                      [f"{len(s) - 2} hidden\n{s[1]} wide" for s in results])
    ax_err.set(title="Error per random start (bar: median)", xlabel="architecture (hidden layers, width)",
               ylabel="mean squared error on [-1, 1] (unitless)", xlim=(-0.5, len(results) - 0.5))
    ax_err.grid(alpha=0.3, which="both", axis="y")
    return axes
