"""The TeX that arXiv titles, abstracts and comments carry, read for people.

About one paper in eight has some: ``S$^2$COPE``, ``$\\mathcal{O}(n^2m)$``, ``\\emph{bidding constraints}``,
``Schr\\"odinger``. The text is split into prose and formulas (``$…$``, ``\\(…\\)`` inline; ``$$…$$``,
``\\[…\\]`` display). Prose goes through a small reader of the text-mode macros that occur in metadata
(emphasis, ``\\url``, accents, dashes, ``~``), written here because a general LaTeX-to-text converter treats
a plain ``%`` as a comment and drops the rest of an abstract. Formulas become MathML (:mod:`.mathml`) for
pages, and readable text (pylatexenc) where no markup can go: feeds, mail subjects, ``<title>``, share
previews. Everything not produced by this module's fixed set of tags is escaped.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

from paperfeed.domain.links import web_url
from paperfeed.domain.mathml import formula_to_mathml

MATHS = re.compile(
    r"\$\$(?P<d1>.+?)\$\$|\\\[(?P<d2>.+?)\\\]|\\\((?P<i1>.+?)\\\)"
    # $…$ as pandoc reads it: no space just inside either $, no digit just after the closing one, so
    # "costs $5 and $6" stays prose
    r"|(?<!\\)\$(?=\S)(?P<i2>(?:\\.|[^$\\])+?)(?<=\S)\$(?!\d)",
    re.DOTALL,
)  # the formula delimiters of paper text and comments (``services.markdown_maths`` reads comments with it)
_TOKEN = re.compile(r"\\([A-Za-z]+)\*?\s*|\\(.)|---|--|~|``|''|[{}]", re.DOTALL)
_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304", ".": "\u0307",
    "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "k": "\u0328", "r": "\u030a", "d": "\u0323",
}  # fmt: skip
_SYMBOLS = {
    "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å",
    "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dots": "…", "ldots": "…", "textendash": "–", "textemdash": "—",
    "LaTeX": "LaTeX", "TeX": "TeX", "textquoteright": "’", "textquoteleft": "‘", "S": "§", "P": "¶",
    "copyright": "©", "textregistered": "®", "texttrademark": "™", "quad": " ", "qquad": " ", "newline": " ",
    "par": " ", "noindent": "", "xspace": "",
}  # fmt: skip
_PUNCTUATION = {"---": "—", "--": "–", "~": "\u00a0", "``": "“", "''": "”", "{": "", "}": ""}
_SPACES = {",": "\u2009", " ": " ", ";": " ", ":": " ", "!": "", "\\": " ", "/": "", "-": ""}
_STYLES = {"emph": "em", "textit": "em", "textsl": "em", "textbf": "strong", "texttt": "code"}
_PLAIN_GROUPS = {"textrm", "textsf", "textsc", "textup", "textnormal", "mbox", "text", "textmd", "uppercase"}
_MARKS = ("$", "\\", "~", "{", "}", "--", "``", "''")
_PLAIN_MATHS = LatexNodes2Text(math_mode="text", strict_latex_spaces=True)


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of text: ``prose`` (may hold text-mode macros), or a formula ``inline`` / ``display``."""

    kind: str
    text: str
    source: str  # as written, delimiters included: what a formula that cannot be converted shows


def segments(text: str) -> Iterator[Segment]:
    """``text`` cut into prose and formulas, in order; an unpaired ``$`` stays prose."""
    at = 0
    for match in MATHS.finditer(text):
        if match.start() > at:
            yield Segment("prose", text[at : match.start()], text[at : match.start()])
        body = next(group for group in match.groups() if group is not None)
        display = match.group("d1") is not None or match.group("d2") is not None
        yield Segment("display" if display else "inline", body, match.group(0))
        at = match.end()
    if at < len(text):
        yield Segment("prose", text[at:], text[at:])


def has_tex(text: str) -> bool:
    """Whether ``text`` needs reading at all: most titles and abstracts have no ``$``, ``\\`` or ``~``."""
    return any(mark in text for mark in _MARKS)


@lru_cache(maxsize=16384)
def to_html(text: str, inline: bool = False) -> str:
    """Safe HTML for paper text: prose escaped with its emphasis, links and accents; formulas as MathML (or
    their escaped source when they cannot be read). ``inline`` draws display formulas in the line too, for
    a card's two clamped lines."""
    if not has_tex(text):
        return html.escape(text, quote=False)
    out: list[str] = []
    for segment in segments(text):
        if segment.kind == "prose":
            out.append(_prose(segment.text, markup=True))
            continue
        mathml = formula_to_mathml(segment.text, segment.kind == "display" and not inline)
        out.append(mathml if mathml is not None else html.escape(segment.source, quote=False))
    return "".join(out)


@lru_cache(maxsize=16384)
def to_plain(text: str) -> str:
    """``text`` as plain readable text, for feeds, mail subjects, ``<title>`` and share previews:
    ``S$^2$COPE`` → ``S^2COPE``, ``$\\mathcal{O}(n)$`` → ``𝒪(n)``, ``\\emph{x}`` → ``x``."""
    if not has_tex(text):
        return text
    out: list[str] = []
    for segment in segments(text):
        out.append(_prose(segment.text, markup=False) if segment.kind == "prose" else _maths_text(segment))
    return "".join(out)


@lru_cache(maxsize=16384)  # every card of every listing view asks again
def snippet_source(text: str, limit: int) -> str:
    """The first ``limit`` characters of ``text`` (as written) cut at a word boundary *outside* formulas,
    whitespace flattened, with "…" when cut: a card's abstract never ends inside a ``$…$``."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    kept: list[str] = []
    used = 0
    for segment in segments(flat):
        room = limit - used
        if len(segment.source) <= room:
            kept.append(segment.source)
            used += len(segment.source)
            continue
        if segment.kind == "prose" and room > 0:
            kept.append(segment.source[:room].rsplit(" ", 1)[0] if " " in segment.source[:room] else "")
        break
    return "".join(kept).rstrip(" ,.;:") + "…"


def _maths_text(segment: Segment) -> str:
    source = segment.text.replace("%", "\\%")  # a bare % is a comment to pylatexenc
    try:
        return " ".join(_PLAIN_MATHS.latex_to_text(f"${source}$").split())
    except Exception:  # noqa: BLE001 - pylatexenc's errors vary; the source as written is still readable
        return segment.text.strip()


def _prose(text: str, *, markup: bool) -> str:
    """Text-mode TeX of one prose segment as HTML (``markup``) or plain text."""
    out: list[str] = []
    _read(text, 0, len(text), out, markup)
    return "".join(out)


def _read(text: str, start: int, end: int, out: list[str], markup: bool) -> None:
    escape = (lambda s: html.escape(s, quote=False)) if markup else (lambda s: s)
    at = start
    while at < end:
        match = _TOKEN.search(text, at, end)
        if match is None:
            out.append(escape(text[at:end]))
            return
        out.append(escape(text[at : match.start()]))
        at = match.end()
        name, char = match.group(1), match.group(2)
        if name is None and char is None:
            out.append(_PUNCTUATION[match.group(0)])
        elif char is not None:
            if char in _ACCENTS:
                letter, at = _argument(text, at, end)
                out.append(escape(_accent(letter, char)))
            elif char in _SPACES:
                out.append(_SPACES[char])
            else:
                out.append(escape(char))  # \% \& \_ \# \$ \{ \}
        else:
            at = _command(text, name, match.group(0), at, end, out, markup)


def _command(text: str, name: str, written: str, at: int, end: int, out: list[str], markup: bool) -> int:
    """Write one ``\\name`` (its arguments start at ``at``); returns where reading goes on."""
    escape = (lambda s: html.escape(s, quote=False)) if markup else (lambda s: s)
    if name in _ACCENTS:
        letter, at = _argument(text, at, end)
        out.append(escape(_accent(letter, name)))
    elif name in _SYMBOLS:
        out.append(_SYMBOLS[name] + (" " if written[-1].isspace() and name in ("LaTeX", "TeX") else ""))
    elif name in _STYLES or name in _PLAIN_GROUPS:
        inner_start, inner_end, after = _group(text, at, end)
        if inner_start is None:
            out.append(escape(written))
            return at
        tag = _STYLES.get(name) if markup else None
        out.append(f"<{tag}>" if tag else "")
        _read(text, inner_start, inner_end, out, markup)
        out.append(f"</{tag}>" if tag else "")
        return after
    elif name in ("url", "href"):
        return _link(text, name, written, at, end, out, markup)
    else:
        out.append(escape(written))  # unknown: shown as written rather than guessed at
    return at


def _link(text: str, name: str, written: str, at: int, end: int, out: list[str], markup: bool) -> int:
    url_start, url_end, after = _group(text, at, end)
    if url_start is None:
        out.append(html.escape(written, quote=False) if markup else written)
        return at
    url = (
        text[url_start:url_end]
        .replace("\\%", "%")
        .replace("\\_", "_")
        .replace("\\#", "#")
        .replace("\\&", "&")
    )
    label: list[str] = []
    if name == "href":
        label_start, label_end, label_after = _group(text, after, end)
        if label_start is not None:
            _read(text, label_start, label_end, label, markup)
            after = label_after
    safe = web_url(url)
    shown = "".join(label) or (html.escape(url, quote=False) if markup else url)
    if markup and safe:
        out.append(f'<a href="{html.escape(safe)}" rel="nofollow noopener">{shown}</a>')
    else:
        out.append(shown)
    return after


def _group(text: str, at: int, end: int) -> tuple[int | None, int, int]:
    """The ``{…}`` starting at ``at`` (spaces skipped): (inner start, inner end, after), or None when there
    is none or it is unbalanced."""
    while at < end and text[at] == " ":
        at += 1
    if at >= end or text[at] != "{":
        return None, at, at
    depth, index = 0, at
    while index < end:
        char = text[index]
        if char == "\\":
            index += 2  # an escaped brace does not count
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return at + 1, index, index + 1
        index += 1
    return None, at, at


def _argument(text: str, at: int, end: int) -> tuple[str, int]:
    """An accent's letter: ``{o}`` or ``o`` (``\\"{o}``, ``\\"o``, ``\\c c``)."""
    inner_start, inner_end, after = _group(text, at, end)
    if inner_start is not None:
        return text[inner_start:inner_end].replace("\\i", "i").replace("\\j", "j"), after
    if at < end and text[at] == "\\" and text[at + 1 : at + 2] in ("i", "j"):
        return text[at + 1], at + 2
    return (text[at], at + 1) if at < end else ("", at)


def _accent(letter: str, accent: str) -> str:
    if not letter:
        return ""
    return unicodedata.normalize("NFC", letter[0] + _ACCENTS[accent] + letter[1:])
