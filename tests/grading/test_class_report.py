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
