"""Tables 30–54 and their forest plots, built from fitted model results (no fitting here).

``models = fit_caseness_models(study=study)`` once, then ``caseness_model_table(models,
outcome="case_phq9")`` (T30) … ``outcome="overall_severity"`` (T36), ``forest_plot`` of any of
them; ``score_models_table(fit_score_models(study=study))`` gives Tables 37–54 as one table.
"""
from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from analyses.result import FigureResult, TableResult
from analyses.scoring import SCORE_COLUMNS
from analyses.screening_models import (CASENESS_TABLE_IDS, OUTCOME_MEASURE, PREDICTORS, CasenessModelsResult,
                                       ScoreModelsResult)
from hubcase.errors import AnalysisError
from hubcase.instruments import MEASURES

NOT_COMPUTABLE = "Not computable"
MEASURE_OF_SCORE = {v: k for k, v in SCORE_COLUMNS.items()}


def fmt_estimate(value: float, digits: int = 2) -> str:
    if value is None or pd.isna(value):
        return ""
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.{digits}f}".replace("-", "−")


def fmt_p(p: float) -> str:
    if p is None or pd.isna(p):
        return ""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _interaction_cell(row: pd.Series, first: bool) -> str:
    if not first:
        return "–"
    if pd.isna(row["p_interaction"]):
        return "N/A"
    return fmt_p(row["p_interaction"]) + (" *" if row["interaction_flag"] else "")


def _first_rows(rows: pd.DataFrame) -> pd.Series:
    return ~rows.duplicated(subset=["outcome", "factor"], keep="first")


def _not_computable(reason: str) -> str:
    return reason if reason.startswith("not computable") else f"not computable: {reason}"


def _reason_notes(rows: pd.DataFrame, first: pd.Series) -> list[str]:
    """Footnotes for rows without an estimate or an interaction test, one per distinct reason."""
    found: dict[str, list[str]] = {}
    for _, row in rows[~rows["computable"]].iterrows():
        found.setdefault(_not_computable(row["reason"] or ""), []).append(row["label"])
    for _, row in rows[first & rows["p_interaction"].isna() & rows["computable"]].iterrows():
        text = f"interaction N/A ({row['interaction_reason'] or 'not computable'})"
        found.setdefault(text, []).append(row["label"])
    for _, row in rows[first & (rows["notes"].fillna("") != "")].iterrows():
        found.setdefault(row["notes"], []).append(row["label"])
    return [f"{'; '.join(dict.fromkeys(labels))}: {text}." for text, labels in found.items()]


def _estimate_rows(rows: pd.DataFrame, column: str, first: pd.Series) -> list[dict]:
    """Display rows (strings) of model rows; ``first`` marks the first row of each predictor."""
    out, group = [], None
    for i, row in rows.iterrows():
        if row["group"] != group and column == "or":
            group = row["group"]
            out.append({"Predictor": group, "OR": "", "95% CI": "", "p": "", "Interaction p": ""})
        name = "OR" if column == "or" else "Coefficient"
        cells = {"Predictor": row["label"], name: NOT_COMPUTABLE, "95% CI": "", "p": "", "Interaction p": ""}
        if row["computable"]:
            cells.update({name: fmt_estimate(row[column]),
                          "95% CI": f"{fmt_estimate(row['ci_low'])} to {fmt_estimate(row['ci_high'])}",
                          "p": fmt_p(row["p"]), "Interaction p": _interaction_cell(row, bool(first[i]))})
        out.append(cells)
    return out


def _title(outcome: str) -> str:
    if outcome == "overall_severity":
        return "Proportional-odds logistic regression of overall severity on each candidate predictor, adjusted for site"
    label = MEASURES[OUTCOME_MEASURE[outcome]].label
    return f"Site-adjusted logistic regression of {label} caseness on each candidate predictor"


def caseness_model_table(models: CasenessModelsResult, *, outcome: str) -> TableResult:
    """Table 30–35 (logistic, one per caseness outcome) or 36 (``outcome='overall_severity'``)."""
    if outcome not in models.outcomes:
        raise AnalysisError(f"no fitted models for outcome {outcome!r} (fitted: {', '.join(models.outcomes)}); "
                            "hint: the study's sites may not have used that measure.")
    rows = models.rows[models.rows["outcome"] == outcome].reset_index(drop=True)
    display = pd.DataFrame(_estimate_rows(rows, "or", _first_rows(rows)), columns=["Predictor", "OR", "95% CI", "p", "Interaction p"])
    ordinal = outcome == "overall_severity"
    n = rows.loc[rows["computable"], "n"]
    sites = int(rows["n_sites"].max()) if len(rows) else 0
    size = (f"{sites} site{'s' if sites != 1 else ''}; n = {int(n.min())}–{int(n.max())} per model" if len(n)
            else "no model was computable")
    notes = [
        "Each row is a separate model of the outcome on one predictor plus site, on complete cases "
        f"among the sites that measured it ({size}).",
        ("ORs are for being in a higher overall-severity category (moderate, high); 95% CIs: Wald."
         if ordinal else f"95% CIs: {models.ci_method}."),
        f"Interaction p: likelihood-ratio test of predictor × site (df (k − 1)(S − 1)), one test per predictor; "
        f"* p < {models.interaction_alpha} (the report's threshold). N/A: not computable.",
        *_reason_notes(rows, _first_rows(rows)),
    ]
    return TableResult(CASENESS_TABLE_IDS[outcome], _title(outcome), rows, display, tuple(notes),
                       {"outcome": outcome, "model": "ordinal" if ordinal else "logit", "ci": models.ci_method})


def caseness_model_tables(models: CasenessModelsResult) -> dict[str, TableResult]:
    """Every fitted caseness/severity table keyed by table ID (T30 … T36)."""
    return {CASENESS_TABLE_IDS[o]: caseness_model_table(models, outcome=o) for o in models.outcomes}


def score_models_table(models: ScoreModelsResult) -> TableResult:
    """Tables 37–54 as one table: each score on each predictor, grouped by predictor."""
    rows = models.rows.copy()
    order = {t[0]: i for i, t in enumerate(t for p in PREDICTORS for t in p.terms)}
    rows["_p"] = rows["predictor"].map(order)
    rows["_m"] = rows["outcome"].map({SCORE_COLUMNS[m]: i for i, m in enumerate(MEASURES)})
    rows = rows.sort_values(["_p", "_m"], kind="stable").drop(columns=["_p", "_m"]).reset_index(drop=True)
    shown, first = [], _first_rows(rows)
    for _, block in rows.groupby("predictor", sort=False):
        shown.append({"Predictor": block["label"].iloc[0], "Scale": "", "Coefficient": "", "95% CI": "", "p": "",
                      "Interaction p": ""})
        for cells, (_, row) in zip(_estimate_rows(block, "coef", first[block.index]), block.iterrows()):
            cells["Predictor"], cells["Scale"] = "", MEASURES[MEASURE_OF_SCORE[row["outcome"]]].label
            shown.append(cells)
    display = pd.DataFrame(shown, columns=["Predictor", "Scale", "Coefficient", "95% CI", "p", "Interaction p"])
    notes = ("Each row is a separate linear model of the total score (ITQ: the six PTSD items) on one predictor "
             "plus site, on complete cases among the sites that used the measure; coefficients are score points "
             "(age: per year).", *models.remarks,
             "Sexual orientation is coded identified in another way vs heterosexual, as in the logistic models "
             "(the report's Table 42 reverses it); gender is one three-level factor (reference: woman).",
             *_reason_notes(rows, first))
    return TableResult("T37-54", "Site-adjusted linear regression of screening scores on each candidate predictor",
                       rows, display, notes, {"model": "ols"})


def forest_plot(result: TableResult) -> FigureResult:
    """Forest plot of a T30–T36 table: ORs with 95% CIs on a log axis, reference line at 1."""
    data = result.data
    if "or" not in data or not data["outcome"].isin(list(CASENESS_TABLE_IDS)).all():
        raise AnalysisError(f"forest_plot needs an odds-ratio table (T30–T36), got {result.id}; "
                            "hint: pass caseness_model_table(...).")
    fig = Figure(figsize=(8.0, 0.3 * len(data) + 1.6), layout="constrained")
    ax = fig.subplots()
    ys = np.arange(len(data))[::-1]
    ok = data["computable"].to_numpy(dtype=bool)
    bounds = data[["ci_low", "ci_high"]].to_numpy(dtype=float)
    span = bounds[ok & np.isfinite(bounds).all(axis=1) & (bounds > 0).all(axis=1)]
    lo_lim = max(min(span.min() if span.size else 0.5, 0.5) / 1.3, 1e-3)
    hi_lim = min(max(span.max() if span.size else 2.0, 2.0) * 1.3, 1e3)
    low = np.clip(data["ci_low"].to_numpy(dtype=float), lo_lim, hi_lim)
    high = np.clip(data["ci_high"].to_numpy(dtype=float), lo_lim, hi_lim)
    ax.hlines(ys[ok], low[ok], high[ok], color="0.25", linewidth=1.4)
    ax.plot(data["or"].to_numpy(dtype=float)[ok], ys[ok], "s", color="#1f4e79", markersize=5)
    for y in ys[~ok]:
        ax.text(1.0, y, "  " + NOT_COMPUTABLE.lower(), va="center", ha="left", fontsize=8, color="0.35",
                style="italic")
    ax.axvline(1.0, color="0.5", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlim(lo_lim, hi_lim)
    ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 20, 50, 100) if lo_lim <= t <= hi_lim]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(ys, data["label"].tolist(), fontsize=8)
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.set_xlabel("Odds ratio (95% CI), log scale")
    fig.suptitle(textwrap.fill(f"{result.id}. {result.title}", 95), fontsize=9, x=0.01, ha="left")
    plotted = data[["outcome", "predictor", "label", "or", "ci_low", "ci_high", "computable", "reason"]].copy()
    notes = tuple(n for n in result.notes if n.startswith("95%") or n.startswith("ORs"))
    return FigureResult(f"F-{result.id}", result.title, fig, plotted, notes)
