"""Synthetic submissions of 01_perceptron for the grading tests: honest, blank, partly wrong,
malformed, and an attack corpus (each tries one trick on perceptron_predict; its honest twin,
perceptron_epoch, stays correct, so the expected score of every attack is 0 + 3 unless noted)."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from autograder.notebooks import solution_path

A = "01_perceptron"
POINTS = {"perceptron_predict": 2, "perceptron_epoch": 3}

RIGHT = '''def perceptron_predict(X, w, b):
    return np.where(X @ w + b > 0, 1, -1)
'''
WRONG = '''def perceptron_predict(X, w, b):
    return np.where(X @ w + b > 0, -1, 1)   # sign flipped: every prediction wrong
'''


def _nb():
    return nbformat.read(solution_path(A), as_version=4)


def _cell(nb, grade_id):
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return c
    raise KeyError(grade_id)


def blank(nb):
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("solution"):
            c.source = c.source.split("### BEGIN SOLUTION")[0] + "# YOUR CODE HERE\nraise NotImplementedError()"


def predict_answer(source):
    def mutate(nb):
        _cell(nb, "perceptron_predict").source = source
    return mutate


def metadata_edit(nb):
    _cell(nb, "perceptron_predict").source = WRONG
    g = _cell(nb, "perceptron_predict_tests")
    g.metadata["nbgrader"]["points"] = 100
    g.metadata["nbgrader"]["checksum"] = "0" * 32
    g.source = '"""Check perceptron_predict on fresh cases (graded)."""\npass'
    _cell(nb, "perceptron_predict").metadata["nbgrader"].update({"grade": True, "points": 50})


def delete_tests(nb):
    _cell(nb, "perceptron_predict").source = WRONG
    nb.cells = [c for c in nb.cells if "grade(" not in c.source and "run_check(" not in c.source]


def reorder_tests(nb):
    _cell(nb, "perceptron_predict").source = WRONG
    g = _cell(nb, "perceptron_predict_tests")
    nb.cells.remove(g)
    nb.cells.insert(1, g)


def course_writes(course_dir: Path) -> str:
    targets = [course_dir / "gradebook.db", course_dir / "submitted" / "honest" / A / f"{A}.ipynb",
               course_dir / "reports" / "grades.csv"]
    return WRONG + "import os\nfor _p in %r:\n    try:\n        open(_p, 'w').write('pwned')\n" \
        "    except Exception:\n        pass\n" % [str(t) for t in targets]


def attacks(course_dir: Path) -> dict:
    """name -> (mutation, expected {exercise: score})."""
    sol_path = str(solution_path(A))
    zero_predict = {"perceptron_predict": 0, "perceptron_epoch": 3}
    full = {"perceptron_predict": 2, "perceptron_epoch": 3}
    return {
        "input_transformer": (predict_answer(
            WRONG + "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])\n"), zero_predict),
        "post_run_cell_hook": (predict_answer(
            WRONG + "get_ipython().events.register('post_run_cell', lambda *a: None)\n"), zero_predict),
        "patch_numpy": (predict_answer(
            WRONG + "np.testing.assert_allclose = lambda *a, **k: None\nnp.allclose = lambda *a, **k: True\n"
            "np.array_equal = lambda *a, **k: True\n"), zero_predict),
        "patch_checks": (predict_answer(
            WRONG + "import autograder.checks as _c\n_c.grade = _c.run_check = lambda *a, **k: None\n"
            "globals()['grade'] = globals()['run_check'] = lambda *a, **k: None\n"
            "import autograder.checks.diagnose as _d\n_d.judge = lambda *a, **k: None\n"), zero_predict),
        "patch_builtins": (predict_answer(
            WRONG + "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.len = lambda x: 0\n"),
            zero_predict),
        "patch_showtraceback": (predict_answer(
            WRONG + "get_ipython().showtraceback = lambda *a, **k: None\n"), zero_predict),
        "always_equal": (predict_answer(
            "class _AlwaysEqual:\n    def __eq__(self, other):\n        return True\n"
            "    def __array__(self, *a, **k):\n        return np.ones(1)\n"
            "def perceptron_predict(X, w, b):\n    return _AlwaysEqual()\n"), zero_predict),
        "nbgrader_env": (predict_answer(
            WRONG + "import os\nif os.environ.get('NBGRADER_EXECUTION'):\n"
            "    globals()['grade'] = lambda *a, **k: None\n"), zero_predict),
        "sys_exit": (predict_answer(RIGHT + "import sys\nsys.exit(0)\n"), zero_predict),
        "os_exit": (predict_answer(RIGHT + "import os\nos._exit(0)\n"), zero_predict),
        "raise_system_exit": (predict_answer(RIGHT + "raise SystemExit\n"), zero_predict),
        "infinite_loop": (predict_answer(
            RIGHT + "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"),
            zero_predict),
        "memory_bomb": (predict_answer(RIGHT + "_hog = np.ones(10**11)\n"), zero_predict),
        "fork_bomb": (predict_answer(
            "import os, time\nfor _ in range(50):\n    try:\n        if os.fork() == 0:\n"
            "            time.sleep(30)\n            os._exit(0)\n    except OSError:\n        break\n"
            + RIGHT), full),
        "read_solutions": (predict_answer(
            "import json\ntry:\n    _nb = json.load(open(%r))\n" % sol_path
            + "    _src = [''.join(c['source']) for c in _nb['cells'] if 'def perceptron_predict' in ''.join(c['source'])]\n"
            "    exec(_src[0])\nexcept Exception:\n" + "".join("    " + line + "\n" for line in WRONG.splitlines())),
            zero_predict),
        "write_course_files": (predict_answer(course_writes(course_dir)), zero_predict),
        "edit_metadata": (metadata_edit, zero_predict),
        "delete_tests": (delete_tests, zero_predict),
        "reorder_tests": (reorder_tests, zero_predict),
        "import_twin": (predict_answer("from nnlib import perceptron_predict\n"), zero_predict),
        "print_megabytes": (predict_answer(RIGHT + "print('x' * 20_000_000)\n"), full),
        "stderr_in_test": (predict_answer(
            "import sys\ndef perceptron_predict(X, w, b):\n    sys.stderr.write('debug\\n')\n"
            "    return np.where(X @ w + b > 0, 1, -1)\n"), full),
    }


def build_class(course_dir: Path, with_attacks: bool = True) -> dict:
    """Write submitted/<student>/01_perceptron/ for every student; return expected scores
    ({student: {exercise: score}}; malformed students expect zeros)."""
    sub = course_dir / "submitted"
    expected = {}

    def put(student, nb=None, raw=None, name=f"{A}.ipynb"):
        d = sub / student / A
        d.mkdir(parents=True, exist_ok=True)
        if nb is not None:
            nbformat.write(nb, d / name)
        elif raw is not None:
            (d / name).write_bytes(raw)

    put("honest", _nb())
    expected["honest"] = dict(POINTS)
    nb = _nb()
    blank(nb)
    put("blank", nb)
    expected["blank"] = {k: 0 for k in POINTS}
    nb = _nb()
    predict_answer(WRONG)(nb)
    put("partly_wrong", nb)
    expected["partly_wrong"] = {"perceptron_predict": 0, "perceptron_epoch": 3}
    zeros = {k: 0 for k in POINTS}
    put("not_json", raw=b"{this is not json")
    put("empty_file", raw=b"")
    put("renamed", _nb(), name="my_perceptron.ipynb")
    put("duplicated", _nb())
    put("duplicated", _nb(), name=f"{A} (copy).ipynb")
    (sub / "no_assignment_folder" / "02_logistic_neuron").mkdir(parents=True)
    (sub / "nothing").mkdir(parents=True)
    for s in ("not_json", "empty_file", "renamed", "duplicated", "no_assignment_folder", "nothing"):
        expected[s] = dict(zeros)
    if with_attacks:
        for name, (mutate, exp) in attacks(course_dir).items():
            nb = copy.deepcopy(_nb())
            mutate(nb)
            put(f"attack_{name}", nb)
            expected[f"attack_{name}"] = exp
    return expected


def read_csv(path: Path) -> dict:
    import csv

    with open(path, newline="") as f:
        return {(r["student"], r["exercise"]): r for r in csv.DictReader(f)}


