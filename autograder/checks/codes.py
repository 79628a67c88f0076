"""The diagnosis codes and what each means: the one table the checks, the grading driver's journal
and the class report share.

:data:`JUDGE_MEANINGS` are the codes :func:`autograder.checks.diagnose.judge` can give, in the order
it tries them; :data:`RECHECK_MEANINGS` are the codes only the grading driver records (its isolated
re-check died or stalled, or the submission could not be graded at all). :data:`CODE_MEANINGS` is
both, for whoever explains a journal.
"""

from __future__ import annotations

__all__ = ["CODES", "CODE_MEANINGS", "JUDGE_CODES", "JUDGE_MEANINGS", "RECHECK_MEANINGS"]

#: Every diagnosis of the judge, in the order the catalogue tries them, with what it means.
JUDGE_MEANINGS = {
    "not_implemented": "raises NotImplementedError (the stub) or returns None",
    "calls_reference": "the answer calls nnlib's reference answer of an exercise of its notebook, "
                       "which the checks and grading refuse",
    "exception": "any other error: its type, message and the student's own line",
    "wrong_type": "the result is not the right kind of thing (tuple arity, model...)",
    "mutates_input": "an input array was changed in place",
    "wrong_shape": "an output has the wrong shape (expected vs got)",
    "outputs_swapped": "the right values in the wrong order (outputs permuted, layers reversed)",
    "last_batch_dropped": "the last, smaller minibatch is missing",
    "transposed": "an output is the transpose of the expected one",
    "bias_grad_not_reduced": "a bias gradient kept the batch axis: (N, n_out) for (n_out,)",
    "not_finite": "NaN or inf where the reference is finite (and where)",
    "unstable": "right on small inputs, NaN/inf/overflow warnings on large ones",
    "boundary_convention": "the other convention at a boundary, kink or margin (>= for >, 0 from "
                           "np.sign)",
    "wrong_label_values": "labels in {0, 1} where {-1, +1} are asked",
    "missing_bias": "computed without the bias (b left out or taken as 0)",
    "extra_bias": "a bias counted or added where there is none (the input layer)",
    "missing_activation": "a forward pass without its activation or output function",
    "extra_activation": "an activation applied where there is none (the last layer, the output)",
    "activation_not_derivative": "the activation g itself where its derivative g' is asked",
    "missing_upstream_gradient": "g'(Z) alone: the upstream gradient dA is left out of the chain rule",
    "wrong_axis": "normalised or reduced over the wrong axis (the batch instead of the classes)",
    "missing_onehot": "the one-hot labels are not subtracted in the gradient",
    "not_shuffled": "the examples are used in their original order: the rng is not used to shuffle",
    "rng_ignored": "the rng argument does not decide the result: a generator of the answer's own "
                   "(default_rng(42)) or np.random.seed, so every rng gives the same result; or "
                   "randomness from outside it (np.random.*, a fresh default_rng()), so the same "
                   "rng gives different ones",
    "not_updated": "a parameter that should move is returned unchanged",
    "update_condition": "an update made where the rule makes none (outside the margin)",
    "option_ignored": "an option argument (bias=False) has no effect",
    "forward_difference": "a one-sided difference (f(x + h) - f(x)) / h instead of the central one",
    "perturbs_copy": "a numerical gradient taken on a copy of x: a function that reads the caller's x "
                     "(a model's weights) never sees the steps, and the gradient is 0",
    "wrong_onehot": "the one-hot targets are built wrongly (whole columns set, classes counted from 1, "
                    "too few classes, transposed)",
    "broadcast_column": "a column (n, 1) met a vector (n,): NumPy broadcast them into an (n, n) "
                        "table",
    "missing_normalisation": "||a - b|| without the division by ||a|| + ||b||",
    "wrong_constant": "a constant of the formula differs from the course's (the leaky slope 0.1)",
    "missing_activation_derivative": "a backward pass without the factor g'(z)",
    "derivative_of_wrong_quantity": "g'(a) where g'(z) was meant (e.g. a(1-a) of a = sigma(z) twice)",
    "wrong_sign": "the negative of the expected output (or of the expected update)",
    "off_by_batch_size": "N times too large or too small (sum vs mean over the batch)",
    "wrong_scale": "a constant multiple of the expected values (a factor 2, h^2, ...)",
    "values": "none of the above: first differing entry, expected vs got",
    "missing_error": "an input the statement calls invalid (an unknown name) did not raise the "
                     "promised error",
    "wrong_dtype": "the dtype is not the promised one: float32 in, float64 out; bool or int where "
                   "floats are asked for; floats where integers are; NumPy's int64 (which wraps "
                   "around past 2**63) where Python ints are",
    "too_slow": "> 20x slower than the vectorised reference and > 10 ms (best of 5)",
    "wrong_choice": "a multiple-choice question answered with a wrong letter (the message says why "
                    "that choice is wrong)",
}

#: Codes that only the grading driver writes into the journal (see autograder.grading).
RECHECK_MEANINGS = {
    "timeout": "the isolated re-check made no progress on this answer (an endless loop?) and was "
               "stopped",
    "crashed": "the isolated re-check ended abruptly on this answer (os._exit, a resource limit) or "
               "could not start",
    "not_graded": "the submission could not be graded at all (not a notebook, or the grading itself "
                  "failed): every exercise scores 0",
}

#: Every code a journal can hold, with what it means (the class report prints these).
CODE_MEANINGS = {**JUDGE_MEANINGS, **RECHECK_MEANINGS}
CODES = tuple(CODE_MEANINGS)
JUDGE_CODES = tuple(JUDGE_MEANINGS)
