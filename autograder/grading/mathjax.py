"""MathJax for the feedback pages from this machine, never a CDN.

nbgrader's feedback template loads MathJax from a CDN, so a student without the internet
sees raw ``$...$``. :func:`localize_mathjax` replaces that script with one that loads the MathJax
of ``jupyter-server-mathjax`` from this machine: from ``DIR/mathjax/`` (copied there once per
course directory by :func:`install_mathjax`) when the page is opened from the course directory, or
from the student's own Jupyter server when it is opened there after ``fetch_feedback``.

Kept apart from :mod:`.feedback` so that the class report, which installs the copy, does not import
nbconvert.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

__all__ = ["install_mathjax", "localize_mathjax"]

#: nbconvert's MathJax script (nbgrader's feedback template calls its macro without a URL).
_CDN_SCRIPT = re.compile(r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[^"]*">\s*</script>')
_LOADER = """<script>
/* MathJax from this machine, never a CDN (see autograder/grading/mathjax.py): on a Jupyter server
   (the page opened after fetch_feedback), jupyter-server-mathjax's copy; else DIR/mathjax/ (the page
   is DIR/feedback/<student>/<assignment>/<assignment>.html). */
/* The fonts it ships; and HTML-CSS's blank test font as a local() name, not url('about:blank'),
   which Chromium refuses with a console error (it fails the same way, so nothing else changes). */
window.MathJax = {"HTML-CSS": {availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web",
                               imageFont: null, styles: {"@font-face": {"font-family": "MathJax_Blank",
                                                                        src: "local('MathJax_Blank')"}}}};
(function () {
  var where = [], m = location.pathname.match(/^(.*?\\/)(files|view|tree|lab\\/tree)\\//);
  if (m && location.protocol.indexOf("http") === 0)
    where.push(m[1] + "static/jupyter_server_mathjax/MathJax.js");
  where.push("../../../mathjax/MathJax.js");
  function load(i) {
    if (i >= where.length) return;
    var s = document.createElement("script");
    s.src = where[i] + "?config=TeX-AMS-MML_HTMLorMML-full,Safe";  /* the one it ships */
    s.onerror = function () { s.remove(); load(i + 1); };
    document.head.appendChild(s);
  }
  load(0);
})();
</script>"""


def localize_mathjax(page: str) -> str:
    """``page`` (a feedback page's HTML) with the CDN's MathJax replaced by the local loader."""
    return _CDN_SCRIPT.sub(lambda _: _LOADER, page)


def install_mathjax(course_dir: Path) -> Path | None:
    """Copy jupyter-server-mathjax's MathJax to ``course_dir/mathjax/`` once (other languages
    and the SVG fonts left out: it ships no SVG output); ``None`` if the package is missing."""
    try:
        import jupyter_server_mathjax
        from jupyter_server_mathjax.__version__ import __version__
    except ImportError:
        return None
    src = Path(jupyter_server_mathjax.__file__).parent / "static"
    dest = Path(course_dir) / "mathjax"
    stamp = dest / ".version"
    with _INSTALL_LOCK:  # the driver records students from several threads
        if stamp.exists() and stamp.read_text() == __version__:
            return dest
        tmp = Path(tempfile.mkdtemp(prefix=".mathjax-", dir=course_dir))
        tmp.rmdir()
        _copy_mathjax(src, tmp)
        (tmp / ".version").write_text(__version__)
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
    return dest


_INSTALL_LOCK = threading.Lock()


def _copy_mathjax(src: Path, tmp: Path) -> None:
    shutil.copytree(src, tmp, ignore=lambda d, names: [
        n for n in names if (d.endswith("output") and n == "SVG")
        or (d.endswith("localization") and n != "en")])
