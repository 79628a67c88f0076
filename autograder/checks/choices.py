"""Graded multiple-choice questions (issue 15): the allowed letters, the answer and one explanation
per letter.

A choice exercise is a function with no arguments that returns one letter (``kind="choice"`` in
:mod:`autograder.exercises`, layout :class:`~autograder.checks.runner.Choice`). The right letter is
not stored in plain text: :data:`CHOICES` keeps ``sha256(f"{name}:{letter}")`` of it, and the judge
(:func:`autograder.checks.kinds.judge_choice`) compares hashes. Every letter has an explanation: a
wrong letter's says why that choice is wrong (shown in the failed check), the right letter's why it
is right (shown with the ✓). So the explanations do reveal the answer to a student who reads this
file, as trying the four letters in the check cell does: a choice carries 1 point for that reason
(docs/content.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = ["CHOICES", "Choice", "answer_hash", "letters_words"]


@dataclass(frozen=True)
class Choice:
    """One question: ``answer`` is :func:`answer_hash` of the right letter; ``why`` maps every
    allowed letter (lower case, in order) to its explanation."""

    answer: str
    why: dict

    @property
    def letters(self) -> tuple:
        return tuple(self.why)


def answer_hash(name: str, letter: str) -> str:
    """The stored form of letter ``letter`` as the answer of ``name``."""
    return hashlib.sha256(f"{name}:{letter}".encode()).hexdigest()


def letters_words(letters) -> str:
    """'"a", "b", "c" or "d"'."""
    quoted = [f'"{x}"' for x in letters]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


CHOICES: dict[str, Choice] = {
    # 02: a ReLU layer started with large negative biases (section 4: dead units)
    "choice_dead_relu": Choice(
        "62cadf5a5d14c298d8697e9f18dfdd1c202ac5f31e0762e88380d21026389a9c",
        {
            "a": "the bias gets no gradient either: its gradient is also multiplied by relu'(z), which is "
                 "0 when z < 0. If every pre-activation is negative on every example, nothing moves "
                 "the biases back up.",
            "b": "relu(z) = max(0, z) is never negative: for z < 0 the unit outputs exactly 0, not a large "
                 "negative number, so the next layer receives zeros.",
            "c": "relu'(z) is 0 or 1, so it can never amplify a gradient. Here it is 0 everywhere, so the "
                 "gradient vanishes instead of exploding.",
            "d": "every pre-activation is negative, so relu'(z) = 0 on every example: the units are dead "
                 "from the start and no gradient reaches their weights or biases (leaky ReLU would still "
                 "pass 0.1 times the upstream gradient).",
        }),
    # 08: the batch size from 64 to 256 (section 3: the noise of the estimate falls as 1/sqrt(B))
    "choice_batch_noise": Choice(
        "1ac337d60816e7823413baf95190babaf46ebf36dbc20d19eca9236fa6f519df",
        {
            "a": "a quarter is what happens to the variance. The noise, the standard deviation of the "
                 "estimate, falls as 1/sqrt(B): four times the batch gives half the noise.",
            "b": "the standard deviation falls as 1/sqrt(B), and sqrt(256 / 64) = 2; each update costs "
                 "four times the gradient evaluations, so an epoch makes four times fewer updates.",
            "c": "each example's gradient is as noisy as before, but the minibatch gradient is the mean "
                 "of B of them, and the mean of B independent draws has the standard deviation "
                 "sigma / sqrt(B).",
            "d": "the noise does halve, but an epoch still evaluates the gradient on all N examples, "
                 "whatever B is. What grows fourfold is the cost of one update, so an epoch makes four "
                 "times fewer updates.",
        }),
}
