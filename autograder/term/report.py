"""``python -m autograder report --term``: the term dashboard ``DIR/reports/term.html``.

One self-contained page (no script, no network, no kernel): a student x assignment grid of scores
(late and missing marked, each score a link to that student's feedback), each exercise's difficulty
and most common diagnosis over the term, the most common diagnoses overall, and the students at
risk with the reason (missing submissions, falling scores, many exercises not attempted).
Everything comes from the grading journal (``DIR/reports/.state/``) and ``DIR/submitted/``.
"""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

from ..checks.diagnose import CODE_MEANINGS
from ..exercises import ASSIGNMENTS, exercises_for
from ..grading.journal import NOT_GRADED, load_journal, state_dir, students_of
from .course import Roster, has_submission, known_students, submitted_at
from .export import max_points
from .policy import Policy

__all__ = ["at_risk", "term_data", "write_term_report"]

#: A drop of this fraction of the points between a student's last two graded assignments is "falling".
FALLING_DROP = 0.25
#: This many exercises not attempted over the term puts a student at risk.
MANY_NOT_IMPLEMENTED = 3
NOT_ATTEMPTED = "not_implemented"


def term_data(course_dir: Path, roster: Roster | None = None) -> tuple[list[str], list[str], dict]:
    """``(students, assignments, journals)``: ``journals[assignment][student]`` is the entry."""
    course_dir = Path(course_dir)
    journals = {}
    for a in ASSIGNMENTS:
        if state_dir(course_dir, a).is_dir():
            journals[a] = load_journal(course_dir, a, students_of(course_dir))
    assignments = [a for a in ASSIGNMENTS if journals.get(a)]
    students = known_students(course_dir, roster)
    return students, assignments, journals


def not_attempted(row: dict) -> bool:
    """The exercise is still the stub: diagnosed ``not_implemented``, or an ``exception`` that is
    the stub's NotImplementedError (how the isolated re-check reports a blank answer today)."""
    code = row.get("diagnosis")
    stub = code == "exception" and "NotImplementedError" in (row.get("message") or "")
    return code == NOT_ATTEMPTED or stub


def _total(entry: dict) -> float:
    return sum(r["score"] for r in entry["exercises"])


def at_risk(students: list[str], assignments: list[str], journals: dict,
            course_dir: Path) -> dict[str, list[str]]:
    """``{student: [reasons]}`` for students missing a submission, with falling scores, or with
    many exercises not attempted."""
    out: dict[str, list[str]] = {}
    for s in students:
        reasons = []
        missing = [a for a in assignments if not has_submission(course_dir, s, a)]
        if missing:
            reasons.append(f"no submission for {', '.join(missing)}")
        fractions = [(a, _total(journals[a][s]) / max_points(a)) for a in assignments if s in journals[a]]
        if len(fractions) >= 2 and fractions[-2][1] - fractions[-1][1] >= FALLING_DROP:
            (a0, f0), (a1, f1) = fractions[-2:]
            reasons.append(f"falling scores: {f0:.0%} in {a0}, {f1:.0%} in {a1}")
        blank = sum(not_attempted(r) for a in assignments if s in journals[a]
                    for r in journals[a][s]["exercises"])
        if blank >= MANY_NOT_IMPLEMENTED:
            reasons.append(f"{blank} exercises not attempted (not_implemented)")
        if reasons:
            out[s] = reasons
    return out


def _cell(course_dir: Path, s: str, a: str, journals: dict, policy: Policy) -> str:
    entry = journals[a].get(s)
    if entry is None:
        if has_submission(course_dir, s, a):
            return '<td class="wait">submitted, not graded</td>'
        return '<td class="missing">missing</td>'
    total, top = _total(entry), max_points(a)
    frac = total / top if top else 0.0
    text = f"{total:g}/{top}"
    fb = course_dir / "feedback" / s / a / f"{a}.html"
    if fb.exists():
        text = f'<a href="../feedback/{html.escape(s)}/{a}/{a}.html">{text}</a>'
    days = policy.days_late(a, s, submitted_at(course_dir, s, a))
    if days:
        text += f' <span class="late">late {days} d → {policy.penalised(total, days):g}</span>'
    if entry.get("problem"):
        text += f' <span class="late" title="{html.escape(entry["problem"])}">not gradable</span>'
    hue = int(120 * frac)  # red (0) to green (120)
    return f'<td style="background:hsl({hue},70%,88%)">{text}</td>'


def write_term_report(course_dir: Path, policy: Policy | None = None, roster: Roster | None = None) -> Path:
    course_dir = Path(course_dir)
    policy = policy or Policy()
    students, assignments, journals = term_data(course_dir, roster)
    esc = html.escape
    head = "".join(f"<th>{esc(a)}</th>" for a in assignments)
    grid = "".join(
        f"<tr><th>{esc(s)}</th>" + "".join(_cell(course_dir, s, a, journals, policy) for a in assignments)
        + "</tr>" for s in students)
    overall: Counter = Counter()
    ex_rows = []
    for a in assignments:
        for ex in exercises_for(a):
            rows = [r for e in journals[a].values() for r in e["exercises"] if r["exercise"] == ex.name]
            if not rows:
                continue
            mean = sum(r["score"] for r in rows) / (len(rows) * ex.points)
            passed = sum(r["score"] >= r["points"] for r in rows)
            codes = Counter(r["diagnosis"] for r in rows if r.get("diagnosis") not in (None, NOT_GRADED))
            overall.update(codes)
            common = codes.most_common(1)
            common_text = "-"
            if common:
                code, k = common[0]
                common_text = f'<span title="{esc(CODE_MEANINGS.get(code, ""))}">{esc(code)}</span> ({k})'
            ex_rows.append(
                f"<tr><td>{esc(a)}</td><td>{esc(ex.name)}</td><td>{passed}/{len(rows)}</td>"
                f'<td><span class="bar" style="width:{100 * mean:.0f}px"></span> {mean:.0%}</td>'
                f"<td>{common_text}</td></tr>")
    common_rows = "".join(
        f"<tr><td>{esc(c)}</td><td>{k}</td><td>{esc(CODE_MEANINGS.get(c, ''))}</td></tr>"
        for c, k in overall.most_common(10))
    risk = at_risk(students, assignments, journals, course_dir)
    risk_rows = "".join(f"<tr><th>{esc(s)}</th><td>{esc('; '.join(r))}</td></tr>" for s, r in risk.items())
    doc = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>nncourse: the term</title>
<style>body{{font-family:sans-serif;max-width:75em;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse;margin:0.5em 0 1.5em}}
td,th{{padding:3px 8px;border:1px solid #ddd;text-align:left}}
td.missing{{background:#f4b6b6;font-weight:bold}} td.wait{{background:#eee}} .late{{color:#a40;font-size:85%}}
.bar{{display:inline-block;height:0.8em;background:#4a8}}</style></head><body>
<h1>nncourse: the term so far</h1>
<p>{len(students)} students, {len(assignments)} graded assignment(s): {esc(', '.join(assignments) or 'none')}.
Each score links to the student's feedback; late submissions show the score after the late penalty.</p>
<h2>Scores</h2>
<table id="grid"><tr><th>student</th>{head}</tr>{grid}</table>
<h2>Students at risk</h2>
<table id="risk"><tr><th>student</th><th>why</th></tr>
{risk_rows or '<tr><td colspan=2>none</td></tr>'}</table>
<h2>Exercises: how hard, and what went wrong</h2>
<table id="exercises"><tr><th>assignment</th><th>exercise</th><th>passed</th><th>mean score</th>
<th>most common diagnosis</th></tr>{''.join(ex_rows)}</table>
<h2>Most common diagnoses over the term</h2>
<table id="diagnoses"><tr><th>diagnosis</th><th>times</th><th>meaning</th></tr>
{common_rows or '<tr><td colspan=3>none</td></tr>'}</table>
</body></html>"""
    path = course_dir / "reports" / "term.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc)
    from ..grading.mathjax import install_mathjax

    install_mathjax(course_dir)  # what the linked feedback pages load (once per course directory)
    return path
