"""Cutting selection text out of a source document, tolerating line-end drift.

REFI-QDA positions count characters of the plain text as stored.  Some tools count a line end
as two characters (CRLF) when the stored text has LF, or as one when it has CRLF; every line
end before a selection then shifts it by one character.  The basis is chosen per source: the
one under which the most selections' own text (their ``name``) matches the cut text; with no
name to compare, the text is read as stored.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hubcase.refi.model import Selection

BASES = ("as_stored", "crlf", "lf")
_ELLIPSIS = ("...", "…")


def variants(text: str) -> dict[str, str]:
    """The source text under each line-end basis that differs from it as stored."""
    out = {"as_stored": text}
    if "\r\n" in text:
        out["lf"] = text.replace("\r\n", "\n")
    elif "\n" in text:
        out["crlf"] = text.replace("\n", "\r\n")
    return out


def cut(texts: dict[str, str], basis: str, start: int, end: int) -> str | None:
    text = texts[basis]
    if not 0 <= start <= end <= len(text):
        return None
    piece = text[start:end]
    return piece.replace("\r\n", "\n") if basis == "crlf" else piece


def matches(cut_text: str | None, reference: str | None) -> bool:
    """True when ``reference`` (a selection's name) is the cut text, allowing whitespace changes and truncation."""
    if cut_text is None or not reference:
        return False
    a, b = " ".join(cut_text.split()), " ".join(reference.split())
    if a == b:
        return True
    for mark in _ELLIPSIS:
        if b.endswith(mark):
            b = b[: -len(mark)].rstrip()
            return len(b) >= 5 and a.startswith(b)
    return len(b) >= 20 and a.startswith(b)


def cut_source(text: str, selections: tuple["Selection", ...]) -> tuple[tuple["Selection", ...], str, list[str]]:
    """Cut every selection; return them, the basis used for the source, and warnings."""
    texts = variants(text)
    score = {b: sum(matches(cut(texts, b, s.start, s.end), s.name) for s in selections) for b in texts}
    basis = max(texts, key=lambda b: (score[b], b == "as_stored"))
    comparable = [s for s in selections if s.name and s.name.strip()]
    messages = []
    if basis != "as_stored":
        messages.append(f"offsets are counted with {basis.upper()} line ends, not as the text is stored; "
                        f"cut with {basis.upper()} ({score[basis]} of {len(comparable)} selections confirm it)")
    checked = score[basis] > 0
    if comparable and not checked:
        messages.append(f"no selection name matches its text under any line-end basis; offsets used as stored "
                        f"(the names look like labels, so {len(comparable)} selections are unverified)")
    out = []
    for s in selections:
        piece, used = cut(texts, basis, s.start, s.end), basis
        ok = matches(piece, s.name) if (checked and s.name) else None
        if ok is False:
            alt = next((b for b in texts if b != basis and matches(cut(texts, b, s.start, s.end), s.name)), None)
            if alt:
                piece, used, ok = cut(texts, alt, s.start, s.end), alt, True
                messages.append(f"selection {s.guid}: offsets match with {alt.upper()} line ends, unlike the rest")
            else:
                messages.append(f"selection {s.guid} ({s.name[:40]!r}): text at {s.start}–{s.end} does not match "
                                "its name; the cut text is used")
        if piece is None:
            messages.append(f"selection {s.guid}: positions {s.start}–{s.end} are outside the text "
                            f"({len(texts[used])} characters); skipped")
        out.append(replace(s, text=piece, basis=used, verified=ok))
    return tuple(out), basis, messages
