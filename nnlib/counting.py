"""Counting a network's parameters, and the famous networks of the lectures.

A dense layer from ``n_in`` to ``n_out`` units has ``n_in * n_out`` weights and ``n_out`` biases,
so ``[d, M, 1]`` has ``(d + 1) M + (M + 1)`` parameters (UC Irvine's formula).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BYTES_PER_PARAMETER",
    "FAMOUS_NETWORKS",
    "Network",
    "count_parameters",
    "memory_bytes",
    "uci_estimate",
]

#: Bytes to store one parameter in each floating-point format.
BYTES_PER_PARAMETER = {"float64": 8, "float32": 4, "float16": 2, "int8": 1}


def count_parameters(layer_sizes, bias: bool = True) -> int:
    """Number of weights (and biases) of a fully connected net with these layer sizes.

    ``sum_l n_{l-1} n_l`` weights, plus ``sum_l n_l`` biases over the non-input layers.

    >>> count_parameters([3, 4, 2])         # (3*4 + 4) + (4*2 + 2) = 16 + 10
    26
    >>> count_parameters([784, 200, 200, 10])
    199210
    """
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs an input and at least one layer, got {sizes}")
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, int) or s < 1:
            raise ValueError(f"layer sizes must be positive integers, got {s!r} in {sizes}")
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    return weights + (sum(sizes[1:]) if bias else 0)


def uci_estimate(d: int, H: int, L: int, K: int) -> int:
    """UC Irvine's rough count ``d H + (L - 1) H^2 + H K`` (L hidden layers of H units, no biases).

    >>> uci_estimate(d=100 * 100, H=300, L=10, K=1000)   # 3,000,000 + 810,000 + 300,000
    4110000
    """
    return d * H + (L - 1) * H * H + H * K


def memory_bytes(n_params: int, dtype: str = "float32") -> int:
    """Bytes needed to store ``n_params`` parameters in ``dtype``.

    >>> memory_bytes(175_000_000_000) / 1e9   # GPT-3 in float32: 4 bytes each
    700.0
    """
    try:
        return int(n_params) * BYTES_PER_PARAMETER[dtype]
    except KeyError:
        raise ValueError(
            f"unknown dtype {dtype!r}; valid: {', '.join(BYTES_PER_PARAMETER)}"
        ) from None


@dataclass(frozen=True)
class Network:
    """A network from the lectures and its parameter count."""

    name: str
    n_params: int
    source: str
    note: str = ""

    @property
    def float32_bytes(self) -> int:
        return memory_bytes(self.n_params, "float32")


FAMOUS_NETWORKS = (
    Network("3-4-2 (one hidden layer)", count_parameters([3, 4, 2]), "UMass",
            "(3 x 4 + 4) + (4 x 2 + 2) = 26"),
    Network("3-4-3-2 (two hidden layers)", count_parameters([3, 4, 3, 2]), "UMass",
            "(4 x 4) + (5 x 3) + (4 x 2) = 39"),
    Network("MNIST 784-200-200-10", count_parameters([784, 200, 200, 10]), "UC Irvine",
            "785 x 200 + 201 x 200 + 201 x 10"),
    Network("d=10^4, 10 hidden layers of 300, K=1000", uci_estimate(10_000, 300, 10, 1000),
            "UC Irvine", "d H + (L-1) H^2 + H K, biases ignored: about 4 million"),
    Network("AlexNet (2012)", 60_000_000, "UC Irvine", "8 layers, 650k units"),
    Network("GoogLeNet (2015)", 4_000_000, "UC Irvine", "27 layers, Inception modules"),
    Network("GPT-3 (2020)", 175_000_000_000, "UC Irvine",
            "4 bytes each in float32 = 700 GB; the lecture's ~800 GB adds storage overhead"),
)
