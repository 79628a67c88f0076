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
    "transposed": "an output is the transpose of the expected one",
    "bias_grad_not_reduced": "a bias gradient kept the batch axis: (N, n_out) for (n_out,)",
    "not_finite": "NaN or inf where the reference is finite (and where)",
    "unstable": "right on small inputs, NaN/inf/overflow warnings on large ones",
    "missing_activation_derivative": "a backward pass without the factor g'(z)",
    "derivative_of_wrong_quantity": "g'(a) where g'(z) was meant (e.g. a(1-a) of a = sigma(z) twice)",
    "wrong_sign": "the negative of the expected output (or of the expected update)",
    "off_by_batch_size": "N times too large or too small (sum vs mean over the batch)",
    "values": "none of the above: first differing entry, expected vs got",
    "missing_error": "an input the statement calls invalid (an unknown name) did not raise the "
                     "promised error",
    "wrong_dtype": "the dtype is not the promised one: float32 in, float64 out; bool or int where "
                   "floats are asked for; floats where integers are",
    "too_slow": "> 20x slower than the vectorised reference and > 10 ms (best of 5)",
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
