"""Choose the follow-up questionnaire (SUQ) respondents among consenting screening records.

Calibrated sites: an integer programme (SciPy's HiGHS) picks exactly
``n_followup`` consenting records whose ethnicity, gender, sexual orientation
and disability counts equal the derived Table 10 counts, with the mean age
within 0.05 of the published value and the SD close to it; a random objective
makes the choice vary with the seed.  The screening generator reserves a block
of records that satisfies these constraints, so a solution always exists for
its own output.  Other sites (or a failed programme): an age-tilted random
sample, since respondents were older than screening clients (43.9 vs 41.1).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from hubcase.synth import screening_targets as T
from hubcase.synth.sites import SiteProfile

MEAN_TOL = 0.04
SD_TOLS = (0.15, 0.4, None)  # tried in turn; None drops the SD constraint


def select_followup_respondents(screening: pd.DataFrame, sites: list[SiteProfile], *, seed: int) -> pd.DataFrame:
    """``record_id, site`` of exactly ``profile.n_followup`` consenting respondents per site."""
    consent = screening["consent_contact"].astype(str).str.lower().eq("true").to_numpy()
    by_site = {s: np.asarray(ix) for s, ix in screening.groupby("site", sort=False).indices.items()}
    age_all = pd.to_numeric(screening["age"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    out = []
    for i, profile in enumerate(sites):
        rng = np.random.default_rng(np.random.SeedSequence([seed, i, 1]))
        rows = by_site.get(profile.id, np.empty(0, dtype=int))
        pool = screening.iloc[rows[consent[rows]]]
        if len(pool) < profile.n_followup:
            raise ValueError(f"site {profile.id}: {len(pool)} consenting records, {profile.n_followup} needed")
        chosen = _calibrated_choice(pool, profile, rng) if profile.calibrated else None
        if chosen is None:
            b = profile.base
            target = np.nanmean(age_all[rows]) + T.FOLLOWUP_AGE[b][0] - T.AGE[b][0] if len(rows) else 0.0
            chosen = _tilted_choice(pool, profile.n_followup, target, rng)
        out.append(pd.DataFrame({"record_id": pool["record_id"].to_numpy()[np.sort(chosen)],
                                 "site": profile.id}))
    if not out:
        return pd.DataFrame(columns=["record_id", "site"])
    return pd.concat(out, ignore_index=True)


def _ages(pool: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(pool["age"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _tilted_choice(pool: pd.DataFrame, k: int, target_mean: float, rng: np.random.Generator) -> np.ndarray:
    """``k`` records by Gumbel-top-k with weights exp(θ·age), θ bisected so the mean age nears the target."""
    age = _ages(pool)
    fill = np.nanmean(age) if np.isfinite(age).any() else 40.0
    age = np.where(np.isnan(age), fill, age)
    g = rng.gumbel(size=len(pool))
    pick = lambda theta: np.argsort(-(theta * age + g), kind="stable")[:k]  # noqa: E731
    lo, hi = -1.0, 1.0
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if age[pick(mid)].mean() < target_mean else (lo, mid)
    return pick((lo + hi) / 2)


def _category_rows(pool: pd.DataFrame, profile: SiteProfile) -> tuple[list[np.ndarray], list[int]]:
    b = profile.base
    rows, targets = [], []
    for column, counts in (("ethnicity", T.FOLLOWUP_ETHNICITY[b]), ("gender", T.FOLLOWUP_GENDER[b]),
                           ("sexual_orientation", T.FOLLOWUP_SEXUAL_ORIENTATION[b]),
                           ("disability", T.FOLLOWUP_DISABILITY[b])):
        values = pool[column].astype(object).where(pool[column].notna(), "").astype(str).to_numpy()
        for value in set(values) | set(counts):
            rows.append((values == value).astype(float))
            targets.append(counts.get(value, 0))
    rows.append(np.isnan(_ages(pool)).astype(float))  # Table 10 ages are complete where screening's are
    targets.append(0)
    return rows, targets


def _calibrated_choice(pool: pd.DataFrame, profile: SiteProfile, rng: np.random.Generator) -> np.ndarray | None:
    k = profile.n_followup
    mean, sd = T.FOLLOWUP_AGE[profile.base]
    rows, targets = _category_rows(pool, profile)
    age = np.nan_to_num(_ages(pool))
    cost = rng.random(len(pool))
    base = [LinearConstraint(np.ones((1, len(pool))), k, k),
            LinearConstraint(np.vstack(rows), targets, targets),
            LinearConstraint(age[None, :], k * (mean - MEAN_TOL), k * (mean + MEAN_TOL))]
    dev2 = ((age - mean) ** 2)[None, :]
    for tol in SD_TOLS:
        cons = list(base)
        if tol is not None:
            cons.append(LinearConstraint(dev2, (k - 1) * (sd - tol) ** 2, (k - 1) * (sd + tol) ** 2))
        res = milp(cost, constraints=cons, integrality=np.ones(len(pool)), bounds=Bounds(0, 1),
                   options={"time_limit": 20})
        if res.x is not None and res.status in (0, 1):
            return np.flatnonzero(res.x > 0.5)
    return None
