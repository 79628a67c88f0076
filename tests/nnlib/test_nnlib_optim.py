"""Training loops: minibatches, GD/SGD/minibatch histories, schedules, the Michigan hinge update."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnlib

# --- iterate_minibatches --------------------------------------------------------------------------

@pytest.mark.parametrize(("N", "batch_size"), [(10, 3), (10, 5), (10, 10), (10, 32), (7, 1)])
def test_minibatches_cover_every_example_exactly_once(N, batch_size):
    X = np.arange(N, dtype=float)[:, None] * [1.0, -1.0]   # row n is (n, -n): rows stay with labels
    y = np.arange(N)
    batches = list(nnlib.iterate_minibatches(X, y, batch_size, np.random.default_rng(0)))
    sizes = [len(yb) for _, yb in batches]
    assert len(batches) == math.ceil(N / batch_size)
    assert sizes[:-1] == [batch_size] * (len(batches) - 1)
    assert sizes[-1] == N - batch_size * (len(batches) - 1)  # the last one smaller when needed
    seen = np.concatenate([yb for _, yb in batches])
    np.testing.assert_array_equal(np.sort(seen), y)  # every example, exactly once
    for Xb, yb in batches:
        np.testing.assert_array_equal(Xb[:, 0], yb)
        np.testing.assert_array_equal(Xb[:, 1], -yb)


def test_minibatch_shuffle_is_reproducible_from_the_rng():
    X, y = np.zeros((20, 1)), np.arange(20)

    def order(seed):
        return np.concatenate([yb for _, yb in nnlib.iterate_minibatches(
            X, y, 6, np.random.default_rng(seed))])

    np.testing.assert_array_equal(order(5), order(5))
    np.testing.assert_array_equal(order(5), np.random.default_rng(5).permutation(20))
    assert not np.array_equal(order(5), order(6))
    assert not np.array_equal(order(5), y)
    # one rng, two epochs: two different orders
    rng = np.random.default_rng(7)
    e1 = np.concatenate([yb for _, yb in nnlib.iterate_minibatches(X, y, 6, rng)])
    e2 = np.concatenate([yb for _, yb in nnlib.iterate_minibatches(X, y, 6, rng)])
    assert not np.array_equal(e1, e2)
    unshuffled = [yb.tolist() for _, yb in nnlib.iterate_minibatches(X[:5], y[:5], 2, shuffle=False)]
    assert unshuffled == [[0, 1], [2, 3], [4]]


# --- train: GD, SGD, minibatch --------------------------------------------------------------------

def _problem(N=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 3))
    y = (X[:, 0] > 0).astype(int)
    net = nnlib.MLP([3, 4, 2], activation="tanh", rng=rng)
    return net, X, y


@pytest.mark.parametrize(("batch_size", "steps_per_epoch", "grad_evals_epoch1"), [
    (None, 1, [10]),          # full-batch GD: one step of 10 examples
    (10, 1, [10]),
    (50, 1, [10]),            # larger than N: still GD
    (1, 10, list(range(1, 11))),  # SGD: one example a step
    (4, 3, [4, 8, 10]),       # minibatches of 4, 4, 2
])
def test_history_lengths(batch_size, steps_per_epoch, grad_evals_epoch1):
    net, X, y = _problem()
    n_epochs = 3
    hist = nnlib.train(net, X, y, lr=0.1, n_epochs=n_epochs, batch_size=batch_size,
                       rng=np.random.default_rng(1), progress=False)
    steps = steps_per_epoch * n_epochs
    assert len(hist.step_loss) == len(hist.grad_evals) == len(hist.step_time) == steps
    assert hist.grad_evals[:steps_per_epoch] == grad_evals_epoch1
    assert hist.grad_evals[-1] == 10 * n_epochs
    assert hist.epoch_grad_evals == [10, 20, 30]
    assert len(hist.epoch_loss) == len(hist.epoch_time) == len(hist.lr) == n_epochs
    assert all(np.diff(hist.step_time) >= 0) and all(np.diff(hist.epoch_time) >= 0)
    assert hist.epoch_time[-1] >= hist.step_time[-1] > 0
    assert hist.epoch_loss[-1] == pytest.approx(net.loss(X, y), rel=1e-12)  # after the last epoch
    assert repr(hist) == f"History(epochs=3, steps={steps}, loss={hist.epoch_loss[-1]:.4g})"


def test_full_batch_gd_is_exactly_repeated_gradient_steps():
    net, X, y = _problem()
    twin = nnlib.MLP([3, 4, 2], activation="tanh", rng=np.random.default_rng(0))
    twin.params = [(W.copy(), b.copy()) for W, b in net.params]
    hist = nnlib.train(net, X, y, lr=0.3, n_epochs=5, batch_size=None, progress=False)
    for _ in range(5):
        _, grads = nnlib.mlp_loss_and_grads(X, y, twin.params, "tanh", "softmax")
        twin.params = [(W - 0.3 * dW, b - 0.3 * db)
                       for (W, b), (dW, db) in zip(twin.params, grads, strict=True)]
    for (W, b), (W2, b2) in zip(net.params, twin.params, strict=True):
        np.testing.assert_allclose(W, W2, rtol=1e-13)
        np.testing.assert_allclose(b, b2, rtol=1e-13, atol=1e-16)
    # GD with a small enough step lowers the loss every epoch
    assert all(np.diff(hist.epoch_loss) < 0)
    assert hist.step_loss[1:] == pytest.approx(hist.epoch_loss[:-1], rel=1e-12)


def test_training_is_reproducible_from_the_rng():
    results = []
    for _ in range(2):
        net, X, y = _problem()
        hist = nnlib.train(net, X, y, lr=0.1, n_epochs=2, batch_size=3, rng=np.random.default_rng(9),
                           progress=False)
        results.append((hist.step_loss, net.params[0][0].copy()))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_train_follows_a_schedule_and_the_progress_switch(capsys):
    net, X, y = _problem()
    hist = nnlib.train(net, X, y, lr=nnlib.step_decay(0.4, drop=0.5, every=2), n_epochs=5,
                       batch_size=None, progress=False)
    assert hist.lr == [0.4, 0.4, 0.2, 0.2, 0.1]
    assert capsys.readouterr().out == ""
    nnlib.train(net, X, y, lr=0.1, n_epochs=2, batch_size=None, progress=True)
    out = capsys.readouterr().out
    assert "epoch 2/2" in out and out.endswith("\n")


# --- schedules ------------------------------------------------------------------------------------

def test_schedules_give_the_right_values():
    c = nnlib.constant(0.1)
    assert [c(e) for e in (0, 1, 100)] == [0.1, 0.1, 0.1]
    s = nnlib.step_decay(1.0, drop=0.5, every=10)   # 1.0 * 0.5 ** (epoch // 10)
    assert [s(e) for e in (0, 9, 10, 19, 20, 35)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.125]
    assert nnlib.step_decay(0.3)(10) == pytest.approx(0.15)  # defaults: halve every 10
    inv = nnlib.inverse_time_decay(1.0, k=0.1)      # 1 / (1 + 0.1 epoch)
    assert [inv(e) for e in (0, 10, 30)] == pytest.approx([1.0, 0.5, 0.25])


# --- the Michigan hinge update and sgd_epoch ------------------------------------------------------

def test_hinge_sgd_update_is_michigans_rule():
    # w <- w + eta y x 1[1 - y z > 0],  b <- b + eta y 1[1 - y z > 0],  z = w.x + b
    rng = np.random.default_rng(0)
    active_seen = inactive_seen = 0
    for _ in range(200):
        w, x, b, y, eta = rng.normal(size=3), rng.normal(size=3), rng.normal(), rng.choice([-1, 1]), 0.3
        z = w @ x + b
        active = 1 - y * z > 0
        w_new, b_new = nnlib.hinge_sgd_update(w, b, x, y, eta)
        np.testing.assert_allclose(w_new, w + eta * y * x * active, rtol=1e-15)
        assert b_new == pytest.approx(b + eta * y * active, rel=1e-15)
        active_seen += active
        inactive_seen += not active
    assert active_seen > 20 and inactive_seen > 20  # both branches were exercised
    # exactly on the margin (1 - y z = 0): no update
    w, b = nnlib.hinge_sgd_update(np.array([1.0, 0.0]), 0.0, np.array([1.0, 5.0]), 1, 0.5)
    np.testing.assert_array_equal(w, [1.0, 0.0])
    assert b == 0.0


def test_hinge_sgd_update_agrees_with_the_hinge_loss_gradient():
    # on one example the update is w - eta dL/dw with dL/dz from nnlib.hinge
    w, b, x, y, eta = np.array([0.2, -0.1]), 0.05, np.array([1.0, 2.0]), 1, 0.1
    _, dz = nnlib.hinge(np.array([w @ x + b]), np.array([y]))
    w_new, b_new = nnlib.hinge_sgd_update(w, b, x, y, eta)
    np.testing.assert_allclose(w_new, w - eta * dz[0] * x)
    assert b_new == pytest.approx(b - eta * dz[0])


def test_sgd_epoch_updates_a_copy_and_matches_a_manual_epoch():
    net, X, y = _problem(N=9)
    params = [(W.copy(), b.copy()) for W, b in net.params]
    before = [(W.copy(), b.copy()) for W, b in params]

    def lg(p, Xb, yb):
        return nnlib.mlp_loss_and_grads(Xb, yb, p, "tanh", "softmax")

    new, losses = nnlib.sgd_epoch(params, lg, X, y, 0.2, 4, np.random.default_rng(3))
    assert len(losses) == 3  # batches of 4, 4, 1
    for (W, b), (W0, b0) in zip(params, before, strict=True):  # the caller's params are untouched
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
    manual = before
    for Xb, yb in nnlib.iterate_minibatches(X, y, 4, np.random.default_rng(3)):
        _, grads = lg(manual, Xb, yb)
        manual = [(W - 0.2 * dW, b - 0.2 * db) for (W, b), (dW, db) in zip(manual, grads, strict=True)]
    for (W, b), (W2, b2) in zip(new, manual, strict=True):
        np.testing.assert_allclose(W, W2, rtol=1e-14)
        np.testing.assert_allclose(b, b2, rtol=1e-14, atol=1e-17)


def test_minibatch_sgd_lowers_the_loss():
    rng = np.random.default_rng(0)
    X, y = nnlib.make_moons(200, rng, noise=0.1)
    net = nnlib.MLP([2, 16, 2], activation="tanh", rng=rng)
    hist = nnlib.train(net, X, y, lr=0.5, n_epochs=30, batch_size=16, rng=rng, progress=False)
    assert hist.epoch_loss[-1] < 0.5 * hist.epoch_loss[0]
    assert net.accuracy(X, y) >= 0.9
