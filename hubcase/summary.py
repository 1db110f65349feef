"""Check a study directory and summarise what it holds (``hubcase validate``).

:func:`check_study` is the pipeline function behind ``hubcase validate``: it
loads the study once, collecting every problem, and, when there are no errors,
counts what each site contributes to each evidence strand.  Nothing here
prints; :meth:`StudyCheck.as_text` gives the text the command shows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hubcase.errors import Problem, StudyError
from hubcase.instruments import MEASURES
from hubcase.study import Study, load_study

STRAND_COUNTS = (  # (strand, table id, what is counted)
    ("screening", "screening", "screening record"),
    ("followup", "followup", "follow-up response"),
    ("followup", "service_use", "service-use item"),
    ("costing", "hub_costs", "cost line"),
    ("qualitative", "participants", "participant"),
)


@dataclass(frozen=True)
class SiteSummary:
    """What one site contributes: counts per strand (``None``: strand not collected)."""

    id: str
    label: str
    measures: tuple[str, ...]
    counts: tuple[tuple[str, int | None], ...]


@dataclass(frozen=True)
class SubgroupSummary:
    id: str
    label: str
    kind: str
    records: int


@dataclass(frozen=True)
class StudySummary:
    title: str
    sites: tuple[SiteSummary, ...]
    subgroups: tuple[SubgroupSummary, ...]
    participants: int
    excerpts: int

    def as_text(self) -> str:
        lines = [f"Study: {self.title}", "Sites:"]
        for site in self.sites:
            counts = ", ".join(_plural(n, what) if n is not None else f"{what}s: not collected"
                               for what, n in site.counts)
            lines.append(f"  {site.id} ({site.label}): {counts}")
            labels = ", ".join(MEASURES[m].label for m in site.measures) or "none"
            lines.append(f"    measures: {labels}")
        if self.subgroups:
            lines.append("Subgroups:")
            lines += [f"  {g.id} ({g.kind}): {g.label}; {_plural(g.records, 'screening record')}"
                      for g in self.subgroups]
        else:
            lines.append("Subgroups: none declared")
        lines.append(f"Qualitative: {_plural(self.participants, 'participant')}, "
                     f"{_plural(self.excerpts, 'excerpt')}")
        return "\n".join(lines)


@dataclass(frozen=True)
class StudyCheck:
    """Result of checking a study: every problem found, and a summary when there are no errors."""

    study: Path
    problems: tuple[Problem, ...]
    summary: StudySummary | None

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    def verdict(self) -> str:
        n_err, n_warn = len(self.errors), len(self.warnings)
        counts = f"{_plural(n_err, 'error')}, {_plural(n_warn, 'warning')}"
        if self.ok:
            return f"{self.study}: valid study ({counts})"
        return f"{self.study}: not a valid study ({counts})"

    def as_text(self) -> str:
        lines = [str(p) for p in self.problems]
        lines.append(self.verdict())
        if self.summary is not None:
            lines += ["", self.summary.as_text()]
        return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def check_study(*, study: Path | str) -> StudyCheck:
    """Validate the study directory ``study``; summarise it when it has no errors."""
    root = Path(study)
    try:
        loaded = load_study(root)
    except StudyError as err:
        return StudyCheck(study=root, problems=sort_problems(err.problems), summary=None)
    return StudyCheck(study=root, problems=sort_problems(loaded.warnings), summary=summarise_study(loaded))


def sort_problems(problems) -> tuple[Problem, ...]:
    """Group problems by file (in the order files were first reported), rows in file order.

    Key paths and file-level problems keep the order they were found in.
    """
    first: dict[str, int] = {}
    for p in problems:
        first.setdefault(p.file, len(first))

    def key(p: Problem) -> tuple[int, int]:
        match = re.match(r"(?:rows?|line) (\d+)", p.location)
        return first[p.file], int(match.group(1)) if match else 0

    return tuple(sorted(problems, key=key))


def summarise_study(study: Study) -> StudySummary:
    """Counts per site and strand, subgroup sizes and qualitative totals of a loaded study."""
    tables = study.tables
    site_of_record = _site_of_record(tables)
    sites = []
    for site in study.config.sites:
        counts = []
        for strand, table_id, what in STRAND_COUNTS:
            if not site.has(strand):
                counts.append((what, None))
                continue
            counts.append((what, _count_at(tables.get(table_id), site.id, site_of_record)))
        if site.has("qualitative"):
            counts.append(("excerpt", _excerpts_at(tables, site.id)))
        sites.append(SiteSummary(site.id, site.label, tuple(m for m in MEASURES if m in site.measures),
                                 tuple(counts)))
    screening = tables.get("screening")
    subgroups = tuple(
        SubgroupSummary(g.id, g.label, g.kind, int(g.mask(screening).sum()) if screening is not None else 0)
        for g in study.config.subgroups)
    return StudySummary(
        title=study.config.title, sites=tuple(sites), subgroups=subgroups,
        participants=_rows(tables.get("participants")), excerpts=_rows(tables.get("excerpts")))


def _rows(frame: pd.DataFrame | None) -> int:
    return 0 if frame is None else len(frame)


def _site_of_record(tables) -> dict[str, str]:
    """record_id -> site (service-use items carry no site column)."""
    followup = tables.get("followup")
    if followup is None:
        return {}
    return dict(zip(followup["record_id"], followup["site"]))


def _count_at(frame: pd.DataFrame | None, site_id: str, site_of_record: dict[str, str]) -> int:
    if frame is None:
        return 0
    sites = frame["site"] if "site" in frame.columns else frame["record_id"].map(site_of_record)
    return int((sites == site_id).fillna(False).sum())


def _excerpts_at(tables, site_id: str) -> int:
    participants, excerpts = tables.get("participants"), tables.get("excerpts")
    if participants is None or excerpts is None:
        return 0
    site_of = dict(zip(participants["participant_id"], participants["site"]))
    return int((excerpts["participant_id"].map(site_of) == site_id).fillna(False).sum())
