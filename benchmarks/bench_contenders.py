"""The contenders of ``bench_nnlib.py``: each ``make_*(sizes, batches)`` returns ``run(n)``, which
performs ``n`` plain-SGD training steps of the same float32 network on the same batches.

Imported by the benchmark only after it has set the BLAS/OpenMP thread variables.
"""

from __future__ import annotations

import numpy as np

import nnlib

LR = 0.01
N_POOL = 8  # distinct batches each contender cycles through


def make_nnlib(sizes, batches):
    net = nnlib.MLP(list(sizes), activation="relu", output="softmax",
                    rng=np.random.default_rng(0), dtype=np.float32)

    def run(n: int) -> None:
        for i in range(n):
            X, y = batches[i % N_POOL]
            net.train_step(X, y, LR)

    run.net = net
    return run


def make_gemms(sizes, batches):
    """Only the matrix products of one nnlib training step, in its layout (one column per
    example): the forward ``W A_prev^T``, the weight gradients ``delta A_prev`` and the input
    gradients ``W^T delta`` of every layer but the first. No bias, activation, loss or update."""
    rng = np.random.default_rng(0)
    N = len(batches[0][1])
    shapes = list(zip(sizes[1:], sizes[:-1], strict=False))
    Ws = [rng.standard_normal(shape, dtype=np.float32) for shape in shapes]
    A = [np.empty((n_out, N), np.float32) for n_out, _ in shapes]
    dW = [np.empty(shape, np.float32) for shape in shapes]
    dA = [np.empty((n_out, N), np.float32) for n_out, _ in shapes]

    def run(n: int) -> None:
        for i in range(n):
            X = batches[i % N_POOL][0]
            prev = X.T
            for W, Z in zip(Ws, A, strict=True):
                np.matmul(W, prev, out=Z)
                prev = Z
            for k in range(len(Ws) - 1, -1, -1):
                delta = A[k]  # stands in for the delta: the same shape and layout
                prev = X.T if k == 0 else A[k - 1]
                np.matmul(delta, prev.T, out=dW[k])
                if k > 0:
                    np.matmul(Ws[k].T, delta, out=dA[k - 1])

    return run


def make_torch(sizes, batches, threads: int):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    params = list(model.parameters())
    tb = [(torch.from_numpy(X), torch.from_numpy(y)) for X, y in batches]

    def run(n: int) -> None:
        for i in range(n):
            X, y = tb[i % N_POOL]
            loss = F.cross_entropy(model(X), y)
            for p in params:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p.add_(p.grad, alpha=-LR)
            loss.item()

    return run


def make_sklearn(sizes, batches):
    import warnings

    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), activation="relu", solver="sgd",
                        alpha=0.0, batch_size=len(batches[0][1]), learning_rate="constant",
                        learning_rate_init=LR, momentum=0.0, nesterovs_momentum=False,
                        shuffle=False, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.partial_fit(batches[0][0], batches[0][1], classes=np.arange(sizes[-1]))
    assert clf.coefs_[0].dtype == np.float32, "scikit-learn did not keep float32"

    def run(n: int) -> None:
        for i in range(n):
            X, y = batches[i % N_POOL]
            clf.partial_fit(X, y)

    return run
