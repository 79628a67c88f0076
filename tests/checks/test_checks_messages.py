"""Snapshot of every diagnosis message, so that their wording changes only deliberately.

To accept new wording: ``UPDATE_CHECK_SNAPSHOTS=1 python -m pytest tests/checks -k snapshot``
and review the diff of ``messages.snapshot.txt``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from _checks_corpus import CORPUS, hard_coded

import nnlib
from autograder.checks import PUBLIC_SEED, check

SNAPSHOT = Path(__file__).with_name("messages.snapshot.txt")


def _mask(message: str) -> str:
    """Timings vary from run to run: keep the sentence, not the numbers."""
    return re.sub(r"took \d+ ms on (.*?), \d+x longer than the vectorised reference \([\d.]+ ms\)",
                  r"took # ms on \1, #x longer than the vectorised reference (# ms)", message)


def _render() -> str:
    blocks = []
    for w in CORPUS:
        result = check(w.exercise, w.function(), seed=PUBLIC_SEED, hidden=w.hidden)
        blocks.append(f"### {w.exercise} / {w.code} / {w.what}\n{_mask(result.message)}")
    for name in ("softmax", "tanh_prime"):
        result = check(name, hard_coded(name, PUBLIC_SEED), seed=4242, hidden=True)
        blocks.append(f"### {name} / hidden / memorised visible answers\n{result.message}")
    wrong_db = next(w for w in CORPUS if w.code == "off_by_batch_size" and w.exercise ==
                    "dense_backward")
    result = check("dense_backward", wrong_db.function(), seed=4242, hidden=True)
    blocks.append(f"### dense_backward / hidden / db averaged\n{result.message}")
    blocks.append("### success\n" + check("dense_backward", nnlib.dense_backward).message)
    return "\n\n".join(blocks) + "\n"


def test_messages_snapshot():
    text = _render()
    if os.environ.get("UPDATE_CHECK_SNAPSHOTS"):
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert SNAPSHOT.exists(), "run with UPDATE_CHECK_SNAPSHOTS=1 to create the snapshot"
    expected = SNAPSHOT.read_text(encoding="utf-8")
    if text != expected:  # show the first differing block, not the whole file
        new, old = text.split("\n\n### "), expected.split("\n\n### ")
        diff = next(((o, n) for o, n in zip(old, new, strict=False) if o != n), (old, new))
        raise AssertionError(f"message wording changed:\n--- snapshot\n{diff[0]}\n--- now\n"
                             f"{diff[1]}\n(UPDATE_CHECK_SNAPSHOTS=1 to accept)")


def test_hidden_messages_show_no_values():
    for block in _render().split("\n\n### "):
        if "/ hidden /" in block:
            assert "expected 0" not in block and "got " not in block, block
            assert re.search(r"expected -?\d", block) is None, block
