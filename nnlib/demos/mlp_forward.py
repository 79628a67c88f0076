"""Figures and the widget of notebook 03 (the MLP forward pass and counting parameters).

Plotting functions draw on the ``ax`` they are given and return it; none calls ``plt.show()``
except the widget's callback, which must display its figure.
"""

from __future__ import annotations

import numpy as np

from ..counting import FAMOUS_NETWORKS, count_parameters, memory_bytes
from .interact import interactive  # not ipywidgets': see nnlib.demos.interact

__all__ = [
    "draw_network",
    "format_bytes",
    "layer_names",
    "plot_famous_networks",
    "plot_layer_parameters",
    "plot_regression_losses",
    "regression_losses",
    "size_widget",
]


def layer_names(n_layers: int) -> list[str]:
    """Column names of a network with ``n_layers`` layers of units: input, hidden 1, ..., output."""
    return ["input"] + [f"hidden {i}" for i in range(1, n_layers - 1)] + ["output"]


def draw_network(ax, layer_sizes, highlight=None, title: str = "A fully connected network"):
    """Draw units as circles in columns (input on the left) and every weight as a line.

    ``highlight = (c, a, b)`` draws the weight ``w_ab^(c)`` thick and red, in the Michigan
    convention: weight layer ``c`` (1 = the weights leaving the input), from unit ``b`` of column
    ``c - 1`` to unit ``a`` of column ``c`` (columns counted from 0 = input; units from 1, top down).
    """
    sizes = [int(s) for s in layer_sizes]
    tallest = max(sizes)

    def ys(n):  # unit 1 at the top, centred vertically
        return (tallest - 1) / 2 + (n - 1) / 2 - np.arange(n)

    for col, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        for y0 in ys(n_in):
            for y1 in ys(n_out):
                ax.plot([col, col + 1], [y0, y1], color="0.75", lw=0.8, zorder=1)
    if highlight is not None:
        c, a, b = highlight
        ax.plot([c - 1, c], [ys(sizes[c - 1])[b - 1], ys(sizes[c])[a - 1]], color="tab:red", lw=3,
                zorder=2)
        ax.annotate("$w_{ab}^{(c)}$ = ?", xy=(c - 0.5, (ys(sizes[c - 1])[b - 1]
                                                          + ys(sizes[c])[a - 1]) / 2),
                    xytext=(0, 12), textcoords="offset points", ha="center", color="tab:red")
    for col, n in enumerate(sizes):
        face = "tab:green" if col == 0 else ("tab:orange" if col == len(sizes) - 1 else "tab:blue")
        ax.scatter(np.full(n, col), ys(n), s=320, color=face, edgecolors="k", zorder=3)
        for k, y in enumerate(ys(n), start=1):
            ax.text(col, y, str(k), ha="center", va="center", color="white", fontsize=8, zorder=4)
    ax.set_xticks(range(len(sizes)), layer_names(len(sizes)))
    ax.set_yticks([])
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-0.8, tallest - 0.2)
    ax.set(title=title, xlabel="column of units (unitless)", ylabel="unit number, from the top (unitless)")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return ax


def format_bytes(n_bytes: float) -> str:
    """Bytes in decimal units, as the lectures count them: 1 GB = 10^9 bytes."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{int(n_bytes)} B"


def plot_layer_parameters(ax, layer_sizes, dtype: str = "float32", title: str | None = None):
    """Stacked bars: the weights and the biases of each layer of weights, with the total in the title."""
    sizes = [int(s) for s in layer_sizes]
    weights = np.array([a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True)])
    biases = np.array(sizes[1:])
    x = np.arange(1, len(weights) + 1)
    ax.bar(x, weights, color="tab:blue", label="weights $n_{in} n_{out}$")
    ax.bar(x, biases, bottom=weights, color="tab:orange", label="biases $n_{out}$")
    total = count_parameters(sizes)
    if title is None:
        title = (f"{'-'.join(map(str, sizes))}: {total:,} parameters, "
                 f"{format_bytes(memory_bytes(total, dtype))} in {dtype}")
    ax.set_xticks(x, [f"{a}→{b}" for a, b in zip(sizes[:-1], sizes[1:], strict=True)],
                  rotation=30 if len(x) > 6 else 0, fontsize=8 if len(x) > 6 else 10)
    ax.set(title=title, xlabel="layer of weights ($n_{in}$ → $n_{out}$ units)",
           ylabel="parameters (count)")
    ax.legend(fontsize=8)
    return ax


def plot_famous_networks(ax, networks=FAMOUS_NETWORKS, dtype: str = "float32"):
    """Horizontal bars on a log scale: the parameter count of each network, labelled with its memory."""
    names = [n.name for n in networks]
    counts = np.array([n.n_params for n in networks], dtype=float)
    y = np.arange(len(names))[::-1]
    ax.barh(y, counts, color="tab:blue")
    for yi, n in zip(y, counts, strict=True):
        ax.text(n * 1.3, yi, f"{int(n):,}  ({format_bytes(memory_bytes(int(n), dtype))})",
                va="center", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(10, counts.max() * 1e4)
    ax.set_yticks(y, names, fontsize=8)
    ax.set(title=f"Parameters of the lectures' networks (memory in {dtype})",
           xlabel="parameters (count, log scale)")
    return ax


def size_widget(d: int = 784, H: int = 200, L: int = 2, K: int = 10):
    """Sliders for the input size ``d``, the hidden width ``H``, the number of hidden layers ``L``
    and the number of outputs ``K``; each change prints the count and redraws the per-layer bars."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    def show(d, H, L, K):
        sizes = [d] + [H] * L + [K]
        n = count_parameters(sizes)
        print(f"layer sizes {sizes}: {n:,} parameters; float32 {format_bytes(memory_bytes(n))}, "
              f"float64 {format_bytes(memory_bytes(n, 'float64'))}")
        fig, ax = plt.subplots(figsize=(10, 4))
        plot_layer_parameters(ax, sizes)
        fig.tight_layout()
        plt.show()

    def slider(value, lo, hi, description):
        return widgets.IntSlider(value=value, min=lo, max=hi, description=description,
                                 continuous_update=False)

    return interactive(
        show,
        d=slider(d, 1, 20_000, "input d"),
        H=slider(H, 1, 2_000, "width H"),
        L=slider(L, 1, 20, "hidden L"),
        K=slider(K, 1, 1_000, "outputs K"),
    )


def regression_losses(r, delta: float = 1.0) -> dict:
    """The per-example losses of a regression head as functions of the residual ``r = f(x) - y``:
    squared error ``r^2`` (its mean is the MSE), absolute error ``|r|`` (MAE) and Huber's loss,
    ``r^2 / 2`` for ``|r| <= delta`` and ``delta (|r| - delta / 2)`` beyond (quadratic near 0, linear
    in the tails, so a few outliers pull less)."""
    r = np.asarray(r, dtype=float)
    a = np.abs(r)
    huber = np.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))
    return {"squared error $r^2$ (MSE)": r * r, "absolute error $|r|$ (MAE)": a,
            f"Huber, $\\delta = {delta:g}$": huber}


def plot_regression_losses(ax, delta: float = 1.0, r_max: float = 3.0):
    """The three losses of :func:`regression_losses` against the residual, one style each."""
    from .plot import style

    r = np.linspace(-r_max, r_max, 241)
    for k, (label, values) in enumerate(regression_losses(r, delta).items()):
        ax.plot(r, values, label=label, markevery=30, ms=5, **style(k))
    ax.set(title="Losses for a regression head", xlabel="residual $r = f(x) - y$ (units of $y$)",
           ylabel="loss per example (units of $y$, squared for MSE)", ylim=(0, r_max ** 2 / 2))
    ax.legend()
    ax.grid(alpha=0.3)
    return ax
