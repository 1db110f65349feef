"""The catalogue: every table and figure of the report, chapter by chapter, in report order.

Nothing is registered at import: :data:`CHAPTERS` is a literal tuple naming each analysis
function.  Every entry is called the same way, ``entry.fn(study=study, site=site)``; entries
with ``by_site=False`` (the qualitative tables, the regression tables and their forest plots)
are all-site results and are called without ``site``.

Shared work is done once per process.  The analyses modules do not share results among
themselves: each screening table re-scores the records (~0.07 s), each costing table re-costs
service use (~0.06 s); that is cheap.  What is not cheap is memoised here, per loaded study:
the caseness and score models (T30–T54 and the forest plots), every finished table, and the
joint displays (built from those same tables and models, so they quote the same numbers).
The memo is keyed by the study object (``id``, dropped when the study is garbage-collected),
never by path, so a re-loaded study is recomputed.

Use :func:`table` / :func:`figure` / :func:`joint_display` for one output (notebooks),
:func:`compute_tables` / :func:`compute_figures` for all of them (``hubcase tables``).  A
table the study cannot support (an :class:`~hubcase.errors.AnalysisError`, e.g. no site used
ITQ) becomes a placeholder saying why, so the report still builds.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pandas as pd

from analyses import (eq5d, followup, hub_costs, qualitative, screening, service_costs, service_mapping,
                      subgroups)
from analyses.result import FigureResult, TableResult
from analyses.screening_model_tables import caseness_model_table, forest_plot, score_models_table
from analyses.screening_models import fit_caseness_models, fit_score_models
from hubcase.errors import AnalysisError

UNAVAILABLE = "unavailable"
"""``TableResult.spec`` key set on a placeholder for a table the study cannot support."""


@dataclass(frozen=True)
class Entry:
    """One catalogued output: its ID, the function computing it, and whether it takes ``site``."""

    id: str
    fn: Callable[..., Any]
    by_site: bool = True

    def compute(self, study, site: str | None = None):
        return self.fn(study=study, site=site) if self.by_site else self.fn(study=study)


@dataclass(frozen=True)
class Chapter:
    """A report chapter: its notebook stem, title, and outputs in the order they appear."""

    id: str
    title: str
    notebook: str
    tables: tuple[Entry, ...] = ()
    figures: tuple[Entry, ...] = field(default_factory=tuple)


# ------------------------------------------------------------------ shared results (memo)
_MEMO: dict[int, dict[Any, Any]] = {}


def _memo(study) -> dict[Any, Any]:
    """This study's memo (created on first use, removed when the study object is collected)."""
    key = id(study)
    if key not in _MEMO:
        _MEMO[key] = {}
        weakref.finalize(study, _MEMO.pop, key, None)
    return _MEMO[key]


def _once(study, key: Any, compute: Callable[[], Any]) -> Any:
    memo = _memo(study)
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def caseness_models(study):
    """:func:`analyses.screening_models.fit_caseness_models`, fitted once per study object."""
    return _once(study, "caseness_models", lambda: fit_caseness_models(study=study))


def score_models(study):
    """:func:`analyses.screening_models.fit_score_models`, fitted once per study object."""
    return _once(study, "score_models", lambda: fit_score_models(study=study))


def caseness_model(*, study, outcome: str) -> TableResult:
    """T30–T36: the site-adjusted model table of one caseness outcome (or overall severity)."""
    return caseness_model_table(caseness_models(study), outcome=outcome)


def score_model(*, study) -> TableResult:
    """T37-54: the site-adjusted linear models of every screening score."""
    return score_models_table(score_models(study))


def caseness_forest(*, study, table_id: str) -> FigureResult:
    """F-T30 … F-T36: forest plot of a caseness model table."""
    return forest_plot(table(table_id, study=study))


JOINT_DISPLAY_INPUTS = ("T3", "T7", "T9", "T11", "T12", "T15", "T16b", "T18", "T55", "T61", "T-OUT", "T-SG")
"""All-site tables the joint displays read; handed over so they are not computed twice."""


def display_set(study):
    """:func:`joint_displays.build.build_displays` of the study, built once per study object.

    It gets this process's tables and the caseness models of T30–T36, so the displays quote
    exactly the numbers (and confidence intervals) of the tables in the report.
    """
    def compute():
        try:
            from joint_displays.build import build_displays
        except ImportError as err:
            raise AnalysisError(f"joint displays are not available ({err})") from err
        tables = {tid: table(tid, study=study) for tid in JOINT_DISPLAY_INPUTS}
        tables = {tid: t for tid, t in tables.items() if is_available(t)}
        models = caseness_models(study) if "screening" in study.tables else None
        return build_displays(study, tables=tables, models=models)

    return _once(study, "display_set", compute)


def _joint_display(display_id: str, *, study, site: str | None = None):
    """T23–T26 as a ``JointDisplay`` (with ``site``: that column only, with its own ratings).

    Raises :class:`~hubcase.errors.AnalysisError` when the study has no such display or
    the site is not one of its columns.
    """
    displays = display_set(study)
    try:
        found = displays.get(display_id)
    except KeyError:
        raise AnalysisError(f"the study has no joint display {display_id} (nothing to show in it)") from None
    if site is None:
        return found
    if site not in found.column_ids:
        raise AnalysisError(f"site {site} is not a column of {display_id} (columns: {', '.join(found.column_ids)}; "
                            "the Hub-level display covers the sites that collected every strand)")
    return found.column(site)


def joint_display(display_id: str, *, study, site: str | None = None):
    """A joint display for a notebook: the ``JointDisplay`` (or one site's column of it), or a
    placeholder table saying why the study has none."""
    try:
        return _joint_display(display_id, study=study, site=site)
    except AnalysisError as err:
        return _placeholder(display_id, str(err))


def joint_display_table(*, study, display_id: str) -> TableResult:
    """T23–T26 as a table: the cells as shown, with the evidence trace (cell -> IDs) as data."""
    shown = _joint_display(display_id, study=study)
    return TableResult(shown.id, shown.title, shown.evidence_frame(), shown.to_frame(), tuple(shown.notes),
                       {"joint_display": shown.id})


def evidence_appendix(*, study) -> TableResult:
    """T-EVID: every excerpt quoted in the joint displays."""
    return display_set(study).appendix


def site_evidence(display_id: str, *, study, site: str) -> TableResult:
    """The evidence appendix cut down to the excerpts quoted in one site's column of a display."""
    try:
        column = _joint_display(display_id, study=study, site=site)
    except AnalysisError as err:
        return _placeholder("T-EVID", str(err))
    quoted = {q.excerpt_id for row in column.rows for cell in row.cells.values() for q in cell.quotes}
    appendix = evidence_appendix(study=study)
    keep = appendix.data["excerpt_id"].isin(sorted(quoted)).to_numpy()
    return TableResult(appendix.id, appendix.title, appendix.data[keep].reset_index(drop=True),
                       appendix.display[keep].reset_index(drop=True), appendix.notes, {"site": site})


# ------------------------------------------------------------------ the catalogue
def _caseness(table_id: str, outcome: str) -> Entry:
    return Entry(table_id, partial(caseness_model, outcome=outcome), by_site=False)


def _forest(table_id: str) -> Entry:
    return Entry(f"F-{table_id}", partial(caseness_forest, table_id=table_id), by_site=False)


CASENESS_TABLES = (("T30", "case_phq9"), ("T31", "case_gad7"), ("T32", "case_pcl5"), ("T33", "case_itq"),
                   ("T34", "case_audit"), ("T35", "case_wsas"), ("T36", "overall_severity"))

CHAPTERS: tuple[Chapter, ...] = (
    Chapter("service_mapping", "Service mapping", "01_service_mapping", tables=(
        Entry("T1", service_mapping.region_staff_table),
        Entry("T2", service_mapping.groups_in_scope_table),
        Entry("T3", service_mapping.band6_share_table),
        Entry("T4", service_mapping.staffing_table),
        Entry("T5", service_mapping.measures_table),
        Entry("T-OUT", service_mapping.targeted_outreach_table),
        Entry("T-SG", subgroups.subgroup_representation_table),
    )),
    Chapter("screening_followup", "Screening and follow-up", "02_screening_followup", tables=(
        Entry("T6", screening.demographics_table),
        Entry("T7", screening.occupation_table),
        Entry("T8", screening.covid_impact_table),
        Entry("T9", screening.caseness_table),
        Entry("T29", screening.overall_severity_definition),
        Entry("T55", screening.domains_table),
        *(_caseness(tid, outcome) for tid, outcome in CASENESS_TABLES),
        Entry("T37-54", score_model, by_site=False),
        Entry("T10", followup.respondent_demographics_table),
        Entry("T11", followup.hub_contact_table),
        Entry("T12", followup.satisfaction_table),
        Entry("T13", followup.support_access_models),
    ), figures=tuple(_forest(tid) for tid, _ in CASENESS_TABLES)),
    Chapter("health_economics", "Health economics", "03_health_economics", tables=(
        Entry("T14", hub_costs.setup_costs_table),
        Entry("T15", hub_costs.ongoing_costs_table),
        Entry("T59", hub_costs.cost_per_keyworker_table),
        Entry("T16", eq5d.eq5d_levels_table),
        Entry("T16b", eq5d.eq5d_summary_table),
        Entry("T16c", eq5d.eq5d_regression),
        Entry("T17", service_costs.key_supports_table),
        Entry("T18", service_costs.service_costs_table),
        Entry("T61", service_costs.site_subgroup_costs_table),
        Entry("T18b", service_costs.cost_regressions),
        Entry("T18c", service_costs.completeness_tests),
    ), figures=(Entry("F2", eq5d.eq_vas_figure),)),
    Chapter("qualitative", "Qualitative findings", "04_qualitative", tables=(
        Entry("T19", qualitative.keyworker_participants_table, by_site=False),
        Entry("T20", qualitative.hub_staff_table, by_site=False),
        Entry("T21", qualitative.stakeholders_table, by_site=False),
        Entry("T22", qualitative.codebook_table, by_site=False),
        Entry("T-QCOV", qualitative.coverage_table),
        Entry("T-QCHAIN", qualitative.chain_frequency_table, by_site=False),
        Entry("T-QEB", qualitative.enablers_barriers_table, by_site=False),
        Entry("T-QEX", qualitative.exemplars_table, by_site=False),
    ), figures=(
        Entry("F4", partial(qualitative.pathway_figure, valence="enabler"), by_site=False),
        Entry("F5", partial(qualitative.pathway_figure, valence="barrier"), by_site=False),
    )),
    Chapter("cross_case", "Cross-case integration", "05_cross_case", tables=(
        *(Entry(tid, partial(joint_display_table, display_id=tid), by_site=False)
          for tid in ("T23", "T24", "T25", "T26")),
        Entry("T-EVID", evidence_appendix, by_site=False),
    )),
)
"""Every chapter of the full report, in order; each chapter is one notebook in ``report/``."""


def entries(kind: str = "tables") -> tuple[Entry, ...]:
    """Every table (``kind="tables"``) or figure (``"figures"``) entry, in report order."""
    return tuple(e for chapter in CHAPTERS for e in getattr(chapter, kind))


def entry(output_id: str) -> Entry:
    """The catalogue entry of a table or figure ID; ``KeyError`` naming the known IDs."""
    for e in (*entries("tables"), *entries("figures")):
        if e.id == output_id:
            return e
    known = ", ".join(e.id for e in (*entries("tables"), *entries("figures")))
    raise KeyError(f"{output_id!r} is not in the catalogue (known: {known})")


def table(table_id: str, *, study, site: str | None = None) -> TableResult:
    """One table, computed once per study object and site.

    An :class:`~hubcase.errors.AnalysisError` (the study cannot support the table, e.g. no
    site used the measure) gives a placeholder result whose ``spec`` holds the reason under
    :data:`UNAVAILABLE`, so a report still builds and shows why the table is missing.
    """
    item = entry(table_id)
    scope = site if item.by_site else None
    return _once(study, ("table", table_id, scope), lambda: _compute_or_placeholder(item, study, scope))


def figure(figure_id: str, *, study, site: str | None = None) -> FigureResult:
    """One figure, computed afresh (a matplotlib figure is not shared between callers)."""
    item = entry(figure_id)
    return item.compute(study, site if item.by_site else None)


def is_available(result: TableResult) -> bool:
    return UNAVAILABLE not in result.spec


def _compute_or_placeholder(item: Entry, study, site: str | None) -> TableResult:
    try:
        return item.compute(study, site)
    except AnalysisError as err:
        return _placeholder(item.id, str(err))


def _placeholder(output_id: str, reason: str) -> TableResult:
    shown = pd.DataFrame({"": [f"Not available for this study: {reason}"]})
    return TableResult(output_id, f"{output_id} (not available)", pd.DataFrame(), shown, (), {UNAVAILABLE: reason})


def compute_tables(study, *, site: str | None = None, by_site_only: bool = False) -> list[TableResult]:
    """Every catalogued table in report order (placeholders for unavailable ones).

    With ``site``, site-aware tables show that site beside the total; ``by_site_only`` then
    leaves out the all-site tables.
    """
    wanted = [e for e in entries("tables") if e.by_site or not (site and by_site_only)]
    return [table(e.id, study=study, site=site) for e in wanted]


def compute_figures(study, *, site: str | None = None, by_site_only: bool = False) -> list[FigureResult]:
    """Every catalogued figure in report order; figures the study cannot support are left out."""
    out = []
    for e in entries("figures"):
        if site and by_site_only and not e.by_site:
            continue
        try:
            out.append(figure(e.id, study=study, site=site))
        except AnalysisError:
            continue
    return out

