"""Data generators: deterministic given the seed, documented shapes and labels, no downloads."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

import nnlib


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


GENERATORS = {
    "xor": lambda seed: nnlib.make_xor(5, rng=np.random.default_rng(seed)),
    "blobs": lambda seed: nnlib.make_blobs(30, np.random.default_rng(seed)),
    "moons": lambda seed: nnlib.make_moons(31, np.random.default_rng(seed)),
    "spirals": lambda seed: nnlib.make_spirals(30, np.random.default_rng(seed), n_classes=3),
    **{f"regression_{name}": (lambda seed, name=name: nnlib.make_regression_1d(
        name, 25, np.random.default_rng(seed), noise=0.1)) for name in nnlib.TARGET_FUNCTIONS},
    "digits": lambda seed: nnlib.load_digits_split(np.random.default_rng(seed)),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_are_deterministic_given_the_seed(name):
    assert same(GENERATORS[name](0), GENERATORS[name](0))
    assert not same(GENERATORS[name](0), GENERATORS[name](1))


@pytest.mark.parametrize("make", [
    lambda rng: nnlib.make_blobs(10, rng), lambda rng: nnlib.make_moons(10, rng),
    lambda rng: nnlib.make_spirals(10, rng), lambda rng: nnlib.make_regression_1d("sine", 10, rng),
    lambda rng: nnlib.make_xor(2, rng=rng), lambda rng: nnlib.load_digits_split(rng),
])
@pytest.mark.parametrize("bad_rng", [None, 0, np.random.RandomState(0)])
def test_generators_need_an_explicit_generator(make, bad_rng):
    with pytest.raises(TypeError, match=r"numpy\.random\.Generator"):
        make(bad_rng)


def test_xor():
    X, y = nnlib.make_xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])  # x1 XOR x2
    Xn, yn = nnlib.make_xor(5, noise=0.05, rng=np.random.default_rng(0))
    assert Xn.shape == (20, 2) and yn.shape == (20,)
    np.testing.assert_array_equal(yn, np.repeat([0, 1, 1, 0], 5))
    assert np.abs(Xn - np.repeat(X, 5, axis=0)).max() < 0.3  # noisy copies of the corners
    np.testing.assert_array_equal(nnlib.make_xor(3, noise=0.0, rng=np.random.default_rng(0))[0],
                                  np.repeat(X, 3, axis=0))


def test_blobs():
    X, y = nnlib.make_blobs(3000, np.random.default_rng(0))
    assert X.shape == (3000, 2) and y.shape == (3000,)
    assert np.bincount(y).tolist() == [1500, 1500]
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-1.5, -1.0], atol=0.06)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [1.5, 1.0], atol=0.06)
    np.testing.assert_allclose(X[y == 0].std(axis=0), 0.6, rtol=0.06)
    centers = [(0.0, 0.0, 0.0), (5.0, 0.0, 0.0), (0.0, 5.0, 0.0)]
    X3, y3 = nnlib.make_blobs(31, np.random.default_rng(1), centers=centers, std=0.1)
    assert X3.shape == (31, 3) and set(y3) == {0, 1, 2}
    np.testing.assert_allclose(X3, np.asarray(centers)[y3], atol=0.5)


def test_moons():
    X, y = nnlib.make_moons(101, np.random.default_rng(0), noise=0.0)
    assert X.shape == (101, 2) and y.shape == (101,)
    assert np.bincount(y).tolist() == [50, 51]
    # without noise: the upper moon is the unit half circle, the lower one centred at (1, 0.5)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0, rtol=1e-12)
    assert X[y == 0, 1].min() >= -1e-12
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1.0, rtol=1e-12)
    assert not np.array_equal(y, np.sort(y))  # shuffled


def test_spirals():
    X, y = nnlib.make_spirals(300, np.random.default_rng(0), n_classes=3)
    assert X.shape == (300, 2) and y.shape == (300,)
    assert np.bincount(y).tolist() == [100, 100, 100]
    r = np.hypot(*X.T)
    assert r.min() >= 0.05 and r.max() <= 1.0


@pytest.mark.parametrize("name", sorted(nnlib.TARGET_FUNCTIONS))
def test_regression_1d(name):
    x, y = nnlib.make_regression_1d(name, 40, np.random.default_rng(0), low=-2.0, high=3.0)
    assert x.shape == (40, 1) and y.shape == (40,)
    assert np.all(np.diff(x[:, 0]) >= 0) and x.min() >= -2.0 and x.max() <= 3.0
    np.testing.assert_array_equal(y, nnlib.TARGET_FUNCTIONS[name](x[:, 0]))  # noise = 0
    _, y_noisy = nnlib.make_regression_1d(name, 40, np.random.default_rng(0), noise=0.1, low=-2.0,
                                          high=3.0)
    assert 0 < np.std(y_noisy - y) < 0.2


def test_target_functions():
    f = nnlib.TARGET_FUNCTIONS
    x = np.array([-0.5, 0.0, 0.5])
    np.testing.assert_allclose(f["sine"](x), [-1, 0, 1], atol=1e-15)
    np.testing.assert_array_equal(f["abs"](x), [0.5, 0, 0.5])
    np.testing.assert_array_equal(f["step"](x), [0, 0, 1])
    np.testing.assert_allclose(f["cubic"](x), [0.125, 0, -0.125])


def test_to_pm1():
    np.testing.assert_array_equal(nnlib.to_pm1([0, 1, 1, 0]), [-1, 1, 1, -1])


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("nnlib tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_digits_come_from_sklearns_bundled_file(no_network, dtype):
    import sklearn.datasets
    from sklearn.datasets import load_digits

    bundled = Path(sklearn.datasets.__file__).parent / "data" / "digits.csv.gz"
    assert bundled.is_file()  # shipped inside the package: nothing to download
    X_train, X_test, y_train, y_test = nnlib.load_digits_split(np.random.default_rng(0), dtype=dtype)
    # 1,797 images; round(0.25 * 1797) = 449 for testing, 1,348 for training
    assert X_train.shape == (1348, 64) and X_test.shape == (449, 64)
    assert y_train.shape == (1348,) and y_test.shape == (449,)
    assert X_train.dtype == X_test.dtype == dtype
    assert y_train.dtype.kind == "i" and set(np.unique(np.r_[y_train, y_test])) == set(range(10))
    assert X_train.min() == 0 and X_train.max() == 1  # pixels 0..16 scaled by 1/16
    # the split is a permutation of scikit-learn's data
    digits = load_digits()
    full = np.c_[digits.data / 16.0, digits.target]
    ours = np.r_[np.c_[X_train, y_train], np.c_[X_test, y_test]].astype(np.float64)
    key = lambda a: a[np.lexsort(a.T[::-1])]  # noqa: E731
    np.testing.assert_allclose(key(ours), key(full), rtol=1e-7)
    _, X_test_half, _, _ = nnlib.load_digits_split(np.random.default_rng(0), test_fraction=0.5)
    assert len(X_test_half) == round(0.5 * 1797)
    with pytest.raises(ValueError, match=r"test_fraction.*1\.5"):
        nnlib.load_digits_split(np.random.default_rng(0), test_fraction=1.5)
