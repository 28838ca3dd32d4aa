"""One formula of paper or comment text as MathML that is safe to put in a page.

latex2mathml does the conversion (browsers render MathML Core natively: no script, no build step). Its
output is not trusted: ``\\href{javascript:…}`` becomes an ``href`` attribute, ``\\style{…}`` a ``style``,
and ``\\text{<img …>}`` raw markup. So every result goes through nh3 with an allow-list of MathML
elements and presentation attributes only, no ``href``, ``style``, ``class`` or event handler.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from latex2mathml.converter import convert

MAX_FORMULA_CHARS = 2000  # longer "formulas" are almost always a stray $ pairing; shown as source instead

MATHML_TAGS = frozenset(
    {
        "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup", "mfrac",
        "msqrt", "mroot", "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded",
        "mphantom", "menclose", "merror", "mmultiscripts", "mprescripts", "none", "semantics",
    }
)  # fmt: skip
MATHML_ATTRIBUTES: dict[str, set[str]] = {
    "math": {"display"},
    "mi": {"mathvariant"},
    "mn": {"mathvariant"},
    "mo": {
        "stretchy", "fence", "separator", "lspace", "rspace", "form", "largeop", "movablelimits",
        "accent", "minsize", "maxsize", "symmetric", "mathvariant",
    },
    "mtext": {"mathvariant"},
    "mstyle": {"displaystyle", "scriptlevel", "mathvariant"},
    "mfrac": {"linethickness"},
    "mspace": {"width", "height", "depth"},
    "mpadded": {"width", "height", "depth", "lspace", "voffset"},
    "mtable": {"columnalign", "rowspacing", "columnspacing", "columnlines", "rowlines", "frame"},
    "mtr": {"columnalign"},
    "mtd": {"columnalign", "columnspan", "rowspan"},
    "munder": {"accentunder"},
    "mover": {"accent"},
    "munderover": {"accent", "accentunder"},
    "menclose": {"notation"},
}  # fmt: skip


def sanitize_mathml(markup: str) -> str:
    """``markup`` with everything but the MathML allow-list removed (the comments' sanitiser uses it too)."""
    return nh3.clean(markup, tags=set(MATHML_TAGS), attributes=MATHML_ATTRIBUTES, url_schemes=set())


@lru_cache(maxsize=8192)
def formula_to_mathml(tex: str, display: bool = False) -> str | None:
    """Sanitised ``<math>`` for one formula (without its ``$`` delimiters), or None when latex2mathml
    cannot read it: the caller then shows the escaped source, so a bad formula never breaks a page."""
    source = tex.strip()
    if not source or len(source) > MAX_FORMULA_CHARS:
        return None
    try:
        raw = convert(source, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - latex2mathml raises many types (and RecursionError) on bad input
        return None
    clean = sanitize_mathml(raw)
    return clean if clean.startswith("<math") else None
