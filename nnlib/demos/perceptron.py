"""Figures and the widget of notebook ``01_perceptron``: a perceptron's boundary over 2-D data.

The perceptron predicts ``+1`` where ``b + w1 x1 + w2 x2 > 0`` and ``-1`` elsewhere (labels
``{-1, +1}``), so its decision boundary is the straight line ``b + w1 x1 + w2 x2 = 0``.
Every plotting function draws on the ``ax`` it is given and returns it; none calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np

from ..perceptron import perceptron_predict
from .plot import CMAP

__all__ = ["boundary_widget", "count_mistakes", "plot_mistakes_per_epoch", "plot_perceptron"]


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
    ax.set(title=title, xlabel="epoch", ylabel="mistakes in the epoch (count)")
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

    return widgets.interactive(draw, w1=slider(w1, "w1"), w2=slider(w2, "w2"), b=slider(b, "b"))
