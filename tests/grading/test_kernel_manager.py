"""The grading kernels' manager without jupyter_client's fixed waits gives the same notebook.

nbclient runs the same notebook with jupyter_client's own AsyncKernelManager and with
GradingKernelManager (whose client does not wait for 0.2 s of IOPub silence after start-up, and
which checks every 5 ms that a killed kernel is gone): every cell's outputs must be the same,
including a first cell that prints at once (the flush must not eat it), output sent from a thread
after its cell ended, rich display and an error.
"""

from __future__ import annotations

import asyncio
import time

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from autograder.grading.kernel_manager import GradingKernelManager, QuickStartClient

CELLS = [
    "print('first', flush=True)",
    "import sys; sys.stderr.write('to stderr\\n'); 1 + 1",
    "from IPython.display import display, HTML\ndisplay(HTML('<b>bold</b>')); print('after')",
    "import threading, time\n"
    "def late():\n    time.sleep(0.05); print('from a thread', flush=True)\n"
    "t = threading.Thread(target=late); t.start(); t.join()",
    "raise ValueError('the student error')",
    "print('after the error')",
]


def _run(manager_class=None):
    nb = new_notebook(cells=[new_code_cell(src) for src in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    kwargs = {"kernel_manager_class": manager_class} if manager_class else {}
    client = NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True, **kwargs)
    client.execute()
    return nb


def _outputs(nb):
    keep = []
    for cell in nb.cells:
        outs = []
        for o in cell.outputs:
            o = dict(o)
            o.pop("execution_count", None)
            if o.get("output_type") == "error":
                o.pop("traceback", None)  # holds the kernel's temporary file names
            outs.append(nbformat.from_dict(o))
        keep.append(outs)
    return keep


@pytest.mark.timeout(120)
def test_same_outputs_as_jupyter_clients_own_manager():
    theirs = _run()
    ours = _run(GradingKernelManager)
    assert _outputs(ours) == _outputs(theirs)
    assert [o["text"] for o in ours.cells[0].outputs] == ["first\n"]
    assert ours.cells[4].outputs[0]["ename"] == "ValueError"


@pytest.mark.timeout(60)
def test_the_client_is_the_quick_one_and_a_killed_kernel_is_gone():
    async def run():
        km = GradingKernelManager(kernel_name="python3")
        assert km.client_factory is QuickStartClient
        await km.start_kernel()
        kc = km.client()
        assert isinstance(kc, QuickStartClient)
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            reply = await kc.execute_interactive("x = 6 * 7", timeout=30)
            assert reply["content"]["status"] == "ok"
        finally:
            kc.stop_channels()
            t0 = time.monotonic()
            await km.shutdown_kernel(now=True)
            seconds = time.monotonic() - t0
        assert not km.has_kernel and not await km.is_alive()
        return seconds

    assert asyncio.run(run()) < 5
