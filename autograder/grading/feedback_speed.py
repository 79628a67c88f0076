"""Speed for the feedback's HTML export: nbconvert's last pass over the page without BeautifulSoup.

After rendering its template, nbconvert's ``HTMLExporter.from_notebook_node`` parses the whole page
with ``BeautifulSoup(html, features="html.parser")`` only to add ``alt`` text to images without one
and ``tabindex="0"`` to JupyterLab's input and output areas, then returns ``str(soup)``: bs4's
serialisation of its tree (attributes sorted, entities decoded then ``&<>`` escaped again,
whitespace-only strings squeezed, ``<br/>``...). That was 0.23-0.29 s of CPU per student of
06_backprop here, most of the export once the two other speed-ups (grading/feedback.py) are on;
the scan below takes 0.025 s. :func:`skip_reparse` gives nbconvert, in place of that soup, a
:class:`FastSoup`: one regular-expression scan that produces bs4's very serialisation for the
markup it fully understands (what nbconvert's templates, Pygments and mistune write), and hands
the page to the real BeautifulSoup whenever it meets anything else (markup it does not know,
upper-case tags, unusual entities or comments, ``title``/``textarea`` with markup, a script
whose first ``</script`` is not ``</script>`` or that holds ``<!--``...). nbconvert's own code
still selects, edits and logs (the warning about missing alt text is nbconvert's). The HTML is the
same (tested). docs/feedback-speed.md lists what goes to bs4.
"""

from __future__ import annotations

import inspect
import re

__all__ = ["FastSoup", "skip_reparse"]

#: The selectors nbconvert 7.17 gives the soup, and the ones FastSoup answers.
ALT, INPUT, OUTPUT = ("img:not([alt])", ".jp-Notebook div.jp-Cell-inputWrapper",
                      ".jp-Notebook div.jp-OutputArea-output")
_S = r"[ \t\n\r\f]"
_TOKEN = re.compile(rf"""
    (?P<text>[^<&]+)
  | &(?P<ent>amp|lt|gt|quot|nbsp|\#39|\#34|\#x27|\#182|\#183);
  | <(?P<tag>[a-z][a-z0-9]*)
      (?P<attrs>(?:{_S}+[a-z][a-z0-9_:.-]*(?:=(?:"[^"<]*"|'[^'<]*'|[a-zA-Z0-9_.:-]+(?=[ \t\n\r\f>])))?)*)
      {_S}*(?P<slash>/?)>
  | </(?P<end>[a-z][a-z0-9]*)>
  | <!--(?P<comment>\ *[A-Za-z0-9_.,:;()][ A-Za-z0-9_.,:;()]*)-->
  | (?P<doctype><!DOCTYPE\ html>)
""", re.X)
_ATTR = re.compile(rf"""{_S}+([a-z][a-z0-9_:.-]*)
                         (?:=(?:"([^"<]*)"|'([^'<]*)'|([a-zA-Z0-9_.:-]+)(?=[ \t\n\r\f]|\Z)))?""", re.X)
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "nbsp": "\xa0", "#39": "'", "#34": '"',
             "#x27": "'", "#182": "\xb6", "#183": "\xb7"}
_VALUE_ENTITY = re.compile(r"&(amp|lt|gt|quot|#39|#34|#x27);")
#: Elements whose content html.parser reads differently in some Python 3.11 releases: not handled.
_REFUSED = frozenset({"textarea", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext",
                      "svg", "math"})
_RAW = frozenset({"script", "style"})
_RAW_END = {name: re.compile(rf"</\s*{name}", re.I) for name in _RAW}
_NOTEBOOK_CLASS = "jp-Notebook"
_DIVS = ((INPUT, "jp-Cell-inputWrapper"), (OUTPUT, "jp-OutputArea-output"))


class NotSimple(Exception):
    """The page holds markup the fast path does not reproduce exactly: bs4 must parse it."""


class _Tag:
    """A start tag whose attributes nbconvert may edit (``attrs``: decoded values, like bs4's)."""

    __slots__ = ("attrs", "name", "void")

    def __init__(self, name: str, attrs: dict, void: bool):
        self.name, self.attrs, self.void = name, attrs, void


class FastSoup:
    """The part of a ``BeautifulSoup(html, "html.parser")`` that nbconvert's HTML exporter uses:
    ``select`` of its three selectors (the elements' ``attrs`` may be edited), and ``str``, which
    is bs4's serialisation. Raises :class:`NotSimple` (from the constructor) for markup it does
    not reproduce exactly."""

    def __init__(self, html: str):
        from bs4 import BeautifulSoup
        from bs4.builder import HTMLTreeBuilder
        from bs4.formatter import HTMLFormatter

        fmt = HTMLFormatter.REGISTRY["minimal"]
        self._escape, self._value, self._quote = (fmt.entity_substitution, fmt.attribute_value,
                                                  fmt.quoted_attribute_value)
        self._void = HTMLTreeBuilder.DEFAULT_EMPTY_ELEMENT_TAGS
        self._lists = HTMLTreeBuilder.DEFAULT_CDATA_LIST_ATTRIBUTES
        self._keep_space = HTMLTreeBuilder.DEFAULT_PRESERVE_WHITESPACE_TAGS
        self._spaces = BeautifulSoup.ASCII_SPACES
        self._found: dict[str, list[_Tag]] = {ALT: [], INPUT: [], OUTPUT: []}
        self._out: list = []
        self._seen: dict[str, tuple] = {}
        self._scan(html)

    def select(self, selector: str) -> list[_Tag]:
        if selector not in self._found:
            raise NotSimple(f"FastSoup answers only nbconvert's selectors, not {selector!r}")
        return self._found[selector]

    def __str__(self) -> str:
        return "".join(self._render(x) if isinstance(x, _Tag) else x for x in self._out)

    # --- reading -----------------------------------------------------------------------------

    def _scan(self, html: str) -> None:
        if "\x00" in html:  # NUL: replaced by some html.parsers, not by others
            raise NotSimple("a NUL character")
        out, text = self._out, []
        stack: list[str] = []
        notebooks = keep = 0  # open elements of class jp-Notebook; open <pre>/<textarea>
        pos, n = 0, len(html)
        while pos < n:
            m = _TOKEN.match(html, pos)
            if m is None:
                raise NotSimple(f"markup at {pos}: {html[pos:pos + 40]!r}")
            pos = m.end()
            kind = m.lastgroup
            if kind == "text":
                text.append(m.group("text"))
                continue
            if kind == "ent":
                if stack and stack[-1][0] == "title":  # read as RCDATA by newer html.parsers
                    raise NotSimple("an entity in <title>")
                text.append(_ENTITIES[m.group("ent")])
                continue
            if text:
                out.append(self._text(text, keep))
                text = []
            if kind == "slash":  # the last group of a start tag
                name = m.group("tag")
                if name in _REFUSED or (stack and stack[-1][0] == "title"):
                    raise NotSimple(f"<{name}>")
                void = name in self._void
                seen = self._seen.get(m.group(0))
                if seen is None:  # the same tags come back often (Pygments' spans): read once
                    attrs = self._attrs(name, m.group("attrs"))
                    classes = tuple(attrs["class"].split(" ")) if "class" in attrs else ()
                    seen = self._seen[m.group(0)] = attrs, classes, self._render(_Tag(name, attrs, void))
                attrs, classes, start = seen
                found = []
                if name == "img" and "alt" not in attrs:
                    found.append(ALT)
                if notebooks and name == "div":
                    found += [sel for sel, c in _DIVS if c in classes]
                if found:  # nbconvert will edit it: kept as a tag, written out at the end
                    tag = _Tag(name, dict(attrs), void)
                    for sel in found:
                        self._found[sel].append(tag)
                    out.append(tag)
                else:
                    out.append(start)
                if void:
                    continue
                if m.group("slash"):  # <div/>: read differently by newer html.parsers
                    raise NotSimple(f"<{name}/>")
                mark = _NOTEBOOK_CLASS in classes
                stack.append((name, mark))
                notebooks += mark
                keep += name in self._keep_space
                if name in _RAW:
                    pos = self._raw(html, pos, name, keep)
                    stack.pop()
                    keep -= name in self._keep_space
            elif kind == "end":  # like bs4: closes the last open element of that name and those
                name = m.group("end")  # opened after it; closes nothing if there is none
                if any(open_name == name for open_name, _ in stack):
                    while True:
                        open_name, mark = stack.pop()
                        notebooks -= mark
                        keep -= open_name in self._keep_space
                        out.append(f"</{open_name}>")
                        if open_name == name:
                            break
            elif kind == "comment":
                out.append(m.group(0))
            else:  # the doctype
                out.append("<!DOCTYPE html>\n")  # bs4's Doctype ends with a newline
        if text:
            out.append(self._text(text, keep))
        out.extend(f"</{open_name}>" for open_name, _ in reversed(stack))  # bs4 closes them at the end

    def _raw(self, html: str, pos: int, name: str, keep: int) -> int:
        """A script's or style's content: copied as it is (bs4 does not escape it). It ends at the
        first ``</script``: any html.parser ends it there if that is exactly ``</script>`` (3.11.7
        looks for ``</\\s*script\\s*>``, later ones for ``</script`` and a delimiter), and none
        before it if there is no ``<!--`` (HTML's escaped script text) in between."""
        m = _RAW_END[name].search(html, pos)
        if m is None or m.group(0) != f"</{name}" or not html.startswith(">", m.end()) \
                or "<!--" in html[pos:m.start()]:
            raise NotSimple(f"the content of a <{name}>")
        body = html[pos:m.start()]
        if body:
            self._out.append((None if keep else self._squeeze(body)) or body)
        self._out.append(f"</{name}>")
        return m.end() + 1

    def _text(self, parts: list[str], keep: int) -> str:
        text = "".join(parts)
        return (None if keep else self._squeeze(text)) or self._escape(text)

    def _squeeze(self, text: str) -> str | None:
        """bs4's treatment of a string of ASCII spaces only (outside <pre>): one newline or space."""
        if text.strip(self._spaces):
            return None
        return "\n" if "\n" in text else " "

    def _attrs(self, name: str, source: str) -> dict:
        attrs: dict = {}
        lists = self._lists.get("*", set()) | self._lists.get(name, set())
        for key, dq, sq, bare in _ATTR.findall(source):
            if key in attrs:
                raise NotSimple(f"attribute {key} twice")
            value = dq or sq or bare
            if "&" in value:
                if value.count("&") != len(_VALUE_ENTITY.findall(value)):
                    raise NotSimple(f"an entity in attribute {key}")
                value = _VALUE_ENTITY.sub(lambda e: _ENTITIES[e.group(1)], value)
            if key in lists:  # bs4 keeps a list of the words (\S+), joined with spaces on output
                if any(c.isspace() and c not in self._spaces for c in value):
                    raise NotSimple(f"unusual white space in attribute {key}")
                value = " ".join(value.split())
            attrs[key] = value
        return attrs

    # --- writing -----------------------------------------------------------------------------

    def _render(self, tag: _Tag) -> str:
        attrs = "".join(f" {k}={self._quote(self._value(v))}" for k, v in sorted(tag.attrs.items()))
        return f"<{tag.name}{attrs}{'/' if tag.void else ''}>"


def fast_or_real_soup(html: str, features: str = "html.parser"):
    """A :class:`FastSoup` of ``html``, or bs4's soup where the fast path cannot be exact."""
    from bs4 import BeautifulSoup

    if features == "html.parser":
        try:
            return FastSoup(html)
        except Exception as e:  # NotSimple, or a page it gets wrong: never a lost feedback page
            FALLBACKS["last"] = f"{type(e).__name__}: {e}"
    FALLBACKS["pages"] += 1
    return BeautifulSoup(html, features=features)


#: How many pages went to the real BeautifulSoup in this process, and why the last one did.
FALLBACKS: dict = {"pages": 0, "last": ""}


def skip_reparse() -> None:
    """Have nbconvert's HTML exporter use :func:`fast_or_real_soup` instead of BeautifulSoup.

    Installed only where nbconvert's ``from_notebook_node`` is the one this was written for: it
    asks the soup for exactly the three selectors :class:`FastSoup` answers.
    """
    import nbconvert.exporters.html as html

    if getattr(html.BeautifulSoup, "nncourse", False):
        return
    source = inspect.getsource(html.HTMLExporter.from_notebook_node)
    if not all(f'soup.select("{s}")' in source for s in (ALT, INPUT, OUTPUT)) \
            or source.count("soup.") != 3 or 'BeautifulSoup(html, features="html.parser")' not in source:
        return  # another nbconvert: keep its own pass
    fast_or_real_soup.nncourse = True
    fast_or_real_soup.original = html.BeautifulSoup
    html.BeautifulSoup = fast_or_real_soup
