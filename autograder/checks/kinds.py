"""Judges for exercises whose answer is not compared entry by entry with the reference.

- ``xor_weights``: any weights for which ``relu(X W^T + c) . w`` is exactly XOR on the four points;
- ``xor_training``: the trained model's predictions on the four points must be XOR, and (a case
  tagged ``rng_pair``) the rng must decide the model: another rng another model, still XOR, the
  same rng the same model (:func:`judge_rng_contract`);
- ``bump_network``: the *function* the parameters compute (on a grid) must match the reference's,
  so any order of the hidden units passes, and the shapes must be ``(2m, 1), (2m,), (1, 2m), (1,)``;
- ``choice``: the letter's hash must be the stored answer's (:mod:`.choices`); a wrong letter is told
  why that choice is wrong (:func:`judge_choice`).
"""

from __future__ import annotations

import numpy as np

import nnlib

from .choices import CHOICES, answer_hash
from .compare import allclose, first_diff, value_lines
from .messages import Finding, num

__all__ = ["choice_explanation", "judge_bumps", "judge_choice", "judge_rng_contract", "judge_xor_training",
           "judge_xor_weights"]


_XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


def judge_choice(name: str, letter: str):
    """None if ``letter`` (normalised: one allowed lower-case letter) is the answer of question
    ``name``; else a ``wrong_choice`` finding with the explanation of that letter."""
    question = CHOICES[name]
    if answer_hash(name, letter) == question.answer:
        return None
    return Finding("wrong_choice", f'{name} returned "{letter}", which is not the answer: '
                   f"{question.why[letter]}",
                   hint="read the question again with this in mind: one of the other letters is right")


def choice_explanation(name: str, letter: str) -> str:
    """Why ``letter`` is the answer of ``name`` (shown with the ✓; '' if it is not the answer)."""
    question = CHOICES[name]
    return question.why[letter] if answer_hash(name, letter) == question.answer else ""


def judge_xor_weights(got):
    W, c, w = (np.asarray(a, dtype=np.float64) for a in got)
    if W.ndim != 2 or W.shape[1] != 2 or W.shape[0] > 1000 or c.shape != (W.shape[0],) \
            or w.shape != (W.shape[0],):
        return Finding("wrong_shape", f"the weights have shapes W {W.shape}, c {c.shape}, "
                       f"w {w.shape}; with H hidden units they must be W (H, 2), c (H,), w (H,)")
    with np.errstate(all="ignore"):
        y = nnlib.xor_network(_XOR_X, W, c, w)
    fmt = "[" + ", ".join(num(v) for v in y) + "]"
    if not np.all(np.isfinite(y)):
        return Finding("not_finite", f"your network computes {fmt} on the four XOR points")
    if np.allclose(y, _XOR_Y, rtol=0, atol=1e-9):
        return None
    if np.allclose(-y, _XOR_Y, rtol=0, atol=1e-9):
        return Finding("wrong_sign", f"your network computes {fmt} on (0,0), (0,1), (1,0), (1,1): "
                       "the negative of XOR [0, 1, 1, 0]", hint="flip the sign of w")
    return Finding("values", f"your network computes {fmt} on (0,0), (0,1), (1,0), (1,1); "
                   "XOR is [0, 1, 1, 0]",
                   hint="y = w . relu(W x + c): work out each hidden unit on the four points "
                        "by hand")


def judge_xor_training(got, case=None, runs=None):
    """The predictions ``got`` on the four points; then, if the runner recorded them
    (:func:`autograder.checks.runner.rng_runs`), the rng contract."""
    f = _xor_predictions(got, "the trained model predicts")
    if f is None and case is not None and runs is not None:
        return judge_rng_contract(case, runs)
    return f


def _same(a, b) -> bool:
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-7, atol=1e-12)


def judge_rng_contract(case, runs):
    """Another rng must give another model that still predicts XOR, and the same rng the same
    model. ``runs`` holds the models' probabilities on fixed probe points; where they could not be
    read (a model without ``__call__``, ``forward`` or ``predict_proba``), nothing is judged."""
    seeds = [a.seed for a in case.args if hasattr(a, "seed")]
    tags = [t for t in case.tags if t.startswith("rng_pair:")]
    if not seeds or not tags:
        return None
    seed, other = (("the hidden seed", "a second hidden seed") if case.hidden else
                   (str(seeds[0]), tags[0].split(":", 1)[1]))
    first_rng, other_rng = f"rng = default_rng({seed})", f"rng = default_rng({other})"
    if runs.get("error"):
        return Finding("exception", f"called again with another rng ({other_rng}), train_xor "
                       f"failed: {runs['error']}")
    if runs.get("other_predict") is not None:
        f = _xor_predictions(runs["other_predict"], f"with another rng ({other_rng}) the trained "
                             "model predicts",
                             hint="the graded test uses fresh seeds: choose a width, learning rate "
                                  "and number of epochs that succeed for essentially every seed "
                                  "(try ten seeds yourself)")
        if f is not None:
            return f
    first, other_fp, again = (runs.get(k) for k in ("first", "other", "again"))
    if first is None or other_fp is None or again is None:
        return None
    if _same(first, other_fp):
        return Finding("rng_ignored", f"two different generators, {first_rng} and "
                       f"{other_rng}, give exactly the same trained model (the same "
                       f"probabilities on {len(first)} probe points): the rng argument is not used",
                       hint="pass the rng argument on: nnlib.MLP([2, H, 2], ..., rng=rng); no "
                            "np.random.seed, and no generator of your own such as "
                            "np.random.default_rng(0)")
    if not _same(first, again):
        return Finding("rng_ignored", f"called twice with the same generator, {first_rng}, "
                       "train_xor gives two different trained models: some randomness comes from "
                       "outside the rng argument (NumPy's global np.random.* functions, or a fresh "
                       "np.random.default_rng() inside the function)",
                       hint="draw every random number from the rng argument (rng.normal, "
                            "rng.standard_normal, rng.permutation) and pass rng=rng to nnlib.MLP "
                            "and nnlib.train")
    return None


def _xor_predictions(got, words, hint=None):
    p = np.asarray(got)
    if p.size != 4:
        return Finding("wrong_shape", f"model.predict on the 4 XOR points returned shape "
                       f"{p.shape}, expected (4,)")
    p = p.reshape(-1).astype(np.float64)
    fmt = "[" + ", ".join(num(v) for v in p) + "]"
    if not np.all(np.isfinite(p)):
        return Finding("not_finite", f"model.predict gives {fmt} on the four XOR points")
    if np.array_equal(p, _XOR_Y):
        return None
    hint = hint or ("predict should return class labels 0 or 1, not probabilities"
            if np.any((p != 0) & (p != 1)) else
            "train longer, try another learning rate or more hidden units, and check that "
            "the hidden layer has a non-linear activation")
    return Finding("values", f"{words} {fmt} on (0,0), (0,1), (1,0), (1,1); "
                   "XOR is [0, 1, 1, 0]", hint=hint)


def judge_bumps(case, expected, got):
    m = len(case.args[1])
    want = [((2 * m, 1), (2 * m,)), ((1, 2 * m), (1,))]
    if len(got) != 2:
        return Finding("wrong_shape", f"params should have 2 layers [(W1, b1), (W2, b2)], got "
                       f"{len(got)}")
    names = [("W1", "b1"), ("W2", "b2")]
    for (W, b), shapes, labels in zip(got, want, names, strict=True):
        for arr, shape, label in zip((W, b), shapes, labels, strict=True):
            arr = np.asarray(arr)
            if arr.shape != shape:
                code = "transposed" if arr.shape == shape[::-1] and len(shape) == 2 else \
                    "wrong_shape"
                return Finding(code, f"{label} has shape {arr.shape}, expected {shape} "
                               f"(2 hidden units per bump, {m} bump{'s' * (m > 1)})",
                               hint="W1 (2m, 1), b1 (2m,), W2 (1, 2m), b2 (1,)")
    knots = np.asarray(case.args[0], dtype=np.float64)
    width = knots[-1] - knots[0]
    grid = np.linspace(knots[0] - 0.25 * width, knots[-1] + 0.25 * width, 401).reshape(-1, 1)
    with np.errstate(all="ignore"):
        E = nnlib.bump_forward(grid, expected)
        G = nnlib.bump_forward(grid, [(np.asarray(W, float), np.asarray(b, float)) for W, b in got])
    if not np.all(np.isfinite(G)):
        return Finding("not_finite", "the network you built outputs NaN or inf")
    if allclose(E, G, False, loose=100.0):
        return None
    label = "the network's output f(x)"
    if allclose(-E, G, False, loose=100.0):
        return Finding("wrong_sign", f"{label} is the negative of the expected bumps",
                       hint="rising edge +height, falling edge -height")
    lines = value_lines("f(x) on a grid of 401 points, at grid point", E, G, False)
    i = first_diff(E, G, False)
    if not case.hidden:
        lines.append(f"(x = {num(grid[i][0])})")
    return Finding("values", f"{label} differs from the expected sum of bumps",
                   value_lines=lines,
                   hint="each hidden unit is sigmoid(s x - s t): weight s and bias -s t")
