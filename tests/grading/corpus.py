"""Synthetic submissions of 01_perceptron for the grading tests: honest, blank, partly wrong,
malformed, and an attack corpus (each tries one trick on perceptron_predict; its honest twin,
perceptron_epoch, stays correct, so the expected score of every attack is 0 + 3 unless noted)."""

from __future__ import annotations

import copy
import json
import os
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




# --- isolation attacks (tests/grading/test_isolation.py) -----------------------------------------
# Each answer cell defines the right perceptron_predict only if its attack failed, so an attack that
# works in nbgrader's kernel or in the re-check costs that student the points, and the test sees it.
# Every one of them also looks for, then plants, a file in /tmp, /var/tmp, /dev/shm and HOME: graded
# by two workers, at least two of them share a slot, and none may find what another planted.

PLANTED = "nncourse-isolation-planted"

_PROBE = '''import ctypes, os, signal, socket
_escaped = []
for _d in ("/tmp", "/var/tmp", "/dev/shm", os.path.expanduser("~")):
    _p = os.path.join(_d, %(planted)r)
    if os.path.exists(_p):
        _escaped.append("found " + _p)
    try:
        with open(_p, "w") as _f:
            _f.write("left by an earlier submission")
    except OSError:
        pass
'''

_ATTACKS = {
    # a TCP connection to the test's listener on 127.0.0.1
    "tcp": '''try:
    socket.create_connection(("127.0.0.1", %(port)d), timeout=3).sendall(b"escaped")
    _escaped.append("tcp")
except OSError:
    pass
''',
    # list the machine's processes and read their command lines
    "proc": '''_pids = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
_seen = []
for _p in _pids:
    try:
        _seen.append(open(f"/proc/{_p}/cmdline", "rb").read())
    except OSError:
        pass
if len(_pids) > 1 or any(b"pytest" in _c for _c in _seen):  # PID 1, the namespace's init, is allowed
    _escaped.append(f"proc: {len(_pids)} other processes")
''',
    # ptrace the grading worker (its pid as the test knows it, and the parent)
    "ptrace": '''_libc = ctypes.CDLL(None, use_errno=True)
for _pid in (%(runner)d, os.getppid(), 1):
    if _libc.ptrace(16, _pid, 0, 0) == 0:  # PTRACE_ATTACH
        _escaped.append(f"ptrace {_pid}")
        _libc.ptrace(17, _pid, 0, 0)
if _libc.ptrace(0, 0, 0, 0) == 0:  # PTRACE_TRACEME
    _escaped.append("traceme")
''',
    # signal every process it can name or reach: the test's, the other slots', kill(-1)
    "signals": '''for _pid in [%(runner)d, *(int(p) for p in os.listdir("/proc") if p.isdigit())]:
    if _pid != os.getpid():
        try:
            os.kill(_pid, signal.SIGKILL)
        except OSError:
            pass
try:
    os.kill(-1, signal.SIGKILL)  # every process this uid may signal, but itself
except OSError:
    pass
''',
    # RAM that RLIMIT_AS does not count: 1 GiB of files in /tmp and in /dev/shm (tmpfs), 1 GiB of
    # memfd files; more than 256 MiB held means the machine's memory is the submission's to eat
    "ram_fill": '''_held, _chunk, _made = 0, b"x" * 2**20, []
for _d in ("/tmp", "/dev/shm"):
    for _i in range(64):
        _p = os.path.join(_d, f"nncourse-fill{_i}")
        _made.append(_p)
        try:
            with open(_p, "wb") as _f:
                for _ in range(16):
                    _f.write(_chunk)
                    _f.flush()
                    _held += len(_chunk)
        except OSError:
            break
_fds = []
try:
    for _i in range(64):
        _fds.append(os.memfd_create("fill"))
        for _ in range(16):
            os.write(_fds[-1], _chunk)
            _held += len(_chunk)
except (OSError, AttributeError):
    pass
if _held > 256 * 2**20:
    _escaped.append(f"held {_held >> 20} MiB outside the memory limit")
for _p in _made:  # the probe itself must still run: free the room again
    try:
        os.unlink(_p)
    except OSError:
        pass
for _fd in _fds:
    os.close(_fd)
''',
    # namespaces and mounts: new user namespace, mount, unshare
    "namespaces": '''_libc = ctypes.CDLL(None, use_errno=True)
if _libc.unshare(0x10000000) == 0:
    _escaped.append("unshare")
if _libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0:
    _escaped.append("mount")
''',
}


def isolation_attacks(port: int, runner: int) -> dict:
    """name -> answer cell source of perceptron_predict (right only if the attack failed)."""
    out = {}
    for name, body in {**_ATTACKS, "tmp_a": "", "tmp_b": "", "tmp_c": ""}.items():
        src = (_PROBE + body) % {"planted": PLANTED, "port": port, "runner": runner}
        out[name] = src + "if _escaped:\n    print('escaped:', _escaped)\n" + \
            "    " + WRONG.replace("\n", "\n    ").rstrip() + "\nelse:\n    " + \
            RIGHT.replace("\n", "\n    ").rstrip() + "\n"
    return out


def build_isolation_class(course_dir: Path, port: int, runner: int) -> tuple[dict, dict]:
    """The isolation attacks and the malformed folders of issue 16; returns
    ``(expected scores, {malformed student: words its reason must contain})``."""
    sub = course_dir / "submitted"
    expected, reasons = {}, {}

    def folder(student):
        d = sub / student / A
        d.mkdir(parents=True, exist_ok=True)
        return d

    nbformat.write(_nb(), folder("honest") / f"{A}.ipynb")
    expected["honest"] = dict(POINTS)
    for name, source in isolation_attacks(port, runner).items():
        nb = _nb()
        predict_answer(source)(nb)
        nbformat.write(nb, folder(f"iso_{name}") / f"{A}.ipynb")
        expected[f"iso_{name}"] = dict(POINTS)
    nbformat.write(_nb(), folder("zoë") / f"{A}.ipynb")  # unicode in an id: graded like anyone
    expected["zoë"] = dict(POINTS)
    honest = folder("honest") / f"{A}.ipynb"
    for student, target, words in (
            ("link_shadow", "/etc/shadow", "symbolic link"),
            ("link_gradebook", str(course_dir / "gradebook.db"), "symbolic link"),
            ("link_other_student", str(honest), "symbolic link")):
        os.symlink(target, folder(student) / f"{A}.ipynb")
        reasons[student] = words
    os.symlink(sub / "honest", sub / "link_folder")  # a whole student folder as a link
    reasons["link_folder"] = "symbolic link"
    with open(folder("huge") / f"{A}.ipynb", "wb") as f:  # 300 MB, sparse: cheap to make
        f.truncate(300 * 1024**2)
    reasons["huge"] = "MB"
    (folder("deep_json") / f"{A}.ipynb").write_text("[" * 200_000 + "]" * 200_000)
    reasons["deep_json"] = "nested"
    (folder("not_utf8") / f"{A}.ipynb").write_bytes(b'{"cells": ["\xff\xfe"]}')
    reasons["not_utf8"] = "UTF-8"
    nb = _nb()
    _cell(nb, "perceptron_predict").outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="x")] * 1_000_000
    (folder("million_outputs") / f"{A}.ipynb").write_text(json.dumps(nb))  # ~55 MB
    reasons["million_outputs"] = "MB"
    nb = _nb()
    _cell(nb, "perceptron_predict").outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="x")] * 20_000
    (folder("many_outputs") / f"{A}.ipynb").write_text(json.dumps(nb))
    reasons["many_outputs"] = "outputs"
    for student, words in (("with space", "space"), ("a..b", "'..'"), ("new\nline", "control")):
        nbformat.write(_nb(), folder(student) / f"{A}.ipynb")
        reasons[student] = words
    for student in reasons:
        expected[student] = {k: 0 for k in POINTS}
    return expected, reasons
