"""Intake: is a student's submission folder a notebook that can be graded?

:func:`validate_submission` is the first phase of grading one student (called by
:mod:`.worker`). It reads the folder and the notebook's JSON, runs nothing, and names what is wrong
in words a student can act on; an ungradable submission gets a zero and that sentence in the report.

Submission folders are untrusted too: the student id (a folder name) must be a plain login; the
folders and the notebook must be real folders and a regular file inside the course directory (no
symbolic link to ``/etc/shadow``, the gradebook or another student's notebook, no hard link, no
FIFO); the notebook is read through a descriptor opened without following links, at most
:data:`MAX_NOTEBOOK_BYTES` of it; deeply nested or non-UTF-8 JSON and notebooks with absurd numbers
of cells or outputs are refused before nbformat or nbgrader ever see them.
"""

from __future__ import annotations

import json
import os
import re
import stat
import unicodedata
from pathlib import Path

__all__ = ["MAX_CELLS", "MAX_ID_BYTES", "MAX_NOTEBOOK_BYTES", "MAX_OUTPUTS", "student_id_problem",
           "submitted_names", "validate_submission"]

MAX_NOTEBOOK_BYTES = 32 * 1024**2
MAX_CELLS = 2000
MAX_OUTPUTS = 10_000
MAX_DEPTH = 64
#: A student id is a folder name: at most 255 bytes of UTF-8 (NAME_MAX), as long as nbgrader's
#: own ``submitted/<id>/`` folder can be (its SQLite gradebook takes any length).
MAX_ID_BYTES = 255
_ID = re.compile(r"[\w.@+-]+")


def submitted_names(course_dir: Path) -> list[str]:
    """Every entry of ``course_dir/submitted/``, sorted: each is a student of the run, graded or
    given zeros and a line saying why (a folder whose name starts with ``.``, a file or a link
    where a folder should be): nothing there is skipped silently. A name that is not UTF-8 text
    is given with ``\\xNN`` escapes (and then refused by :func:`student_id_problem`), so that the
    CSV, the gradebook and the reports, all UTF-8, can name it."""
    sub = Path(course_dir) / "submitted"
    if not sub.is_dir():
        return []
    return sorted(os.fsencode(n).decode("utf-8", "backslashreplace") for n in os.listdir(sub))


def student_id_problem(student: str) -> str | None:
    """Why ``student`` (a folder name under ``submitted/``) cannot be a student id, or ``None``.

    Ids are logins: letters (any script), digits and ``_ - . @ +``, at most 255 bytes (a folder
    name's limit), not starting with ``.`` or ``-`` and without ``..``: they become parts of
    paths, the workers' line protocol and nbgrader's glob patterns."""
    shown = ascii(student)
    if not student:
        return "an empty student id"
    if any(unicodedata.category(c) == "Cs" for c in student) or "\\x" in student:
        try:
            name = os.fsencode(student).decode("utf-8", "backslashreplace")
        except UnicodeError:
            name = ascii(student)
        return (f"the folder name {name!r} is not UTF-8 text (its bytes are shown as \\xNN) or holds a "
                "backslash: rename the folder to the student's login")
    if len(student.encode()) > MAX_ID_BYTES:
        return f"the student id {shown[:40]}... is longer than {MAX_ID_BYTES} bytes"
    if any(unicodedata.category(c).startswith("C") for c in student):
        return f"the student id {shown} contains control characters (a newline?)"
    if any(c.isspace() for c in student):
        return (f"the student id {shown} contains a space: ids are logins (letters, digits, _ - . @ +); "
                "rename the folder to the student's login")
    if student[0] == ".":
        return (f"the folder {shown} starts with '.': such names are hidden (nbgrader and file browsers "
                "skip them) and are not logins; rename it to the student's login to have it graded")
    if ".." in student or student[0] == "-":
        return f"the student id {shown} contains '..' or starts with '-'"
    if not _ID.fullmatch(student):
        bad = sorted({c for c in student if not _ID.fullmatch(c)})
        return (f"the student id {shown} contains {', '.join(map(repr, bad))}: ids are logins "
                "(letters, digits, _ - . @ +)")
    return None


def _depth(obj, limit: int) -> int:
    """Nesting depth of a JSON value, without recursion (stops counting at ``limit``)."""
    deepest, todo = 0, [(obj, 1)]
    while todo:
        value, d = todo.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, d)
            if deepest > limit:
                return deepest
            todo.extend((v, d + 1) for v in (value.values() if isinstance(value, dict) else value))
    return deepest


def _real_folder(path: Path, what: str) -> str | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return f"{what} is a symbolic link (to {os.readlink(path)!r}): refused, only real folders are graded"
    if not stat.S_ISDIR(st.st_mode):
        kind = "a file" if stat.S_ISREG(st.st_mode) else "a special file"
        return (f"{what} is {kind}, not a folder: a submission is a folder "
                "submitted/<student>/<assignment>/ holding the notebook")
    return None


def _read_capped(path: Path, expected: str) -> tuple[bytes | None, str | None]:
    """The notebook's bytes, read without following links and at most the cap; or the problem."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if os.path.islink(path):
            return None, (f"{expected} is a symbolic link (to {os.readlink(path)!r}): refused, submit "
                          "the notebook itself")
        return None, f"{expected} cannot be opened ({exc.strerror})"
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            return None, f"{expected} is not a regular file"
        if st.st_nlink > 1:
            return None, f"{expected} is a hard link to another file: refused, submit a copy of the notebook"
        if st.st_size == 0:
            return None, f"{expected} is empty (0 bytes)"
        if st.st_size > MAX_NOTEBOOK_BYTES:
            return None, (f"{expected} is {st.st_size / 1024**2:.0f} MB, more than the "
                          f"{MAX_NOTEBOOK_BYTES // 1024**2} MB a submission may be: clear its outputs")
        data = f.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        return None, f"{expected} grew past {MAX_NOTEBOOK_BYTES // 1024**2} MB while it was read"
    return data, None


def validate_submission(course_dir: Path, assignment: str, student: str) -> tuple[Path | None, str | None]:
    """``(notebook, None)`` when the submission can be graded, else ``(None, what is wrong)``."""
    problem = student_id_problem(student)
    if problem:
        return None, problem
    course_dir = Path(course_dir)
    for part in (student, f"{student}/{assignment}"):
        problem = _real_folder(course_dir / "submitted" / part, f"submitted/{part}")
        if problem:
            return None, problem
    folder = course_dir / "submitted" / student / assignment
    expected = f"{assignment}.ipynb"
    if not folder.is_dir():
        return None, f"nothing submitted: no folder submitted/{student}/{assignment}/"
    real_course = os.path.realpath(course_dir)
    if os.path.commonpath([os.path.realpath(folder), real_course]) != real_course:
        return None, f"submitted/{student}/{assignment}/ is outside the course directory"
    notebooks = sorted(p.name for p in folder.glob("*.ipynb"))
    if expected not in notebooks:
        if notebooks:
            return None, (f"the notebook must be named {expected}; found {', '.join(notebooks)} "
                          "(renamed or copied?)")
        return None, f"no notebook in submitted/{student}/{assignment}/ (expected {expected})"
    if len(notebooks) > 1:
        others = [n for n in notebooks if n != expected]
        return None, f"more than one notebook submitted ({expected} and {', '.join(others)}): duplicated?"
    path = folder / expected
    data, problem = _read_capped(path, expected)
    if problem:
        return None, problem
    try:
        text = data.decode("utf-8")
        doc = json.loads(text)
    except UnicodeDecodeError as exc:
        return None, f"{expected} is not valid JSON: not UTF-8 text (byte {exc.start})"
    except json.JSONDecodeError as exc:
        return None, f"{expected} is not valid JSON ({exc.__class__.__name__}: {str(exc)[:120]})"
    except RecursionError:
        return None, f"{expected} is not a notebook: its JSON is nested too deeply"
    if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
        return None, f"{expected} is not a Jupyter notebook (no list of cells)"
    if _depth(doc, MAX_DEPTH) > MAX_DEPTH:
        return None, f"{expected} is not a notebook: its JSON is nested more than {MAX_DEPTH} levels deep"
    cells = doc["cells"]
    if len(cells) > MAX_CELLS:
        return None, f"{expected} has {len(cells)} cells, more than {MAX_CELLS}"
    outputs = sum(len(c.get("outputs", ())) for c in cells
                  if isinstance(c, dict) and isinstance(c.get("outputs", ()), list))
    if outputs > MAX_OUTPUTS:
        return None, (f"{expected} has {outputs} outputs, more than {MAX_OUTPUTS}: clear the outputs "
                      "(Edit > Clear Outputs of All Cells) and submit again")
    try:
        import nbformat

        nbformat.validate(nbformat.reads(text, as_version=4))
    except Exception as exc:  # nbformat raises several kinds
        return None, f"{expected} is not a valid notebook: {str(exc).splitlines()[0][:160]}"
    return path, None
