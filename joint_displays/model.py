"""The joint-display data model: cells, rows, displays and their fit ratings.

A display is data first: every cell keeps its evidence (table IDs for numbers,
excerpt IDs for quotes) and its status, so it can be written as a DataFrame,
a CSV, or Markdown for HTML and Typst without losing where a figure came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable

import pandas as pd

# Cell states beyond an ordinary value; "not addressed" is shown, never papered over.
OK = "ok"
NOT_ADDRESSED = "not_addressed"
SUPPRESSED = "suppressed"
NOT_COLLECTED = "not_collected"
STATUS_TEXT = {
    NOT_ADDRESSED: "[Not addressed]",
    SUPPRESSED: "[Not addressed due to small sample sizes]",
    NOT_COLLECTED: "–",
}


@dataclass(frozen=True)
class Quote:
    """An excerpt shown in a cell: its ID, the label shown, text and pathway."""

    excerpt_id: str
    label: str
    text: str
    pathway: str = ""


@dataclass(frozen=True)
class Cell:
    text: str = ""
    status: str = OK
    evidence: tuple[str, ...] = ()
    quotes: tuple[Quote, ...] = ()

    @property
    def shown(self) -> str:
        """Plain-text rendering of the cell (status placeholder, text, then quotes)."""
        if self.status != OK and not self.text:
            return STATUS_TEXT[self.status]
        parts = [self.text] if self.text else []
        for q in self.quotes:
            line = f"{q.label}: “{q.text}”"
            if q.pathway:
                line += f" ({q.pathway})"
            parts.append(line)
        return " ".join(parts) if parts else STATUS_TEXT[NOT_ADDRESSED]


def not_addressed(reason: str = "") -> Cell:
    return Cell(text="", status=NOT_ADDRESSED, evidence=(f"reason: {reason}",) if reason else ())


@dataclass(frozen=True)
class StrandAssessment:
    """How one strand bears on a row's proposition after evaluation."""

    strand: str
    outcome: str  # supports | complements | contradicts | not_addressed | suppressed
    rationale: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class FitRating:
    """A row's assessment of fit (Fetters, Curry & Creswell 2013).

    ``derived`` comes from the written rule in :mod:`joint_displays.fit`;
    ``declared`` is the researcher's rating from integration.yml, if any.
    """

    derived: str  # confirmation | expansion | discordance | not_addressed
    rationale: str
    assessments: tuple[StrandAssessment, ...] = ()
    declared: str | None = None
    declared_rationale: str | None = None

    @property
    def disagrees(self) -> bool:
        return self.declared is not None and self.declared != self.derived

    @property
    def shown(self) -> str:
        """The rating as displayed: the declared one is kept, a disagreement is marked."""
        label = (self.declared or self.derived).replace("_", " ").capitalize()
        if self.disagrees:
            return f"{label} (declared; evidence gives {self.derived.replace('_', ' ')})"
        return label

    @property
    def status(self) -> str:
        if self.declared is None:
            return "derived"
        return "declared, disagrees with derived" if self.disagrees else "declared, agrees with derived"


@dataclass(frozen=True)
class Row:
    id: str
    label: str
    cells: dict[str, Cell]
    section: str = ""
    fit: FitRating | None = None
    fits: dict[str, FitRating] = field(default_factory=dict)  # per-column ratings (per-site views)


@dataclass(frozen=True)
class JointDisplay:
    id: str
    title: str
    columns: tuple[tuple[str, str], ...]  # (column id, label)
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()
    has_fit: bool = False

    @property
    def column_ids(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    def to_frame(self) -> pd.DataFrame:
        """One row per display row, one column per display column, strings as shown."""
        records = []
        for row in self.rows:
            rec = {"section": row.section, "row": row.label}
            for cid, label in self.columns:
                rec[label] = row.cells.get(cid, not_addressed()).shown
            if self.has_fit:
                rec["Assessment of fit"] = row.fit.shown if row.fit else ""
                rec["Rationale"] = row.fit.rationale if row.fit else ""
            records.append(rec)
        return pd.DataFrame(records)

    def evidence_frame(self) -> pd.DataFrame:
        """Long form: row, column, status, evidence IDs — the trace of every cell."""
        out = []
        for row in self.rows:
            for cid, _ in self.columns:
                cell = row.cells.get(cid)
                if cell is None:
                    continue
                out.append({"display": self.id, "row": row.id, "column": cid, "status": cell.status,
                            "evidence": ";".join(cell.evidence + tuple(q.excerpt_id for q in cell.quotes))})
        return pd.DataFrame(out, columns=["display", "row", "column", "status", "evidence"])

    def fit_frame(self) -> pd.DataFrame:
        out = []
        for row in self.rows:
            ratings = ({"all": row.fit} if row.fit else {}) | row.fits
            for scope, fit in ratings.items():
                out.append({"display": self.id, "row": row.id, "scope": scope, "derived": fit.derived,
                            "declared": fit.declared, "status": fit.status, "rationale": fit.rationale})
        return pd.DataFrame(out, columns=["display", "row", "scope", "derived", "declared", "status", "rationale"])

    def column(self, column_id: str) -> "JointDisplay":
        """Per-site view: only ``column_id``, with that column's ratings as the row fit."""
        label = dict(self.columns)[column_id]
        rows = tuple(replace(r, cells={column_id: r.cells[column_id]} if column_id in r.cells else {},
                             fit=r.fits.get(column_id, r.fit), fits={}) for r in self.rows)
        return JointDisplay(self.id, f"{self.title} — {label}", ((column_id, label),), rows, self.notes,
                            has_fit=any(r.fit for r in rows))


def flatten_evidence(displays: Iterable[JointDisplay]) -> pd.DataFrame:
    return pd.concat([d.evidence_frame() for d in displays], ignore_index=True)
