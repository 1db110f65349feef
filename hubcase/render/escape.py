"""Escape text so pandoc Markdown shows it literally, in HTML and in Typst alike.

Pandoc's Markdown lets a backslash escape any ASCII punctuation character
(extension ``all_symbols_escapable``).  ``md_cell`` escapes every character that starts
inline Markdown (emphasis, code, links, raw HTML, entities, maths, citations, attributes,
sub/superscript) and the pipe-table cell separator, and folds line breaks, which a pipe-table
cell cannot contain, into spaces.  Pandoc then writes ``<`` as ``&lt;`` in HTML and ``\\<`` in
Typst, so ``<script>`` arrives as text in both.
"""
from __future__ import annotations

import re
from typing import Any

# Characters with an inline meaning in pandoc Markdown, plus '|' (cell separator) and '#'.
MARKDOWN_SPECIAL = frozenset("\\`*_{}[]<>()#+!|$@~^&=:")
LINE_BREAKS = re.compile(r"\s*(?:\r\n|\r|\n|\t)\s*")


def md_cell(text: Any) -> str:
    """Escape ``text`` for one cell of a pandoc pipe table (or any inline Markdown).

    ``None`` becomes an empty cell; other non-strings are converted with ``str``.

    >>> print(md_cell("a|b *c*"))
    a\\|b \\*c\\*
    """
    if text is None:
        return ""
    flat = LINE_BREAKS.sub(" ", str(text)).strip()
    return "".join("\\" + char if char in MARKDOWN_SPECIAL else char for char in flat)


def md_caption(text: Any) -> str:
    """Escape plain ``text`` (not Markdown) for use in a table or figure caption."""
    return md_cell(text)
