"""The twin refusal in the student's kernel keeps up with the kernel's state between checks.

The loaded modules are scanned for twins once per set of modules (see ``twins._Refusal``); the
student's own namespace is scanned on every call. These tests change the state between two checks
the way a notebook does (a later cell imports a twin, builds a table of functions, imports a
module) and expect the second check to refuse the twin as the grading re-check would, and every
namespace to hold nnlib's own function again afterwards.
"""

from __future__ import annotations

import sys
import types

import nnlib
from autograder.checks import check
from nnlib import layers


def _answer(body: str, namespace: dict):
    """``dense_backward`` defined in ``namespace``, as a notebook cell defines it in ``__main__``."""
    exec(f"def dense_backward(dZ, cache):\n    {body}\n", namespace)
    return namespace["dense_backward"]


def _honest(namespace: dict):
    return _answer("X, W = cache\n    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)", namespace)


def test_an_alias_bound_after_a_first_check_is_refused():
    ns = {"__name__": "cell_namespace"}
    assert check("dense_backward", _honest(ns)).passed  # the modules' scan is made and kept
    exec("from nnlib import dense_backward as db", ns)  # a later cell
    result = check("dense_backward", _answer("return db(dZ, cache)", ns))
    assert result.diagnosis == "calls_reference"
    assert ns["db"] is layers.dense_backward  # put back after the check


def test_a_table_of_functions_built_after_a_first_check_is_refused():
    ns = {"__name__": "cell_namespace"}
    assert check("dense_backward", _honest(ns)).passed
    ns["BACKWARD"] = {"dense": nnlib.dense_backward}
    result = check("dense_backward", _answer('return BACKWARD["dense"](dZ, cache)', ns))
    assert result.diagnosis == "calls_reference"
    assert ns["BACKWARD"]["dense"] is layers.dense_backward


def test_a_module_imported_after_a_first_check_is_scanned():
    ns = {"__name__": "cell_namespace"}
    assert check("dense_backward", _honest(ns)).passed
    helpers = types.ModuleType("students_helpers")
    helpers.backward = nnlib.dense_backward
    sys.modules["students_helpers"] = helpers
    try:
        ns["helpers"] = types.SimpleNamespace(call=lambda *a: sys.modules["students_helpers"].backward(*a))
        result = check("dense_backward", _answer("return helpers.call(dZ, cache)", ns))
    finally:
        del sys.modules["students_helpers"]
    assert result.diagnosis == "calls_reference"
    assert helpers.backward is layers.dense_backward


def test_nnlib_itself_is_untouched_after_checks():
    ns = {"__name__": "cell_namespace"}
    check("dense_backward", _answer("return nnlib.dense_backward(dZ, cache)", {**ns, "nnlib": nnlib}))
    assert nnlib.dense_backward is layers.dense_backward
    assert nnlib.dense_backward.__name__ == "dense_backward"
    assert not getattr(nnlib.dense_backward, "__wrapped_twin__", False)
