"""Judging one outcome: compare with the reference and name the mistake.

:func:`judge` ``(name, case, outcome) -> CheckResult`` runs no student code: it reads the plain
:class:`~autograder.checks.runner.Outcome` (possibly produced in a sandbox), computes the reference output
in this process, and walks the catalogue in order, reporting the first diagnosis that fits:

1. what the call did (:func:`_call_finding`): the stub, an exception, a result of the wrong type,
   an input changed in place;
2. the values, leaf by leaf (:func:`autograder.checks.leaf_findings.compare_leaf`), then against an
   oracle independent of nnlib (:mod:`.oracles`);
3. the qualities of a right answer (:func:`_quality_finding`): warnings on large inputs, the dtype,
   the speed.

The diagnosis codes and their meaning are :data:`~autograder.checks.codes.CODE_MEANINGS`, in the
order they are tried. Messages name the exercise, the case and its input shapes, the output and the
first differing entry. For hidden cases they never show input or expected values.
"""

from __future__ import annotations

import re
import time
import warnings

import numpy as np

from ..exercises import get_exercise
from .codes import CODE_MEANINGS, CODES, JUDGE_CODES
from .compare import allclose, batch_size, low_precision, value_lines
from .hints import STABILITY_HINTS, exception_hint
from .kinds import judge_bumps, judge_choice, judge_xor_training, judge_xor_weights
from .leaf_findings import comparable, compare_leaf
from .messages import CheckResult, Finding, describe_inputs, format_message
from .mistakes import MISTAKES, UPDATES, Mistake
from .oracles import oracle_output
from .output_tree import at, conforms, layout_words, leaves, seq_lengths, swapped
from .recognisers import PYTHON_INTS, general_mistakes
from .runner import LAYOUTS, SLOW_SECONDS, Outcome, OutputProblem, call, normalize_output, single_thread
from .twins import blocked_call
from .wire import Case, resolve

__all__ = ["CODES", "CODE_MEANINGS", "JUDGE_CODES", "CheckResult", "Finding", "Mistake", "conforms",
           "describe_inputs", "judge", "reference_output"]

SLOW_RATIO = 20.0      # too_slow: this many times slower than the reference, and slower than
                       # runner.SLOW_SECONDS (the fastest of five runs)


# --- the reference ---------------------------------------------------------------------------

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


def _variants(name, case):
    """(mistake, normalised output of that mistake on this case) for the exercise's mistakes."""
    out = []
    for mistake in (*MISTAKES.get(name, ()), *general_mistakes(name)):
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


def _explains(case, variant, pairs) -> bool:
    for path, _, G in (p for _, p in pairs):
        try:
            V = np.asarray(at(variant, path))
        except (IndexError, TypeError, KeyError):
            return False
        V, G = comparable(V, G)
        if V.shape != G.shape or not allclose(V.astype(np.float64), G.astype(np.float64),
                                               low_precision(case, V)):
            return False
    return True


def _starts(name, case):
    spec = UPDATES.get(name)
    return spec(case.args) if spec else {}


# --- the three stages of the catalogue ---------------------------------------------------------

def _call_finding(name: str, outcome: Outcome, case: Case | None = None) -> Finding | None:
    """What went wrong with the call itself, before any value is compared (or None)."""
    if outcome.not_implemented or _stub_error(outcome):
        if outcome.returned == "None":
            return _none_finding(name, outcome, case)
        return Finding("not_implemented", f"{name} is not written yet: replace "
                       "`raise NotImplementedError()` with your code")
    if outcome.error and blocked_call(outcome.error):
        return _refusal_finding(name, outcome.error)
    if outcome.error:
        e = outcome.error
        lines = []
        if e.get("lineno"):
            lines.append(f"at line {e['lineno']} of your code" + (f": {e['line']}" if e.get("line")
                                                                   else ""))
        message = str(e.get("message", "")).strip()
        return Finding("exception", f"{name} raised {e.get('type')}" + (f": {message}" if message
                                                                       else ""), lines,
                       hint=exception_hint(e, name, case))
    if outcome.problem:
        problem = outcome.problem
        return Finding("wrong_type", f"{name} {problem[3:]}" if problem.startswith("it ")
                       else problem)
    if not conforms(LAYOUTS[name], outcome.output):
        return Finding("wrong_type", f"{name}'s result could not be read as "
                       f"{layout_words(LAYOUTS[name])}")
    ex = get_exercise(name)
    tol = ex.options.get("mutation_tolerance", 0.0) if name != "numerical_gradient" else 1e-12
    mutated = {k: v for k, v in outcome.mutated.items() if v > tol}
    if mutated:
        which = ", ".join(sorted(mutated))
        hint = ("restore x[i] to its old value after each pair of evaluations"
                if name == "numerical_gradient" else
                "work on new arrays (w = w + ..., X @ W.T + b) or a copy (x = x.copy()); "
                "in-place operations such as X += ..., w -= ..., X[i] = ... change the "
                "caller's array")
        return Finding("mutates_input", f"{name} changed its input {which} in place", hint=hint)
    return None


def _stub_error(outcome: Outcome) -> bool:
    """The error is the stub's own NotImplementedError (raised where the runner could not catch
    it as such: at the top of an answer cell, or reported by a sandbox as a plain error)."""
    return bool(outcome.error) and outcome.error.get("type") == "NotImplementedError"


def _string_inputs(case: Case | None, line: str = "") -> list[str]:
    """The case's string arguments (activation and output names), even inside a tuple (a cache);
    only those whose argument's name ``line`` mentions (``elif output == "sigmoid":``), if any."""
    found: list[tuple[str, str]] = []

    def walk(arg, v):
        if isinstance(v, str):
            found.append((arg, v))
        elif isinstance(v, list | tuple):
            for x in v:
                walk(arg, x)

    if case is not None:
        args = resolve(tuple(case.args))
        names = list(case.names) + [f"arg{i}" for i in range(len(case.names), len(args))]
        for arg, v in [*zip(names, args, strict=False), *resolve(dict(case.kwargs)).items()]:
            walk(arg, v)
    named = [v for arg, v in found if re.search(rf"\b{re.escape(arg)}\b", line)]
    return named or [v for _, v in found]


def _none_at(outcome: Outcome) -> tuple[str, list[str]] | None:
    """``(why it is None, the line)`` when the call returned None at a ``return`` line or by
    reaching its end although the function returns a value elsewhere (``outcome.none_at``, from
    :func:`autograder.checks.runner.none_return`); None for a function with no ``return`` at all."""
    at = outcome.none_at or {}
    lines = [f"at line {at['lineno']} of your code: {at['line']}"] if at.get("line") else []
    if at.get("kind") == "return":
        return f"the `return` at line {at.get('lineno')} gives None", lines
    if at.get("kind") == "fell_through":
        return (f"it reached its end without a `return` (the last line it ran is line "
                f"{at.get('lineno')})", lines)
    return None


def _names_words(case: Case | None, line: str = "") -> str:
    return " and ".join(repr(s) for s in _string_inputs(case, line))


def _none_finding(name: str, outcome: Outcome, case: Case | None) -> Finding:
    """A call that returned None: a forgotten ``return``, a ``return`` that gives None, or no
    branch of an if/elif chain for this input."""
    found = _none_at(outcome)
    if found is None:
        return Finding("not_implemented", f"{name} returned None: did you forget the "
                       "`return` statement?")
    why, lines = found
    line = (outcome.none_at or {}).get("line", "")
    names = _string_inputs(case, line)
    words = _names_words(case, line)
    if outcome.none_at.get("kind") == "return":
        hint = ("return the result itself: a variable still None, or what print(), list.append "
                "or an in-place method such as .sort() gives, is None")
    elif len(names) == 1:
        hint = (f"{words} is a name the statement lists: your if/elif chain needs a branch for it "
                "that returns a result")
    elif names:
        hint = (f"one of {words} has no branch of your if/elif chain that returns: every name the "
                "statement lists needs one")
    else:
        hint = "every branch of your if/elif chain must end in a `return`; none does for this input"
    return Finding("not_implemented", f"{name} returned None for {words or 'this input'}: {why}",
                   lines, hint=hint)


def _refusal_finding(name: str, error: dict) -> Finding:
    function, exercise = blocked_call(error)
    lines = []
    if error.get("lineno"):
        lines.append(f"at line {error['lineno']} of your code" + (f": {error['line']}"
                                                                 if error.get("line") else ""))
    if exercise == name:
        hint = (f"write {name} yourself with NumPy, from the formula in the statement; nnlib's "
                "reference is what your answer is compared with")
    else:
        hint = (f"call your own {exercise}() from earlier in this notebook instead (answers may use "
                "NumPy, helpers in their own cell and your earlier answers), or write it out "
                "with NumPy")
    return Finding("calls_reference", f"{name} calls nnlib.{function}, the reference answer of the "
                   f"exercise {exercise}: answers may not call it (grading refuses it too)", lines,
                   hint=hint)


def _value_finding(name: str, case: Case, pairs) -> Finding | None:
    """How the output's values differ from the reference's and from the oracle's (or None)."""
    variants = None
    starts = _starts(name, case)
    for (path, label, E), (_, _, G) in pairs:
        if variants is None and not allclose(E, G, low_precision(case, E)):
            # a known mistake names the answer only if it explains every compared output
            variants = [(m, v) for m, v in _variants(name, case) if _explains(case, v, pairs)]
        f = compare_leaf(name, case, path, label, E, G, variants or [], starts)
        if f:
            return f
    # an oracle independent of nnlib (central differences of the forward pass, or analytic)
    oracle = oracle_output(name, case)
    if oracle is not None:
        for (path, label, _), (_, _, G) in pairs:
            O = np.asarray(at(oracle, path))
            if O.shape == np.shape(G) and not allclose(O, G, False, loose=100.0):
                return Finding("values", f"{label} disagrees with a finite-difference check of "
                               "the forward pass",
                               value_lines=value_lines(label, O, np.asarray(G), True))
    return None


#: Where an integer output came back as floats: what to do, per exercise (None: any other).
INTEGER_HINTS = {
    "perceptron_predict": "np.where(X @ w + b > 0, 1, -1) gives an int array (1.0 and -1.0 give floats)",
    "perceptron_epoch": "count the mistakes with a Python int (n_mistakes = 0, then n_mistakes += 1), "
                        "not 0.0 or np.float64",
    None: "integer arithmetic stays integer: no division and no float constants (1.0); or convert "
          "at the end with .astype(int) (an array) or int(...) (a number)",
}

def _python_int_finding(name: str, outcome: Outcome) -> Finding | None:
    """The right number, but not a Python int where the statement asks for one (``returned``, the
    runner's description of the raw value, says which type it is: 'an int64 (np.int64(26))')."""
    m = re.match(r"an? (\w+) \((.*)\)$", outcome.returned)
    if m is None or m.group(1) == "int":
        return None
    kind, value = m.groups()
    what = f"a Python float ({value})" if kind == "float" else f"NumPy's {kind} ({value})"
    label = PYTHON_INTS[name]
    why = ("NumPy's integers wrap around past 2**63 (about 9.2e18) and give a wrong count"
           if "int" in kind else "a float is not a count, and loses digits past 2**53")
    hint = ("count with Python ints: sum(n_in * n_out for ...) over the list itself, not over "
            "np.array(layer_sizes); int(...) at the end fixes the type, but past 2**63 NumPy has "
            "wrapped the count before int(...) sees it" if "int" in kind else
            "return int(...) of the count, or better keep Python ints throughout (n_in * n_out and "
            "sum(...) of the list's ints; no float(...), no division, no dtype=float)")
    return Finding("wrong_dtype", f"{label} has the right value but {name} returned {what}; the "
                   f"statement asks for a Python int: {why}", hint=hint)


def _quality_finding(name: str, case: Case, outcome: Outcome, pairs) -> Finding | None:
    """Right values, but: NumPy warned on large inputs, the dtype is lost, or it is too slow."""
    if case.extreme:
        warned = [w for w in outcome.warnings if w.startswith("RuntimeWarning")]
        if warned:
            return Finding("unstable", "the values are right but NumPy warned on large inputs "
                           f"(|z| up to 1e4): {warned[0].split(': ', 1)[-1]}",
                           hint=STABILITY_HINTS.get(name, STABILITY_HINTS[None]))
    if name in PYTHON_INTS:
        f = _python_int_finding(name, outcome)
        if f:
            return f
    for (_, label, E), (_, _, G) in pairs:
        E, G = np.asarray(E), np.asarray(G)
        if E.dtype == np.float32 and G.dtype == np.float64 and E.ndim >= 1:
            return Finding("wrong_dtype", f"{label} is float64 but the inputs are float32: the "
                           "dtype should follow the input",
                           hint="make new arrays with the input's dtype (np.zeros_like(Z), "
                                "np.eye(K, dtype=Z.dtype), dtype=X.dtype) and avoid "
                                ".astype(float) and np.float64(...) constants")
        if E.dtype.kind == "f" and G.dtype.kind in "biu":
            what = "a boolean" if G.dtype.kind == "b" else "an integer"
            return Finding("wrong_dtype", f"{label} is {what} array; the statement asks for floats of the "
                           "input's dtype", hint="convert the comparison to the input's dtype: "
                           "(z > 0).astype(z.dtype), or np.where(z > 0, 1.0, 0.0).astype(z.dtype)")
        if E.dtype.kind in "iu" and G.dtype.kind == "f":
            return Finding("wrong_dtype", f"{label} holds floats; the statement asks for integers",
                           hint=INTEGER_HINTS.get(name, INTEGER_HINTS[None]))
    if get_exercise(name).options.get("generator") and outcome.returned.startswith(("a list", "a tuple")):
        return Finding("wrong_type", f"{name} returned {outcome.returned}; the statement asks for a "
                       "generator", hint="write `yield X[idx], y[idx]` inside the loop instead of "
                                         "collecting the batches in a list")
    if case.timing and outcome.seconds is not None and outcome.seconds > SLOW_SECONDS \
            and get_exercise(name).options.get("vectorised"):
        ref = _time_reference(name, case)
        ratio = outcome.seconds / max(ref, 1e-9)
        if ratio > SLOW_RATIO:
            N = batch_size(case) or 0
            return Finding("too_slow", f"{name} took {outcome.seconds * 1e3:.0f} ms on a batch of {N} "
                           f"examples, {ratio:.0f}x longer than the vectorised reference "
                           f"({ref * 1e3:.1f} ms): it looks like a Python loop over the examples",
                           hint="replace the Python loop over examples by whole-array NumPy "
                                "expressions (matrix products, element-wise operations)")
    return None


def expected_error(case: Case) -> str | None:
    """The exception type a case must raise (tag ``raises:ValueError``), or None."""
    for tag in case.tags:
        if tag.startswith("raises:"):
            return tag.split(":", 1)[1]
    return None


def _raises_finding(name: str, case: Case, want: str, outcome: Outcome) -> Finding | None:
    """The verdict on a case whose inputs the statement calls invalid: it must raise ``want``."""
    e = outcome.error
    if e and e.get("type") == want:
        return None
    none = _none_at(outcome) if outcome.not_implemented else None
    if (outcome.not_implemented and none is None) or _stub_error(outcome) or (e and blocked_call(e)):
        return _call_finding(name, outcome, case)
    hint = ("check the name before anything else, e.g. if output not in (\"softmax\", \"sigmoid\", "
            f"\"identity\"): raise {want}(f\"unknown output {{output!r}}\"); nnlib.get_activation "
            f"raises {want} for an unknown activation name")
    lines = []
    if e and e.get("lineno"):
        lines.append(f"at line {e['lineno']} of your code" + (f": {e['line']}" if e.get("line") else ""))
    if none is not None:
        why, lines = none
        words = _names_words(case, (outcome.none_at or {}).get("line", ""))
        return Finding("missing_error", f"{name} returned None for an invalid argument"
                       + (f" ({words})" if words else "") + f", where the statement asks for a {want}: "
                       + why, lines, hint=hint)
    did = (f"raised {e.get('type')}: {str(e.get('message', '')).strip()}" if e
           else f"returned {outcome.returned or 'a result'}")
    return Finding("missing_error", f"{name} {did} for an invalid argument, where the statement "
                   f"asks for a {want}", lines, hint=hint)


def _find(name: str, case: Case, outcome: Outcome) -> tuple[Finding | None, object]:
    want = expected_error(case)
    if want:
        return _raises_finding(name, case, want, outcome), None
    f = _call_finding(name, outcome, case)
    if f:
        return f, None
    kind = get_exercise(name).kind
    if kind == "xor_weights":
        return judge_xor_weights(outcome.output), None
    if kind == "xor_training":
        return judge_xor_training(outcome.output, case, outcome.rng_runs), None
    if kind == "choice":
        return judge_choice(name, outcome.output), None
    expected = reference_output(name, case)
    if kind == "bump_network":
        return judge_bumps(case, expected, outcome.output), expected
    layout = LAYOUTS[name]
    f = swapped(name, layout, expected, outcome.output) or seq_lengths(name, layout, expected,
                                                                         outcome.output)
    if f:
        return f, expected
    pairs = list(zip(leaves(layout, expected), leaves(layout, outcome.output), strict=True))
    return _value_finding(name, case, pairs) or _quality_finding(name, case, outcome, pairs), expected


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
    if finding.code not in JUDGE_CODES:  # pragma: no cover
        raise AssertionError(f"unknown diagnosis {finding.code}")
    return CheckResult(False, format_message(name, case, finding), finding.code, name, case,
                       outcome.output, expected, hidden=case.hidden)
