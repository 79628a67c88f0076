"""Nothing in nnlib changes an array the caller passed in.

Every array argument is passed read-only (``flags.writeable = False``), so an in-place write anywhere
raises ``ValueError: assignment destination is read-only``; values are also compared with copies.
``test_every_public_function_is_covered`` fails when a new public function is not listed here.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from _nnlib_helpers import frozen
from matplotlib.figure import Figure  # no pyplot: no backend, no global state

import nnlib
import nnlib.demos.plot

RNG_SEED = 0


def arrays():
    """Fresh read-only inputs for every call."""
    rng = np.random.default_rng(RNG_SEED)
    X = frozen(rng.normal(size=(6, 3)))
    return {
        "X": X,
        "Z": frozen(rng.normal(size=(6, 4))),
        "z1": frozen(rng.normal(size=6)),
        "P": frozen(rng.uniform(0.1, 0.9, size=6)),
        "y01": frozen(np.array([0, 1, 1, 0, 1, 0])),
        "ypm": frozen(np.array([1, -1, -1, 1, 1, -1])),
        "yK": frozen(np.array([0, 3, 2, 1, 3, 0])),
        "W": frozen(rng.normal(size=(4, 3))),
        "b": frozen(rng.normal(size=4)),
        "w": frozen(rng.normal(size=3)),
        "x": frozen(rng.normal(size=3)),
        "params": [(frozen(rng.normal(size=(5, 3))), frozen(rng.normal(size=5))),
                   (frozen(rng.normal(size=(4, 5))), frozen(rng.normal(size=4)))],
        "X1": frozen(np.linspace(-1, 1, 7)[:, None]),
        "X2d": frozen(rng.normal(size=(8, 2))),
        "y2d": frozen(np.array([0, 1] * 4)),
    }


def _elementwise(name):
    return lambda a: getattr(nnlib, name)(a["Z"])


def _activation_backward(a):
    _, cache = nnlib.activation_forward(a["Z"], "tanh")
    return nnlib.activation_backward(a["Z"], cache)


def _dense_backward(a):
    _, cache = nnlib.dense_forward(a["X"], a["W"], a["b"])
    return nnlib.dense_backward(a["Z"], cache)


def _mlp(a, output="softmax"):
    net = nnlib.MLP([3, 5, 4], activation="tanh", output=output, rng=np.random.default_rng(0))
    net.params = [(W.copy(), b.copy()) for W, b in a["params"]]
    return net


def _mlp_methods(a):
    net = _mlp(a)
    net.forward(a["X"])
    net(a["X"])
    net.loss(a["X"], a["yK"])
    net.predict(a["X"])
    net.accuracy(a["X"], a["yK"])
    _, grads = net.loss_and_grads(a["X"], a["yK"])
    net.step([(frozen(dW), frozen(db)) for dW, db in grads], 0.1)  # its own params move; grads not
    net.train_step(a["X"], a["yK"], 0.1)


def _train(a):
    net = _mlp(a)
    rng = np.random.default_rng(0)
    for bs in (None, 1, 4):
        nnlib.train(net, a["X"], a["yK"], lr=0.1, n_epochs=2, batch_size=bs, rng=rng, progress=False)


def _sgd_epoch(a):
    def lg(params, X, y):
        return nnlib.mlp_loss_and_grads(X, y, params, "tanh", "softmax")

    new, _ = nnlib.sgd_epoch(a["params"], lg, a["X"], a["yK"], 0.1, 4, np.random.default_rng(0))
    for (W, b), (W0, b0) in zip(new, a["params"], strict=True):
        assert not np.shares_memory(W, W0) and not np.shares_memory(b, b0)


def _check_mlp_gradients(a):
    net = _mlp(a)
    before = [(W.copy(), b.copy()) for W, b in net.params]
    nnlib.check_mlp_gradients(net, a["X"], a["yK"])
    for (W, b), (W0, b0) in zip(net.params, before, strict=True):  # perturbed and restored exactly
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


def _numerical_gradient(a):
    # perturbs x in place by design (to reach weights inside a model), and restores it exactly
    x = a["Z"].copy()
    nnlib.numerical_gradient(lambda v: float(np.sum(np.tanh(v))), x)
    np.testing.assert_array_equal(x, a["Z"])


def _perceptron(a):
    nnlib.perceptron_predict(a["X"], a["w"], 0.5)
    w, _, _ = nnlib.perceptron_epoch(a["X"], a["ypm"], a["w"], 0.0)
    assert not np.shares_memory(w, a["w"])
    res = nnlib.train_perceptron(a["X"], a["ypm"], n_epochs=3, rng=np.random.default_rng(0), w0=a["w"])
    assert not np.shares_memory(res.w, a["w"])
    nnlib.Perceptron(n_epochs=3).fit(a["X"], a["ypm"]).predict(a["X"])


def _neuron(a):
    nnlib.neuron_forward(a["X"], a["w"], 0.1)
    for loss in nnlib.NEURON_LOSSES:
        w, _ = nnlib.neuron_sgd_step(a["x"], 1, a["w"], 0.1, 0.5, loss)
        assert not np.shares_memory(w, a["w"])
        nnlib.train_neuron(a["X"], a["y01"], n_epochs=2, loss=loss, rng=np.random.default_rng(0))


def _hinge_update(a):
    for y in (1, -1):  # one inside the margin, one outside (or the other way round)
        w, _ = nnlib.hinge_sgd_update(a["w"], 0.0, a["x"], y, 0.1)
        assert not np.shares_memory(w, a["w"])


def _minibatches(a):
    for shuffle in (True, False):
        for Xb, _ in nnlib.iterate_minibatches(a["X"], a["yK"], 4, np.random.default_rng(0), shuffle):
            assert not np.shares_memory(Xb, a["X"])


def _approx(a):
    params = nnlib.bump_network(frozen(np.array([-1.0, 0.0, 1.0])), frozen(np.array([1.0, 2.0])), 10.0)
    nnlib.bump_forward(a["X1"], [(frozen(W), frozen(b)) for W, b in params])
    nnlib.fit_bumps(np.sin, 4, 10.0)
    W, c, w = (frozen(v) for v in nnlib.xor_relu_weights())
    nnlib.xor_network(a["X2d"], W, c, w)


def _data(a):
    nnlib.to_pm1(a["y01"])
    nnlib.make_blobs(10, np.random.default_rng(0), centers=frozen(np.array([[0.0, 1.0], [1.0, 0.0]])))


def _plots(a):
    axes = Figure().subplots(1, 4)
    assert nnlib.demos.plot.plot_decision_boundary(
        axes[0], lambda G: (G[:, 0] > 0).astype(int), a["X2d"], a["y2d"], resolution=10) is axes[0]
    assert nnlib.demos.plot.plot_loss_curves(axes[1], {"a": (frozen(np.arange(3)), a["P"][:3])}) is axes[1]
    out = nnlib.demos.plot.plot_weight_images(axes[2:], frozen(np.arange(8.0).reshape(2, 4)), (2, 2))
    assert len(out) == 2
    assert nnlib.demos.plot.scatter_classes(axes[0], a["X2d"], a["y2d"]) is axes[0]


CALLS = {
    **{name: _elementwise(name) for name in (
        "step", "step_prime", "sigmoid", "sigmoid_prime", "tanh", "tanh_prime", "relu", "relu_prime",
        "leaky_relu", "leaky_relu_prime", "identity", "identity_prime", "softmax", "log_softmax")},
    "activation_forward": lambda a: nnlib.activation_forward(a["Z"], "relu"),
    "exp_backward": lambda a: nnlib.exp_backward(a["Z"], a["Z"][::-1], a["Z"]),
    "activation_backward": _activation_backward,
    "squared_error": lambda a: nnlib.squared_error(a["Z"], a["Z"][::-1]),
    "binary_cross_entropy": lambda a: nnlib.binary_cross_entropy(a["P"], a["y01"]),
    "binary_cross_entropy_with_logits": lambda a: nnlib.binary_cross_entropy_with_logits(a["z1"], a["y01"]),
    "softmax_cross_entropy": lambda a: nnlib.softmax_cross_entropy(a["Z"], a["yK"]),
    "hinge": lambda a: nnlib.hinge(a["z1"], a["ypm"]),
    "one_hot": lambda a: nnlib.one_hot(a["yK"], 4),
    "dense_forward": lambda a: nnlib.dense_forward(a["X"], a["W"], a["b"]),
    "dense_backward": _dense_backward,
    "mlp_forward": lambda a: nnlib.mlp_forward(a["X"], a["params"], "tanh", "softmax"),
    "mlp_loss_and_grads": lambda a: nnlib.mlp_loss_and_grads(a["X"], a["yK"], a["params"], "tanh"),
    "MLP": _mlp_methods,
    "train": _train,
    "sgd_epoch": _sgd_epoch,
    "check_mlp_gradients": _check_mlp_gradients,
    "numerical_gradient": _numerical_gradient,
    "relative_error": lambda a: nnlib.relative_error(a["Z"], a["Z"]),
    "perceptron": _perceptron,
    "neuron": _neuron,
    "hinge_sgd_update": _hinge_update,
    "iterate_minibatches": _minibatches,
    "approx": _approx,
    "data": _data,
    "plot": _plots,
}

COVERED_BY = {  # public names exercised inside a grouped call above
    "perceptron_predict": "perceptron", "perceptron_epoch": "perceptron",
    "train_perceptron": "perceptron", "Perceptron": "perceptron",
    "neuron_forward": "neuron", "neuron_sgd_step": "neuron", "train_neuron": "neuron",
    "bump_network": "approx", "bump_forward": "approx", "fit_bumps": "approx",
    "xor_network": "approx", "to_pm1": "data", "make_blobs": "data",
}

NO_ARRAY_ARGUMENTS = {  # public callables that take no array from the caller
    "constant", "step_decay", "inverse_time_decay", "count_parameters", "uci_estimate",
    "memory_bytes", "get_activation", "init_params", "xor_relu_weights", "make_xor", "make_moons",
    "make_spirals", "make_regression_1d", "load_digits_split",
    "History", "Network", "NeuronResult", "PerceptronResult",
    "style", "use_course_style",  # the course's plot style (nnlib.demos.plot)
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_inputs_are_not_changed(name):
    a = arrays()
    copies = {k: (v.copy() if isinstance(v, np.ndarray) else [(W.copy(), b.copy()) for W, b in v])
              for k, v in a.items()}
    CALLS[name](a)
    for k, v in a.items():
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(v, copies[k], err_msg=k)
        else:
            for (W, b), (W0, b0) in zip(v, copies[k], strict=True):
                np.testing.assert_array_equal(W, W0)
                np.testing.assert_array_equal(b, b0)


def test_every_public_function_is_covered():
    public = {n for n in nnlib.__all__ if callable(getattr(nnlib, n))}
    public |= {n for n, _ in inspect.getmembers(nnlib.demos.plot, inspect.isfunction) if n in nnlib.demos.plot.__all__}
    covered = set(CALLS) | set(COVERED_BY) | NO_ARRAY_ARGUMENTS | {"plot_decision_boundary",
                                                                  "plot_loss_curves",
                                                                  "plot_weight_images",
                                                                  "scatter_classes"}
    assert public - covered == set(), "add these to the no-mutation test"


@pytest.mark.parametrize("name", sorted(nnlib.ACTIVATIONS))
def test_activations_return_new_arrays(name):
    # even identity: a caller who changes g(z) must not change z
    z = np.linspace(-2, 2, 5)
    for f in nnlib.get_activation(name):
        assert not np.shares_memory(f(z), z)
    A, _ = nnlib.activation_forward(z, name)
    assert not np.shares_memory(A, z)
