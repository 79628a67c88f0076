"""Figures and the widget of notebook ``02_logistic_neuron``: activation functions and their
derivatives.

Every activation ``g`` and its derivative ``g'`` take the pre-activation ``z`` (see
:mod:`nnlib.activations`). Plotting functions draw on the ``ax`` they are given and return it; none
calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np

from ..activations import get_activation
from .interact import interactive  # not ipywidgets': see nnlib.demos.interact

__all__ = ["EXPLORER_ACTIVATIONS", "SHOW_OPTIONS", "activation_explorer", "plot_activation",
           "plot_activations"]

#: The activations offered by the explorer, in the notebook's order.
EXPLORER_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "step")
#: What the explorer can draw: the function, its derivative, or both.
SHOW_OPTIONS = ("function", "derivative", "both")

_FORMULAS = {
    "sigmoid": r"$\sigma(z) = 1 / (1 + e^{-z})$",
    "tanh": r"$\tanh(z) = 2\sigma(2z) - 1$",
    "relu": r"$\mathrm{ReLU}(z) = \max(0, z)$",
    "leaky_relu": r"$\max(0.1z, z)$",
    "step": r"step$(z) = [z > 0]$",
}


def plot_activation(ax, name: str = "sigmoid", show: str = "both", z_max: float = 5.0,
                    n_points: int = 801):
    """Plot activation ``name`` and/or its derivative on ``[-z_max, z_max]``.

    Parameters
    ----------
    ax : matplotlib Axes.
    name : a key of :data:`nnlib.ACTIVATIONS` (unknown names raise ``ValueError``).
    show : ``"function"``, ``"derivative"`` or ``"both"``.
    z_max : half-width of the input range, > 0.
    """
    if show not in SHOW_OPTIONS:
        raise ValueError(f"show must be one of {', '.join(SHOW_OPTIONS)}, got {show!r}")
    if not z_max > 0:
        raise ValueError(f"z_max must be positive, got {z_max!r}")
    g, g_prime = get_activation(name)
    z = np.linspace(-z_max, z_max, n_points)
    if show in ("function", "both"):
        ax.plot(z, g(z), lw=2, label=f"{name}: {_FORMULAS.get(name, name)}")
    if show in ("derivative", "both"):
        left, right = (float(v) for v in g_prime(np.array([-z_max, z_max])))
        ax.plot(z, g_prime(z), lw=2, ls="--",
                label=f"derivative: {left:.2g} at z = {-z_max:g}, {right:.2g} at z = {z_max:g}")
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set(title=f"{name} on [{-z_max:g}, {z_max:g}]", xlabel="pre-activation $z$ (unitless)",
           ylabel="value (unitless)")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_activations(axes, names=EXPLORER_ACTIVATIONS[:4], z_max: float = 5.0, n_points: int = 801):
    """Two panels: every activation in ``names`` on ``axes[0]`` and their derivatives on ``axes[1]``."""
    z = np.linspace(-z_max, z_max, n_points)
    for name in names:
        g, g_prime = get_activation(name)
        # ReLU and leaky ReLU coincide for z > 0: draw leaky ReLU dashed so both stay visible.
        style = {"lw": 2, "ls": "--" if name == "leaky_relu" else "-"}
        axes[0].plot(z, g(z), label=name, **style)
        axes[1].plot(z, g_prime(z), label=name, **style)
    for ax, what in zip(axes, ("Activations $g(z)$", "Derivatives $g'(z)$"), strict=True):
        ax.axhline(0, color="grey", lw=0.8)
        ax.set(title=what, xlabel="pre-activation $z$ (unitless)", ylabel="value (unitless)")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return axes


def activation_explorer(name: str = "sigmoid", show: str = "both", z_max: float = 5.0):
    """A dropdown for the activation, buttons for function / derivative / both, and a slider for the
    input range; each change redraws :func:`plot_activation`.

    Returns the ``ipywidgets.interactive`` object (display it, or make it the cell's last line).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    def draw(name, show, z_max):
        _fig, ax = plt.subplots(figsize=(6, 4))
        plot_activation(ax, name, show, z_max)
        plt.show()

    return interactive(
        draw,
        name=widgets.Dropdown(options=list(EXPLORER_ACTIVATIONS), value=name, description="g"),
        show=widgets.ToggleButtons(options=list(SHOW_OPTIONS), value=show, description="show"),
        z_max=widgets.FloatSlider(value=z_max, min=0.5, max=20.0, step=0.5, description="z range ±",
                                  continuous_update=False),
    )
