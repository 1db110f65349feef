"""Respondent covariates the follow-up generator conditions on, and the per-site plan.

A site's answers are calibrated exactly when its profile is calibrated *and* it has the
published number of respondents; otherwise the base site's counts are scaled to its size.
Cross-site targets (Tables 16–18, 60, 61) apply to the *calibrated pool*, i.e. only when all four
base sites are present and calibrated.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hubcase.instruments import MEASURES
from hubcase.synth import followup_targets as T
from hubcase.synth.sites import SiteProfile
from hubcase.synth.study_config import MINORITY


@dataclass(frozen=True)
class SitePlan:
    """One site of the follow-up: its profile, respondent positions and whether it is exact."""

    profile: SiteProfile
    rows: np.ndarray  # positions in the respondent frame
    exact: bool

    @property
    def base(self) -> str:
        return self.profile.base

    @property
    def n(self) -> int:
        return len(self.rows)

    def counts(self, table: dict[str, dict[str, int]]) -> dict[str, int]:
        """This site's counts of a per-site table (exact, or the base site's scaled to n)."""
        from hubcase.synth.followup_alloc import apportion
        base = table[self.base]
        return dict(base) if self.exact else apportion(base, self.n)


def site_plans(respondents: pd.DataFrame, sites: list[SiteProfile]) -> list[SitePlan]:
    site = respondents["site"].astype(str).to_numpy()
    plans = []
    for p in sites:
        rows = np.flatnonzero(site == p.id)
        if len(rows):
            plans.append(SitePlan(p, rows, p.calibrated and len(rows) == T.N[p.base]))
    unknown = sorted(set(site) - {p.id for p in sites})
    if unknown:
        raise ValueError(f"respondents: site(s) {', '.join(unknown)} are not among the site profiles")
    return plans


def pooled(plans: list[SitePlan]) -> bool:
    """True when the calibrated pool holds all four base sites (cross-site targets apply)."""
    return {p.base for p in plans if p.exact and p.profile.id == p.base} == set(T.SITES)


def _total(frame: pd.DataFrame, items: tuple[str, ...]) -> np.ndarray:
    present = [c for c in items if c in frame.columns]
    if len(present) < len(items):
        return np.full(len(frame), np.nan)
    vals = frame[list(items)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    return np.where(np.isnan(vals).any(axis=1), np.nan, vals.sum(axis=1))


def _flag(series: pd.Series, true_value=True) -> np.ndarray:
    s = series.astype(object)
    return s.map(lambda v: v is not None and not (isinstance(v, float) and np.isnan(v))
                 and (v is True or str(v).lower() in ("true", "1", str(true_value).lower()))).to_numpy(bool)


def respondent_covariates(screening: pd.DataFrame, respondents: pd.DataFrame) -> pd.DataFrame:
    """One row per respondent (respondent order) with the screening covariates used here."""
    keep = [c for c in ("record_id", "age", "gender", "ethnicity", "sector", "disability", "prepandemic_concern",
                        "covid_ill_hosp", "bereavement") if c in screening.columns]
    items = [i for m in MEASURES.values() for i in m.items if i in screening.columns]
    scr = screening[keep + items].drop_duplicates("record_id")
    df = respondents[["record_id", "site"]].reset_index(drop=True).merge(scr, on="record_id", how="left")
    out = pd.DataFrame({"record_id": df["record_id"].astype(str), "site": df["site"].astype(str)})
    col = lambda c: df[c] if c in df.columns else pd.Series([None] * len(df))  # noqa: E731
    out["age"] = pd.to_numeric(col("age"), errors="coerce").astype(float).to_numpy()
    out["minority"] = col("ethnicity").isin(MINORITY).to_numpy()
    out["man"] = (col("gender").astype(object) == "man").to_numpy()
    out["care_home"] = (col("sector").astype(object) == "social_care").to_numpy()
    out["emergency"] = (col("sector").astype(object) == "emergency_services").to_numpy()
    out["disability"] = (col("disability").astype(object) == "yes").to_numpy()
    out["prepandemic"] = (col("prepandemic_concern").astype(object) == "yes").to_numpy()
    out["covid_hosp"] = _flag(col("covid_ill_hosp"))
    out["bereavement"] = _flag(col("bereavement"))
    grades, zs = [], []
    for m in MEASURES.values():
        if m.id == "itq":
            continue
        total = _total(df, m.scored_items)
        grade = np.full(len(df), -1.0)
        for band in m.bands:
            grade[(total >= band.low) & (total <= band.high)] = band.grade
        grades.append(grade)
        out[f"{m.id}_total"] = total
        ok = np.isfinite(total)
        if m.id in ("phq9", "gad7", "wsas") and ok.sum() > 1:
            zs.append((total - total[ok].mean()) / (total[ok].std() or 1.0))
    out["itq_total"] = _total(df, MEASURES["itq"].scored_items)  # PTSD symptom items (Table 13 uses this score)
    out["high_severity"] = np.column_stack(grades).max(axis=1) >= 2
    if zs:
        z = np.column_stack(zs)
        count = np.isfinite(z).sum(axis=1)
        out["severity_z"] = np.where(count > 0, np.nansum(z, axis=1) / np.maximum(count, 1), 0.0)
    else:
        out["severity_z"] = 0.0
    return out
