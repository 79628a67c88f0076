"""The class report and the end-of-run summary, from a hand-made journal (no grading run)."""

from __future__ import annotations

import re

from autograder.checks.diagnose import CODE_MEANINGS, CODES
from autograder.exercises import exercises_for
from autograder.grading.class_report import summary_table, write_class_report
from autograder.grading.journal import NOT_GRADED

A = "02_logistic_neuron"
EXERCISES = exercises_for(A)


def entry(diagnoses: dict[str, str | None], problem: str | None = None) -> dict:
    """A journal entry: each exercise passed (diagnosis None) or failed with the given code."""
    rows = []
    for ex in EXERCISES:
        code = diagnoses.get(ex.name)
        rows.append({"exercise": ex.name, "points": ex.points, "score": 0.0 if code else float(ex.points),
                     "nbgrader_score": None, "overridden": False, "diagnosis": code, "reason": "",
                     "message": ""})
    return {"problem": problem, "exercises": rows, "recheck": {"isolation": "namespaces"}}


def journal() -> dict:
    first = EXERCISES[0].name
    return {
        "ann": entry({}),
        "bob": entry({first: "transposed"}),
        # three students whose notebooks could not be graded outnumber the one real mistake
        **{name: entry({ex.name: NOT_GRADED for ex in EXERCISES}, problem="not valid JSON")
           for name in ("cy", "dee", "eve")},
    }


def test_most_common_mistake_is_a_mistake_not_an_ungradable_notebook():
    table = summary_table(journal(), A)
    lines = {line.split()[0]: line for line in table.splitlines()[1:len(EXERCISES) + 1]}
    first = EXERCISES[0].name
    assert lines[first].endswith("transposed (1)"), lines[first]
    assert lines[first].split()[1] == "1/5"  # passed / students
    for ex in EXERCISES[1:]:  # nobody made a mistake there: the three ungradable do not count
        assert lines[ex.name].endswith("-"), lines[ex.name]
    assert "3 submission(s) could not be graded" in table


def test_report_explains_each_diagnosis_that_occurred(tmp_path):
    (tmp_path / "reports").mkdir()
    path = write_class_report(tmp_path, journal(), A)
    html = path.read_text()
    glossary = html.split("What the diagnoses mean", 1)[1].split("</table>", 1)[0]
    explained = dict(re.findall(r"<tr><td>([a-z_]+)</td><td>([^<]*)</td></tr>", glossary))
    assert set(explained) == {"transposed", NOT_GRADED}
    assert explained["transposed"] == CODE_MEANINGS["transposed"].replace("'", "&#x27;")
    assert "could not be graded" in explained[NOT_GRADED]
    assert html.count("data:image/png;base64,") == 3  # score histogram, pass rate, diagnoses
    for student in ("cy", "dee", "eve"):
        assert f"<td>{student}</td><td>not valid JSON</td>" in html


def test_every_diagnosis_code_has_a_meaning():
    assert list(CODES) == list(CODE_MEANINGS)
    assert all(len(text) > 10 for text in CODE_MEANINGS.values())


def test_diagnoses_legend_sits_beside_the_bars_not_on_them():
    from autograder.grading.class_report import _per_exercise, diagnoses_figure

    many = {f"s{i}": entry({ex.name: code for ex in EXERCISES})
            for i, code in enumerate(["transposed", "wrong_sign", "values", "not_implemented", "exception"])}
    fig = diagnoses_figure(_per_exercise(many, A))
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    axes = ax.get_window_extent()
    assert legend.x0 >= axes.x1, (legend, axes)             # entirely to the right of the axes
    assert len(ax.get_legend().get_texts()) == 5
    for bar in ax.patches:                                   # every bar inside the axes
        b = bar.get_window_extent()
        assert axes.x0 - 1 <= b.x0 and b.x1 <= axes.x1 + 1


def test_one_row_per_student_with_scores_diagnoses_and_a_feedback_link(tmp_path):
    (tmp_path / "reports").mkdir()
    fb = tmp_path / "feedback" / "bob" / A
    fb.mkdir(parents=True)
    (fb / f"{A}.html").write_text("<html></html>")
    html = write_class_report(tmp_path, journal(), A).read_text()
    table = html.split('id="students"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>(\w+)</td><td>([\d.]+)/(\d+)</td>(.*?)</tr>", table)
    assert [r[0] for r in rows] == ["ann", "bob", "cy", "dee", "eve"]
    by = {r[0]: r for r in rows}
    top = str(sum(ex.points for ex in EXERCISES))
    assert by["ann"][1:3] == (top, top) and by["bob"][1] == str(int(top) - EXERCISES[0].points)
    assert f"0/{EXERCISES[0].points} transposed</td>" in by["bob"][3]
    assert f'href="../feedback/bob/{A}/{A}.html">feedback</a>' in by["bob"][3]
    assert by["ann"][3].endswith("<td>no feedback</td>")        # no page: no dead link
    assert by["cy"][3].count(NOT_GRADED) == len(EXERCISES)
    for link in re.findall(r'href="([^"]+)"', html):
        assert (tmp_path / "reports" / link).resolve().exists(), link
    assert (tmp_path / "mathjax" / "MathJax.js").exists()        # what the feedback pages load


def test_the_summary_says_what_isolation_was_missing():
    from autograder.grading.class_report import isolation_warning

    assert isolation_warning({"namespaces": 20}) == ""
    assert "memory cgroup" in isolation_warning({"namespaces": 3, "namespaces-no-memcg": 1})
    assert "grade as root" in isolation_warning({"limits-only": 2, "namespaces-no-memcg": 1})
    assert "grade as root" in isolation_warning({None: 1})
