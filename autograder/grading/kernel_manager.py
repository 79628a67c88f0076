"""jupyter_client's kernel manager and client for the grading kernels, without its fixed waits.

Per submission, nbgrader's ``Execute`` starts a kernel, waits until it is ready, runs the cells and
kills the kernel. jupyter_client spends two fixed waits on that, each paid by every student:

- after the kernel's ``kernel_info`` reply, ``wait_for_ready`` reads IOPub until it has been
  silent for 0.2 s ("flush"), so at least 0.2 s after the kernel is ready;
- after killing the kernel, ``shutdown_kernel(now=True)`` checks whether it is gone every 0.1 s, and
  it is not gone at the first check, so 0.1 s more.

Together ~0.3 s of a worker's ~1.7 s per 06_backprop submission, spent idle. :class:`QuickStartClient`
waits for the same things (the ``kernel_info`` reply, IOPub delivering messages) but flushes only
what has already arrived; :class:`GradingKernelManager` checks every 5 ms. What the flush drops is
the start-up's status messages, whose parent is no executed cell: nbclient ignores any IOPub message
whose parent is not the cell it runs, so the notebook's outputs are the same (tested).

Both are set through nbgrader's configuration (``Execute.kernel_manager_class``, whose
``client_class`` is the client), in :mod:`.autograde`; ``_async_wait`` is jupyter_client's private
polling loop (7.x/8.x): if it is renamed, only the 0.1 s comes back.
"""

from __future__ import annotations

import asyncio
import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, Type

__all__ = ["GradingKernelManager", "QuickStartClient"]

#: How long IOPub may stay silent before what arrived during the start-up counts as read (s).
FLUSH_SECONDS = 0.005
#: How often a killed kernel is checked for being gone (s).
POLL_SECONDS = 0.005


class QuickStartClient(AsyncKernelClient):
    """An async kernel client whose ``wait_for_ready`` does not wait for 0.2 s of IOPub silence."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Return once the kernel answered ``kernel_info`` and IOPub delivers its messages;
        ``RuntimeError`` if the kernel dies first or ``timeout`` seconds pass."""
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:  # the kernel's status messages for the request: IOPub is connected
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass  # not yet subscribed: ask again
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        while True:  # what is left of the start-up's messages
            try:
                await self.iopub_channel.get_msg(timeout=FLUSH_SECONDS)
            except Empty:
                return


class GradingKernelManager(AsyncKernelManager):
    """nbclient's kernel manager with :class:`QuickStartClient` and a 5 ms check after a kill."""

    client_class = DottedObjectName("autograder.grading.kernel_manager.QuickStartClient", config=True)
    client_factory = Type(QuickStartClient, klass=AsyncKernelClient, config=True)

    async def _async_wait(self, pollinterval: float = POLL_SECONDS) -> None:
        while await self._async_is_alive():
            await asyncio.sleep(min(pollinterval, POLL_SECONDS))
