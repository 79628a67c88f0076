"""Test cases as plain data, and how they cross a process boundary.

A :class:`Case` holds the arguments of one call of an exercise function, built only from plain
values: NumPy arrays (numeric dtypes), Python ``int``/``float``/``bool``/``str``/``None``, lists and
tuples of those, and two small *spec* objects for what is not data:

- :class:`RngSpec` ``(seed)`` becomes a fresh ``np.random.default_rng(seed)``;
- :class:`FnSpec` ``(kind, **params)`` becomes a callable from the :data:`FUNCTIONS` table (a
  test function for ``numerical_gradient``, a small model's ``loss_and_grads`` for ``sgd_epoch``).

:func:`resolve` turns specs into live objects (a fresh copy every time, so nothing a call does to
its arguments can leak into the next call). :func:`dumps` / :func:`loads` serialise any such value
(cases, outcomes) to one ``.npz`` blob: a JSON document plus the arrays, written with ``np.savez``
and read with ``allow_pickle=False``, so reading a blob never executes code.

This module does not import nnlib: the sandbox that runs student code imports it to rebuild the
cases, and must not need the reference implementations.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "FUNCTIONS",
    "Case",
    "FnSpec",
    "RngSpec",
    "WireError",
    "cases_from_wire",
    "cases_to_wire",
    "decode",
    "dumps",
    "encode",
    "loads",
    "resolve",
]


class WireError(ValueError):
    """A value that cannot be serialised, or a blob that is not a valid payload."""


@dataclass(frozen=True)
class RngSpec:
    """Stands for ``np.random.default_rng(seed)``; each :func:`resolve` gives a fresh generator."""

    seed: int

    def __repr__(self) -> str:
        return f"default_rng({self.seed})"


@dataclass(frozen=True)
class FnSpec:
    """Stands for a callable from :data:`FUNCTIONS`, built from plain ``params``."""

    kind: str
    params: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<function {self.kind}>"


@dataclass
class Case:
    """One call of an exercise function: positional ``args`` and ``kwargs`` of plain values.

    ``names`` are the parameter names of ``args`` (for messages), ``label`` says what the case is
    for ("batch of one", "extreme values"), ``tags`` mark special cases: ``"extreme"`` (large
    inputs: a failure here that small inputs did not show means the code is unstable) and
    ``"timing"`` (a large case timed against the reference). ``hidden`` cases come from a
    seed that is in no notebook; their messages never show input or expected values.
    """

    label: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    names: tuple = ()
    tags: frozenset = frozenset()
    hidden: bool = False

    @property
    def extreme(self) -> bool:
        return "extreme" in self.tags

    @property
    def timing(self) -> bool:
        return "timing" in self.tags


# --- callables a case can name -------------------------------------------------------------------

def _cubic(A, c):
    """``f(x) = 1/2 x.A x + sum(c x^3)`` over the flattened ``x``; gradient ``sym(A) x + 3 c x^2``."""
    A = np.asarray(A, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)

    def f(x):
        v = np.asarray(x, dtype=np.float64).reshape(-1)
        return float(0.5 * v @ A @ v + np.sum(c * v ** 3))

    return f


def _cubic_grad(A, c, x):
    A = np.asarray(A, dtype=np.float64)
    v = np.asarray(x, dtype=np.float64).reshape(-1)
    return ((0.5 * (A + A.T)) @ v + 3 * np.asarray(c) * v ** 2).reshape(np.shape(x))


def _tanh_mlp_loss(**_):
    """``loss_and_grads(params, X, y)`` of a tanh MLP with identity output and squared error
    ``1/N sum (out - y)^2`` (written here, not taken from nnlib, so the sandbox needs no nnlib)."""

    def loss_and_grads(params, X, y):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(len(X), -1)
        acts, A = [X], X
        for i, (W, b) in enumerate(params):
            Z = A @ np.asarray(W).T + np.asarray(b)
            A = np.tanh(Z) if i < len(params) - 1 else Z
            acts.append(A)
        N = len(X)
        diff = A - y
        loss = float(np.sum(diff * diff) / N)
        delta = 2 * diff / N
        grads = [None] * len(params)
        for i in range(len(params) - 1, -1, -1):
            grads[i] = (delta.T @ acts[i], delta.sum(axis=0))
            if i > 0:
                delta = (delta @ np.asarray(params[i][0])) * (1 - acts[i] ** 2)
        return loss, grads

    return loss_and_grads


def _cubic_of_caller_x(A, c):
    """The cubic evaluated at the *caller's* ``x``, whatever array it is given (as a loss reads a
    model's weights): :func:`resolve` binds it to the array that follows it in the same tuple."""
    g = _cubic(A, c)

    def f(_ignored):
        return g(f.caller_x)

    f.caller_x = None
    f.reads_next = True
    return f


#: kind -> factory ``(**params) -> callable``.
FUNCTIONS = {"cubic": _cubic, "cubic_of_caller_x": _cubic_of_caller_x, "tanh_mlp_loss": _tanh_mlp_loss}

#: kind -> analytic gradient ``(**params, x) -> array`` where one is known (an independent oracle).
GRADIENTS = {"cubic": _cubic_grad, "cubic_of_caller_x": _cubic_grad}


def _bind(items: tuple) -> tuple:
    """A function that reads the caller's array (``reads_next``) gets the array after it."""
    for f, x in zip(items, items[1:], strict=False):
        if getattr(f, "reads_next", False) and isinstance(x, np.ndarray):
            f.caller_x = x
    return items


def resolve(value):
    """A live copy of ``value``: specs become objects, arrays and containers are copied."""
    if isinstance(value, RngSpec):
        return np.random.default_rng(value.seed)
    if isinstance(value, FnSpec):
        try:
            factory = FUNCTIONS[value.kind]
        except KeyError:
            raise WireError(
                f"unknown function kind {value.kind!r}; valid: {', '.join(FUNCTIONS)}") from None
        return factory(**{k: resolve(v) for k, v in value.params.items()})
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return _bind(tuple(resolve(v) for v in value))
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v) for k, v in value.items()}
    return value


# --- serialisation -------------------------------------------------------------------------------

_SCALARS = (bool, int, float, str, type(None))


def encode(value, arrays: dict):
    """JSON-able form of ``value``; arrays go into ``arrays`` (name -> array)."""
    if isinstance(value, bool | int | str | type(None)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.generic):
        value = np.asarray(value)
        key = f"a{len(arrays)}"
        arrays[key] = _plain_array(value)
        return {"__scalar__": key}
    if isinstance(value, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = _plain_array(value)
        return {"__array__": key}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [encode(v, arrays) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise WireError("only dicts with string keys can be serialised")
        return {"__dict__": {k: encode(v, arrays) for k, v in value.items()}}
    if isinstance(value, RngSpec):
        return {"__rng__": int(value.seed)}
    if isinstance(value, FnSpec):
        return {"__fn__": value.kind, "params": encode(value.params, arrays)}
    if isinstance(value, Case):
        return {"__case__": {
            "label": value.label, "args": encode(tuple(value.args), arrays),
            "kwargs": encode(dict(value.kwargs), arrays), "names": list(value.names),
            "tags": sorted(value.tags), "hidden": bool(value.hidden),
        }}
    raise WireError(f"cannot serialise a {type(value).__name__}: only plain data crosses the wire")


def _plain_array(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind not in "biufcU":
        raise WireError(f"cannot serialise an array of dtype {a.dtype}: only numeric arrays")
    return np.ascontiguousarray(a)


def decode(doc, arrays):
    """Inverse of :func:`encode` (never constructs anything but plain data and specs)."""
    if isinstance(doc, _SCALARS):
        return doc
    if isinstance(doc, list):
        return [decode(v, arrays) for v in doc]
    if not isinstance(doc, dict) or len(doc) == 0:
        raise WireError(f"malformed payload entry: {type(doc).__name__}")
    if "__float__" in doc:
        text = doc["__float__"]
        if text not in ("nan", "inf", "-inf"):
            raise WireError(f"malformed float {text!r}")
        return float(text)
    if "__array__" in doc or "__scalar__" in doc:
        key = doc.get("__array__", doc.get("__scalar__"))
        if not isinstance(key, str) or key not in arrays:
            raise WireError(f"payload refers to a missing array {key!r}")
        a = np.array(arrays[key])
        return a[()] if "__scalar__" in doc else a
    if "__tuple__" in doc:
        return tuple(decode(v, arrays) for v in _as_list(doc["__tuple__"]))
    if "__dict__" in doc:
        d = doc["__dict__"]
        if not isinstance(d, dict):
            raise WireError("malformed dict")
        return {str(k): decode(v, arrays) for k, v in d.items()}
    if "__rng__" in doc:
        seed = doc["__rng__"]
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise WireError("malformed rng seed")
        return RngSpec(seed)
    if "__fn__" in doc:
        params = decode(doc.get("params", {"__dict__": {}}), arrays)
        if not isinstance(doc["__fn__"], str) or not isinstance(params, dict):
            raise WireError("malformed function spec")
        return FnSpec(doc["__fn__"], params)
    if "__case__" in doc:
        c = doc["__case__"]
        try:
            return Case(label=str(c["label"]), args=tuple(decode(c["args"], arrays)),
                        kwargs=dict(decode(c["kwargs"], arrays)),
                        names=tuple(str(n) for n in c["names"]),
                        tags=frozenset(str(t) for t in c["tags"]), hidden=bool(c["hidden"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise WireError(f"malformed case: {exc!r}") from None
    raise WireError(f"malformed payload entry with keys {sorted(doc)[:3]}")


def _as_list(x):
    if not isinstance(x, list):
        raise WireError("malformed sequence")
    return x


def dumps(value) -> bytes:
    """One ``.npz`` blob holding ``value`` (JSON + arrays, no pickle)."""
    arrays: dict = {}
    doc = encode(value, arrays)
    text = json.dumps(doc, allow_nan=False).encode()
    buf = io.BytesIO()
    np.savez(buf, __json__=np.frombuffer(text, dtype=np.uint8), **arrays)
    return buf.getvalue()


def loads(blob: bytes):
    """Inverse of :func:`dumps`; raises :class:`WireError` on anything malformed."""
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as exc:  # a corrupt or hostile blob: never trust, never crash the judge
        raise WireError(f"not a valid payload: {exc}") from None
    text = arrays.pop("__json__", None)
    if text is None or text.dtype != np.uint8:
        raise WireError("payload has no JSON document")
    try:
        doc = json.loads(text.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"payload JSON is malformed: {exc}") from None
    return decode(doc, arrays)


def cases_to_wire(cases: list[Case]) -> bytes:
    """Serialise a case list (see :func:`dumps`)."""
    return dumps(list(cases))


def cases_from_wire(blob: bytes) -> list[Case]:
    """Read a case list written by :func:`cases_to_wire`."""
    cases = loads(blob)
    if not isinstance(cases, list) or not all(isinstance(c, Case) for c in cases):
        raise WireError("payload is not a list of cases")
    return cases
