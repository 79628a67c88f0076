"""A hand-made course directory for the term tests: submissions with nbgrader's timestamps, a
grading journal and grades.csv as ``grade`` writes them, feedback pages, a roster and a term file.
No grading run: every score here is chosen, so the tests can check each one."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from autograder.exercises import exercises_for

A1, A2 = "01_perceptron", "02_logistic_neuron"
DUE = {A1: "2026-10-05T23:59:00+00:00", A2: "2026-10-12T23:59:00+00:00"}

TERM_TOML = f"""
[due]
{A1} = 2026-10-05T23:59:00Z
{A2} = 2026-10-12T23:59:00Z

[late]
grace_minutes = 10
penalty_per_day = 0.25
max_days = 3

[extensions]
dan = {{ days = 2 }}
"""

# Canvas's own gradebook export: the 'Points Possible' row and a student who never submits.
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section
    Points Possible,,,,
"Ann, A",101,s101,ann,Sec 1
"Bob, B",102,s102,bob,Sec 1
"Cy, C",103,s103,cy,Sec 2
"Dan, D",104,s104,dan,Sec 2
"Nobody, N",105,s105,nobody,Sec 2
"""


def entry(assignment: str, scores: dict[str, tuple[float, str | None]], problem=None) -> dict:
    rows = []
    for ex in exercises_for(assignment):
        score, code = scores.get(ex.name, (float(ex.points), None))
        rows.append({"exercise": ex.name, "points": ex.points, "score": score, "nbgrader_score": score,
                     "overridden": False, "diagnosis": code, "reason": "", "message": ""})
    return {"assignment": assignment, "stage": "done", "problem": problem, "exercises": rows}


def blank(assignment: str) -> dict:
    return entry(assignment, {ex.name: (0.0, "not_implemented") for ex in exercises_for(assignment)})


#: who submitted what, when (nbgrader's timestamp.txt format), and the journal entry of each
SUBMISSIONS = {
    (A1, "ann"): ("2026-10-05 20:00:00.000000 UTC", entry(A1, {})),                       # 5/5 on time
    (A1, "bob"): ("2026-10-06 00:05:00.000000 UTC", entry(A1, {})),                       # 5/5 in grace
    (A1, "cy"): ("2026-10-07 12:00:00.000000 UTC",                                        # 2 days late
                 entry(A1, {"perceptron_epoch": (0.0, "wrong_sign")})),
    (A1, "dan"): ("2026-10-07 12:00:00.000000 UTC", entry(A1, {})),                       # extension
    (A1, "zed"): ("2026-10-05 10:00:00.000000 UTC", entry(A1, {})),                       # not on roster
    (A2, "ann"): ("2026-10-12 20:00:00.000000 UTC", entry(A2, {})),                       # 9/9
    (A2, "bob"): ("2026-10-20 20:00:00.000000 UTC", entry(A2, {})),                       # 8 days: 0
    (A2, "dan"): ("2026-10-12 20:00:00.000000 UTC", blank(A2)),                           # falling, blank
}


def build(course: Path, with_feedback: bool = True) -> Path:
    for (a, s), (stamp, e) in SUBMISSIONS.items():
        sub = course / "submitted" / s / a
        sub.mkdir(parents=True)
        (sub / f"{a}.ipynb").write_text("{}")
        (sub / "timestamp.txt").write_text(stamp)
        state = course / "reports" / ".state" / a
        state.mkdir(parents=True, exist_ok=True)
        (state / f"{s}.json").write_text(json.dumps({**e, "student": s}))
        if with_feedback:
            fb = course / "feedback" / s / a
            fb.mkdir(parents=True)
            (fb / f"{a}.html").write_text(f"<html><body>{s} {a}</body></html>")
    with open(course / "reports" / "grades.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "assignment", "exercise", "score", "max_score"])
        for (a, s), (_, e) in sorted(SUBMISSIONS.items()):
            for r in e["exercises"]:
                w.writerow([s, a, r["exercise"], f"{r['score']:g}", r["points"]])
    (course / "term.toml").write_text(TERM_TOML)
    (course / "roster.csv").write_text(ROSTER)
    return course
