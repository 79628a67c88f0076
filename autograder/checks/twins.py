"""The course's one rule on what an answer may call, and its enforcement.

**The rule.** An answer may use NumPy, anything of nnlib that is not the reference answer of an
exercise of *its own notebook*, helper functions defined in its own answer cell or in a code cell
the student added (grading runs those too: :mod:`autograder.grading.demo_cells`), and the
student's own answers from earlier in the same notebook. It may not call nnlib's twin of an exercise of its
notebook (``nnlib.dense_backward`` in notebook 06, say), directly or through another nnlib
function.

The grading re-check (:mod:`autograder.grading.sandbox_main`) enforces it by replacing every twin
of the assignment's exercises, wherever a loaded module holds it, by a function that raises
:class:`ReferenceBlocked`. :func:`refusing_twins` does the same around each call of a student
function in the student's own kernel, and puts everything back afterwards, so the check cell and
the graded cell reach the same verdict as the re-check. The judge reports such a call as
``calls_reference``.

No nnlib here: the sandbox imports this module and must not depend on the references.
"""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager, nullcontext

__all__ = ["ReferenceBlocked", "block_twins", "blocked_call", "refusal_for", "refuser", "refusing_twins"]


class ReferenceBlocked(Exception):
    """Raised when an answer calls nnlib's reference answer of an exercise of its notebook."""


_MESSAGE = re.compile(r"^nnlib\.(\w+) is the reference answer of the exercise (\w+)\b")


def refuser(reference_name: str, exercise: str):
    """A function that stands for ``nnlib.<reference_name>`` and refuses to run."""
    def refused(*args, **kwargs):
        raise ReferenceBlocked(
            f"nnlib.{reference_name} is the reference answer of the exercise {exercise} of this "
            "notebook: an answer may not call it (grading refuses it too)")

    refused.__name__ = reference_name
    refused.__qualname__ = reference_name
    refused.__wrapped_twin__ = True
    return refused


def blocked_call(error: dict) -> tuple[str, str] | None:
    """``(nnlib function, its exercise)`` if ``error`` (as from runner.error_info) is a refusal."""
    if not error or error.get("type") != "ReferenceBlocked":
        return None
    m = _MESSAGE.match(str(error.get("message", "")))
    return (m.group(1), m.group(2)) if m else ("?", "?")


def _locations(by_id: dict, namespaces):
    """Every ``(container, key, old value, new value)`` where a namespace holds a twin (directly,
    in a dict such as an activation table, or in a tuple inside such a dict).

    Dicts are read with ``dict.items`` itself: a subclass's own ``items`` (matplotlib's
    ``rcParams`` validates every read) would cost more than the rest of the scan."""
    found = []
    for d in namespaces:
        if not isinstance(d, dict):
            continue
        for key, value in list(dict.items(d)):
            if id(value) in by_id:
                found.append((d, key, value, by_id[id(value)]))
            elif isinstance(value, dict):
                for k, v in list(dict.items(value)):
                    if id(v) in by_id:
                        found.append((value, k, v, by_id[id(v)]))
                    elif isinstance(v, tuple) and any(id(x) in by_id for x in v):
                        found.append((value, k, v, tuple(by_id.get(id(x), x) for x in v)))
    return found


def _namespaces(extra=(), *, modules=True):
    seen, out = set(), []
    loaded = [getattr(m, "__dict__", None) for m in list(sys.modules.values())] if modules else []
    for d in loaded + list(extra):
        if isinstance(d, dict) and id(d) not in seen:
            seen.add(id(d))
            out.append(d)
    return out


#: ``frozenset(twin ids) -> {twin id: refuser}``: one refuser per twin for the kernel's lifetime.
_REFUSERS: dict = {}
#: ``(twin ids, number of loaded modules) -> locations`` in the modules' namespaces, but for
#: ``__main__``'s (see :class:`_Refusal`).
_MODULE_PLACES: dict = {}


def _refusers(twins: dict) -> dict:
    key = frozenset(id(fn) for fn in twins.values())
    if key not in _REFUSERS:
        _REFUSERS[key] = {id(fn): refuser(fn.__name__, name) for name, fn in twins.items()}
    return _REFUSERS[key]


def block_twins(twins: dict, exercises: dict | None = None) -> None:
    """For good (the re-check sandbox): replace every twin ``{exercise: function}`` wherever a
    loaded module holds it, and in the exercise registry ``exercises`` if given."""
    by_id = _refusers(twins)
    for container, key, _old, new in _locations(by_id, _namespaces()):
        container[key] = new
    if exercises is not None:
        import dataclasses

        for key, ex in list(exercises.items()):
            if ex.reference is not None and id(ex.reference) in by_id:
                exercises[key] = dataclasses.replace(ex, reference=by_id[id(ex.reference)])


class _Refusal:
    """The twins' locations, swapped in and out around each call.

    A check calls the answer once per case, and a kernel holds 1,000-2,000 modules: scanning them
    all for every call cost 0.12 s a call, 2-3 s of every graded notebook. So the scan of the
    loaded modules is kept until a module is imported (twins only move between modules if code
    assigns module attributes, which an answer has no reason to do), while the student's own
    namespaces (``__main__``, the answer's globals), where ``from nnlib import ...`` or a table of
    functions really appears between two calls, are scanned on every call."""

    def __init__(self, twins: dict, extra_namespaces=()):
        by_id = _refusers(twins)
        main = getattr(sys.modules.get("__main__"), "__dict__", None)
        own = _namespaces([main, *extra_namespaces], modules=False)
        key = (frozenset(by_id), len(sys.modules))
        if key not in _MODULE_PLACES:
            _MODULE_PLACES.clear()
            _MODULE_PLACES[key] = _locations(by_id, _namespaces())
        skip = {id(d) for d in own}
        self.places = [p for p in _MODULE_PLACES[key] if id(p[0]) not in skip] + _locations(by_id, own)

    @contextmanager
    def active(self):
        done = []
        try:
            for container, key, old, new in self.places:
                if container.get(key) is old:
                    container[key] = new
                    done.append((container, key, old, new))
            yield
        finally:
            for container, key, old, new in reversed(done):
                if container.get(key) is new:  # the call may have rebound it: leave that alone
                    container[key] = old


def refusing_twins(twins: dict, extra_namespaces=()) -> _Refusal:
    """An object whose ``active()`` context refuses the twins ``{exercise: function}`` for the
    duration of one call, then restores every namespace it changed."""
    return _Refusal(twins, extra_namespaces)


def _is_refuser(fn) -> bool:
    return getattr(fn, "__wrapped_twin__", False) is True


def notebook_twins(name: str) -> dict:
    """``{exercise: nnlib function}`` for every exercise of ``name``'s notebook (refusers left out:
    in the re-check sandbox they are already in place)."""
    from ..exercises import EXERCISES, exercises_for, get_exercise

    refs = {ex.name: EXERCISES[ex.name].reference for ex in exercises_for(get_exercise(name).assignment)}
    return {ex: ref for ex, ref in refs.items() if ref is not None and not _is_refuser(ref)}


def refusal_for(name: str, fn):
    """``(function to call, context)`` for one call of ``fn`` as the answer to exercise ``name``.

    - ``fn`` is a twin that the notebook's own namespace binds to ``name`` (``from nnlib import
      dense_forward``): a refusing function, as the re-check would bind that name to one;
    - ``fn`` is a twin otherwise (the checks' own tests check the references): ``fn``, no refusal;
    - anything else: ``fn``, with every twin of the notebook refused while it runs.
    """
    twins = notebook_twins(name)
    main = getattr(sys.modules.get("__main__"), "__dict__", {})
    for exercise, twin in twins.items():
        if fn is twin:
            if main.get(name) is twin:
                return refuser(twin.__name__, exercise), nullcontext()
            return fn, nullcontext()
    if not twins:
        return fn, nullcontext()
    return fn, refusing_twins(twins, [getattr(fn, "__globals__", None)]).active()
