"""``interactive``: ``ipywidgets.interactive`` that never stalls a headless run of the notebook.

Why not ``ipywidgets.interactive`` itself: it shows its function's figure by *capturing* output
in an ``Output`` widget while the cell runs. Under nbclient (which nbval, ``nbconvert --execute``,
papermill and nbgrader all use), every captured output makes nbclient's mimic of the ``Output``
widget send a comm message to the kernel on the shell socket, while nbclient is waiting on that
same socket for the cell's ``execute_reply``. jupyter_client sends through a plain (blocking)
shadow of nbclient's asyncio socket; when the reply arrives just then, the send consumes the
socket's edge-triggered wake-up and nbclient sleeps until the cell timeout, then finds the reply
and carries on, raising nothing (jupyter/nbclient issue #312, still open). On a loaded machine a
third of the runs of notebook 04 took the full 120 s timeout that way.

Here the function's output (figures, printed text, a traceback) is collected in the kernel with
IPython's ``capture_output`` and set as the ``Output`` widget's ``outputs`` state: nothing is
captured by the front end, nbclient's mimic never writes to the kernel, and JupyterLab shows and
redraws the widget exactly as before.
"""

from __future__ import annotations

import traceback

__all__ = ["interactive"]


def interactive(f, **controls):
    """``ipywidgets.interactive(f, **controls)``, its output set as state (see the module)."""
    import ipywidgets as widgets
    from IPython.utils.capture import capture_output
    from ipywidgets.widgets.interaction import show_inline_matplotlib_plots

    class Interactive(widgets.interactive):
        def update(self, *args):
            show_inline_matplotlib_plots()  # figures the cell drew before: to the cell, not here
            self.kwargs = {w._kwarg: w.get_interact_value() for w in self.kwargs_widgets}
            error = ""
            with capture_output() as cap:
                try:
                    self.result = self.f(**self.kwargs)
                    show_inline_matplotlib_plots()
                except Exception:
                    error = traceback.format_exc()
            outputs = [{"output_type": "stream", "name": name, "text": text}
                       for name, text in (("stdout", cap.stdout), ("stderr", cap.stderr + error)) if text]
            outputs += [{"output_type": "display_data", "data": o.data, "metadata": o.metadata or {}}
                        for o in cap.outputs]
            self.out.outputs = tuple(outputs)

    return Interactive(f, **controls)
