"""Plots and the widget of notebook 05 (universal approximation by bumps of steep sigmoids).

Everything here uses the nnlib reference (:func:`nnlib.fit_bumps`, :func:`nnlib.bump_forward`), never a
student's function. Plotting functions draw on the ``ax`` they are given and return it.
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..approx import bump_forward, fit_bumps
from ..data import TARGET_FUNCTIONS

__all__ = ["approximation_widget", "error_vs_width", "max_error", "plot_bump_approximation"]

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

    return widgets.interactive(
        draw,
        width=widgets.IntSlider(value=width, min=2, max=80, step=2, description="hidden units",
                                continuous_update=False),
        steepness=widgets.FloatSlider(value=steepness, min=1.0, max=400.0, step=1.0,
                                      description="steepness", continuous_update=False),
    )
