"""The class report (HTML with plots) and the end-of-run summary table, from the journal.

The report lists every student (score, diagnoses, a link to their feedback page); those pages load
MathJax from ``DIR/mathjax/``, which writing the report installs once (see
:func:`autograder.grading.mathjax.install_mathjax`).
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from pathlib import Path

from ..checks.diagnose import CODE_MEANINGS
from ..exercises import exercises_for
from .journal import NOT_GRADED

__all__ = ["diagnoses_figure", "student_rows", "summary_table", "write_class_report"]

MEANINGS = {**CODE_MEANINGS, NOT_GRADED: "the submission could not be graded (see the last table)"}


def _totals(journal: dict) -> dict[str, float]:
    return {s: sum(r["score"] for r in e["exercises"]) for s, e in journal.items()}


def _per_exercise(journal: dict, assignment: str):
    stats = []
    for ex in exercises_for(assignment):
        rows = [r for e in journal.values() for r in e["exercises"] if r["exercise"] == ex.name]
        n = len(rows)
        passed = sum(1 for r in rows if r["score"] >= r["points"])
        codes = Counter(r.get("diagnosis") or "passed" for r in rows)
        overrides = sum(1 for r in rows if r.get("overridden"))
        stats.append((ex, n, passed, codes, overrides))
    return stats


def summary_table(journal: dict, assignment: str) -> str:
    """A plain-text table: per exercise pass rate, mean score and overrides; then the totals."""
    lines = [f"{'exercise':<24} {'passed':>9} {'mean':>6} {'max':>4} {'overrides':>9}  most common mistake"]
    for ex, n, passed, codes, overrides in _per_exercise(journal, assignment):
        rows = [r for e in journal.values() for r in e["exercises"] if r["exercise"] == ex.name]
        mean = sum(r["score"] for r in rows) / n if n else 0.0
        # an ungradable notebook is no mistake in the code: it has its own line in the report
        mistakes = [(c, k) for c, k in codes.most_common() if c not in ("passed", NOT_GRADED)]
        common = f"{mistakes[0][0]} ({mistakes[0][1]})" if mistakes else "-"
        lines.append(f"{ex.name:<24} {passed:>4}/{n:<4} {mean:6.2f} {ex.points:>4} {overrides:>9}  {common}")
    totals = list(_totals(journal).values())
    max_total = sum(ex.points for ex in exercises_for(assignment))
    problems = sum(1 for e in journal.values() if e.get("problem"))
    mean = sum(totals) / len(totals) if totals else 0.0
    lines.append(f"{len(journal)} students, mean {mean:.2f}/{max_total}, "
                 f"{problems} submission(s) could not be graded")
    levels = Counter((e.get("recheck") or {}).get("isolation") for e in journal.values()
                     if not e.get("problem"))
    if levels:
        lines.append("re-check isolation: " + ", ".join(f"{k or 'unknown'} ({v})" for k, v in levels.items())
                     + isolation_warning(levels))
    return "\n".join(lines)


def isolation_warning(levels) -> str:
    """What the summary adds after the re-checks' isolation levels: nothing for full isolation."""
    if any(not str(k or "").startswith("namespaces") for k in levels):
        return "  [not 'namespaces': student code could read files; grade as root]"
    if any(k != "namespaces" for k in levels):  # namespaces-no-memcg: no memory cgroup could be made
        return ("  [no memory cgroup: kernel memory (socket and pipe buffers) of student code is not "
                "bounded; see docs/isolation.md]")
    return ""


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def write_class_report(course_dir: Path, journal: dict, assignment: str) -> Path:
    """``reports/<assignment>_report.html``: score distribution, pass rate per exercise, and per
    exercise how often each diagnosis occurred; plus the submissions that could not be graded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    stats = _per_exercise(journal, assignment)
    max_total = sum(ex.points for ex in exercises_for(assignment))
    totals = list(_totals(journal).values())

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(totals, bins=range(0, max_total + 2), align="left", color="tab:blue", edgecolor="k")
    ax.set(title=f"{assignment}: total scores", xlabel="score (points)", ylabel="students (count)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    score_png = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 3.5))
    names = [ex.name for ex, *_ in stats]
    rates = [100 * p / n if n else 0 for _, n, p, _, _ in stats]
    ax.barh(names, rates, color="tab:green")
    ax.set(title="Pass rate per exercise", xlabel="students who passed (%)", xlim=(0, 100))
    ax.invert_yaxis()
    pass_png = _png(fig)
    plt.close(fig)

    codes = sorted({c for *_, cs, _ in stats for c in cs if c != "passed"})
    fig = diagnoses_figure(stats)
    diag_png = _png(fig)
    plt.close(fig)

    rows = "".join(
        f"<tr><td>{html.escape(ex.name)}</td><td>{p}/{n}</td><td>{ov}</td><td>"
        + ", ".join(f"{html.escape(c)}: {k}" for c, k in cs.most_common() if c != "passed")
        + "</td></tr>" for ex, n, p, cs, ov in stats)
    glossary = "".join(f"<tr><td>{html.escape(c)}</td><td>{html.escape(MEANINGS.get(c, ''))}</td></tr>"
                       for c in codes)
    problems = "".join(
        f"<tr><td>{html.escape(s)}</td><td>{html.escape(e['problem'])}</td></tr>"
        for s, e in sorted(journal.items()) if e.get("problem"))
    names_head = "".join(f"<th>{html.escape(ex.name)}</th>" for ex in exercises_for(assignment))
    students = "".join(student_rows(course_dir, journal, assignment))
    doc = f"""<!doctype html><html><head><meta charset="utf-8"><title>{assignment}: class report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
td,th{{padding:2px 8px;border-bottom:1px solid #ddd}}</style>
</head><body><h1>{html.escape(assignment)}: class report</h1>
<p>{len(journal)} students; mean {sum(totals) / max(len(totals), 1):.2f} of {max_total} points.</p>
<pre>{html.escape(summary_table(journal, assignment))}</pre>
<img alt="score distribution" src="data:image/png;base64,{score_png}">
<img alt="pass rate per exercise" src="data:image/png;base64,{pass_png}">
<h2>What went wrong</h2><img alt="diagnoses per exercise" src="data:image/png;base64,{diag_png}">
<table><tr><th>exercise</th><th>passed</th><th>re-check overrode nbgrader</th><th>diagnoses</th></tr>
{rows}</table>
<h3>What the diagnoses mean</h3>
<table><tr><th>diagnosis</th><th>meaning</th></tr>{glossary or '<tr><td colspan=2>none</td></tr>'}</table>
<h2>Students</h2>
<p>Each exercise's score and diagnosis (none: it passed); the link opens the student's feedback.</p>
<table id="students"><tr><th>student</th><th>score</th>{names_head}<th>feedback</th></tr>{students}</table>
<h2>Submissions that could not be graded</h2>
<table><tr><th>student</th><th>problem</th></tr>{problems or '<tr><td colspan=2>none</td></tr>'}</table>
</body></html>"""
    path = course_dir / "reports" / f"{assignment}_report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc)
    from .mathjax import install_mathjax

    install_mathjax(course_dir)  # what the linked feedback pages load (once per course directory)
    return path


def student_rows(course_dir: Path, journal: dict, assignment: str) -> list[str]:
    """One ``<tr>`` per student: total, each exercise's score and diagnosis, the feedback link
    (relative to ``DIR/reports/``, so the folder can be moved or zipped)."""
    top = sum(ex.points for ex in exercises_for(assignment))
    out = []
    for s, e in sorted(journal.items()):
        by_name = {r["exercise"]: r for r in e["exercises"]}
        cells = []
        for ex in exercises_for(assignment):
            r = by_name.get(ex.name)
            if r is None:
                cells.append("<td>-</td>")
                continue
            code = r.get("diagnosis")
            title = html.escape(MEANINGS.get(code, ""), quote=True) if code else ""
            cells.append(f'<td title="{title}">{r["score"]:g}/{r["points"]}'
                         + (f" {html.escape(code)}" if code else "") + "</td>")
        page = course_dir / "feedback" / s / assignment / f"{assignment}.html"
        link = (f'<a href="../feedback/{html.escape(s)}/{assignment}/{assignment}.html">feedback</a>'
                if page.exists() else "no feedback")
        total = sum(r["score"] for r in e["exercises"])
        out.append(f"<tr><td>{html.escape(s)}</td><td>{total:g}/{top}</td>{''.join(cells)}<td>{link}</td></tr>")
    return out


def diagnoses_figure(stats):
    """The stacked bars of diagnoses per exercise, the legend to the right of the axes (inside,
    it covered the bars)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    names = [ex.name for ex, *_ in stats]
    codes = sorted({c for *_, cs, _ in stats for c in cs if c != "passed"})
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * max(len(names), len(codes) * 0.5, 1)))
    left = [0] * len(names)
    cmap = plt.get_cmap("tab20")
    for k, code in enumerate(codes):
        counts = [cs.get(code, 0) for *_, cs, _ in stats]
        ax.barh(names, counts, left=left, label=code, color=cmap(k % 20))
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.set(title="Diagnoses per exercise (what went wrong)", xlabel="submissions (count)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.invert_yaxis()
    if codes:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                  title="diagnosis", title_fontsize=7)
    return fig
