"""Result types shared by every analysis.

An analysis is a keyword-only, pure function of a loaded study that returns a
frozen result: the numbers (a tidy DataFrame), a presentation-ready table,
the table's stable ID and caption, and remarks that become footnotes.  It never
reads files, prints, or mutates its input.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class TableResult:
    """A numbered table.

    ``id``       stable table ID (the reference report's number where it has one: ``T9``).
    ``title``    caption.
    ``data``     tidy numbers, one row per statistic (written as ``<id>.data.csv``).
    ``display``  the table as shown in the report, cells as strings (written as ``<id>.csv``).
    ``notes``    footnotes: methods (e.g. CI method), small cells, non-convergence, gaps.
    """

    id: str
    title: str
    data: pd.DataFrame
    display: pd.DataFrame
    notes: tuple[str, ...] = ()
    spec: dict[str, Any] = field(default_factory=dict)

    def with_notes(self, *extra: str) -> "TableResult":
        return TableResult(self.id, self.title, self.data, self.display, self.notes + tuple(extra), self.spec)


@dataclass(frozen=True)
class FigureResult:
    """A numbered figure: a matplotlib Figure plus the data it plots."""

    id: str
    title: str
    figure: Any  # matplotlib.figure.Figure
    data: pd.DataFrame
    notes: tuple[str, ...] = ()


def fmt_n_pct(n: int | float, denom: int | float, digits: int = 1) -> str:
    """``"12 (34.5)"``; ``"0 (0)"`` when n is 0; ``"–"`` when the denominator is 0."""
    if denom is None or pd.isna(denom) or denom == 0:
        return "–"
    pct = 100.0 * n / denom
    return f"{int(n)} ({pct:.{digits}f})"


def fmt_mean_sd(mean: float, sd: float, digits: int = 1) -> str:
    if mean is None or pd.isna(mean):
        return "–"
    sd_txt = "–" if sd is None or pd.isna(sd) else f"{sd:.{digits}f}"
    return f"{mean:.{digits}f} ({sd_txt})"


def fmt_pct(value: float, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{100 * value:.{digits}f}%"
