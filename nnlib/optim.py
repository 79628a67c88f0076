"""Training loops: full-batch gradient descent, SGD and minibatch SGD, with learning-rate schedules
and a training history.

Vocabulary (Purdue, Michigan lectures):

- *gradient descent (GD)*: every step uses all ``N`` examples (``N`` gradient evaluations a step);
- *stochastic gradient descent (SGD)*: every step uses one example: cheap, noisy steps;
- *minibatch SGD*: every step uses ``batch_size`` examples (32-256 in practice), shuffled each epoch.

All three are :func:`train` with a different ``batch_size``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ._validate import as_float_array, check_labels, check_positive

__all__ = [
    "History",
    "constant",
    "hinge_sgd_update",
    "inverse_time_decay",
    "iterate_minibatches",
    "sgd_epoch",
    "step_decay",
    "train",
]


# --- learning-rate schedules: each maps an epoch number (0, 1, ...) to a learning rate ---------

def constant(lr: float) -> Callable[[int], float]:
    """The same ``lr`` every epoch."""
    check_positive(lr, "lr")
    return lambda epoch: lr


def step_decay(lr: float, drop: float = 0.5, every: int = 10) -> Callable[[int], float]:
    """``lr * drop ** (epoch // every)``: halve (by default) every ``every`` epochs."""
    check_positive(lr, "lr")
    if not 0 < drop <= 1:
        raise ValueError(f"drop must be in (0, 1], got {drop!r}")
    if isinstance(every, bool) or int(every) != every or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    return lambda epoch: lr * drop ** (epoch // every)


def inverse_time_decay(lr: float, k: float = 0.1) -> Callable[[int], float]:
    """``lr / (1 + k epoch)``: the classic Robbins-Monro style schedule."""
    check_positive(lr, "lr")
    if not k >= 0:
        raise ValueError(f"k must be >= 0, got {k!r}")
    return lambda epoch: lr / (1 + k * epoch)


# --- minibatches --------------------------------------------------------------------------------

def iterate_minibatches(X, y, batch_size: int, rng: np.random.Generator | None = None,
                        shuffle: bool = True) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(X_batch, y_batch)`` covering every example exactly once.

    With ``shuffle`` the order is ``rng.permutation(N)``; batches are consecutive slices of that
    order, the last one smaller when ``batch_size`` does not divide ``N``.

    >>> [yb.tolist() for _, yb in iterate_minibatches(np.zeros((5, 1)), np.arange(5), 2,
    ...                                               shuffle=False)]
    [[0, 1], [2, 3], [4]]
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}; they must match")
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    N = X.shape[0]
    if shuffle:
        if rng is None:
            raise TypeError("shuffling needs an explicit rng, e.g. rng=np.random.default_rng(0)")
        order = rng.permutation(N)
    else:
        order = np.arange(N)
    for start in range(0, N, int(batch_size)):
        idx = order[start:start + int(batch_size)]
        yield X[idx], y[idx]


def sgd_epoch(params, loss_and_grads, X, y, lr: float, batch_size: int,
              rng: np.random.Generator):
    """One epoch of minibatch SGD; returns ``(new_params, batch_losses)``, inputs unchanged.

    Parameters
    ----------
    params : list of ``(W, b)``.
    loss_and_grads : callable ``(params, X_batch, y_batch) -> (loss, grads)``, grads shaped
        like params.
    lr : learning rate; batch_size : examples per step; rng : shuffles the epoch.
    """
    check_positive(lr, "lr")
    params = [(W.copy(), b.copy()) for W, b in params]
    losses = []
    for Xb, yb in iterate_minibatches(X, y, batch_size, rng):
        loss, grads = loss_and_grads(params, Xb, yb)
        params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads, strict=True)]
        losses.append(float(loss))
    return params, losses


def hinge_sgd_update(w, b, x, y, lr: float):
    """Michigan's SGD update for one linear unit ``z = w . x + b`` under the hinge loss.

    ``w <- w + lr y x`` and ``b <- b + lr y`` when ``1 - y z > 0`` (inside the margin or wrong);
    otherwise nothing changes. Labels are ``{-1, +1}``. Returns new ``(w, b)``.

    >>> hinge_sgd_update(np.zeros(2), 0.0, np.array([1.0, 2.0]), -1, 0.5)
    (array([-0.5, -1. ]), -0.5)
    """
    w = as_float_array(w, "w")
    x = as_float_array(x, "x")
    if w.shape != x.shape or w.ndim != 1:
        raise ValueError(f"w and x must both have shape (d,), got w {w.shape} and x {x.shape}")
    check_labels(np.asarray([y]), (-1, 1))
    check_positive(lr, "lr")
    z = x @ w + b
    if 1 - y * z > 0:
        return w + lr * y * x, b + lr * y
    return w.copy(), b


# --- a training loop with a history ---------------------------------------------------------------

@dataclass
class History:
    """What happened during training, step by step and epoch by epoch."""

    step_loss: list[float] = field(default_factory=list)   # batch loss at each step
    grad_evals: list[int] = field(default_factory=list)    # cumulative examples seen, per step
    step_time: list[float] = field(default_factory=list)   # cumulative seconds, per step
    epoch_loss: list[float] = field(default_factory=list)  # full-data loss after each epoch
    epoch_grad_evals: list[int] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)          # learning rate of each epoch

    def __repr__(self) -> str:
        last = f"{self.epoch_loss[-1]:.4g}" if self.epoch_loss else "n/a"
        return f"History(epochs={len(self.epoch_loss)}, steps={len(self.step_loss)}, loss={last})"


def _progress(epoch: int, n_epochs: int, loss: float, width: int = 30) -> None:
    done = int(width * epoch / n_epochs)
    bar = "#" * done + "." * (width - done)
    end = "\n" if epoch == n_epochs else ""
    sys.stdout.write(f"\r[{bar}] epoch {epoch}/{n_epochs}  loss {loss:.4f}{end}")
    sys.stdout.flush()


def train(model, X, y, lr: float | Callable[[int], float] = 0.1, n_epochs: int = 10,
          batch_size: int | None = 32, rng: np.random.Generator | None = None,
          progress: bool = True) -> History:
    """Train ``model`` (anything with ``loss_and_grads``, ``step`` and ``loss``) in place.

    ``batch_size=None`` (or ``>= N``) is full-batch GD, ``1`` is SGD, anything between is minibatch
    SGD. ``lr`` is a number or a schedule ``epoch -> lr``. ``progress=False`` silences the bar.
    """
    X = np.asarray(X)
    if X.dtype.kind in "biu" and hasattr(model, "dtype"):  # an MLP computes in its own dtype
        X = X.astype(model.dtype)
    X = as_float_array(X, "X")
    y = np.asarray(y)
    N = X.shape[0]
    schedule = lr if callable(lr) else constant(lr)
    if int(n_epochs) < 1:
        raise ValueError(f"n_epochs must be at least 1, got {n_epochs!r}")
    bs = N if batch_size is None else min(int(batch_size), N)
    if bs < 1:
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    if rng is None and bs < N:
        raise TypeError("minibatch training needs an explicit rng to shuffle")
    if model.output == "sigmoid":
        check_labels(y, (0, 1))
    hist = History()
    seen = 0
    t0 = time.perf_counter()
    for epoch in range(int(n_epochs)):
        eta = schedule(epoch)
        check_positive(eta, "learning rate")
        hist.lr.append(float(eta))
        batches = [(X, y)] if bs == N else iterate_minibatches(X, y, bs, rng)
        for Xb, yb in batches:
            hist.step_loss.append(model.train_step(Xb, yb, eta))
            seen += len(Xb)
            hist.grad_evals.append(seen)
            hist.step_time.append(time.perf_counter() - t0)
        hist.epoch_loss.append(model.loss(X, y))
        hist.epoch_grad_evals.append(seen)
        hist.epoch_time.append(time.perf_counter() - t0)
        if progress:
            _progress(epoch + 1, int(n_epochs), hist.epoch_loss[-1])
    return hist
