"""Figures and the widget of notebook ``01_perceptron``: a perceptron's boundary over 2-D data.

The perceptron predicts ``+1`` where ``b + w1 x1 + w2 x2 > 0`` and ``-1`` elsewhere (labels
``{-1, +1}``), so its decision boundary is the straight line ``b + w1 x1 + w2 x2 = 0``.
Every plotting function draws on the ``ax`` it is given and returns it; none calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np

from ..perceptron import perceptron_predict
from .interact import interactive  # not ipywidgets': see nnlib.demos.interact
from .plot import CMAP

__all__ = ["boundary_widget", "count_mistakes", "draw_neuron", "plot_mistakes_per_epoch", "plot_perceptron",
           "plot_update_geometry"]


def count_mistakes(X, y, w, b) -> int:
    """Number of rows of ``X (N, 2)`` whose label in ``y (N,)`` differs from the perceptron's."""
    return int(np.sum(perceptron_predict(X, w, b) != np.asarray(y)))


def plot_perceptron(ax, X, y, w, b, title: str | None = None, margin: float = 0.6,
                    resolution: int = 150, xlim=None, ylim=None):
    """Shade the two half-planes of the perceptron ``(w, b)``, draw its boundary, scatter ``(X, y)``
    and ring the misclassified points.

    Parameters
    ----------
    ax : matplotlib Axes.
    X : array (N, 2); y : array (N,) of labels in ``{-1, +1}``; w : array (2,); b : float.
    title : default ``"Perceptron boundary: k mistakes"``.
    xlim, ylim : optional ``(low, high)`` axis limits; by default the data's range plus ``margin``
        (widen them when the boundary lies away from the data).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    w = np.asarray(w, dtype=float)
    lo = X.min(axis=0) - margin
    hi = X.max(axis=0) + margin
    if xlim is not None:
        lo[0], hi[0] = xlim
    if ylim is not None:
        lo[1], hi[1] = ylim
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    pred = perceptron_predict(np.c_[gx.ravel(), gy.ravel()], w, b).reshape(gx.shape)
    ax.contourf(gx, gy, pred, levels=[-1.5, 0, 1.5], cmap=CMAP, alpha=0.25)
    # The boundary b + w1 x1 + w2 x2 = 0 as a zero contour: works for vertical lines too.
    if np.any(w != 0):
        ax.contour(gx, gy, b + w[0] * gx + w[1] * gy, levels=[0.0], colors="k", linewidths=1.5)
    for label, marker in ((-1, "o"), (1, "s")):
        pts = X[y == label]
        ax.scatter(pts[:, 0], pts[:, 1], c=np.full(len(pts), label), cmap=CMAP, vmin=-1, vmax=1,
                   marker=marker, edgecolors="k", s=30, label=f"y = {label:+d}")
    wrong = perceptron_predict(X, w, b) != y
    if wrong.any():
        ax.scatter(X[wrong, 0], X[wrong, 1], s=140, facecolors="none", edgecolors="gold",
                   linewidths=2, label="mistake")
    n_wrong = int(wrong.sum())
    if title is None:
        title = f"Perceptron boundary: {n_wrong} mistake{'s' if n_wrong != 1 else ''}"
    ax.set(title=title, xlabel="$x_1$ (unitless)", ylabel="$x_2$ (unitless)",
           xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_mistakes_per_epoch(ax, curves: dict, title: str = "Rosenblatt's algorithm: mistakes per epoch"):
    """Plot ``{label: mistakes}`` (a list of mistakes per epoch for each data set) on one ``ax``."""
    for label, mistakes in curves.items():
        epochs = np.arange(1, len(mistakes) + 1)
        ax.plot(epochs, mistakes, marker=".", label=label)
    ax.set(title=title, xlabel="epoch (passes over the data)", ylabel="mistakes in the epoch (count)")
    ax.set_ylim(bottom=-0.5)
    ax.legend()
    return ax


def boundary_widget(X, y, w1: float = 1.0, w2: float = -0.5, b: float = 0.5, limit: float = 3.0):
    """Sliders for ``w1``, ``w2`` and ``b``; each change redraws :func:`plot_perceptron`.

    Returns the ``ipywidgets.interactive`` object (display it, or make it the cell's last line).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    def draw(w1, w2, b):
        _fig, ax = plt.subplots(figsize=(6, 4))
        plot_perceptron(ax, X, y, np.array([w1, w2]), b)
        plt.show()

    def slider(value, description):
        return widgets.FloatSlider(value=value, min=-limit, max=limit, step=0.1,
                                   description=description, continuous_update=False)

    return interactive(draw, w1=slider(w1, "w1"), w2=slider(w2, "w2"), b=slider(b, "b"))


def draw_neuron(ax, x, w, b, title: str = "A neuron: weighted inputs, a sum, an activation"):
    """Draw the neuron ``z = w . x + b``, ``output = step(z)`` with the numbers of ``x``, ``w``, ``b``:
    one arrow per input, solid for an excitatory weight (``w_i > 0``), dashed for an inhibitory one,
    the sum node, the step and the output. Returns ``ax`` (its axes are switched off: a diagram)."""
    from .plot import PALETTE

    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    z = float(w @ x + b)
    n = len(x)
    ys = np.linspace(1, -1, n) if n > 1 else np.zeros(1)
    sum_xy, step_xy, out_xy = (2.2, 0.0), (3.6, 0.0), (4.9, 0.0)
    for i, (xi, wi, yi) in enumerate(zip(x, w, ys, strict=True), start=1):
        ax.add_patch(_circle((0, yi), 0.22, "#56B4E9"))
        ax.text(0, yi, f"$x_{i}$\n{xi:g}", ha="center", va="center", fontsize=8)
        excit = wi > 0
        ax.annotate("", xy=(sum_xy[0] - 0.38, sum_xy[1] + 0.25 * yi), xytext=(0.25, yi),
                    arrowprops={"arrowstyle": "->", "lw": 1.5 + abs(wi),
                                "color": PALETTE[0] if excit else PALETTE[5],
                                "linestyle": "-" if excit else "--"})
        ax.text(1.1, 0.55 * yi + 0.12, f"$w_{i}$ = {wi:+g}\n({'excitatory' if excit else 'inhibitory'})",
                ha="center", fontsize=8, color=PALETTE[0] if excit else PALETTE[5])
    ax.add_patch(_circle(sum_xy, 0.38, "#F0E442"))
    ax.text(*sum_xy, f"$\\Sigma$ + b\nb = {b:+g}", ha="center", va="center", fontsize=8)
    ax.annotate("", xy=(step_xy[0] - 0.45, 0), xytext=(sum_xy[0] + 0.38, 0),
                arrowprops={"arrowstyle": "->", "lw": 1.5})
    ax.text((sum_xy[0] + step_xy[0]) / 2 + 0.12, 0.12, f"z = {z:+.2f}", ha="center", fontsize=8)
    ax.add_patch(_box(step_xy, 0.9, 0.6))
    ax.plot([step_xy[0] - 0.3, step_xy[0], step_xy[0], step_xy[0] + 0.3],
            [-0.15, -0.15, 0.15, 0.15], color="k", lw=1.5)
    ax.text(step_xy[0], -0.5, "step: fires if z > 0", ha="center", fontsize=8)
    ax.annotate("", xy=(out_xy[0] - 0.1, 0), xytext=(step_xy[0] + 0.45, 0),
                arrowprops={"arrowstyle": "->", "lw": 1.5})
    ax.text(out_xy[0], 0, f"output\n{int(z > 0)}", ha="left", va="center", fontsize=9)
    ax.set_xlim(-0.5, 5.6)
    ax.set_ylim(-1.4, 1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title)
    return ax


def _circle(xy, r, color):
    import matplotlib.patches as mpatches

    return mpatches.Circle(xy, r, facecolor=color, edgecolor="k", zorder=2)


def _box(xy, width, height):
    import matplotlib.patches as mpatches

    return mpatches.Rectangle((xy[0] - width / 2, xy[1] - height / 2), width, height, facecolor="white",
                              edgecolor="k", zorder=1)


def plot_update_geometry(ax, x, y, w, b=0.0, lr: float = 1.0, title: str | None = None, lim: float = 3.0):
    """One perceptron update drawn as vectors: the weights ``w`` before, the step ``lr * y * x`` and the
    weights after, with the boundary ``b + w . x = 0`` before (dashed) and after (solid) and the point
    ``x`` (its label by marker). For ``y = +1`` the update turns ``w`` towards ``x``; for ``y = -1``
    away from it. Returns ``(w_new, b_new)``."""
    from .plot import PALETTE

    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    step = lr * y * x
    w_new, b_new = w + step, b + lr * y
    g = np.linspace(-lim, lim, 201)
    gx, gy = np.meshgrid(g, g)
    for vec, bias, color, ls, label in ((w, b, PALETTE[1], "--", "boundary before"),
                                        (w_new, b_new, PALETTE[0], "-", "boundary after")):
        ax.contour(gx, gy, bias + vec[0] * gx + vec[1] * gy, levels=[0.0], colors=[color], linestyles=ls)
        ax.plot([], [], color=color, ls=ls, label=label)
    arrow = {"angles": "xy", "scale_units": "xy", "scale": 1, "width": 0.012}
    ax.quiver(0, 0, *w, color=PALETTE[1], **arrow, label="$w$ before")
    ax.quiver(*w, *step, color=PALETTE[2], **arrow, label=f"step $\\eta\\,y\\,x$ ($y = {y:+d}$)")
    ax.quiver(0, 0, *w_new, color=PALETTE[0], **arrow, label="$w$ after")
    ax.scatter(*x, marker="s" if y > 0 else "o", s=90, color="k", zorder=4,
               label=f"example $x$, $y = {y:+d}$")
    if title is None:
        title = f"Update on a mistake: $w$ turns {'towards' if y > 0 else 'away from'} $x$"
    ax.set(title=title, xlabel="$x_1$, $w_1$ (unitless)", ylabel="$x_2$, $w_2$ (unitless)",
           xlim=(-lim, lim), ylim=(-lim, lim))
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    return w_new, b_new
