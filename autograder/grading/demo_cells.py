"""Demo cells do not run at grading: two nbgrader preprocessors around nbgrader's ``Execute``.

A course notebook mixes the cells a grade depends on with demos (figures, experiments, widgets)
and check cells whose outputs nobody grades; in 04_xor the demos (500 small trainings, a widget)
were 7 of the 8 seconds nbgrader's autograde spent on each submission, and in 06_backprop the check
cells were 0.24 s of its 0.7 s of cells. A graded cell calls ``grade("NAME", NAME)``:
it needs the set-up cell (the imports and ``grade``) and the answer cells, nothing a demo defines
(a test reads every solution notebook to keep it so). The isolated re-check runs exactly set-up and
answers already. So in the worker's autograde pipeline (:mod:`.autograde`):

- :class:`SkipDemoCells`, just before ``Execute``, blanks the source of every code cell that is
  not a set-up cell (tagged ``setup``, or the instructor's set-up source), an answer or graded
  cell (nbgrader metadata) or a cell the student added; ``Execute`` skips blank cells. The check
  cells (``run_check`` on the visible cases) are skipped too, as the re-check skips them: under each
  one the graded cell's output in the feedback is the re-check's diagnosis on the hidden cases;
- :class:`RestoreDemoCells`, just after ``Execute``, puts their source back (without outputs),
  so the autograded notebook and the feedback show the whole notebook, as submitted.

A code cell the student added (its ``id`` and its source are no cell of the instructor's
notebook: :func:`added_by_student`) does run, here and in the re-check, in notebook order: a helper
or an import in a cell of the student's own reaches the graded cells as it reached the check cell.
A demo cell the student edited keeps the instructor's ``id`` and stays skipped; an error in an
added cell is the student's to see in their notebook and costs nothing at grading.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from nbgrader.preprocessors import NbGraderPreprocessor

from ..notebooks import cell_source

__all__ = ["InstructorCells", "RestoreDemoCells", "SkipDemoCells", "added_by_student",
           "autograde_preprocessors", "cell_runs_at_grading", "instructor_cells"]

_STASH = "nncourse_demo_sources"


@dataclass(frozen=True)
class InstructorCells:
    """What the instructor's notebook holds: its set-up sources, its cell ids, its code sources."""

    setup: tuple = ()
    ids: frozenset = frozenset()
    sources: frozenset = frozenset()


def instructor_cells(assignment: str | None, root=None) -> InstructorCells:
    """The instructor's cells of ``assignment``, from ``solutions/`` (never the submission); empty
    when there is no solution notebook (then the tags and metadata alone decide). Read once per
    process and version of the file (every submission asks)."""
    from ..notebooks import ROOT, solution_path

    path = solution_path(assignment, root or ROOT)
    try:
        stamp = path.stat().st_mtime_ns
    except (OSError, TypeError):
        return InstructorCells()
    return _read_instructor_cells(str(path), stamp)


@functools.lru_cache(maxsize=16)
def _read_instructor_cells(path: str, _stamp: int) -> InstructorCells:
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return InstructorCells()
    code = [c for c in nb.cells if c.cell_type == "code"]
    return InstructorCells(
        setup=tuple(c.source for c in code if "setup" in c.metadata.get("tags", [])),
        ids=frozenset(c.get("id") for c in nb.cells if c.get("id")),
        sources=frozenset(c.source.strip() for c in code))


def _nbgrader_role(cell) -> bool:
    nbg = cell.get("metadata", {}).get("nbgrader", {})
    return isinstance(nbg, dict) and bool(nbg.get("solution") or nbg.get("grade") or nbg.get("locked"))


def added_by_student(cell, instructor: InstructorCells) -> bool:
    """Is this a code cell the student added: not blank, no nbgrader role, and neither its ``id``
    nor its source is one of the instructor's notebook (a demo cell the student edited keeps its
    ``id``; a copy of an instructor's cell has the same source: neither counts)?"""
    if cell.get("cell_type") != "code" or _nbgrader_role(cell) or not instructor.ids:
        return False
    source = cell_source(cell).strip()
    return bool(source) and cell.get("id") not in instructor.ids and source not in instructor.sources


def cell_runs_at_grading(cell, setup_sources=(), instructor: InstructorCells | None = None) -> bool:
    """Does this code cell run in nbgrader's autograde (see the module)?"""
    if _nbgrader_role(cell):
        return True
    tags = cell.get("metadata", {}).get("tags", [])
    source = cell_source(cell)
    instructor = instructor or InstructorCells()
    return (isinstance(tags, list) and "setup" in tags) or source in (*setup_sources, *instructor.setup) \
        or added_by_student(cell, instructor)


class SkipDemoCells(NbGraderPreprocessor):  # enabled by default, as nbconvert's are not
    """Blank every demo cell's source before ``Execute``; the originals go into ``resources``."""

    def preprocess(self, nb, resources):
        instructor = instructor_cells((resources.get("nbgrader") or {}).get("assignment"))
        stash = {}
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and not cell_runs_at_grading(cell, instructor=instructor):
                stash[i] = cell.source
                cell.source = ""
                cell.outputs = []
        resources[_STASH] = stash
        return nb, resources


class RestoreDemoCells(NbGraderPreprocessor):
    """Put back the sources :class:`SkipDemoCells` blanked (the cells keep no outputs)."""

    def preprocess(self, nb, resources):
        for i, source in resources.pop(_STASH, {}).items():
            nb.cells[i].source = source
        return nb, resources


def autograde_preprocessors() -> list:
    """nbgrader's own autograde pipeline with :class:`SkipDemoCells` before ``Execute`` and
    :class:`RestoreDemoCells` after it (for ``Autograde.autograde_preprocessors``)."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    default = list(Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default())
    i = default.index(Execute)
    return [*default[:i], SkipDemoCells, Execute, RestoreDemoCells, *default[i + 1:]]
