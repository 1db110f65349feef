"""Presentation for the report notebooks: tables as Markdown, figures as PNG, generated prose.

Notebooks call these with results from :mod:`analyses.catalog` and never format numbers
themselves.  Everything shown goes through :func:`hubcase.render.md_cell`, so text in a
result (a quote with ``*`` or ``|``, a site label with ``<``) arrives literally in HTML and
in Typst, with Quarto and with the built-in renderer alike.

* :func:`show_table` — a pandoc pipe table of ``result.display`` with the notes under it;
  the caption comes from the cell's ``#| tbl-cap:`` option.
* :func:`show_figure` — the figure as a 200 dpi PNG, its notes under it;
  :func:`show_side_by_side` puts a site's figure beside the all-site one.
* ``*_sentence`` — one sentence of prose built from a result's tidy data.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from IPython.display import Image, Markdown, display

from analyses.result import FigureResult, TableResult
from hubcase.instruments import MEASURES
from hubcase.render.escape import md_cell

DPI = 200
MAX_DASHES = 60  # a column's share of the separator line is capped (long quotes) ...
PAD = 4  # ... and padded, so short columns still fit their header
STRAND_LABELS = {"service_mapping": "service mapping", "screening": "screening",
                 "followup": "follow-up questionnaires", "costing": "costing",
                 "qualitative": "qualitative interviews"}
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


# ------------------------------------------------------------------ tables
def _text(value: Any) -> str:
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return ""
    return md_cell(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """``frame`` as a pandoc pipe table, every cell escaped.

    The dashes of the separator line are proportional to each column's longest cell (capped),
    which pandoc uses as relative column widths once a row is wider than the page, so long
    quotes get wide columns and numbers narrow ones.
    """
    header = [_text(c) for c in frame.columns]
    rows = [[_text(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    widths = [min(MAX_DASHES, max([len(header[i]), *(len(r[i]) for r in rows)])) + PAD for i in range(len(header))]
    lines = [_row(header), "|" + "|".join("-" * w for w in widths) + "|"]
    lines += [_row(r) for r in rows]
    return "\n".join(lines)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def notes_markdown(notes: Iterable[str]) -> str:
    """Footnotes of a table or figure as a ``table-notes`` block ('' when there are none)."""
    notes = [n for n in notes if str(n).strip()]
    if not notes:
        return ""
    if len(notes) == 1:
        return f"::: table-notes\nNote: {md_cell(notes[0])}\n:::"
    items = "\n".join(f"- {md_cell(n)}" for n in notes)
    return f"::: table-notes\nNotes:\n\n{items}\n:::"


def table_markdown(result: TableResult, *, label: str | None = None) -> str:
    """The Markdown :func:`show_table` displays."""
    body = markdown_table(result.display) if len(result.display.columns) else ""
    text = "\n\n".join(part for part in (body, notes_markdown(result.notes)) if part)
    return f"::: {{#{label}}}\n{text}\n:::" if label else text


def show_table(result: TableResult, *, label: str | None = None) -> Markdown:
    """Show a table result as Markdown: a pipe table, then its notes.

    Use it in a cell with ``#| label: tbl-…`` and ``#| tbl-cap: …``; ``label`` is only for a
    table shown outside such a cell (it wraps the table in a block with that id, a link target).
    """
    return Markdown(table_markdown(result, label=label))


def show_markdown(text: str) -> Markdown:
    """Show generated prose (already Markdown: build it with the ``*_sentence`` helpers)."""
    return Markdown(text)


# ------------------------------------------------------------------ figures
def figure_png(result: FigureResult, *, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes at ``dpi`` (the PNG records the dpi, so it prints at its size)."""
    buffer = io.BytesIO()
    result.figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    _close(result.figure)
    return buffer.getvalue()


def _close(fig) -> None:
    """Release a pyplot-managed figure so Jupyter's inline backend does not show it a second time."""
    import matplotlib.pyplot as plt

    plt.close(fig)


def show_figure(result: FigureResult) -> None:
    """Display the figure as a 200 dpi PNG, followed by its notes."""
    display(Image(data=figure_png(result), format="png"))
    notes = notes_markdown(result.notes)
    if notes:
        display(Markdown(notes))


def show_side_by_side(left: FigureResult, right: FigureResult, *, titles: tuple[str, str]) -> None:
    """Two figures in one image, ``titles`` above each (e.g. a site beside all sites), then notes."""
    import matplotlib.image as mpimg
    from matplotlib.figure import Figure

    images = [mpimg.imread(io.BytesIO(figure_png(r)), format="png") for r in (left, right)]
    height = max(img.shape[0] for img in images) / DPI
    width = sum(img.shape[1] for img in images) / DPI
    combined = Figure(figsize=(width, height + 0.4))
    axes = combined.subplots(1, 2, width_ratios=[img.shape[1] for img in images])
    for ax, img, title in zip(axes, images, titles, strict=True):
        ax.imshow(img)
        ax.set_title(title, fontsize=11, loc="left")
        ax.axis("off")
    combined.tight_layout()
    notes = dict.fromkeys([*left.notes, *right.notes])
    show_figure(FigureResult(left.id, left.title, combined, left.data, tuple(notes)))


# ------------------------------------------------------------------ prose
def count(n: int, noun: str, plural: str | None = None) -> str:
    """``count(4, "site")`` -> ``"four sites"``; numbers above ten as digits with separators."""
    n = int(n)
    word = NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else f"{n:,}"
    return f"{word} {noun if n == 1 else plural or noun + 's'}"


def list_and(items: Iterable[str]) -> str:
    """``["A", "B", "C"]`` -> ``"A, B and C"``."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def pct(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}%"


def _labels(study, site_ids: Iterable[str]) -> list[str]:
    return [study.config.site(s).label for s in site_ids]


def study_sentence(study) -> str:
    """What the study covers: its sites and which evidence strands each collected."""
    sites = study.config.sites
    parts = []
    for strand, label in STRAND_LABELS.items():
        having = [s.label for s in sites if s.has(strand)]
        if having:
            scope = "every site" if len(having) == len(sites) else list_and(having)
            parts.append(f"{label} ({scope})")
    text = (f"*{md_cell(study.config.title)}* covers {count(len(sites), 'site')} "
            f"({md_cell(list_and(s.label for s in sites))}). Evidence strands: {md_cell(list_and(parts))}.")
    return text


def sample_sentence(t6: TableResult, *, study) -> str:
    """T6: how many staff were screened, overall and per site."""
    rows = t6.data[(t6.data["variable"] == "age") & (t6.data["level"] == "mean")] if len(t6.data) else t6.data
    if not len(rows):
        return ""
    n = dict(zip(rows["site"], rows["n_records"]))
    per_site = [f"{study.config.site(s).label}: {int(v):,}" for s, v in n.items() if s != "Total"]
    return (f"In all, {int(n['Total']):,} staff completed the Hub screening questionnaire "
            f"({md_cell('; '.join(per_site))}).")


def caseness_sentence(t9: TableResult) -> str:
    """T9: the range of caseness across the measures, all sites together."""
    if not len(t9.data):
        return ""
    case = {f"case_{m}": MEASURES[m].label for m in MEASURES}
    rows = t9.data[t9.data["variable"].isin(list(case)) & (t9.data["level"] == "yes")
                   & (t9.data["site"] == "Total")].dropna(subset=["pct"])
    if rows.empty:
        return ""
    low, high = rows.loc[rows["pct"].idxmin()], rows.loc[rows["pct"].idxmax()]
    return (f"Across all sites, the share of participants meeting a caseness threshold ranged from "
            f"{pct(low['pct'])} ({md_cell(case[low['variable']])}) to {pct(high['pct'])} "
            f"({md_cell(case[high['variable']])}).")


def respondents_sentence(t10: TableResult) -> str:
    """T10: how many staff answered the follow-up questionnaire."""
    if not len(t10.data):
        return ""
    rows = t10.data[(t10.data["row"] == "respondents") & (t10.data["statistic"] == "n")]
    total = rows.loc[rows["column"] == "Total", "value"]
    if total.empty:
        return ""
    return f"At follow-up, {int(total.iloc[0]):,} staff answered the service-use questionnaire."


def interviews_sentence(*results: TableResult) -> str:
    """T19–T21: how many people were interviewed, by group."""
    from analyses.qualitative import GROUP_LABELS

    counts = pd.concat([r.data for r in results if len(r.data)], ignore_index=True) if results else pd.DataFrame()
    if counts.empty:
        return ""
    parts = [f"{int(n)} {_in_sentence(GROUP_LABELS.get(g, g))}" for g, n in zip(counts["group"], counts["n"])]
    return f"In all, {int(counts['n'].sum())} people were interviewed: {md_cell(list_and(parts))}."


def _in_sentence(label: str) -> str:
    """A label inside a sentence: lower-case first letter, except for "Hub" (a name)."""
    return label if label.startswith("Hub") else label[:1].lower() + label[1:]


def site_profile_sentence(study, site: str, *, t1: TableResult, t3: TableResult) -> str:
    """T1 and T3 for one site: the size of its region's workforce and the seniority of its team."""
    label = md_cell(study.config.site(site).label)
    staff = t1.data.loc[t1.data["site"] == site, "region_staff"] if len(t1.data) else pd.Series(dtype=float)
    share = t3.data.loc[t3.data["site"] == site, "share_band6_plus"] if len(t3.data) else pd.Series(dtype=float)
    parts = []
    if not staff.empty:
        parts.append(f"{label} serves a region of {int(staff.iloc[0]):,} health and social care staff")
    if not share.empty and pd.notna(share.iloc[0]):
        parts.append(f"{pct(100 * share.iloc[0])} of its staff WTE are at Band 6 or higher")
    return ("; ".join(parts) + ".") if parts else ""


def case_study_sentence(study, site: str) -> str:
    """Which site the case study is about and which strands it collected."""
    info = study.config.site(site)
    strands = [STRAND_LABELS.get(s, s.replace("_", " ")) for s, on in info.strands.items() if on]
    missing = [STRAND_LABELS.get(s, s.replace("_", " ")) for s, on in info.strands.items() if not on]
    text = (f"This is the case study of **{md_cell(info.label)}**, one of {count(len(study.config.sites), 'site')} "
            f"of *{md_cell(study.config.title)}*. It collected {md_cell(list_and(strands))}")
    return text + (f"; {md_cell(list_and(missing))} was not collected there." if missing else ".")


def site_and_all(study, site: str) -> tuple[str, str]:
    """Panel titles for a site's figure beside the all-site one."""
    return study.config.site(site).label, "All sites"


# ------------------------------------------------------------------ joint displays
def show_display(display) -> Markdown:
    """A joint display (``joint_displays`` model) as a pipe table with its fit ratings styled.

    A placeholder ``TableResult`` (the study has no such display) is shown as a table.
    """
    if isinstance(display, TableResult):
        return show_table(display)
    from joint_displays.markdown import display_markdown

    return Markdown(display_markdown(display))


def show_evidence(appendix: TableResult) -> Markdown:
    """The evidence appendix, with one link target per excerpt for the displays' quote links."""
    if "excerpt_id" not in appendix.data:
        return show_table(appendix)
    from joint_displays.markdown import appendix_markdown

    notes = notes_markdown(appendix.notes)
    return Markdown(appendix_markdown(appendix) + (f"\n\n{notes}" if notes else ""))
