"""skip_reparse (autograder/grading/feedback_speed.py): nbconvert's HTML export without bs4's re-parse
of the page must give byte for byte the page nbconvert gives with it, or hand the page to bs4."""

from __future__ import annotations

import base64
import logging
import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.grading import feedback_speed
from autograder.grading.feedback_speed import ALT, INPUT, OUTPUT, FastSoup, NotSimple, skip_reparse
from autograder.notebooks import ROOT

SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MISSING_ALT = "Alternative text is missing on %s image(s)."


@pytest.fixture
def export(caplog):
    """``export(nb, template, fast) -> (html, fell_back, missing-alt warnings)``: nbconvert's own
    export with bs4's soup (``fast=False``) or with skip_reparse's."""
    import nbconvert.exporters.html as html
    from nbconvert import HTMLExporter

    installed = html.BeautifulSoup
    skip_reparse()
    fast_soup = html.BeautifulSoup
    assert fast_soup is not BeautifulSoup, "skip_reparse did not install itself on this nbconvert"

    def run(nb, template, fast):
        html.BeautifulSoup = fast_soup if fast else BeautifulSoup
        before = feedback_speed.FALLBACKS["pages"]
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            out, _ = _exporter(HTMLExporter, template).from_notebook_node(nb, _resources(template))
        fell_back = feedback_speed.FALLBACKS["pages"] != before
        warned = [r.args for r in caplog.records if r.msg == MISSING_ALT]
        return UUID.sub("UUID", out), fell_back, warned

    yield run
    html.BeautifulSoup = installed


def _exporter(cls, template):
    if template != "feedback":
        return cls(template_name=template)
    import nbgrader  # its feedback template, as GenerateFeedback configures it

    base = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
    return cls(template_name="feedback", extra_template_basedirs=[str(base / "templates")],
               extra_template_paths=[str(base / "static" / "node_modules" / "bootstrap" / "dist" / "css")])


def _resources(template):
    if template != "feedback":
        return None
    return {"nbgrader": {"notebook": "nb", "score": 3, "max_score": 4, "late_penalty": 0}}


def _graded(nb):
    """The scores GetGrades writes into a graded notebook (nbgrader's feedback template reads them)."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta:
            meta.setdefault("score", meta.get("points", 0))
            meta.setdefault("comment", "")
    return nb


@pytest.mark.timeout(300)
@pytest.mark.parametrize("template", ["lab", "feedback"])
@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_pages_are_the_same_and_take_the_fast_path(export, path, template):
    nb = _graded(nbformat.read(path, as_version=4))
    plain, plain_fell_back, plain_warned = export(nb, template, fast=False)
    fast, fell_back, warned = export(nb, template, fast=True)
    assert not plain_fell_back
    assert not fell_back, f"{path.name} ({template}) was handed to bs4: {feedback_speed.FALLBACKS['last']}"
    assert fast == plain
    assert warned == plain_warned


PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(64))).decode()


def _image_output():
    return new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure size 640x480>"})


def _html_output(text):
    return new_output("execute_result", data={"text/html": text, "text/plain": "x"}, execution_count=1)


#: name: (cells, whether the page must go to bs4)
HOSTILE = {
    "raw img without alt": ([new_markdown_cell("See <img src=x> and <img src='y.png' class=\"a  b\">.")], False),
    "raw img with alt": ([new_markdown_cell('<img src="y.png" alt="a picture">')], False),
    "markdown image": ([new_markdown_cell("![](plot.png) and ![a plot](plot.png)")], False),
    "img in a script string": ([new_markdown_cell('<script>var s = "<img src=z>";</script>\n\ntext')], False),
    "closing tag in a script": ([new_markdown_cell('<script>var s = "<img src=z></img>";</script>')], False),
    "comment opener in a script": ([new_markdown_cell('<script>var s = "<!-- <img src=z>";</script>')], True),
    "img in a comment": ([new_markdown_cell("<!-- <img src=c> -->\n\ntext")], True),
    "output-area div in markdown": ([new_markdown_cell('<div class="jp-OutputArea-output">raw</div>')], False),
    "input-wrapper div with tabindex": (
        [new_markdown_cell('<div class="jp-Cell-inputWrapper" tabindex="-1">raw</div>')], False),
    "html output with imgs": ([new_code_cell("t", outputs=[_html_output(
        '<table class="df"><tr><td><img src="a.png"></td><td><img src="b.png" alt="b"/></td></tr></table>')])],
        False),
    "image output": ([new_code_cell("plot()", outputs=[_image_output()])], False),
    "unclosed tags in an output": ([new_code_cell("t", outputs=[_html_output("<b>bold <i>both</b> <p>")])], False),
    "attribute twice in an output": ([new_code_cell("t", outputs=[_html_output('<p id="a" id="b">')])], True),
    "upper-case tag": ([new_markdown_cell("<IMG SRC=x>")], True),
    "ampersands in markdown": (
        [new_markdown_cell("a & b &amp; c &copy; d &#8212; <span title='a&amp;b'>e</span>")], False),
    "ampersands in an output": ([new_code_cell("t", outputs=[_html_output("a & b &copy; &#8212;")])], True),
    "stream with markup": ([new_code_cell("print()", outputs=[new_output(
        "stream", name="stdout", text='<img src=x> & "quotes" \'too\'\n')])], False),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("template", ["lab", "classic"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_pages_are_the_same_or_go_to_bs4(export, name, template):
    cells, must_fall_back = HOSTILE[name]
    nb = new_notebook(cells=cells, metadata={"language_info": {"name": "python"}})
    plain, _, plain_warned = export(nb, template, fast=False)
    fast, fell_back, warned = export(nb, template, fast=True)
    assert fast == plain
    assert fell_back == must_fall_back
    assert warned == plain_warned  # nbconvert's own warning, with its count


def test_missing_alt_is_still_warned_about(export):
    nb = new_notebook(cells=[new_markdown_cell("<img src=x> <img src=y alt=y>"),
                             new_code_cell("plot()", outputs=[_image_output()])])
    page, fell_back, warned = export(nb, "lab", fast=True)
    assert not fell_back
    assert warned == [(2,)]  # the raw <img src=x> and the plot
    assert page.count('alt="No description has been provided for this image"') == 2


#: (markup, whether FastSoup must refuse it). Each is also checked against bs4 itself.
SNIPPETS = [
    ("<!DOCTYPE html>\n<html><body>\n  \n<p>a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39;</p></body></html>\n",
     False),
    ('<div class="jp-Notebook"><div class="  jp-Cell  jp-Cell-inputWrapper x">x</div>'
     '<div class=jp-OutputArea-output tabindex="3">y</div></div>', False),
    ('<div class="jp-Notebook"><div class="jp-Cell-inputWrapper">x</div></div><div class="jp-OutputArea-output">'
     "y</div>", False),
    ('<p><img src="a.png"><img src="b.png" alt="b"><img src=x><img src="c" alt=""/></p>', False),
    ('<br><br/><hr/><meta charset="utf-8" /><input disabled type=checkbox checked>', False),
    ("<a href=\"x?a=1&amp;b=2\" title='say \"hi\"' data-x=\"it's &quot;q&quot;\">l</a>", False),
    ("<script>var a = 1 < 2 && 3 > 2;</script><script>\n</script><style>\n  \n</style><script></script>", False),
    ("<pre>\n   \n</pre><pre> <code>  </code> </pre> <p> </p>\t<p>\n</p>", False),
    ("<!-- comment --><p>&nbsp; &#182; &#183;</p>", False),
    ('<span z="1" a="2" m="3">s</span><p title="a>b">x</p><img src="x" >', False),
    ('<div class="jp-Notebook"><div class="jp-notebook"><div class="jp-OutputArea-output">q</div></div></div>',
     False),
    ('<div class=" jp-Notebook "><section><div class="x jp-OutputArea-output">q</div></section></div>', False),
    ('<div class="jp-Notebook">\n\t\r\n<div class="jp-Cell-inputWrapper" tabindex="5" id=a>\n</div>\n \n</div>',
     False),
    ("<!----><!--   --><!-- a <img> -->", True),
    ("<title>a &amp; b</title>", True),
    ("<p>a & b</p>", True),
    ("<div/>", True),
    ("<P>x</P>", True),
    ("<b><i>x</b></i>", False),
    ("<p>x", False),
    ('<img src="x" alt="a" alt="b">', True),
    ("<img src=x/>", True),
    ("<p>x</p></p>", False),
    ("<img src=x></img>", False),
    ("<textarea> <b> </textarea>", True),
    ("<div><ul><li>a<li>b</div><pre>\n<b> </pre> </b>\n<i>x</br></i></hr><span>", False),
    ("<p class=\"a\u2003b\">x</p>", True),
    ("<p>a\x00b</p>", True),
]


def _edit(soup):
    """What nbconvert does to the soup."""
    for selector, key in ((ALT, "alt"), (INPUT, "tabindex"), (OUTPUT, "tabindex")):
        for elem in soup.select(selector):
            elem.attrs[key] = "No description" if key == "alt" else "0"
    return str(soup)


@pytest.mark.parametrize("markup,refused", SNIPPETS)
def test_fast_soup_writes_what_bs4_writes(markup, refused):
    expected = _edit(BeautifulSoup(markup, features="html.parser"))
    try:
        got = _edit(FastSoup(markup))
    except NotSimple:
        assert refused, f"FastSoup refused {markup!r}"
        return
    assert not refused, f"FastSoup accepted {markup!r}"
    assert got == expected


def test_feedback_page_with_the_summary_and_verdicts_is_the_same(export, tmp_path, monkeypatch):
    """The page as the worker writes it: graded cells redacted, the re-check's verdicts (text a
    student's code can shape: markup, quotes, ampersands) in the outputs and the summary table."""
    import json

    from autograder.grading.feedback import RedactGradedCells

    nb = _graded(nbformat.read(ROOT / "solutions" / "06_backprop" / "06_backprop.ipynb", as_version=4))
    names = [c.metadata["nbgrader"]["grade_id"].removesuffix("_tests") for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade")]
    verdicts = {n: {"feedback": f"✗ {n}: got <img src=x> & \"{n}\" 'x' < 0\n(Score 0/1.)", "score": 0,
                    "points": 1, "diagnosis": "wrong_value", "message": f"✗ {n}: got <b>&amp;</b> 'a' & \"b\""}
                for n in names}
    path = tmp_path / "feedback.json"
    path.write_text(json.dumps(verdicts))
    monkeypatch.setenv("NNCOURSE_FEEDBACK", str(path))
    nb, _ = RedactGradedCells().preprocess(nb, {"nbgrader": {"score": 0, "max_score": len(names)}})
    assert names and nb.cells[0].metadata.get("nncourse") == "summary"
    plain, _, plain_warned = export(nb, "feedback", fast=False)
    fast, fell_back, warned = export(nb, "feedback", fast=True)
    assert not fell_back
    assert fast == plain
    assert warned == plain_warned
    assert "&lt;img src=x&gt;" in fast and "nncourse-summary" in fast


def test_a_fast_path_that_breaks_hands_the_page_to_bs4(monkeypatch):
    """Any error of the fast path (not only the markup it refuses) costs speed, never the page."""
    from bs4 import BeautifulSoup

    from autograder.grading import feedback_speed

    def broken(self, html):
        raise IndexError("a bug in the scan")

    monkeypatch.setattr(feedback_speed.FastSoup, "_scan", broken)
    page = '<!DOCTYPE html>\n<html><body><div class="jp-Notebook"><img src="x.png"></div></body></html>'
    soup = feedback_speed.fast_or_real_soup(page, features="html.parser")
    assert isinstance(soup, BeautifulSoup)
    assert str(soup) == str(BeautifulSoup(page, features="html.parser"))
    assert feedback_speed.FALLBACKS["last"] == "IndexError: a bug in the scan"
