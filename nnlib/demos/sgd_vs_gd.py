"""Experiments, figures and the widget of notebook 08 (SGD versus GD).

Every run trains the same model from the same initial weights (``seed``), so that curves differ only by
the batch size and the learning rate. Plotting functions draw on the ``ax`` they are given and return it;
none calls ``plt.show()`` except the widget's callback, which must display its figure.
"""

from __future__ import annotations

import numpy as np

from ..mlp import MLP, mlp_loss_and_grads
from ..optim import train
from .interact import interactive  # not ipywidgets': see nnlib.demos.interact
from .plot import plot_decision_boundary

__all__ = [
    "LAYER_SIZES",
    "batch_lr_widget",
    "minibatch_gradient_error",
    "plot_batch_lr",
    "plot_loss_against",
    "run",
]

#: The model of the notebook: 2 inputs, two hidden ReLU layers of 16, a softmax over 2 classes.
LAYER_SIZES = (2, 16, 16, 2)

_XLABELS = {
    "epochs": "epoch (passes over the data)",
    "grad_evals": "gradient evaluations (examples processed)",
    "updates": "parameter updates (steps)",
    "time": "wall time (s)",
}


def run(X, y, batch_size, lr, n_epochs: int, seed: int = 0, layer_sizes=LAYER_SIZES):
    """Train a fresh ``MLP(layer_sizes)`` whose initial weights depend only on ``seed``.

    ``batch_size=None`` is full-batch GD. Returns ``(model, history)``; see :func:`nnlib.train`.
    """
    rng = np.random.default_rng(seed)
    model = MLP(list(layer_sizes), activation="relu", output="softmax", rng=rng)
    hist = train(model, X, y, lr=lr, n_epochs=n_epochs, batch_size=batch_size, rng=rng, progress=False)
    return model, hist


def _updates_per_epoch(hist) -> int:
    return len(hist.step_loss) // len(hist.epoch_loss)


def plot_loss_against(ax, runs: dict, x: str = "epochs", title: str | None = None):
    """Full-data loss after each epoch of every run in ``runs = {label: history}``, against ``x``.

    ``x`` is ``"epochs"``, ``"grad_evals"``, ``"updates"`` or ``"time"``; both axes are logarithmic.
    """
    if x not in _XLABELS:
        raise ValueError(f"unknown x {x!r}; valid: {', '.join(_XLABELS)}")
    for label, hist in runs.items():
        epochs = np.arange(1, len(hist.epoch_loss) + 1)
        xs = {"epochs": epochs, "grad_evals": hist.epoch_grad_evals,
              "updates": epochs * _updates_per_epoch(hist), "time": hist.epoch_time}[x]
        ax.plot(xs, hist.epoch_loss, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(title=title or f"Loss against {x.replace('_', ' ')}", xlabel=_XLABELS[x],
           ylabel="training loss (nats)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return ax


def minibatch_gradient_error(params, X, y, batch_sizes, n_draws: int, rng: np.random.Generator):
    """Mean relative error ``||g_B - g|| / ||g||`` of minibatch gradients against the full gradient.

    For each batch size ``B``, ``n_draws`` minibatches of ``B`` distinct examples are drawn at random;
    ``g`` is the gradient of the mean loss over all of ``X``. Returns an array shaped like
    ``batch_sizes``.
    """
    def flat(grads):
        return np.concatenate([np.r_[dW.ravel(), db] for dW, db in grads])

    g = flat(mlp_loss_and_grads(X, y, params)[1])
    N = len(X)
    errors = []
    for B in batch_sizes:
        errs = []
        for _ in range(n_draws):
            idx = rng.choice(N, size=int(B), replace=False)
            gB = flat(mlp_loss_and_grads(X[idx], y[idx], params)[1])
            errs.append(np.linalg.norm(gB - g) / np.linalg.norm(g))
        errors.append(np.mean(errs))
    return np.array(errors)


def plot_batch_lr(axes, X, y, batch_size: int, lr: float, n_epochs: int = 10, seed: int = 0,
                  reference=None):
    """Train with ``batch_size`` and ``lr`` and draw (left) the loss against gradient evaluations,
    with an optional ``reference = (label, history)`` curve, and (right) the decision boundary."""
    ax_loss, ax_db = axes
    N = len(X)
    with np.errstate(over="ignore", invalid="ignore"):   # a divergent lr may overflow: plot, don't warn
        model, hist = run(X, y, min(int(batch_size), N), lr, n_epochs, seed)
        if reference is not None:
            ax_loss.plot(reference[1].epoch_grad_evals, reference[1].epoch_loss, color="gray", ls="--",
                         label=reference[0])
        steps = np.asarray(hist.grad_evals)
        ax_loss.plot(steps, hist.step_loss, color="tab:blue", alpha=0.25, lw=0.8, label="batch loss")
        ax_loss.plot(hist.epoch_grad_evals, hist.epoch_loss, color="tab:blue", marker="o", ms=3,
                     label="loss on all data")
        ax_loss.set_yscale("log")
        ax_loss.set(title=f"batch size {batch_size}, lr {lr:.3g}: {len(steps)} updates",
                    xlabel="gradient evaluations (examples processed)", ylabel="loss (nats)",
                    xlim=(0, n_epochs * N))
        ax_loss.grid(alpha=0.3)
        ax_loss.legend(fontsize=8)
        plot_decision_boundary(ax_db, model.predict, X, y, resolution=60,
                               title=f"After {n_epochs} epochs: accuracy {model.accuracy(X, y):.0%}")
    return axes


def batch_lr_widget(X, y, n_epochs: int = 10, seed: int = 0, reference=None,
                    batch_size: int = 16, lr: float = 0.3):
    """Sliders for the batch size (powers of two up to ``N``) and the learning rate (log scale);
    every change retrains from the same initial weights and redraws :func:`plot_batch_lr`."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    N = len(X)
    sizes = [b for b in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512) if b < N] + [N]

    def show(batch_size, lr):
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        plot_batch_lr(axes, X, y, batch_size, lr, n_epochs, seed, reference)
        fig.tight_layout()
        plt.show()

    return interactive(
        show,
        batch_size=widgets.SelectionSlider(options=sizes, value=batch_size, description="batch size",
                                           continuous_update=False),
        lr=widgets.FloatLogSlider(value=lr, base=10, min=-3, max=2, step=0.1, description="lr",
                                  readout_format=".3g", continuous_update=False),
    )
