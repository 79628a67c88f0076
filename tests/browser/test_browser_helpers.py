"""The browser test's own judgement, on made-up notebooks (no browser needed): it must be able to fail."""

from __future__ import annotations

from _browser_helpers import NotebookReport, analyse_outputs, first_unexecuted, long_traceback_reason

FRIENDLY = "✗ dense_forward is not written yet: replace `raise NotImplementedError()` with your code"
LONG = [
    "\x1b[0;31m----------------------------------------------\x1b[0m",
    "\x1b[0;31mAssertionError\x1b[0m  Traceback (most recent call last)",
    "File /work/main/autograder/checks/__init__.py:88, in run_check(name, fn)",
    "AssertionError: wrong",
]


def code(source, *outputs, count=1):
    return {"cell_type": "code", "source": source, "outputs": list(outputs), "execution_count": count}


def error(lines, ename="CheckFailed"):
    return {"output_type": "error", "ename": ename, "evalue": "x", "traceback": lines}


def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def judge(variant, *cells):
    report = NotebookReport(variant=variant, notebook="x.ipynb")
    analyse_outputs({"cells": list(cells)}, variant, report)
    return report


def test_friendly_and_long_messages():
    assert long_traceback_reason(FRIENDLY) is None
    assert long_traceback_reason("\n".join(LONG)) == "a Python traceback"
    assert long_traceback_reason('  File "/x/autograder/checks/__init__.py", line 3') is not None
    assert long_traceback_reason("\n".join(["line"] * 40)) is not None


def test_blank_copy_check_cells_may_fail_briefly_but_demos_may_not():
    ok = judge("course", code('run_check("f", f)', error([FRIENDLY])),
               code('"""g."""\ngrade("f", f)', error([FRIENDLY])), code("plot()", stream("fine\n")))
    assert ok.problems == [] and ok.check_messages == {0: FRIENDLY}
    bad = judge("course", code('run_check("f", f)', error(LONG)),
                code("plot()", error(["ValueError: boom"], "ValueError")),
                code("import warnings", stream("DeprecationWarning: x", "stderr")))
    assert len(bad.problems) == 3, bad.problems
    passed = judge("course", code('run_check("f", f)', stream("✓ f: all 3 checks passed.\n")))
    assert passed.problems and "passed on a blank copy" in passed.problems[0]


def test_solution_checks_must_print_their_success_line():
    ok = judge("solution", code('run_check("f", f)', stream("✓ f: all 3 checks passed.\n")),
               code('grade("f", f)'))
    assert ok.problems == []
    silent = judge("solution", code('run_check("f", f)'))
    assert silent.problems and "'✓'" in silent.problems[0]
    failing = judge("solution", code('grade("f", f)', error([FRIENDLY])))
    assert failing.problems


def test_setup_cell_defining_helpers_is_not_a_check_cell():
    report = judge("solution", code("def run_check(name, fn):\n    pass",
                                    error(["NameError: x"], "NameError")))
    assert report.problems  # an error in a non-check cell is always a problem


def test_first_unexecuted_skips_markdown_and_empty_cells():
    nb = {"cells": [code("a"), {"cell_type": "markdown", "source": "t"}, code("  ", count=None),
                    code("b", count=None)]}
    assert first_unexecuted(nb) == 3
