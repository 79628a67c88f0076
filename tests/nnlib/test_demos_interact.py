"""nnlib.demos.interact: a widget's output is set as the Output widget's state, never captured
(capture is what made nbclient stall, see that module and tests/test_notebook_stalls.py)."""

from __future__ import annotations

import ipywidgets as widgets

from nnlib.demos.interact import interactive


def _watch_capture(w):
    """Every msg_id the Output widget is given (a capture sets it to the cell's message id)."""
    seen = []
    w.out.observe(lambda change: seen.append(change["new"]), names="msg_id")
    return seen


def test_output_is_state_and_is_redrawn_on_every_change():
    def show(n):
        print("n is", n)

    w = interactive(show, n=widgets.IntSlider(value=3, min=0, max=9))
    captured = _watch_capture(w)
    assert isinstance(w, widgets.interactive) and w.out in w.children
    assert w.out.outputs == ({"output_type": "stream", "name": "stdout", "text": "n is 3\n"},)
    w.kwargs_widgets[0].value = 4
    assert w.out.outputs == ({"output_type": "stream", "name": "stdout", "text": "n is 4\n"},)
    assert captured == [] and w.out.msg_id == ""


def test_an_exception_is_shown_in_the_widget_not_raised():
    def show(n):
        raise ValueError(f"bad n {n}")

    w = interactive(show, n=widgets.IntSlider(value=2))
    (out,) = w.out.outputs
    assert out["name"] == "stderr" and "ValueError: bad n 2" in out["text"]
