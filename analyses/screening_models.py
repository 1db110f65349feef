"""Predictors of caseness, overall severity and scores (report Tables 30–54).

Every model is one candidate predictor adjusted for site, on complete cases among the sites
that administered the outcome's measure (spec B §3.2–3.5).  Models are fitted once:
:func:`fit_caseness_models` (logistic, Tables 30–35, and proportional odds, Table 36) and
:func:`fit_score_models` (linear, Tables 37–54) return frozen results holding one tidy row per
predictor row; the tables and forest plots in :mod:`analyses.screening_model_tables` are
built from those results.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from analyses import ordinal, regression
from analyses.scoring import CASE_COLUMNS, SCORE_COLUMNS, measures_by_site
from analyses.screening import screening_records
from hubcase.errors import AnalysisError
from hubcase.instruments import MEASURES
from hubcase.schema.tables import COVID_IMPACTS

INTERACTION_ALPHA = 0.001
"""The report's threshold for a site interaction (spec B §3.3)."""
CI_METHODS = {"logit": "profile likelihood", "ordinal": "Wald", "ols": "t distribution"}
CASENESS_TABLE_IDS = {"case_phq9": "T30", "case_gad7": "T31", "case_pcl5": "T32", "case_itq": "T33",
                      "case_audit": "T34", "case_wsas": "T35", "overall_severity": "T36"}
OUTCOME_MEASURE = {case: m for m, case in CASE_COLUMNS.items()}
ROW_COLUMNS = ("outcome", "model", "predictor", "factor", "label", "group", "term", "or", "coef", "ci_low",
               "ci_high", "p", "p_interaction", "interaction_df", "interaction_flag", "interaction_reason", "n",
               "n_sites", "site_adjusted", "computable", "reason", "ci_method", "notes")


@dataclass(frozen=True)
class Predictor:
    """A candidate predictor: one model variable giving one row per contrast.

    ``terms`` are ``(row id, label, level)``; ``level`` is ``None`` for a numeric or boolean
    column and the category compared with ``reference`` otherwise.
    """

    id: str
    column: str
    group: str
    terms: tuple[tuple[str, str, str | None], ...]
    reference: str | None = None


_COVID_LABELS = {"covid_ill_home": "COVID illness (home)", "covid_ill_hosp": "COVID illness (hospital)",
                 "family_ill_home": "COVID family member (home)", "family_ill_hosp": "COVID family member (hospital)",
                 "financial_loss": "Financial loss", "new_tasks": "Undertaking new tasks",
                 "seconded_redeployed": "Seconded or re-deployed", "moved_location": "Moved work location",
                 "bereavement": "Bereavement"}
DEMOGRAPHICS, COVID, CONCERN = "Demographics", "Impacts of COVID", "Pre-pandemic MH concerns"
PREDICTORS: tuple[Predictor, ...] = (
    Predictor("age", "age", DEMOGRAPHICS, (("age", "Age (per year)", None),)),
    Predictor("gender", "gender", DEMOGRAPHICS, (("gender_man", "Gender (man vs. woman)", "man"),
              ("gender_another_way", "Gender (identified in another way vs. woman)", "another_way")), "woman"),
    Predictor("ethnic_minority", "ethnic_minority", DEMOGRAPHICS,
              (("ethnic_minority", "Ethnicity (ethnic minority vs. white)", None),)),
    Predictor("nhs_icu", "nhs_icu", DEMOGRAPHICS, (("nhs_icu", "ICU/critical care (vs. other NHS)", None),)),
    Predictor("nhs_clinical", "nhs_clinical", DEMOGRAPHICS,
              (("nhs_clinical", "Clinical vs. non-clinical (NHS)", None),)),
    Predictor("sexual_orientation", "sexual_orientation", DEMOGRAPHICS, (
        ("sexual_orientation", "Sexual orientation (identified in another way vs. heterosexual)", "another_way"),),
        "heterosexual"),
    Predictor("disability", "disability_analysed", DEMOGRAPHICS, (("disability", "Disability", None),)),
    *(Predictor(c, c, COVID, ((c, _COVID_LABELS[c], None),)) for c in COVID_IMPACTS),
    Predictor("prepandemic_concern", "prepandemic_concern", CONCERN, (
        ("prepandemic_yes", "Pre-pandemic concern: yes (vs. no)", "yes"),
        ("prepandemic_unsure", "Pre-pandemic concern: unsure (vs. no)", "unsure")), "no"),
)
"""The predictors of spec B §3.2 in the report's row order."""


@dataclass(frozen=True)
class CasenessModelsResult:
    """Site-adjusted logistic models of each caseness outcome and the ordinal model of severity.

    ``rows``: one row per (outcome, predictor row) with columns ``ROW_COLUMNS``; ``or`` is the
    odds ratio (of caseness, or of a higher overall-severity category), ``ci_low``/``ci_high``
    its 95% CI and ``p_interaction`` the site-interaction LRT (on the first row of a
    multi-level predictor).  ``outcomes`` lists the outcomes fitted, in table order.
    """

    rows: pd.DataFrame
    outcomes: tuple[str, ...]
    ci_method: str = CI_METHODS["logit"]
    interaction_alpha: float = INTERACTION_ALPHA
    remarks: tuple[str, ...] = ()
    spec: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoreModelsResult:
    """Site-adjusted linear models of each total score (``coef`` in score points)."""

    rows: pd.DataFrame
    outcomes: tuple[str, ...]
    interaction_alpha: float = INTERACTION_ALPHA
    remarks: tuple[str, ...] = ()
    spec: dict[str, Any] = field(default_factory=dict)


def predictor_matrix(records: pd.DataFrame, predictor: Predictor) -> tuple[np.ndarray, list[str]]:
    """Numeric design columns of a predictor (NaN where the predictor is missing)."""
    values = records[predictor.column]
    if predictor.reference is None:
        col = values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        return col[:, None], [predictor.terms[0][0]]
    text = values.astype("string")
    known = text.notna().to_numpy(dtype=bool)
    cols = [np.where(known, (text == level).fillna(False).to_numpy(dtype=float), np.nan)
            for _, _, level in predictor.terms]
    return np.column_stack(cols), [t[0] for t in predictor.terms]


def _outcome_sites(study, outcome: str) -> list[str]:
    used = measures_by_site(study.config.sites)
    if outcome in OUTCOME_MEASURE:
        return [s for s, ms in used.items() if OUTCOME_MEASURE[outcome] in ms]
    return [s for s, ms in used.items() if ms]


def _outcome_values(records: pd.DataFrame, outcome: str) -> np.ndarray:
    values = records[outcome]
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(float)
        return np.where(codes < 0, np.nan, codes)
    return values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


def _fit_rows(records: pd.DataFrame, outcome: str, sites: list[str], model: str,
              fitter: Callable[..., regression.ModelFit]) -> list[dict]:
    y_all = _outcome_values(records, outcome)
    at = records["site"].astype("string").isin(sites).fillna(False).to_numpy(dtype=bool)
    site_all = records["site"].astype("string").to_numpy(dtype=object, na_value=None)
    rows = []
    for predictor in PREDICTORS:
        P, names = predictor_matrix(records, predictor)
        keep = at & ~np.isnan(y_all) & ~np.isnan(P).any(axis=1)
        if keep.sum() == 0:
            fit = regression.ModelFit(False, "no participants with both the outcome and the predictor")
        else:
            fit = fitter(y_all[keep], P[keep], names, np.asarray(site_all[keep], dtype=str))
        rows += _rows_of(outcome, model, predictor, fit)
    return rows


def _rows_of(outcome: str, model: str, predictor: Predictor, fit: regression.ModelFit) -> list[dict]:
    estimates = {t.name: t for t in fit.terms}
    out = []
    for i, (row_id, label, level) in enumerate(predictor.terms):
        est = estimates.get(row_id)
        first = i == 0
        p_int = fit.p_interaction if first else np.nan
        row = {"outcome": outcome, "model": model, "predictor": row_id, "factor": predictor.id, "label": label,
               "group": predictor.group, "term": row_id if level is None else f"{predictor.column}[{level}]",
               "or": np.nan, "coef": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p": np.nan,
               "p_interaction": p_int, "interaction_df": fit.interaction_df if first else 0,
               "interaction_flag": bool(first and np.isfinite(p_int) and p_int < INTERACTION_ALPHA),
               "interaction_reason": fit.interaction_reason if first else "", "n": fit.n, "n_sites": fit.n_sites,
               "site_adjusted": fit.site_adjusted, "computable": est is not None,
               "reason": fit.reason_for(row_id), "ci_method": CI_METHODS[model], "notes": "; ".join(fit.notes)}
        if est is not None:
            scale = np.exp if model != "ols" else (lambda v: v)
            key = "coef" if model == "ols" else "or"
            row.update({key: float(scale(est.coef)), "ci_low": float(scale(est.ci_low)),
                        "ci_high": float(scale(est.ci_high)), "p": est.p})
        out.append(row)
    return out


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(ROW_COLUMNS))
    return frame.astype({"n": "int64", "n_sites": "int64", "interaction_df": "int64", "computable": "bool",
                         "interaction_flag": "bool", "site_adjusted": "bool"})


def fitted_outcomes(study, kind: str) -> tuple[str, ...]:
    """Outcomes some site measured: caseness columns (``kind='caseness'``) or score columns."""
    used = {m for ms in measures_by_site(study.config.sites).values() for m in ms}
    if kind == "caseness":
        return tuple(CASE_COLUMNS[m] for m in MEASURES if m in used)
    return tuple(SCORE_COLUMNS[m] for m in MEASURES if m in used)


def fit_caseness_models(*, study, ci: str = "profile") -> CasenessModelsResult:
    """Fit Tables 30–36: logistic models of each caseness outcome and the ordinal severity model.

    ``ci`` is ``"profile"`` (profile-likelihood CIs, the default, as the report's asymmetric
    intervals imply) or ``"wald"`` for the logistic models; the ordinal model always uses Wald.
    """
    if ci not in ("profile", "wald"):
        raise AnalysisError(f"ci must be 'profile' or 'wald', got {ci!r}")
    records = screening_records(study)
    rows: list[dict] = []
    outcomes = fitted_outcomes(study, "caseness")
    for outcome in outcomes:
        rows += _fit_rows(records, outcome, _outcome_sites(study, outcome), "logit",
                          partial(regression.logit_model, ci=ci))
    if outcomes:
        rows += _fit_rows(records, "overall_severity", _outcome_sites(study, "overall_severity"), "ordinal",
                          ordinal.ordinal_model)
        outcomes = outcomes + ("overall_severity",)
    method = "profile likelihood" if ci == "profile" else "Wald"
    remarks = (f"Logistic 95% CIs: {method}; proportional-odds 95% CIs: Wald.",
               f"Site interaction: likelihood-ratio test of predictor × site; flagged when p < {INTERACTION_ALPHA}.")
    return CasenessModelsResult(_frame(rows), outcomes, ci_method=method, remarks=remarks,
                                spec={"ci": ci, "predictors": [p.id for p in PREDICTORS]})


def fit_score_models(*, study) -> ScoreModelsResult:
    """Fit Tables 37–54: linear models of each total score on each predictor, adjusted for site."""
    records = screening_records(study)
    rows: list[dict] = []
    outcomes = fitted_outcomes(study, "scores")
    measure_of = {v: k for k, v in SCORE_COLUMNS.items()}
    used = measures_by_site(study.config.sites)
    for outcome in outcomes:
        sites = [s for s, ms in used.items() if measure_of[outcome] in ms]
        rows += _fit_rows(records, outcome, sites, "ols", regression.ols_model)
    remarks = ("95% CIs from the t distribution; site interaction: F-test of predictor × site "
               f"(flagged when p < {INTERACTION_ALPHA}).",)
    return ScoreModelsResult(_frame(rows), outcomes, remarks=remarks,
                             spec={"predictors": [p.id for p in PREDICTORS]})
