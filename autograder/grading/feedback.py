"""Feedback for students without the hidden tests: an nbconvert preprocessor that nbgrader's
``GenerateFeedback`` runs after its own.

nbgrader's feedback shows every graded cell's source (with the hidden tests) and its outputs
(tracebacks quoting the hidden tests; anything the student's code printed about hidden inputs).
:class:`RedactGradedCells` replaces both: the source keeps only the lines before
``### BEGIN HIDDEN TESTS``, and the outputs become the re-check's message for that exercise
(diagnosis, and why a score was overridden). The messages come from a JSON file named by the
``NNCOURSE_FEEDBACK`` environment variable, written by the grading worker for each submission.
"""

from __future__ import annotations

import json
import os
import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

__all__ = ["RedactGradedCells", "redact_source"]

_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?(### END HIDDEN TESTS|\Z)", re.S)


def redact_source(source: str) -> str:
    """A graded cell's source with every hidden-test region removed."""
    return _HIDDEN.sub("", source).rstrip() + "\n"


class RedactGradedCells(Preprocessor):
    """Replace graded cells' hidden tests and outputs with the re-check's verdict."""

    enabled = Bool(True)  # nbconvert preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        path = os.environ.get("NNCOURSE_FEEDBACK")
        verdicts = {}
        if path and os.path.exists(path):
            with open(path) as f:
                verdicts = json.load(f)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade"):
                continue
            cell.source = redact_source(cell.source)
            name = str(meta.get("grade_id", "")).removesuffix("_tests")
            v = verdicts.get(name)
            text = v["feedback"] if v else "This cell was graded by the isolated re-check."
            cell.outputs = [{"output_type": "stream", "name": "stdout", "text": text + "\n"}]
        return nb, resources


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
