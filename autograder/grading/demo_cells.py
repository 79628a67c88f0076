"""Demo cells do not run at grading: two nbgrader preprocessors around nbgrader's ``Execute``.

A course notebook mixes the cells a grade depends on with demos (figures, experiments, widgets)
whose outputs nobody grades; in 04_xor the demos (500 small trainings, a widget) were 7 of the 8
seconds nbgrader's autograde spent on each submission. A graded cell calls ``grade("NAME", NAME)``:
it needs the set-up cell (the imports and ``grade``) and the answer cells, nothing a demo defines
(a test reads every solution notebook to keep it so). The isolated re-check runs exactly set-up and
answers already. So in the worker's autograde pipeline (:mod:`.autograde`):

- :class:`SkipDemoCells`, just before ``Execute``, blanks the source of every code cell that is
  not a set-up cell (tagged ``setup``, or the instructor's set-up source), an answer or graded
  cell (nbgrader metadata), or a check cell (it calls ``run_check``/``grade``: its output is the
  student's diagnosis in the feedback); ``Execute`` skips blank cells;
- :class:`RestoreDemoCells`, just after ``Execute``, puts their source back (without outputs),
  so the autograded notebook and the feedback show the whole notebook, as submitted.

A helper a student defines in a cell of their own is therefore not run by nbgrader either, as it
never was by the re-check: answers must be self-contained, which the notebooks say.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from ..notebooks import _CHECK_CALL as CHECK_CALL

__all__ = ["RestoreDemoCells", "SkipDemoCells", "autograde_preprocessors", "cell_runs_at_grading"]

_STASH = "nncourse_demo_sources"


def cell_runs_at_grading(cell, setup_sources=()) -> bool:
    """Does this code cell run in nbgrader's autograde (see the module)?"""
    nbg = cell.get("metadata", {}).get("nbgrader", {})
    if isinstance(nbg, dict) and (nbg.get("solution") or nbg.get("grade") or nbg.get("locked")):
        return True
    tags = cell.get("metadata", {}).get("tags", [])
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else str(source)
    return (isinstance(tags, list) and "setup" in tags) or source in setup_sources \
        or bool(CHECK_CALL.search(source))


def _setup_sources(resources) -> tuple[str, ...]:
    """The set-up cells of the instructor's notebook (a student may have dropped the tag)."""
    import nbformat

    from ..notebooks import solution_path

    assignment = (resources.get("nbgrader") or {}).get("assignment")
    try:
        nb = nbformat.read(solution_path(assignment), as_version=4)
    except Exception:  # no solution notebook: the tag alone decides
        return ()
    return tuple(c.source for c in nb.cells
                 if c.cell_type == "code" and "setup" in c.metadata.get("tags", []))


class SkipDemoCells(NbGraderPreprocessor):  # enabled by default, as nbconvert's are not
    """Blank every demo cell's source before ``Execute``; the originals go into ``resources``."""

    def preprocess(self, nb, resources):
        setup = _setup_sources(resources)
        stash = {}
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and not cell_runs_at_grading(cell, setup):
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
