"""Grading slots are claimed machine-wide: two grading runs at once never share a slot's uids.

Between submissions a slot's uids are killed wholesale (a fork bomb's children must not outlive
the submission). Before slots were claimed, a second ``--jobs`` run on the same machine (another
assignment, another instructor) took slots 0 and 1 too and killed the first run's kernels.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import nbformat
import pytest

from autograder.grading.jail import claim_slot

from .corpus import POINTS, A, _nb, blank, read_csv
from .test_grading import _seed, run_grade


def test_a_slot_held_elsewhere_is_skipped_and_freed_when_its_holder_dies():
    tmp_before = set(os.listdir("/tmp"))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom autograder.grading.jail import claim_slot\n"
         "slot, token = claim_slot(range(700, 703))\nprint(slot, flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "700"
        slot, token = claim_slot(range(700, 703))
        assert slot == 701
        second, token2 = claim_slot(range(700, 703))
        assert second == 702
        with pytest.raises(RuntimeError, match="slots 700-702 of this machine are taken"):
            claim_slot(range(700, 703))
        token2.close()
        assert claim_slot(range(702, 703))[0] == 702  # closed: free again
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    assert claim_slot(range(700, 701))[0] == 700  # its holder was SIGKILLed: free again
    token.close()
    assert set(os.listdir("/tmp")) <= tmp_before  # claims leave no file behind


def _class(course_dir, honest: int, blanks: int) -> None:
    for i in range(honest + blanks):
        nb = _nb()
        if i >= honest:
            blank(nb)
        folder = course_dir / "submitted" / f"s{i}" / A
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{A}.ipynb")
    _seed(course_dir)


@pytest.mark.timeout(240)
def test_two_grading_runs_at_once_on_one_machine_grade_right(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    _class(first, honest=3, blanks=1)
    _class(second, honest=3, blanks=1)
    results = {}

    def grade(course_dir):
        results[course_dir.name] = run_grade(course_dir, check=False, jobs=2)

    threads = [threading.Thread(target=grade, args=(d,)) for d in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    full = sum(POINTS.values())
    for course_dir in (first, second):
        out = results[course_dir.name]
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
        rows = read_csv(course_dir / "reports" / "grades.csv")
        totals = {s: sum(float(r["score"]) for (st, _e), r in rows.items() if st == s)
                  for s in {st for st, _e in rows}}
        assert totals == {"s0": full, "s1": full, "s2": full, "s3": 0.0}, (course_dir.name, totals)
        assert all(r["nbgrader_score"] == r["score"] for r in rows.values()), course_dir.name
