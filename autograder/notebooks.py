"""Keeping the course notebooks honest: nbgrader metadata from the registry, and the release.

Authors write ``solutions/<assignment>/<assignment>.ipynb`` following the course pattern and never
edit nbgrader metadata by hand. :func:`sync_metadata` derives it:

- a code cell with ``### BEGIN SOLUTION`` that defines a registered exercise ``def NAME(`` becomes
  that exercise's answer cell (``grade_id = NAME``, editable);
- a code cell that calls ``grade("NAME", ...)`` becomes its read-only graded cell, worth the
  registry's points (``grade_id = NAME_tests``);
- every other cell carries no nbgrader metadata; outputs and execution counts are cleared;
- check and graded cells are tagged ``raises-exception``: in a blank copy they raise by design,
  and JupyterLab's "Run All" must carry on past them to the demos.

:func:`release` then runs ``nbgrader generate_assignment`` into ``course/`` (or another folder).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from .exercises import ASSIGNMENTS, exercises_for

__all__ = ["ROOT", "NotebookError", "cell_source", "release", "solution_path", "sync_metadata"]

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_VERSION = 3
_DEF = re.compile(r"^def (\w+)\(", re.MULTILINE)
_GRADE = re.compile(r"""\bgrade\(\s*["'](\w+)["']""")
_CHECK_CALL = re.compile(r"""\b(run_check|grade)\(\s*["']""")
RAISES = "raises-exception"


class NotebookError(ValueError):
    """A solution notebook does not follow the course pattern."""


def cell_source(cell) -> str:
    """A cell's source as one string, from a notebook read as plain JSON (a list of lines, or a
    string; anything else a hostile submission put there, as its ``str``)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def solution_path(assignment: str, root: Path = ROOT) -> Path:
    return root / "solutions" / assignment / f"{assignment}.ipynb"


def _answer_meta(name: str) -> dict:
    return {"grade": False, "grade_id": name, "locked": False, "schema_version": SCHEMA_VERSION,
            "solution": True}


def _graded_meta(name: str, points: int) -> dict:
    return {"grade": True, "grade_id": f"{name}_tests", "locked": True, "points": points,
            "schema_version": SCHEMA_VERSION, "solution": False}


def sync_metadata(assignment: str, root: Path = ROOT, write: bool = True) -> bool:
    """Derive the nbgrader metadata of one solution notebook; return True if anything changed."""
    path = solution_path(assignment, root)
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    exercises = {ex.name: ex for ex in exercises_for(assignment)}
    answers: dict[str, int] = {}
    gradeds: dict[str, int] = {}
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        src = cell.source
        # Check and graded cells raise in a blank copy by design; the tag lets JupyterLab's
        # "Run All" carry on past them to the demos (and tells nbval they may raise).
        tags = [t for t in cell.metadata.get("tags", []) if t != RAISES]
        if _CHECK_CALL.search(src):
            tags.append(RAISES)
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
        if "### BEGIN SOLUTION" in src:
            names = [n for n in _DEF.findall(src) if n in exercises]
            if len(names) != 1:
                raise NotebookError(
                    f"{path.name} cell {i}: a solution cell must define exactly one registered "
                    f"exercise of {assignment} ({', '.join(exercises)}); found {names}"
                )
            answers[names[0]] = i
            cell.metadata["nbgrader"] = _answer_meta(names[0])
        elif "### BEGIN HIDDEN TESTS" in src or _GRADE.search(src):
            names = sorted(set(_GRADE.findall(src)))
            if len(names) != 1 or names[0] not in exercises:
                raise NotebookError(
                    f"{path.name} cell {i}: a graded cell must grade exactly one registered "
                    f"exercise of {assignment}; found {names}"
                )
            gradeds[names[0]] = i
            cell.metadata["nbgrader"] = _graded_meta(names[0], exercises[names[0]].points)
    for name in exercises:
        if name not in answers or name not in gradeds:
            raise NotebookError(f"{path.name}: exercise {name!r} needs an answer cell and a graded cell")
        if gradeds[name] < answers[name]:
            raise NotebookError(f"{path.name}: the graded cell of {name!r} comes before its answer")
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    after = nbformat.writes(nb)
    if after != before and write:
        nbformat.write(nb, path)
    return after != before


def alembic_head() -> str:
    """The head revision of nbgrader's gradebook migrations, computed in this process.

    nbgrader 0.9.6 stamps every new gradebook with it by running ``alembic heads`` in a
    subprocess, which imports nbgrader again and costs about 6 s here, once per new gradebook
    (each grading worker has one). Reading the same migration scripts with alembic's own API
    gives the same revision (a test compares the two) in about 0.2 s.
    """
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.api import _temp_alembic_ini

    with _temp_alembic_ini("sqlite:////tmp/gradebook.db") as ini:
        return ScriptDirectory.from_config(Config(ini)).get_current_head()


def _use_inprocess_alembic_head() -> None:
    import functools

    import nbgrader.api

    if not getattr(nbgrader.api.get_alembic_version, "nncourse", False):
        head = functools.cache(alembic_head)
        head.nncourse = True
        nbgrader.api.get_alembic_version = head


def nbgrader_api(course_dir: Path, release_dir: Path | None = None, root: Path = ROOT,
                 overrides: dict | None = None):
    """An ``NbGraderAPI`` configured by the repo's ``nbgrader_config.py`` for ``course_dir``.

    Run it in a subprocess: nbgrader reconfigures logging and holds the gradebook open.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    _use_inprocess_alembic_head()

    os.environ["NNCOURSE_COURSE_DIR"] = str(course_dir)
    if release_dir is not None:
        os.environ["NNCOURSE_RELEASE_DIR"] = str(release_dir)
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    for section, values in (overrides or {}).items():
        for key, value in values.items():
            cfg[section][key] = value
    return NbGraderAPI(CourseDirectory(config=cfg), config=cfg)


def child_env(env: dict | None = None) -> dict:
    """A copy of ``env`` (default: ours) whose PATH starts with this Python's folder, so that the
    tools nbgrader runs (alembic, jupyter) are the ones of this environment."""
    env = dict(os.environ if env is None else env)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def run_entry_point(module: str, function: str, args, what: str, root: Path = ROOT,
                    env: dict | None = None) -> str:
    """Run ``module.function()`` with ``args`` as ``sys.argv[1:]`` in a fresh Python (nbgrader
    reconfigures logging and holds its gradebook open, so it gets a process of its own); return
    its stdout, or raise ``RuntimeError`` with ``what`` and the end of its stderr."""
    out = subprocess.run(
        [sys.executable, "-c", f"import {module} as m; m.{function}()", *map(str, args)],
        cwd=root, env=child_env(env), capture_output=True, text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{out.stderr[-4000:]}")
    return out.stdout


def _release_main(argv=None) -> None:
    """Subprocess entry point of :func:`release`: ``DEST COURSE_DIR ASSIGNMENT...``."""
    dest, course_dir, *assignments = argv if argv is not None else sys.argv[1:]
    api = nbgrader_api(Path(course_dir), Path(dest))
    for a in assignments:
        result = api.generate_assignment(a, force=True, create=True)
        if not result["success"]:
            sys.stderr.write(f"nbgrader could not release {a}:\n{result.get('error')}\n{result.get('log')}")
            sys.exit(1)


def release(assignments=ASSIGNMENTS, dest: Path | None = None, root: Path = ROOT) -> Path:
    """Run nbgrader's ``generate_assignment`` for each assignment into ``dest`` (default ``course/``).

    One nbgrader process releases them all; its gradebook lives in a temporary folder, so releasing
    never touches a real one.
    """
    dest = (Path(dest) if dest is not None else root / "course").resolve()
    todo = [a for a in assignments if solution_path(a, root).exists()]
    if not todo:
        raise NotebookError(f"no solution notebooks to release among {list(assignments)}")
    with tempfile.TemporaryDirectory() as tmp:
        run_entry_point("autograder.notebooks", "_release_main", [str(dest), tmp, *todo],
                        "nbgrader generate_assignment", root)
    for a in todo:
        for junk in (dest / a).glob(".ipynb_checkpoints"):
            shutil.rmtree(junk)
    return dest


def execute(path: Path, allow_errors: bool = False, timeout: int = 60, cwd: Path | None = None):
    """Run a notebook top to bottom in a fresh kernel; return ``(executed_nb, seconds)``."""
    import time

    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
        resources={"metadata": {"path": str(cwd or Path(path).parent)}},
    )
    t0 = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - t0


def text_outputs(nb) -> list[str]:
    """The text a notebook printed, cell by cell (for determinism checks); widget cells skipped."""
    texts = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "NBVAL_IGNORE_OUTPUT" in cell.source:
            continue
        # Printed text may arrive in chunks that depend on the kernel's flush timing: compare the
        # text of each stream, joined, not the chunks.
        streams: dict[str, str] = {}
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                streams[out.name] = streams.get(out.name, "") + out.text
        texts += [f"{name}: {text}" for name, text in sorted(streams.items())]
        for out in cell.get("outputs", []):
            if out.output_type in ("execute_result", "display_data"):
                texts.append(out.get("data", {}).get("text/plain", ""))
            elif out.output_type == "error":
                texts.append(f"{out.ename}: {out.evalue}")
    return texts


def error_cells(nb) -> list[tuple[int, dict]]:
    """``(index, error output)`` of every cell that raised."""
    return [
        (i, out)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.output_type == "error"
    ]


def _autograde_main(argv=None) -> None:
    """Subprocess entry point of :func:`autograde_scores`: ``COURSE_DIR ASSIGNMENT STUDENT...``.

    Prints one JSON object: ``{student: {grade_id: [score, max_score]}}``.
    """
    import json

    course_dir, assignment, *students = argv if argv is not None else sys.argv[1:]
    with tempfile.TemporaryDirectory() as rel:
        api = nbgrader_api(Path(course_dir), Path(rel))
        if not api.generate_assignment(assignment, force=True, create=True)["success"]:
            sys.exit(f"could not register {assignment} in the gradebook")
        scores = {}
        for s in students:
            api.autograde(assignment, s, force=True, create=True)
            from nbgrader.api import Gradebook, MissingEntry

            with Gradebook(api.coursedir.db_url) as gb:
                try:
                    nb = gb.find_submission_notebook(assignment, assignment, s)
                except MissingEntry:
                    scores[s] = None
                    continue
                scores[s] = {g.name: [g.score, g.max_score] for g in nb.grades}
    print(json.dumps(scores))


def autograde_scores(course_dir: Path, assignment: str, students, root: Path = ROOT) -> dict:
    """Plain ``nbgrader autograde`` of ``course_dir/submitted/<student>/<assignment>/`` for each
    student, in one nbgrader process; returns ``{student: {grade_id: (score, max)} or None}``."""
    import json

    out = run_entry_point("autograder.notebooks", "_autograde_main",
                          [str(course_dir), assignment, *students], "nbgrader autograde", root)
    return json.loads(out.strip().splitlines()[-1])
