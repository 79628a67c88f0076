"""Plots for the course. Each function draws on an ``ax`` it is given and returns it; none calls
``plt.show()``. One diverging colormap, :data:`CMAP`, for the whole course, and one colour-blind-safe
palette for lines and classes (:data:`PALETTE`, Okabe and Ito's), always paired with a marker or a line
style (:data:`MARKERS`, :data:`LINESTYLES`) so that the figures also read in grayscale."""

from __future__ import annotations

import matplotlib
import numpy as np

__all__ = ["CMAP", "LINESTYLES", "MARKERS", "PALETTE", "plot_decision_boundary", "plot_loss_curves",
           "plot_weight_images", "scatter_classes", "style", "use_course_style"]

CMAP = "coolwarm"
#: Okabe and Ito's colour-blind-safe colours: blue, orange, bluish green, reddish purple, sky blue,
#: vermillion, yellow, black.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", ":", "-.")


def style(k: int) -> dict:
    """Colour, marker and line style of series ``k`` (cycling), for ``ax.plot(..., **style(k))``."""
    return {"color": PALETTE[k % len(PALETTE)], "marker": MARKERS[k % len(MARKERS)],
            "linestyle": LINESTYLES[k % len(LINESTYLES)]}


def plot_decision_boundary(ax, predict, X, y, resolution: int = 200, margin: float = 0.5,
                           title: str = "Decision boundary", xlabel: str = "$x_1$ (unitless)",
                           ylabel: str = "$x_2$ (unitless)"):
    """Shade the regions ``predict`` assigns to each class, and scatter ``(X, y)`` on top.

    ``predict`` maps an ``(M, 2)`` array to ``M`` labels or scores.
    """
    X = np.asarray(X)
    x0, x1 = X[:, 0].min() - margin, X[:, 0].max() + margin
    y0, y1 = X[:, 1].min() - margin, X[:, 1].max() + margin
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.c_[gx.ravel(), gy.ravel()]
    Z = np.asarray(predict(grid), dtype=float).reshape(gx.shape)
    values = np.unique(Z)
    ax.contourf(gx, gy, Z, levels=20 if len(values) > 10 else None, cmap=CMAP, alpha=0.35)
    if 1 < len(values) <= 10:   # class labels: draw the boundaries as lines, readable in grayscale too
        ax.contour(gx, gy, Z, levels=(values[:-1] + values[1:]) / 2, colors="k", linewidths=1)
    scatter_classes(ax, X, y, s=25)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, xlim=(x0, x1), ylim=(y0, y1))
    return ax


def scatter_classes(ax, X, y, s: float = 30, **kwargs):
    """Scatter the rows of ``X (N, 2)`` with one marker *and* one colour per class of ``y``, so that
    the classes can be told apart without colour (grayscale, colour-blind readers)."""
    X = np.asarray(X)
    y = np.asarray(y)
    classes = np.unique(y)
    cmap = matplotlib.colormaps[CMAP]
    for k, label in enumerate(classes):
        pts = X[y == label]
        shade = cmap(0.0 if len(classes) == 1 else k / (len(classes) - 1))
        ax.scatter(pts[:, 0], pts[:, 1], color=shade, marker=MARKERS[k % len(MARKERS)], edgecolors="k",
                   s=s, label=f"class {label}", **kwargs)
    return ax


def use_course_style() -> None:
    """Make :data:`PALETTE` matplotlib's default colour cycle (called once by each notebook's setup)."""
    import matplotlib.pyplot as plt
    from cycler import cycler

    plt.rcParams["axes.prop_cycle"] = cycler(color=list(PALETTE))


def plot_loss_curves(ax, curves: dict, xlabel: str = "epoch (passes over the data)",
                     ylabel: str = "mean loss (nats)",
                     title: str = "Training loss", logy: bool = True):
    """Plot ``{label: (x, loss)}`` on one ``ax``."""
    for label, (x, loss) in curves.items():
        ax.plot(x, loss, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    return ax


def plot_weight_images(axes, W, image_shape=(8, 8), title: str = "First-layer weights"):
    """Show each row of ``W (n_hidden, n_pixels)`` as an image, one per axis in ``axes``."""
    axes = np.ravel(axes)
    W = np.asarray(W)
    lim = np.abs(W).max()
    for i, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if i < len(W):
            ax.imshow(W[i].reshape(image_shape), cmap=CMAP, vmin=-lim, vmax=lim)
            ax.set_title(f"unit {i}", fontsize=8)
        else:
            ax.axis("off")
    axes[0].figure.suptitle(title)
    return axes
