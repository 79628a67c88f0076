"""Judging one outcome: compare with the reference and name the mistake.

:func:`judge` ``(name, case, outcome) -> CheckResult`` runs no student code: it reads the plain
:class:`~autograder.checks.runner.Outcome` (possibly produced in a sandbox), computes the reference output
in this process, and walks the catalogue below in order, reporting the first diagnosis that fits.

The diagnosis codes and their meaning are :data:`CODE_MEANINGS`, in the order they are tried.

Messages name the exercise, the case and its input shapes, the output and the first differing
entry. For hidden cases they never show input or expected values.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from ..exercises import get_exercise
from .compare import allclose, batch_size, close, low_precision, value_lines
from .kinds import judge_bumps, judge_xor_training, judge_xor_weights
from .messages import CheckResult, Finding, describe_inputs, format_message, index_text
from .mistakes import MISTAKES, UPDATES, Mistake
from .oracles import oracle_output
from .runner import (
    LAYOUTS,
    SLOW_SECONDS,
    Leaf,
    Model,
    Outcome,
    OutputProblem,
    Seq,
    Tup,
    call,
    normalize_output,
    single_thread,
)
from .wire import Case, resolve

__all__ = ["CODES", "CODE_MEANINGS", "CheckResult", "Finding", "Mistake", "conforms", "describe_inputs",
           "judge", "reference_output"]

#: Every diagnosis, in the order the catalogue tries them, with what it means (the class report
#: prints these for the instructor).
CODE_MEANINGS = {
    "not_implemented": "raises NotImplementedError (the stub) or returns None",
    "exception": "any other error: its type, message and the student's own line",
    "wrong_type": "the result is not the right kind of thing (tuple arity, model...)",
    "mutates_input": "an input array was changed in place",
    "wrong_shape": "an output has the wrong shape (expected vs got)",
    "transposed": "an output is the transpose of the expected one",
    "bias_grad_not_reduced": "a bias gradient kept the batch axis: (N, n_out) for (n_out,)",
    "not_finite": "NaN or inf where the reference is finite (and where)",
    "unstable": "right on small inputs, NaN/inf/overflow warnings on large ones",
    "missing_activation_derivative": "a backward pass without the factor g'(z)",
    "derivative_of_wrong_quantity": "g'(a) where g'(z) was meant (e.g. a(1-a) of a = sigma(z) twice)",
    "wrong_sign": "the negative of the expected output (or of the expected update)",
    "off_by_batch_size": "N times too large or too small (sum vs mean over the batch)",
    "values": "none of the above: first differing entry, expected vs got",
    "wrong_dtype": "float32 in, float64 out",
    "too_slow": "> 20x slower than the vectorised reference and > 10 ms (best of 5)",
}
CODES = tuple(CODE_MEANINGS)

SLOW_RATIO = 20.0      # too_slow: this many times slower than the reference, and slower than
                       # runner.SLOW_SECONDS (the fastest of five runs)

# --- reference output --------------------------------------------------------------------------

def reference_output(name: str, case: Case):
    """The nnlib twin's normalised output on ``case`` (computed in this, trusted, process)."""
    ref = get_exercise(name).reference
    out = call(name, ref, case, timing=False)
    if out.error or out.problem or out.not_implemented:  # pragma: no cover - a bug in the checks
        raise RuntimeError(f"the reference for {name} failed on case {case.label!r}: "
                           f"{out.error or out.problem}")
    return out.output


def _time_reference(name: str, case: Case) -> float:
    ref = get_exercise(name).reference
    best = float("inf")
    with single_thread():
        for _ in range(3):
            args = resolve(tuple(case.args))
            t0 = time.perf_counter()
            normalize_output(name, ref(*args, **resolve(dict(case.kwargs))), args)
            best = min(best, time.perf_counter() - t0)
    return best


# --- walking an output --------------------------------------------------------------------------

def _leaves(layout, value, path=(), label="the result"):
    """(path, label, leaf value) for every compared leaf of a normalised output."""
    if isinstance(layout, Leaf):
        if not layout.ignore:
            yield path, label if label != "the result" else layout.name, value
    elif isinstance(layout, Tup):
        for i, (sub, v) in enumerate(zip(layout.items, value, strict=True)):
            sub_label = sub.name if isinstance(sub, Leaf | Seq) else label
            yield from _leaves(sub, v, (*path, i), sub_label)
    elif isinstance(layout, Seq):
        for i, v in enumerate(value):
            yield from _leaves(_relabel(layout, i), v, (*path, i), f"{layout.name}[{i}]")
    elif isinstance(layout, Model):
        yield path, "model.predict(X)", value


def _relabel(seq: Seq, i: int):
    """The item layout of ``seq`` with its leaves named for entry ``i`` (dW1, X_batch of batch 2)."""
    item = seq.item
    if isinstance(item, Tup):
        def name(leaf):
            if seq.style == "layer":
                return Leaf(f"{leaf.name}{i + 1}", leaf.ignore)
            if seq.style == "batch":
                return Leaf(f"batch {i + 1}'s {leaf.name}", leaf.ignore)
            return Leaf(f"{leaf.name}[{i}]", leaf.ignore)
        return Tup(tuple(name(s) if isinstance(s, Leaf) else s for s in item.items), item.name)
    if isinstance(item, Leaf):
        return Leaf(f"{seq.name}[{i}]", item.ignore)
    return item


def _seq_lengths(name, layout, expected, got, path=()):
    """A Finding if a sequence inside ``got`` has a different length than in ``expected``."""
    if isinstance(layout, Tup):
        for i, sub in enumerate(layout.items):
            f = _seq_lengths(name, sub, expected[i], got[i], (*path, i))
            if f:
                return f
    elif isinstance(layout, Seq):
        if len(got) != len(expected):
            what = {"batch": "batches", "layer": "layers"}.get(layout.style, "entries")
            verb = "yields" if layout.style == "batch" else "has"
            return Finding("wrong_shape", f"{name if path == () else layout.name} {verb} "
                           f"{len(got)} {what}, expected {len(expected)}")
        for i in range(len(got)):
            f = _seq_lengths(name, layout.item, expected[i], got[i], (*path, i))
            if f:
                return f
    return None


def _at(value, path):
    for i in path:
        value = value[i]
    return value


# --- comparing one leaf -----------------------------------------------------------------------

def _shape_finding(name, label, E, G, low, case):
    N = batch_size(case)
    if E.ndim == 2 and G.shape == E.shape[::-1]:
        if allclose(E, G.T, low):
            return Finding("transposed", f"{label} is the transpose of the expected result: "
                           f"got shape {G.shape}, expected {E.shape}",
                           hint=_TRANSPOSE_HINTS.get(name, _TRANSPOSE_HINTS[None]))
        return Finding("wrong_shape", f"{label} has shape {G.shape}, expected {E.shape} "
                       "(the transposed shape, and the values differ too)")
    if (G.ndim == E.ndim + 1 and G.shape[1:] == E.shape and N is not None and G.shape[0] == N
            and label.startswith("db")):
        return Finding("bias_grad_not_reduced",
                       f"{label} has shape {G.shape}, expected {E.shape}: it still has the batch "
                       f"axis (N={N})",
                       hint="the bias is shared by every example, so its gradient sums the "
                            "per-example gradients over the batch: db = dZ.sum(axis=0)")
    hint = ""
    if G.ndim == E.ndim + 1 and G.shape[-1] == 1 and G.shape[:-1] == E.shape:
        hint = "drop the trailing axis of length 1 (index it with [:, 0], or .ravel())"
    elif E.ndim == 0 and G.size == 1:
        hint = "return a number, e.g. float(...)"
    elif G.ndim == E.ndim + 1 and G.shape[1:] == E.shape:
        hint = "it has an extra leading axis: did you forget to sum or average over the batch?"
    return Finding("wrong_shape", f"{label} has shape {G.shape}, expected {E.shape}", hint=hint)


_TRANSPOSE_HINTS = {
    None: "check the order of the factors of each matrix product and the shapes in the docstring",
    "dense_backward": "dW must have W's shape (n_out, n_in): dW = dZ.T @ X, not X.T @ dZ",
    "mlp_loss_and_grads": "each dW must have W's shape (n_out, n_in): dW = delta.T @ A_prev",
    "dense_forward": "Z has one row per example: Z = X @ W.T + b has shape (N, n_out)",
}


def _compare_leaf(name, case, path, label, E, G, variants, starts):
    """A Finding for one leaf (expected E, got G), or None when it is right."""
    low = low_precision(case, E)
    E, G = np.asarray(E), np.asarray(G)
    if E.ndim == 0 and G.shape == (1,):
        G = G.reshape(())
    if G.shape != E.shape:
        return _shape_finding(name, label, E, G, low, case)
    if G.dtype.kind == "b":
        G = G.astype(np.int64) if E.dtype.kind in "iu" else G.astype(E.dtype)
    if E.dtype.kind in "iu" and G.dtype.kind == "f" and np.all(np.isfinite(G)):
        G = G.astype(np.float64)
    finite_E = np.isfinite(E.astype(np.float64))
    bad = finite_E & ~np.isfinite(G.astype(np.float64))
    if bad.any():
        index = tuple(np.argwhere(bad)[0]) if E.ndim else ()
        kinds = sorted({"NaN" if np.isnan(v) else "inf" for v in np.atleast_1d(G[bad])})
        what = " and ".join(kinds)
        lines = ([f"first at {label}{index_text(index)}; {int(bad.sum())} of {E.size} entries are not "
                  "finite"] if E.ndim else [])
        if case.extreme:
            return Finding("unstable", f"{label} has {what} on large inputs, where the "
                           "expected values are finite", lines,
                           hint=_STABILITY_HINTS.get(name, _STABILITY_HINTS[None]))
        if E.ndim == 0:
            return Finding("not_finite", f"{label} is {what} where a finite number is expected",
                           hint="look for a division by zero or the log of zero")
        return Finding("not_finite", f"{label} contains {what} where the expected values are "
                       "finite", lines)
    if np.all(close(E, G, low)):
        return None
    # a known mistake?
    for mistake, variant in variants:
        try:
            V = np.asarray(_at(variant, path))
        except (IndexError, TypeError, KeyError):
            continue
        if V.shape == G.shape and not allclose(E, V, low) and allclose(V, G, low):
            return Finding(mistake.code, mistake.headline.format(leaf=label, name=name),
                           value_lines=value_lines(label, E, G, low), hint=mistake.hint)
    if path in starts:
        S = np.asarray(starts[path], dtype=np.float64)
        step_e, step_g = E.astype(np.float64) - S, G.astype(np.float64) - S
        if np.any(np.abs(step_e) > 1e-12) and allclose(-step_e, step_g, low):
            return Finding("wrong_sign", f"{label} moves the wrong way: the update has the wrong "
                           "sign", value_lines=value_lines(label, E, G, low),
                           hint="gradient descent subtracts lr times the gradient of the loss; "
                                "check the sign of each term of the update")
    nz = np.abs(E.astype(np.float64)) > 1e-12
    if nz.any() and allclose(-E, G, low):
        return Finding("wrong_sign", f"{label} has the wrong sign: it is the negative of the "
                       "expected result", value_lines=value_lines(label, E, G, low))
    if E.ndim == 2 and E.shape[0] == E.shape[1] and E.shape[0] > 1 and allclose(E.T, G, low) \
            and not allclose(E, E.T, low):
        return Finding("transposed", f"{label} is the transpose of the expected result",
                       value_lines=value_lines(label, E, G, low),
                       hint=_TRANSPOSE_HINTS.get(name, _TRANSPOSE_HINTS[None]))
    N = batch_size(case)
    if N and N > 1 and nz.any():
        for ratio, word in ((N, "large"), (1 / N, "small")):
            if allclose(ratio * E.astype(np.float64), G.astype(np.float64), low):
                how = ("summed over the batch instead of averaged" if word == "large"
                       else "averaged over the batch instead of summed")
                return Finding("off_by_batch_size", f"{label} looks {how}: it is {N}x too {word}",
                               value_lines=value_lines(label, E, G, low),
                               hint=_BATCH_HINTS.get((name, word), _BATCH_HINTS[(None, word)]))
    if case.extreme:
        return Finding("unstable", f"{label} is wrong on large inputs (|z| up to 1e3) although "
                       "smaller inputs were fine", value_lines=value_lines(label, E, G, low),
                       hint=_STABILITY_HINTS.get(name, _STABILITY_HINTS[None]))
    return Finding("values", f"{label} has wrong values",
                   value_lines=value_lines(label, E, G, low))


_BATCH_HINTS = {
    (None, "large"): "the loss is a mean over the batch, so its gradient carries a 1/N",
    (None, "small"): "a gradient flowing in from above (dZ, dA) already carries the 1/N of "
                     "the mean loss: sum over the batch, do not divide by N again",
    ("softmax_cross_entropy", "large"): "the loss is the mean over the N examples, and "
                                        "dZ = (softmax(Z) - onehot(y)) / N",
    ("mlp_loss_and_grads", "large"): "the loss is a mean: the output delta is (a - y) / N, "
                                     "and the layers below sum over the batch",
}

_STABILITY_HINTS = {
    None: "exp of a large number overflows: rewrite the formula so that only exp of numbers "
          "<= 0 is taken",
    "sigmoid_prime": "compute a = sigmoid(z) with a stable sigmoid (exp(-|z|) only), then "
                     "a * (1 - a)",
    "neuron_forward": "use a stable sigmoid: exp(-|z|), with the two forms for z >= 0 and z < 0",
    "softmax": "subtract each row's maximum before exp: it cancels in the ratio but keeps every "
               "exponent <= 0",
    "log_softmax": "use z - max - log(sum(exp(z - max))) (log-sum-exp), never log(softmax(z))",
    "softmax_cross_entropy": "compute the loss from log_softmax (log-sum-exp with the max "
                             "subtracted), not log(softmax)",
}


# --- the judge ---------------------------------------------------------------------------------

def _variants(name, case):
    """(mistake, normalised output of that mistake on this case) for the exercise's mistakes."""
    out = []
    for mistake in MISTAKES.get(name, ()):
        if mistake.applies is not None and not mistake.applies(case):
            continue
        args = resolve(tuple(case.args))
        try:
            with np.errstate(all="ignore"):
                raw = mistake.fn(*args, **resolve(dict(case.kwargs)))
            out.append((mistake, normalize_output(name, raw, args)))
        except (ArithmeticError, ValueError, TypeError, IndexError, OutputProblem):
            continue
    return out


def _starts(name, case):
    spec = UPDATES.get(name)
    return spec(case.args) if spec else {}


MAX_ENTRIES = 10_000_000  # larger outputs are not compared (a sandboxed student could send any size)


def conforms(layout, value) -> bool:
    """Whether ``value`` has the structure :func:`~autograder.checks.runner.normalize_output` gives for
    ``layout``. Outcomes read from a sandbox are checked with this before they are judged."""
    if isinstance(layout, Leaf):
        if layout.ignore:
            return value is None
        return (isinstance(value, np.ndarray) and value.dtype.kind in "biuf"
                and value.size <= MAX_ENTRIES)
    if isinstance(layout, Model):
        return conforms(Leaf("p"), value)
    if isinstance(layout, Tup):
        return (isinstance(value, tuple) and len(value) == len(layout.items)
                and all(conforms(sub, v) for sub, v in zip(layout.items, value, strict=True)))
    if isinstance(layout, Seq):
        return isinstance(value, list) and len(value) <= 100_000 and all(
            conforms(layout.item, v) for v in value)
    return False


def _find(name: str, case: Case, outcome: Outcome) -> tuple[Finding | None, object]:
    ex = get_exercise(name)
    if outcome.not_implemented:
        if outcome.returned == "None":
            return Finding("not_implemented", f"{name} returned None: did you forget the "
                           "`return` statement?"), None
        return Finding("not_implemented", f"{name} is not written yet: replace "
                       "`raise NotImplementedError()` with your code"), None
    if outcome.error:
        e = outcome.error
        lines = []
        if e.get("lineno"):
            lines.append(f"at line {e['lineno']} of your code" + (f": {e['line']}" if e.get("line")
                                                                   else ""))
        message = str(e.get("message", "")).strip()
        return Finding("exception", f"{name} raised {e.get('type')}" + (f": {message}" if message
                                                                       else ""), lines,
                       hint=_exception_hint(e)), None
    if outcome.problem:
        problem = outcome.problem
        return Finding("wrong_type", f"{name} {problem[3:]}" if problem.startswith("it ")
                       else problem), None
    if not conforms(LAYOUTS[name], outcome.output):
        return Finding("wrong_type", f"{name}'s result could not be read as "
                       f"{_layout_words(LAYOUTS[name])}"), None
    tol = ex.options.get("mutation_tolerance", 0.0) if name != "numerical_gradient" else 1e-12
    mutated = {k: v for k, v in outcome.mutated.items() if v > tol}
    if mutated:
        which = ", ".join(sorted(mutated))
        hint = ("restore x[i] to its old value after each pair of evaluations"
                if name == "numerical_gradient" else
                "work on new arrays (w = w + ..., X @ W.T + b) or a copy (x = x.copy()); "
                "in-place operations such as X += ..., w -= ..., X[i] = ... change the "
                "caller's array")
        return Finding("mutates_input", f"{name} changed its input {which} in place", hint=hint), None
    if ex.kind == "xor_weights":
        return judge_xor_weights(outcome.output), None
    if ex.kind == "xor_training":
        return judge_xor_training(outcome.output), None
    expected = reference_output(name, case)
    if ex.kind == "bump_network":
        return judge_bumps(case, expected, outcome.output), expected
    got = outcome.output
    layout = LAYOUTS[name]
    f = _seq_lengths(name, layout, expected, got)
    if f:
        return f, expected
    variants = None
    starts = _starts(name, case)
    pairs = list(zip(_leaves(layout, expected), _leaves(layout, got), strict=True))
    for (path, label, E), (_, _, G) in pairs:
        if variants is None and not allclose(E, G, low_precision(case, E)):
            variants = _variants(name, case)
        f = _compare_leaf(name, case, path, label, E, G, variants or [], starts)
        if f:
            return f, expected
    # an oracle independent of nnlib (central differences of the forward pass, or analytic)
    oracle = oracle_output(name, case)
    if oracle is not None:
        for (path, label, _, G) in ((p, lab, E, G) for (p, lab, E), (_, _, G) in pairs):
            O = np.asarray(_at(oracle, path))
            if O.shape == np.shape(G) and not allclose(O, G, False, loose=100.0):
                return Finding("values", f"{label} disagrees with a finite-difference check of "
                               "the forward pass",
                               value_lines=value_lines(label, O, np.asarray(G), True)), expected
    if case.extreme:
        warned = [w for w in outcome.warnings if w.startswith("RuntimeWarning")]
        if warned:
            return Finding("unstable", "the values are right but NumPy warned on large inputs "
                           f"(|z| up to 1e3): {warned[0].split(': ', 1)[-1]}",
                           hint=_STABILITY_HINTS.get(name, _STABILITY_HINTS[None])), expected
    for (_, label, E), (_, _, G) in pairs:
        E, G = np.asarray(E), np.asarray(G)
        if E.dtype == np.float32 and G.dtype == np.float64 and E.ndim >= 1:
            return Finding("wrong_dtype", f"{label} is float64 but the inputs are float32: the "
                           "dtype should follow the input",
                           hint="make new arrays with the input's dtype (np.zeros_like(Z), "
                                "np.eye(K, dtype=Z.dtype), dtype=X.dtype) and avoid "
                                ".astype(float) and np.float64(...) constants"), expected
    if case.timing and outcome.seconds is not None and outcome.seconds > SLOW_SECONDS \
            and ex.options.get("vectorised"):
        ref = _time_reference(name, case)
        ratio = outcome.seconds / max(ref, 1e-9)
        if ratio > SLOW_RATIO:
            N = batch_size(case) or 0
            return Finding("too_slow", f"{name} took {outcome.seconds * 1e3:.0f} ms on a batch of {N} "
                           f"examples, {ratio:.0f}x longer than the vectorised reference "
                           f"({ref * 1e3:.1f} ms): it looks like a Python loop over the examples",
                           hint="replace the Python loop over examples by whole-array NumPy "
                                "expressions (matrix products, element-wise operations)"), expected
    return None, expected


def _layout_words(layout) -> str:
    if isinstance(layout, Tup):
        return f"{len(layout.items)} values"
    if isinstance(layout, Seq):
        return "a list"
    return "a number or an array"


def _exception_hint(e: dict) -> str:
    msg = e.get("message", "")
    if e.get("type") == "ValueError" and "matmul" in msg:
        return "check the shapes: X (N, n_in), W (n_out, n_in), so Z = X @ W.T + b"
    if e.get("type") == "NameError":
        return "a name used in the function is not defined (run the set-up cell; spelling?)"
    return ""


def judge(name: str, case: Case, outcome: Outcome) -> CheckResult:
    """Compare ``outcome`` (the student's, on ``case``) with the reference and diagnose.

    Pure with respect to student code: it runs only the reference and the checks' own code.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # nothing the checks compute may reach stderr
        finding, expected = _find(name, case, outcome)
    if finding is None:
        return CheckResult(True, f"✓ {name}: {case.label}: passed.", None, name, case,
                           outcome.output, expected, hidden=case.hidden)
    if finding.code not in CODES:  # pragma: no cover
        raise AssertionError(f"unknown diagnosis {finding.code}")
    return CheckResult(False, format_message(name, case, finding), finding.code, name, case,
                       outcome.output, expected, hidden=case.hidden)

