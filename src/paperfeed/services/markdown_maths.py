"""Formulas in comments: a markdown-it inline rule that reads ``$…$``, ``\\(…\\)``, ``$$…$$`` and ``\\[…\\]``
before markdown sees them (so ``$a_1 b_1$`` is not turned into emphasis) and renders them as sanitised
MathML. Code spans are matched first by markdown-it, so ``` `$x$` ``` stays code.

No plugin on PyPI that is installed here does this (mdit-py-plugins' dollarmath would, but it is one more
dependency for twenty lines); the formula itself is converted by :mod:`paperfeed.domain.mathml`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from paperfeed.domain.mathml import formula_to_mathml
from paperfeed.domain.tex import MATHS

_TOKEN = "maths"


def maths_plugin(md: MarkdownIt) -> None:
    """Teach ``md`` the formula delimiters (before its backslash escapes, which would eat ``\\(``)."""
    md.inline.ruler.before("escape", _TOKEN, _read_formula)
    md.add_render_rule(_TOKEN, _render_formula)


def _read_formula(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] not in "$\\":
        return False
    match = MATHS.match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    if not silent:
        token = state.push(_TOKEN, "math", 0)
        token.content = next(group for group in match.groups() if group is not None)
        token.markup = match.group(0)
        token.info = "display" if match.group("d1") is not None or match.group("d2") is not None else "inline"
    state.pos = match.end()
    return True


def _render_formula(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[index]
    mathml = formula_to_mathml(token.content, token.info == "display")
    return mathml if mathml is not None else html.escape(token.markup, quote=False)
