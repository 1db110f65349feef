"""Markdown for joint displays and the evidence appendix (pandoc pipe tables for HTML and Typst).

Every piece of data text is escaped with ``md_cell`` so that excerpt text, labels
and YAML strings arrive as literal text; fit ratings are bracketed spans with a
``fit-*`` class (coloured *and* worded, so never colour alone); quote IDs link
to the evidence appendix anchors ``#ex-<id>``.
"""
from __future__ import annotations

import re

from hubcase.render.escape import md_cell
from joint_displays.model import NOT_COLLECTED, OK, STATUS_TEXT, Cell, FitRating, JointDisplay

FIT_CLASS = {"confirmation": "fit-confirmation", "expansion": "fit-expansion", "discordance": "fit-discordance",
             "not_addressed": "fit-not-addressed"}


def anchor(excerpt_id: str) -> str:
    return "ex-" + re.sub(r"[^A-Za-z0-9_-]", "-", excerpt_id)


def cell_markdown(cell: Cell) -> str:
    parts = []
    if cell.status == NOT_COLLECTED and not cell.text:
        parts.append(md_cell(STATUS_TEXT[NOT_COLLECTED]))  # plain dash: the measure was not used
    elif cell.status != OK and not cell.text:
        parts.append(f"[{md_cell(STATUS_TEXT[cell.status])}]{{.fit-not-addressed}}")
    if cell.text:
        parts.append(md_cell(cell.text))
    for q in cell.quotes:
        quote = f"*{md_cell(q.label)}*: “{md_cell(q.text)}”"
        if q.pathway:
            quote += f" ({md_cell(q.pathway)})"
        parts.append(f"{quote} [\\[{md_cell(q.excerpt_id)}\\]](#{anchor(q.excerpt_id)})")
    tables = [e for e in cell.evidence if re.fullmatch(r"T[\w-]*", e)]
    if tables and cell.status == OK:
        parts.append(f"^{md_cell(','.join(dict.fromkeys(tables)))}^")  # no spaces: pandoc superscript
    return " ".join(parts) if parts else f"[{md_cell(STATUS_TEXT['not_addressed'])}]{{.fit-not-addressed}}"


def fit_markdown(fit: FitRating | None) -> str:
    if fit is None:
        return ""
    rating = fit.declared or fit.derived
    text = f"[{md_cell(fit.shown)}]{{.{FIT_CLASS.get(rating, 'fit-not-addressed')}}}"
    if fit.disagrees:
        text += f" [{md_cell('⚠ declared rating differs from the evidence')}]{{.fit-discordance}}"
    return text


def display_markdown(display: JointDisplay, *, with_rationale: bool = True) -> str:
    """One pipe table; section headers become bold rows; fit and rationale columns when rated."""
    header = ["", *(label for _, label in display.columns)]
    if display.has_fit:
        header += ["Assessment of fit"] + (["Rationale"] if with_rationale else [])
    lines = ["| " + " | ".join(md_cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    section = None
    for row in display.rows:
        if row.section and row.section != section:
            section = row.section
            lines.append("| **" + md_cell(section) + "** |" + " |" * (len(header) - 1))
        cells = [md_cell(row.label)] + [cell_markdown(row.cells[c]) if c in row.cells else "" for c in
                                        display.column_ids]
        if display.has_fit:
            cells.append(fit_markdown(row.fit))
            if with_rationale:
                cells.append(md_cell(row.fit.rationale) if row.fit else "")
        if row.fits and not display.has_fit:
            cells = [cells[0]] + [fit_markdown(row.fits.get(c)) + " " + md_cell(row.fits[c].rationale)
                                  if c in row.fits else "" for c in display.column_ids]
        lines.append("| " + " | ".join(cells) + " |")
    notes = "\n".join(f"- {md_cell(n)}" for n in display.notes)
    return "\n".join(lines) + ("\n\n" + notes if notes else "")


def appendix_markdown(appendix) -> str:
    """The evidence appendix with an anchor per excerpt, so display links resolve."""
    lines = ["| Excerpt | Participant | Quote | Codes | Pathway |", "|---|---|---|---|---|"]
    for _, r in appendix.data.iterrows():
        lines.append(f"| [{md_cell(r['excerpt_id'])}]{{#{anchor(r['excerpt_id'])}}} | {md_cell(r['label'])} | "
                     f"{md_cell(r['text'])} | {md_cell(r['codes'])} | {md_cell(r['pathway'] or '–')} |")
    return "\n".join(lines)
