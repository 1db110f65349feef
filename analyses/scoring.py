"""Score screening records: totals, bands, caseness, overall severity and derived covariates.

:func:`score_screening` is pure and vectorised: it reads the typed ``study.screening`` frame and
returns a new frame with one row per record.  Every rule comes from :mod:`hubcase.instruments`
or from spec B §2; the decisions it takes are listed in the function's docstring.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from hubcase.instruments import ITQ, MEASURES, Measure
from hubcase.schema.tables import ETHNIC_GROUPS

SCORE_COLUMNS: dict[str, str] = {
    "phq9": "phq9_total", "gad7": "gad7_total", "pcl5": "pcl5_total",
    "itq": "itq_ptsd_score", "audit": "audit_total", "wsas": "wsas_total",
}
"""Measure id -> the column holding its total (ITQ: the six-item PTSD score)."""

BAND_COLUMNS: dict[str, str] = {m: f"{m}_band" for m in ("phq9", "gad7", "pcl5", "audit", "wsas")}
CASE_COLUMNS: dict[str, str] = {m: f"case_{m}" for m in MEASURES}
"""Measure id -> caseness column (ITQ: PTSD or CPTSD)."""

SEVERITY_LEVELS = ("low", "moderate", "high")
SEVERITY_LABELS = {"low": "Low", "moderate": "Moderate", "high": "High"}
ETHNICITY_GROUP_LEVELS = ("white_british", "other_white", "black", "asian", "mixed", "other")
MINORITY_GROUPS = ("black", "asian", "mixed", "other")
ITQ_DX_LEVELS = tuple(b.id for b in ITQ.bands)  # none, ptsd, cptsd
ICU_SETTINGS = ("icu_critical_care", "nightingale")
DISABILITY_MISSING_AS_NO_ABOVE = 0.5
"""At a site where more than this share of disability answers is missing, missing counts as 'no'."""


def measures_by_site(sites: Iterable | Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """Site id -> measure ids, from ``study.config.sites`` or a plain mapping."""
    if isinstance(sites, Mapping):
        return {str(k): tuple(v) for k, v in sites.items()}
    return {str(s.id): tuple(s.measures) for s in sites}


def _uses(site: pd.Series, used: Mapping[str, tuple[str, ...]], measure: str) -> np.ndarray:
    ids = [s for s, ms in used.items() if measure in ms]
    return site.astype("string").isin(ids).fillna(False).to_numpy(dtype=bool)


def _items(screening: pd.DataFrame, items: Iterable[str]) -> np.ndarray:
    """Item responses as a float matrix (NaN = missing; an absent column is all missing)."""
    n = len(screening)
    cols = [screening[c].to_numpy(dtype="float64", na_value=np.nan) if c in screening.columns
            else np.full(n, np.nan) for c in items]
    return np.column_stack(cols) if cols else np.empty((n, 0))


def _int(values: np.ndarray) -> pd.Series:
    return pd.array(np.where(np.isnan(values), None, values), dtype="Int64")


def _bool(values: np.ndarray, known: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(values.astype(bool) & known, ~known)


def _band(measure: Measure, total: np.ndarray) -> pd.Categorical:
    codes = np.full(total.shape, -1, dtype=np.int64)
    for code, band in enumerate(measure.bands):
        codes[(total >= band.low) & (total <= band.high)] = code
    return pd.Categorical.from_codes(codes, categories=[b.id for b in measure.bands], ordered=True)


def _grade(measure: Measure, total: np.ndarray) -> np.ndarray:
    grade = np.full(total.shape, np.nan)
    for band in measure.bands:
        grade[(total >= band.low) & (total <= band.high)] = band.grade
    return grade


def _kleene_any(flags: list[np.ndarray]) -> np.ndarray:
    """Three-valued OR of float flags (1, 0, NaN): 1 if any is 1, 0 if all are 0, else NaN."""
    stack = np.column_stack(flags)
    out = np.where(np.nanmax(np.nan_to_num(stack, nan=-1), axis=1) == 1, 1.0, np.nan)
    return np.where((stack == 0).all(axis=1), 0.0, out)


def _kleene_all(flags: list[np.ndarray]) -> np.ndarray:
    """Three-valued AND: 0 if any is 0, 1 if all are 1, else NaN."""
    stack = np.column_stack(flags)
    out = np.where((stack == 1).all(axis=1), 1.0, np.nan)
    return np.where((stack == 0).any(axis=1), 0.0, out)


def _endorsed(screening: pd.DataFrame, names: Iterable[str]) -> list[np.ndarray]:
    values = _items(screening, names)
    return [np.where(np.isnan(col), np.nan, (col >= 2).astype(float)) for col in values.T]


def itq_criteria(screening: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """ICD-11 PTSD and DSO criteria of the ITQ (Cloitre et al. 2018) as floats 1/0/NaN.

    An item is endorsed when it scores ≥ 2.  PTSD: one endorsed item in each of
    re-experiencing (P1–P2), avoidance (P3–P4) and sense of threat (P5–P6), and one endorsed
    PTSD functional-impairment item.  DSO: the same over affective dysregulation (C1–C2),
    negative self-concept (C3–C4), disturbed relationships (C5–C6) and one DSO
    functional-impairment item.  Missing items are handled with three-valued logic, so a
    criterion is missing only when the answered items cannot decide it.
    """
    p = _endorsed(screening, [f"itq_p{i}" for i in range(1, 7)])
    c = _endorsed(screening, [f"itq_c{i}" for i in range(1, 7)])
    pfi = _endorsed(screening, [f"itq_pfi{i}" for i in range(1, 4)])
    cfi = _endorsed(screening, [f"itq_cfi{i}" for i in range(1, 4)])
    ptsd = _kleene_all([_kleene_any(p[0:2]), _kleene_any(p[2:4]), _kleene_any(p[4:6]), _kleene_any(pfi)])
    dso = _kleene_all([_kleene_any(c[0:2]), _kleene_any(c[2:4]), _kleene_any(c[4:6]), _kleene_any(cfi)])
    return ptsd, dso


def _itq_columns(screening: pd.DataFrame, used: np.ndarray) -> dict[str, object]:
    ptsd, dso = itq_criteria(screening)
    ptsd = np.where(used, ptsd, np.nan)
    dso = np.where(used, dso, np.nan)
    codes = np.full(len(screening), -1, dtype=np.int64)
    codes[ptsd == 0] = 0                       # PTSD criteria not met -> none, whatever the DSO block
    codes[(ptsd == 1) & (dso == 0)] = 1
    codes[(ptsd == 1) & (dso == 1)] = 2
    cptsd_known = ~np.isnan(ptsd) & ~np.isnan(dso)
    return {
        "itq_dx": pd.Categorical.from_codes(codes, categories=list(ITQ_DX_LEVELS), ordered=True),
        "itq_cptsd": _bool((ptsd == 1) & (dso == 1), cptsd_known),
        "case_itq": _bool(ptsd == 1, ~np.isnan(ptsd)),
        "_grade_itq": np.where(np.isnan(ptsd), np.nan, 2.0 * ptsd),
    }


def _measure_columns(screening: pd.DataFrame, used: Mapping[str, tuple[str, ...]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for m in MEASURES.values():
        at = _uses(screening["site"], used, m.id)
        total = _items(screening, m.scored_items).sum(axis=1)
        total = np.where(at, total, np.nan)
        out[SCORE_COLUMNS[m.id]] = _int(total)
        if m.id == "itq":
            out.update(_itq_columns(screening, at))
            continue
        out[BAND_COLUMNS[m.id]] = _band(m, total)
        out[CASE_COLUMNS[m.id]] = _bool(total >= m.caseness_min_total, ~np.isnan(total))
        out[f"_grade_{m.id}"] = _grade(m, total)
    return out


def _case_ptsd(out: Mapping[str, object], site: pd.Series, used) -> pd.arrays.BooleanArray:
    pcl = np.asarray(pd.array(out["case_pcl5"]).to_numpy(dtype="float64", na_value=np.nan))
    itq = np.asarray(pd.array(out["case_itq"]).to_numpy(dtype="float64", na_value=np.nan))
    uses_pcl, uses_itq = _uses(site, used, "pcl5"), _uses(site, used, "itq")
    value = np.where(uses_pcl & ~uses_itq, pcl, np.where(uses_itq & ~uses_pcl, itq, np.nan))
    both = uses_pcl & uses_itq
    value[both] = _kleene_any([pcl[both], itq[both]]) if both.any() else value[both]
    return _bool(value == 1, ~np.isnan(value))


def _case_matrix(out: Mapping[str, object]) -> np.ndarray:
    return np.column_stack([pd.array(out[CASE_COLUMNS[m]]).to_numpy(dtype="float64", na_value=np.nan)
                            for m in MEASURES])


def _n_domains(out: Mapping[str, object], site: pd.Series, used) -> pd.Series:
    """Table 55: caseness domains, complete cases over the measures the site administered."""
    cases = _case_matrix(out)
    administered = np.column_stack([_uses(site, used, m) for m in MEASURES])
    complete = ~(administered & np.isnan(cases)).any(axis=1) & administered.any(axis=1)
    domains = [m.domain for m in MEASURES.values()]
    count = np.zeros(len(site))
    for domain in dict.fromkeys(domains):
        cols = [i for i, d in enumerate(domains) if d == domain]
        count += (np.nan_to_num(cases[:, cols]) == 1).any(axis=1)
    return _int(np.where(complete, count, np.nan))


def _overall_severity(grades: list[np.ndarray]) -> pd.Categorical:
    """Table 29: the highest grade over the available measures; missing only if all are."""
    stack = np.column_stack(grades)
    known = ~np.isnan(stack).all(axis=1)
    best = np.where(known, np.nanmax(np.where(np.isnan(stack), -1, stack), axis=1), -1).astype(np.int64)
    return pd.Categorical.from_codes(best, categories=list(SEVERITY_LEVELS), ordered=True)


def _text(screening: pd.DataFrame, column: str) -> pd.Series:
    """A column as nullable strings (all missing when the frame lacks it)."""
    if column not in screening.columns:
        return pd.Series(pd.NA, index=screening.index, dtype="string")
    return screening[column].astype("string")


def _flag(values: pd.Series, known: pd.Series) -> pd.arrays.BooleanArray:
    return _bool(values.fillna(False).to_numpy(dtype=bool), known.fillna(False).to_numpy(dtype=bool))


def _disability(screening: pd.DataFrame) -> pd.arrays.BooleanArray:
    raw = _text(screening, "disability")
    share_missing = raw.isna().groupby(screening["site"].astype("string")).transform("mean")
    as_no = raw.isna() & (share_missing > DISABILITY_MISSING_AS_NO_ABOVE)
    return _flag(raw == "yes", raw.notna() | as_no)


def _covariates(screening: pd.DataFrame) -> dict[str, object]:
    group = _text(screening, "ethnicity").map(ETHNIC_GROUPS, na_action="ignore").astype("string")
    nhs = (_text(screening, "sector") == "nhs").fillna(False)
    setting, role = _text(screening, "work_setting"), _text(screening, "clinical_role")
    return {
        "ethnicity_group": pd.Categorical(group, categories=list(ETHNICITY_GROUP_LEVELS)),
        "ethnic_minority": _flag(group.isin(MINORITY_GROUPS), group.notna()),
        "disability_analysed": _disability(screening),
        "nhs_icu": _flag(setting.isin(ICU_SETTINGS), nhs & setting.notna()),
        "nhs_clinical": _flag(role == "clinical", nhs & role.notna()),
    }


def score_screening(screening: pd.DataFrame, *, sites) -> pd.DataFrame:
    """Totals, bands, caseness, overall severity and derived covariates of each record.

    ``sites`` is ``study.config.sites`` (or a mapping site id -> measure ids).  Returns a new
    frame (same index as ``screening``) with ``record_id``, ``site`` and:

    - ``<measure>_total`` (ITQ: ``itq_ptsd_score``, the sum of P1–P6): missing if any scored
      item is missing or the site did not use the measure;
    - ``<measure>_band``: ordered categoricals of the band ids of :mod:`hubcase.instruments`;
    - ``itq_dx`` (none < ptsd < cptsd) by :func:`itq_criteria`.  PTSD criteria not met gives
      ``none`` whatever the DSO block (spec B §7.6); criteria met with the DSO block undecidable
      gives missing.  ``itq_cptsd`` is missing whenever either block is undecidable (Table 9
      reports CPTSD with more missing values than PTSD);
    - ``case_phq9``, ``case_gad7``, ``case_pcl5``, ``case_itq`` (PTSD or CPTSD), ``case_audit``,
      ``case_wsas`` and the PTSD domain ``case_ptsd`` (PCL-5 or ITQ, whichever the site used);
    - ``overall_severity`` (Table 29): the highest grade over available measures, missing only
      if all are missing; ``n_domains_case`` (Table 55): caseness domains, missing unless every
      measure the site administered has a caseness value (complete cases);
    - ``ethnicity_group`` (Table 6; White Irish is other white), ``ethnic_minority`` (Black,
      Asian, Mixed, Other), ``disability_analysed`` (at sites where more than half the
      disability answers are missing, missing counts as 'no': the report's rule for Sites B
      and D, applied by the data rather than by site name), ``nhs_icu`` (ICU/critical care or
      Nightingale; NHS staff only) and ``nhs_clinical`` (clinical role; NHS staff only).
    """
    used = measures_by_site(sites)
    out = _measure_columns(screening, used)
    out["case_ptsd"] = _case_ptsd(out, screening["site"], used)
    out["overall_severity"] = _overall_severity([out.pop(f"_grade_{m}") for m in MEASURES])
    out["n_domains_case"] = _n_domains(out, screening["site"], used)
    out.update(_covariates(screening))
    frame = pd.DataFrame({"record_id": screening["record_id"].array,
                          "site": screening["site"].astype("string").array}, index=screening.index)
    return pd.concat([frame, pd.DataFrame(out, index=screening.index)], axis=1)[_order(out)]


def _order(out: Mapping[str, object]) -> list[str]:
    first = ["record_id", "site"]
    scores = [SCORE_COLUMNS[m] for m in MEASURES]
    bands = list(BAND_COLUMNS.values()) + ["itq_dx", "itq_cptsd"]
    cases = [CASE_COLUMNS[m] for m in MEASURES] + ["case_ptsd"]
    rest = [c for c in out if c not in set(scores + bands + cases)]
    return first + scores + bands + cases + rest
