"""The re-check's results pipe, host side (:class:`autograder.grading.sandbox.Results`), without a
sandbox: frames cut anywhere, the fixed order, the caps, an outcome over its cap passed over."""

from __future__ import annotations

from autograder.checks.cases import make_cases
from autograder.checks.runner import call
from autograder.exercises import EXERCISES
from autograder.grading import sandbox
from autograder.grading.sandbox import MAX_MARKER_BYTES, Results
from autograder.grading.sandbox_main import FRAME, frame

NAME = "perceptron_predict"
STEPS = [{"cell": "c3", "name": NAME, "source": ""}, {"check": NAME}]


def _job():
    cases = {NAME: make_cases(NAME, 7, hidden=True)}
    reference = EXERCISES[NAME].reference
    stream = frame("level", b"namespaces") + frame("cell.c3.start", b"") + frame("cell.c3.end", b"")
    stream += frame(f"{NAME}.start", b"")
    for i, case in enumerate(cases[NAME]):
        stream += frame(f"{NAME}.{i}.npz", call(NAME, reference, case).to_wire())
    return cases, stream + frame(f"{NAME}.done", b"%d" % len(cases[NAME]))


def test_an_honest_stream_cut_into_any_pieces_reads_the_same():
    cases, stream = _job()
    for step in (1, 7, 4096, len(stream)):
        results = Results(cases, STEPS)
        for at in range(0, len(stream), step):
            results.feed(stream[at:at + step])
        assert results.broken is None and results.level == "namespaces"
        assert results.markers == {"cell.c3.start", "cell.c3.end", f"{NAME}.start", f"{NAME}.done"}
        assert results.verdict(NAME).passed, results.verdict(NAME)


def test_a_report_out_of_order_or_over_its_cap_breaks_the_stream():
    cases, _ = _job()
    for bad in (frame(f"{NAME}.done", b"3"), frame("cell.c3.start", b"x" * (MAX_MARKER_BYTES + 1)),
                frame("../../etc/passwd", b""), FRAME.pack(60000, 0)):
        results = Results(cases, STEPS)
        results.feed(frame("level", b"namespaces") + bad)
        assert results.broken and results.frames == 1, (bad[:40], results.broken)
        assert not results.markers


def test_an_outcome_over_its_cap_is_passed_over_and_fails_its_case(monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_OUTCOME_BYTES", 100)
    cases, _ = _job()
    results = Results(cases, STEPS)
    results.feed(frame("level", b"x") + frame("cell.c3.start", b"") + frame("cell.c3.end", b"")
                 + frame(f"{NAME}.start", b"") + frame(f"{NAME}.0.npz", b"\0" * 5000))
    assert results.broken is None and results.frames == 5
    n = len(cases[NAME])
    results.feed(b"".join(frame(f"{NAME}.{i}.npz", b"") for i in range(1, n)) + frame(f"{NAME}.done", b""))
    verdict = results.verdict(NAME)
    assert not verdict.passed and "case 1" in verdict.message and "larger than 100 bytes" in verdict.message
