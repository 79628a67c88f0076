"""Feedback for students without the hidden tests: an nbconvert preprocessor that nbgrader's
``GenerateFeedback`` runs after its own.

nbgrader's feedback shows every graded cell's source (with the hidden tests) and its outputs
(tracebacks quoting the hidden tests; anything the student's code printed about hidden inputs).
:class:`RedactGradedCells` replaces both: the source keeps only the lines before
``### BEGIN HIDDEN TESTS``, and the outputs become the re-check's message for that exercise
(diagnosis, and why a score was overridden). The messages come from a JSON file named by the
``NNCOURSE_FEEDBACK`` environment variable, written by the grading worker for each submission.
It also puts a summary at the top of the page: each exercise, its score, its diagnosis in one
sentence and what to do next (:func:`summary_cell`).

The page loads MathJax from this machine, not a CDN: :mod:`.mathjax`.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

__all__ = ["NEXT_STEPS", "RedactGradedCells", "redact_source", "summary_cell"]

_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?(### END HIDDEN TESTS|\Z)", re.S)


def redact_source(source: str) -> str:
    """A graded cell's source with every hidden-test region removed."""
    return _HIDDEN.sub("", source).rstrip() + "\n"


class RedactGradedCells(Preprocessor):
    """Replace graded cells' hidden tests and outputs with the re-check's verdict."""

    enabled = Bool(True)  # nbconvert preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        path = os.environ.get("NNCOURSE_FEEDBACK")
        verdicts, rows = {}, []
        if path and os.path.exists(path):
            with open(path) as f:
                verdicts = json.load(f)
        nb.metadata.pop("widgets", None)  # widget state: its HTML manager would come from a CDN
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code":
                _drop_widget_views(cell)
            if cell.cell_type != "code" or not meta.get("grade"):
                continue
            cell.source = redact_source(cell.source)
            name = str(meta.get("grade_id", "")).removesuffix("_tests")
            v = verdicts.get(name)
            text = v["feedback"] if v else "This cell was graded by the isolated re-check."
            cell.outputs = [{"output_type": "stream", "name": "stdout", "text": text + "\n"}]
            rows.append(_summary_row(name, meta, v))
        if rows:
            total = (resources.get("nbgrader") or {}).get("score")
            top = (resources.get("nbgrader") or {}).get("max_score")
            nb.cells.insert(0, summary_cell(rows, total, top))
        return nb, resources


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _drop_widget_views(cell) -> None:
    """Keep a widget output's static fallback (its text) only: a static page cannot run the
    widget, and nbconvert's view of it is a script that needs the classic notebook's jQuery."""
    for out in cell.get("outputs", []):
        data = out.get("data")
        if data and WIDGET_VIEW in data:
            del data[WIDGET_VIEW]
            data.setdefault("text/plain", "(an interactive widget: open the notebook to use it)")


#: What to do next, by diagnosis (``None``: the exercise passed). Any other mistake: DEFAULT_NEXT.
NEXT_STEPS = {
    None: "Nothing: it passes every check, hidden ones included.",
    "not_implemented": "Write it: replace `raise NotImplementedError()` with your code, then run its "
                       "check cell.",
    "calls_reference": "Write the computation yourself: nnlib's answer is not allowed in an answer cell.",
    "exception": "Run the check cell: it shows the error and the line of your code that raised it.",
    "too_slow": "Replace the Python loop over examples by array operations on the whole batch.",
    "timeout": "Look for a loop that never ends (or a very slow one), then run the check cell.",
    "crashed": "Remove calls that stop Python (exit, os._exit) or use huge amounts of memory.",
    "not_graded": "Your notebook could not be graded: ask your instructor, and submit the notebook "
                  "you fetched, under its own name.",
}
DEFAULT_NEXT = ("Run the check cell under the exercise: it shows the same mistake on a visible case. "
                "Fix it, run the check again, then submit again if the deadline allows.")


def _summary_row(name: str, meta: dict, verdict: dict | None) -> dict:
    """One exercise's line of the summary, from the worker's verdict (score, points, diagnosis,
    message), else from nbgrader's own grade of the cell (GetGrades puts it in the metadata)."""
    v = verdict or {}
    message = v.get("message") or (v.get("feedback") or "").split("\n(Score", 1)[0]
    first = message.strip().splitlines()[0] if message.strip() else ""
    first = first.lstrip("✓✗ ").removeprefix(f"{name}: ")
    return {"exercise": name, "score": v.get("score", meta.get("score")),
            "points": v.get("points", meta.get("points")), "diagnosis": v.get("diagnosis"),
            "sentence": first}


_TD = ' style="padding:3px 10px;border-bottom:1px solid #ddd;vertical-align:top;text-align:left"'


def summary_cell(rows: list[dict], total=None, top=None):
    """A markdown cell: the total, then per exercise its score, diagnosis and what to do next."""
    def fmt(x):
        return "?" if x is None else f"{float(x):g}"

    lines = []
    for r in rows:
        code = r.get("diagnosis")
        passed = code is None and r["score"] is not None and r["points"] is not None and \
            float(r["score"]) >= float(r["points"])
        sentence = r["sentence"] or ("passes every check" if passed else "")
        todo = NEXT_STEPS.get(code, DEFAULT_NEXT) if (code or passed) else DEFAULT_NEXT
        cells = [f"<code>{html.escape(r['exercise'])}</code>", f"{fmt(r['score'])} / {fmt(r['points'])}",
                 html.escape(code or ("passed" if passed else "-")), html.escape(sentence), html.escape(todo)]
        lines.append("<tr>" + "".join(f"<td{_TD}>{c}</td>" for c in cells) + "</tr>")
    head = f"Your score: **{fmt(total)} / {fmt(top)}**" if total is not None else "Your feedback"
    heads = ("exercise", "score", "diagnosis", "what the grader found", "what to do next")
    table = ('<table class="nncourse-summary"><tr>' + "".join(f"<th{_TD}>{h}</th>" for h in heads)
             + "</tr>" + "".join(lines) + "</table>")
    from nbformat.v4 import new_markdown_cell

    return new_markdown_cell(f"## Summary\n\n{head}\n\n{table}\n\nThe details follow, under each exercise.",
                             metadata={"nncourse": "summary"})


# --- speed: compile nbconvert's templates once per process ------------------------------------------

class _MemoryBytecodeCache:
    """A Jinja bytecode cache in memory (built lazily: jinja2 is imported by nbconvert)."""

    def __new__(cls):
        import jinja2

        class Cache(jinja2.BytecodeCache):
            def __init__(self):
                self.store: dict[str, bytes] = {}

            def load_bytecode(self, bucket):
                code = self.store.get(bucket.key)
                if code is not None:
                    bucket.bytecode_from_string(code)  # ignored if the source has changed

            def dump_bytecode(self, bucket):
                self.store[bucket.key] = bucket.bytecode_to_string()

        return Cache()


def reuse_compiled_templates() -> None:
    """Share one Jinja bytecode cache among all of nbconvert's exporters in this process.

    nbgrader makes a new HTML exporter for each student's feedback, and each new exporter
    compiles nbconvert's templates again (about 0.3 s of CPU per student here). With a shared
    bytecode cache they are compiled once; Jinja checks each template's source against the
    cached entry, so an edited template is recompiled. The HTML is the same (tested).
    """
    from nbconvert.exporters.templateexporter import TemplateExporter

    if getattr(TemplateExporter._create_environment, "nncourse", False):
        return
    original = TemplateExporter._create_environment
    cache = _MemoryBytecodeCache()

    def create_environment(self):
        env = original(self)
        env.bytecode_cache = cache
        return env

    create_environment.nncourse = True
    TemplateExporter._create_environment = create_environment


# --- speed: render each cell's source once per process ---------------------------------------------

#: Most cells of a class's notebooks are the instructor's, the same in every submission: their
#: highlighted code and rendered Markdown are kept (``{key: html}``), up to this many entries.
RENDER_CACHE_SIZE = 4096


def reuse_rendered_cells() -> None:
    """Keep nbconvert's syntax highlighting of a code cell and rendering of a Markdown cell in
    this process, keyed by everything they read (the source, the language, the cell's
    ``magics_language`` or attachments, the notebook's folder where images are embedded, the
    exporter's settings).

    Both are pure functions of those, and they were half of the feedback's HTML export (0.25 s
    of CPU per student of 06_backprop here), spent again on the same instructor cells for every
    student. The HTML is the same (tested).
    """
    from nbconvert.exporters.html import HTMLExporter
    from nbconvert.filters.highlight import Highlight2HTML

    if getattr(Highlight2HTML.__call__, "nncourse", False):
        return
    cache: dict = {}

    def remember(key, make):
        if key not in cache:
            if len(cache) >= RENDER_CACHE_SIZE:
                cache.clear()
            cache[key] = make()
        return cache[key]

    def as_key(obj) -> str:
        return json.dumps(obj, sort_keys=True, default=repr)

    highlight = Highlight2HTML.__call__

    @functools.wraps(highlight)
    def highlight_code(self, source, language=None, metadata=None):
        # of the cell's metadata nbconvert reads only "magics_language" (the rest, e.g. the run's
        # execution times, differs in every submission)
        magics = metadata.get("magics_language") if metadata else None
        key = ("code", source, language, self.pygments_lexer, magics, as_key(self.extra_formatter_options))
        return remember(key, lambda: highlight(self, source, language, metadata))

    markdown = HTMLExporter.markdown2html

    @functools.wraps(markdown)  # keeps jinja's pass_context mark
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        # the notebook's folder matters only to embedded images (it is each student's own)
        path = context.get("resources", {}).get("metadata", {}).get("path", "") if self.embed_images else ""
        key = ("markdown", source, as_key(cell.get("attachments", {})), path, self.embed_images,
               self.anchor_link_text, self.exclude_anchor_links, as_key(self.lexer_options))
        return remember(key, lambda: markdown(self, context, source))

    highlight_code.nncourse = markdown2html.nncourse = True
    Highlight2HTML.__call__ = highlight_code
    HTMLExporter.markdown2html = markdown2html
