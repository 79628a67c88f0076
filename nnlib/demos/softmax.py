"""Figures for notebook 07 (softmax and multiclass classification).

Each function draws on the ``ax`` (or axes) it is given and returns it; none calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "WEIGHT_CMAP",
    "confusion_matrix",
    "mosaic",
    "plot_confusion_matrix",
    "plot_digit_row",
    "plot_scores_and_probabilities",
    "plot_weight_mosaic",
    "weight_colorbar",
]


def confusion_matrix(y_true, y_pred, K: int) -> np.ndarray:
    """Counts ``C (K, K)``: ``C[i, j]`` = examples of true class ``i`` predicted as class ``j``.

    >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 0]), 2)
    array([[1, 0],
           [1, 1]])
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} must both have shape (N,)")
    C = np.zeros((K, K), dtype=int)
    np.add.at(C, (y_true, y_pred), 1)
    return C


def plot_confusion_matrix(ax, C, title: str = "Confusion matrix (test set)"):
    """Show the counts ``C (K, K)`` as an image, each cell labelled with its count."""
    C = np.asarray(C)
    K = C.shape[0]
    ax.imshow(C, cmap="Blues")
    big = C.max() / 2
    for i in range(K):
        for j in range(K):
            if C[i, j]:
                ax.text(j, i, str(C[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if C[i, j] > big else "black")
    ax.set_xticks(range(K))
    ax.set_yticks(range(K))
    ax.set(title=title, xlabel="predicted class (digit)", ylabel="true class (digit)")
    return ax


def mosaic(images, n_cols: int, image_shape=(8, 8), gap: float = np.nan) -> np.ndarray:
    """Tile the rows of ``images (M, h*w)`` into one array, ``n_cols`` tiles a row, 1-pixel gaps.

    One ``imshow`` of a mosaic is many times faster than one axes per image.

    >>> mosaic(np.ones((3, 4)), 2, (2, 2), gap=0).astype(int)
    array([[0, 0, 0, 0, 0, 0, 0],
           [0, 1, 1, 0, 1, 1, 0],
           [0, 1, 1, 0, 1, 1, 0],
           [0, 0, 0, 0, 0, 0, 0],
           [0, 1, 1, 0, 0, 0, 0],
           [0, 1, 1, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 0]])
    """
    images = np.asarray(images, dtype=float)
    h, w = image_shape
    n_rows = -(-len(images) // n_cols)
    out = np.full((n_rows * (h + 1) + 1, n_cols * (w + 1) + 1), gap)
    for i, img in enumerate(images):
        r, c = divmod(i, n_cols)
        out[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + c * (w + 1):1 + c * (w + 1) + w] = img.reshape(h, w)
    return out


def plot_digit_row(ax, images, labels, title: str, image_shape=(8, 8)):
    """Show the rows of ``images (M, 64)`` side by side as grey 8x8 images, ``labels`` under each."""
    images = np.asarray(images)
    h, w = image_shape
    ax.imshow(mosaic(images, len(images), image_shape), cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([1 + i * (w + 1) + (w - 1) / 2 for i in range(len(images))], labels=labels, fontsize=8)
    ax.set_yticks([])
    ax.tick_params(length=0)
    ax.set(title=title, ylabel=f"{h}x{w} px")
    return ax


#: The weight images' colour map: cividis is colour-blind safe and its lightness rises steadily from the
#: most negative weight (dark blue) to the most positive (light yellow), so the sign reads in grayscale
#: too (a diverging map such as coolwarm gives both signs the same grey).
WEIGHT_CMAP = "cividis"


def plot_weight_mosaic(ax, W, n_cols: int = 8, image_shape=(8, 8), cmap: str = WEIGHT_CMAP,
                       title: str = "First-layer weights, one tile per hidden unit"):
    """Show each row of ``W (n_hidden, 64)`` as an 8x8 tile on one symmetric scale: dark negative, light
    positive, and a thin white contour where the weights cross 0 (the sign boundary, readable in
    grayscale and without colour vision).

    Tile ``(row r, column c)`` is hidden unit ``n_cols * r + c``. Returns the image (for a colorbar;
    :func:`weight_colorbar` labels it).
    """
    W = np.asarray(W)
    h, w = image_shape
    lim = np.abs(W).max()
    tiles = mosaic(W, n_cols, image_shape)
    im = ax.imshow(tiles, cmap=cmap, vmin=-lim, vmax=lim)
    with np.errstate(invalid="ignore"):
        ax.contour(np.ma.masked_invalid(tiles), levels=[0.0], colors="white", linewidths=0.6)
    n_rows = -(-len(W) // n_cols)
    ax.set_xticks([1 + c * (w + 1) + (w - 1) / 2 for c in range(n_cols)], labels=range(n_cols))
    ax.set_yticks([1 + r * (h + 1) + (h - 1) / 2 for r in range(n_rows)],
                  labels=[n_cols * r for r in range(n_rows)])
    ax.tick_params(length=0)
    ax.set(title=title, xlabel="tile column c (unit = first unit of the row + c)",
           ylabel="first unit of the row (index)")
    return im


def weight_colorbar(fig, im, ax):
    """A colour bar for :func:`plot_weight_mosaic`'s image, in the weights' units, its 0 marked."""
    bar = fig.colorbar(im, ax=ax, label="weight (unitless): dark < 0 inhibits, light > 0 excites")
    bar.ax.axhline(0.0, color="white", lw=1.2)
    return bar


def plot_scores_and_probabilities(axes, z, p, class_names=None):
    """Two bar charts side by side: the scores ``z (K,)`` and their softmax ``p (K,)``."""
    z = np.asarray(z)
    p = np.asarray(p)
    K = len(z)
    names = [str(k) for k in range(K)] if class_names is None else list(class_names)
    ax_z, ax_p = axes
    ax_z.bar(names, z, color="tab:gray")
    ax_z.axhline(0, color="k", lw=0.8)
    ax_z.set(title="Scores $z_k$ (any real numbers)", xlabel="class $k$ (index)",
             ylabel="score $z_k$ (unitless)")
    ax_p.bar(names, p, color="tab:blue")
    ax_p.set(title="softmax: $p_k = e^{z_k}\\, / \\, \\Sigma_j\\, e^{z_j}$", xlabel="class $k$ (index)",
             ylabel="probability $p_k$ (unitless)", ylim=(0, 1))
    for k in range(K):
        ax_p.text(k, p[k] + 0.02, f"{p[k]:.3f}", ha="center", fontsize=9)
    return axes
