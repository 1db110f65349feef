"""Screening totals whose bands, overall severity and domain counts hit exact targets.

The order of construction (spec B §8):

1. a per-site :class:`ScalePlan` of target counts (calibrated sites: Tables 9 and
   55 exactly; other sites: the base site's counts apportioned to n);
2. a latent propensity per record and measure, built from the covariates with
   the published odds ratios plus a shared distress factor (:func:`propensities`);
3. a caseness matrix with exact row sums (the Table 55 domain counts) and exact
   column sums (caseness per measure), filled by propensity (:func:`fill_caseness`);
4. the *High* overall-severity set and the grade-2 bands inside it, then the
   remaining bands by within-group rank (:func:`assign_bands`);
5. totals inside each band from a fitted discretised normal, so that site
   means and SDs come out close to the published ones (:func:`assign_totals`).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from hubcase.instruments import MEASURES
from hubcase.schema.tables import ETHNIC_GROUPS
from hubcase.synth import screening_targets as T
from hubcase.synth.sites import SiteProfile

ITQ_CASE_SHIFT = 6.0  # ITQ cases' PTSD score sits ~6 points above non-cases before truncation
LOADING = {"phq9": 1.2, "gad7": 1.2, "pcl5": 1.1, "itq": 1.1, "audit": 0.45, "wsas": 1.1}
UNIQUE_SD = 1.0
MINORITY = {k for k, g in ETHNIC_GROUPS.items() if g not in ("white_british", "other_white")}


def band_ranges(measure: str) -> list[tuple[int, int]]:
    if measure == "itq":
        return [(0, 24), (6, 24), (6, 24)]
    return [(b.low, b.high) for b in MEASURES[measure].bands]


def band_grades(measure: str) -> np.ndarray:
    return np.array([b.grade for b in MEASURES[measure].bands])


def band_index(measure: str, band_id: str) -> int:
    return [b.id for b in MEASURES[measure].bands].index(band_id)


@dataclass(frozen=True)
class ScalePlan:
    """Target counts of one site.  ``bands`` and ``domain_counts`` count complete records only."""

    measures: tuple[str, ...]
    n_no_scales: int
    n_partial: int
    partial_bands: dict[str, int]
    n_dso_missing: int
    domain_counts: np.ndarray
    bands: dict[str, np.ndarray]
    high: int

    @property
    def n_complete(self) -> int:
        return int(self.domain_counts.sum())

    @property
    def ptsd_measure(self) -> str | None:
        return next((m for m in self.measures if m in ("pcl5", "itq")), None)


def plan_scales(profile: SiteProfile) -> ScalePlan:
    b, n = profile.base, profile.n_screening
    measures = tuple(m for m in MEASURES if m in profile.measures)
    partial = {m: band_index(m, band) for m, band in T.PARTIAL[b].items()}
    base_partial = 1 if partial else 0
    n_none = int(round(T.NO_SCALES[b] * n / T.N[b]))
    n_partial = min(n - n_none, int(round(base_partial * n / T.N[b])))
    n_complete = n - n_none - n_partial
    base_complete = T.N[b] - T.NO_SCALES[b] - base_partial
    base_bands = {}
    for m in measures:
        counts = np.array(T.BANDS[m][b])
        if m in partial:
            counts[partial[m]] -= 1
        base_bands[m] = counts
    domains = T.apportion(tuple(T.DOMAIN_COUNTS[b][: len(measures) + 1]), n_complete)
    cases = _case_targets(base_bands, base_complete, n_complete, domains)
    bands = {}
    for m, counts in base_bands.items():
        case = band_grades(m) >= 1
        out = np.zeros(len(counts), dtype=int)
        out[~case] = T.apportion(tuple(counts[~case]), n_complete - cases[m])
        out[case] = T.apportion(tuple(counts[case]), cases[m])
        bands[m] = out
    ptsd = sum(int(bands[m][1:].sum()) for m in measures if m in ("pcl5", "itq"))
    high = int(round(T.SEVERITY[b][2] * n_complete / base_complete))
    high = int(np.clip(high, ptsd, n_complete - domains[0]))
    n_dso = int(round(T.DSO_MISSING[b] * n / T.N[b]))
    if "itq" in bands:
        n_dso = min(n_dso, int(bands["itq"][0]))
    return ScalePlan(measures, n_none, n_partial, partial, n_dso, domains, bands, high)


def _case_targets(base_bands, base_complete, n_complete, domains) -> dict[str, int]:
    """Caseness per measure, scaled, with sum equal to sum(k * n_k) (the Table 55 identity)."""
    quota = {m: (band_grades(m) >= 1) @ c * n_complete / base_complete for m, c in base_bands.items()}
    cases = {m: int(round(q)) for m, q in quota.items()}
    need = int(np.arange(len(domains)) @ domains)
    while sum(cases.values()) != need:
        up = sum(cases.values()) < need
        ok = [m for m in cases if (cases[m] < n_complete if up else cases[m] > 0)]
        m = max(ok, key=lambda k: (quota[k] - cases[k]) * (1 if up else -1))
        cases[m] += 1 if up else -1
    return cases


# ------------------------------------------------------------------ latent propensities
def covariates(people: dict[str, np.ndarray]) -> np.ndarray:
    """The predictor matrix (n × len(T.PREDICTORS)); missing values count as 0."""
    eq = lambda col, v: (people[col] == v).astype(float)  # noqa: E731
    isin = lambda col, vs: pd.Series(people[col]).isin(vs).to_numpy(dtype=float)  # noqa: E731
    age = np.nan_to_num(people["age"] - 41.0)
    cols = {
        "age": age, "man": eq("gender", "man"), "another_way": eq("gender", "another_way"),
        "minority": isin("ethnicity", MINORITY), "icu": isin("work_setting", ("icu_critical_care", "nightingale")),
        "clinical": eq("clinical_role", "clinical"), "sexual_another_way": eq("sexual_orientation", "another_way"),
        "disability": eq("disability", "yes"),
        "ppc_yes": eq("prepandemic_concern", "yes"), "ppc_unsure": eq("prepandemic_concern", "unsure"),
    }
    for item in T.COVID:
        cols[item] = eq(item, True)
    return np.column_stack([cols[p] for p in T.PREDICTORS])


def propensities(people: dict[str, np.ndarray], profile: SiteProfile,
                 rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Latent propensity per measure (plus ``dso`` for CPTSD among ITQ cases)."""
    x = covariates(people)
    n = len(x)
    shared = rng.standard_normal(n)
    new_tasks = T.PREDICTORS.index("new_tasks")
    out = {}
    for m in MEASURES:
        beta = np.array(T.LATENT_EFFECTS[m], dtype=float)
        if m == "phq9":
            beta[new_tasks] = T.LATENT_NEW_TASKS_PHQ9.get(profile.base, T.LATENT_NEW_TASKS_PHQ9["other"])
        out[m] = x @ beta + LOADING[m] * shared + UNIQUE_SD * rng.standard_normal(n)
    out["dso"] = 0.6 * out["itq"] + rng.standard_normal(n)
    return out


# ------------------------------------------------------------------ caseness matrix
def _top_k(score: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Each row's ``k`` highest entries (continuous scores, so ties do not occur)."""
    ordered = -np.sort(-score, axis=1)
    cut = ordered[np.arange(len(score)), np.clip(k - 1, 0, score.shape[1] - 1)]
    cut[k <= 0] = np.inf
    return score >= cut[:, None]


def fill_caseness(lat: np.ndarray, domain_counts: np.ndarray, col_targets: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """Boolean matrix with row sums from ``domain_counts`` and column sums ``col_targets``.

    Rows with more naive threshold cases (and a higher summed propensity) get more
    domains; each row's cases go to its highest ``lat + offset`` measures, the
    offsets tuned to the column targets; single swaps fix the last few units.
    """
    n, d = lat.shape
    naive = np.zeros_like(lat, dtype=bool)
    for j in range(d):
        naive[np.argsort(-lat[:, j], kind="stable")[: col_targets[j]], j] = True
    total = lat.sum(1) + 0.5 * rng.standard_normal(n)
    key = naive.sum(1) + 0.9 * np.argsort(np.argsort(total)) / max(1, n)
    k = np.empty(n, dtype=int)
    k[np.argsort(key, kind="stable")] = np.repeat(np.arange(len(domain_counts)), domain_counts)
    k = np.minimum(k, d)
    offset = np.zeros(d)
    step = lat.std() * 0.5 + 1e-9
    for _ in range(40):
        cases = _top_k(lat + offset, k)
        diff = col_targets - cases.sum(0)
        if not diff.any():
            return cases
        offset += step * np.sign(diff)
        step *= 0.85
    return _swap_to_targets(cases, lat + offset, col_targets)


def _swap_to_targets(cases: np.ndarray, score: np.ndarray, targets: np.ndarray) -> np.ndarray:
    cases = cases.copy()
    while True:
        diff = targets - cases.sum(0)
        if not diff.any():
            return cases
        best = None
        for m in np.flatnonzero(diff < 0):
            for m2 in np.flatnonzero(diff > 0):
                cand = cases[:, m] & ~cases[:, m2]
                if cand.any():
                    cost = np.where(cand, score[:, m] - score[:, m2], np.inf)
                    r = int(np.argmin(cost))
                    if best is None or cost[r] < best[0]:
                        best = (cost[r], r, m, m2)
        if best is None:  # infeasible margins (small scaled sites): keep the closest matrix
            return cases
        _, r, m, m2 = best
        cases[r, m], cases[r, m2] = False, True


# ------------------------------------------------------------------ bands
def _split_by_rank(rows: np.ndarray, score: np.ndarray, counts: np.ndarray, labels: np.ndarray,
                   out: np.ndarray) -> None:
    """Give ``rows`` (ordered by ``score``, lowest first) the ``labels`` in ``counts`` order."""
    if len(rows) == 0:
        return
    order = rows[np.argsort(score[rows], kind="stable")]
    lab = np.repeat(labels, counts)[: len(order)]
    if len(lab) < len(order):  # best effort when counts fall short: the top label fills up
        lab = np.r_[lab, np.full(len(order) - len(lab), labels[-1])]
    out[order] = lab


def _high_set(cases: np.ndarray, lat: np.ndarray, plan: ScalePlan, ptsd_col: int | None,
              rng: np.random.Generator) -> np.ndarray:
    n = len(cases)
    ptsd = cases[:, ptsd_col] if ptsd_col is not None else np.zeros(n, dtype=bool)
    others = cases.any(1) & ~ptsd
    extra = int(np.clip(plan.high - ptsd.sum(), 0, others.sum()))
    severity = np.where(cases, lat, -np.inf).max(1) + 0.3 * rng.standard_normal(n)
    severity[~others] = -np.inf
    high = ptsd.copy()
    high[np.argsort(-severity, kind="stable")[:extra]] = True
    return high


def _grade2(cases, lat, high, ptsd_col, grade2_targets, rng) -> tuple[np.ndarray, np.ndarray]:
    """Grade-2 bands inside the High set, every High record getting at least one.

    Returns (grade-2 matrix, High set).  Records needing a grade-2 band are served
    most-constrained first; one that cannot be served swaps out of the High set
    for a Moderate record that can.
    """
    n, d = cases.shape
    ptsd = cases[:, ptsd_col] if ptsd_col is not None else np.zeros(n, dtype=bool)
    others = cases.copy()
    if ptsd_col is not None:
        others[:, ptsd_col] = False
    noisy = lat + 0.5 * rng.standard_normal(lat.shape)
    score = np.where(others, noisy, -np.inf)
    high = high.copy()
    forced = np.zeros((n, d), dtype=bool)
    left = grade2_targets.copy()
    if ptsd_col is not None:
        left[ptsd_col] = 0
    need = np.flatnonzero(high & ~ptsd)
    order = need[np.lexsort((-score[need].max(1), others[need].sum(1)))]
    spare = list(np.flatnonzero(others.any(1) & ~high & ~ptsd))
    spare.sort(key=lambda r: score[r].max())
    for r in order:
        options = np.flatnonzero(others[r] & (left > 0))
        while len(options) == 0 and spare:  # swap r out of High for a record that can be served
            high[r] = False
            r = spare.pop()
            high[r] = True
            options = np.flatnonzero(others[r] & (left > 0))
        if len(options) == 0:
            continue
        j = options[np.argmax(score[r, options])]
        forced[r, j] = True
        left[j] -= 1
    grade2 = forced.copy()
    eligible = others & high[:, None]
    for j in range(d):
        pool = np.flatnonzero(eligible[:, j] & ~forced[:, j])
        take = pool[np.argsort(-noisy[pool, j], kind="stable")[: max(0, left[j])]]
        grade2[take, j] = True
    return grade2, high


def assign_bands(plan: ScalePlan, lat: dict[str, np.ndarray], complete: np.ndarray,
                 rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Band index per measure for the ``complete`` rows (−1 elsewhere)."""
    ms = plan.measures
    n = len(next(iter(lat.values())))
    lc = np.column_stack([lat[m][complete] for m in ms])
    targets = np.array([plan.bands[m][band_grades(m) >= 1].sum() for m in ms])
    cases = fill_caseness(lc, plan.domain_counts, targets, rng)
    ptsd_col = ms.index(plan.ptsd_measure) if plan.ptsd_measure else None
    high = _high_set(cases, lc, plan, ptsd_col, rng)
    g2_targets = np.array([plan.bands[m][band_grades(m) == 2].sum() for m in ms])
    grade2, high = _grade2(cases, lc, high, ptsd_col, g2_targets, rng)
    out = {}
    for j, m in enumerate(ms):
        grades, counts = band_grades(m), plan.bands[m]
        idx = np.arange(len(grades))
        score = lc[:, j] + 0.5 * rng.standard_normal(len(lc))
        if m == "itq":
            score = lat["dso"][complete] + 0.3 * rng.standard_normal(len(lc))
        band = np.full(len(lc), -1)
        groups = [(~cases[:, j], grades == 0)]
        if m in ("pcl5", "itq"):
            groups.append((cases[:, j], grades == 2))
        else:
            groups += [(cases[:, j] & ~grade2[:, j], grades == 1), (grade2[:, j], grades == 2)]
        for rows, which in groups:
            _split_by_rank(np.flatnonzero(rows), score, counts[which], idx[which], band)
        full = np.full(n, -1)
        full[complete] = band
        out[m] = full
    return out


# ------------------------------------------------------------------ totals
@lru_cache(maxsize=None)
def band_pmfs(measure: str, counts: tuple[int, ...], mean: float, sd: float) -> tuple[np.ndarray, ...]:
    """Cumulative distribution over each band's values whose count-weighted mixture fits mean/SD."""
    ranges = band_ranges(measure)
    shifts = [0.0] + [ITQ_CASE_SHIFT] * 2 if measure == "itq" else [0.0] * len(ranges)
    w = np.array(counts, dtype=float) / max(1, sum(counts))

    def pmfs(mu, sig):
        out = []
        for (lo, hi), s in zip(ranges, shifts):
            v = np.arange(lo, hi + 1)
            p = np.exp(-0.5 * ((v - mu - s) / sig) ** 2) + 1e-12
            out.append((v, p / p.sum()))
        return out

    def loss(theta):
        parts = pmfs(theta[0], np.exp(theta[1]))
        m1 = sum(wi * (v * p).sum() for wi, (v, p) in zip(w, parts))
        m2 = sum(wi * (v ** 2 * p).sum() for wi, (v, p) in zip(w, parts))
        return (m1 - mean) ** 2 + (np.sqrt(max(m2 - m1 ** 2, 0)) - sd) ** 2
    fit = minimize(loss, x0=[mean, np.log(sd)], method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-8})
    return tuple(np.vstack([v, np.cumsum(p)]) for v, p in pmfs(fit.x[0], np.exp(fit.x[1])))


def assign_totals(measure: str, band: np.ndarray, lat: np.ndarray, moments: tuple[float, float],
                  rng: np.random.Generator) -> np.ndarray:
    """Totals (nan where band < 0): stratified quantiles of each band's pmf, ordered by propensity."""
    counts = tuple(int((band == i).sum()) for i in range(len(band_ranges(measure))))
    cdfs = band_pmfs(measure, counts, *moments)
    total = np.full(len(band), np.nan)
    score = lat + 0.7 * rng.standard_normal(len(lat))
    for i, cdf in enumerate(cdfs):
        rows = np.flatnonzero(band == i)
        if len(rows) == 0:
            continue
        u = (np.arange(len(rows)) + rng.random(len(rows))) / len(rows)
        values = cdf[0][np.minimum(np.searchsorted(cdf[1], u), cdf.shape[1] - 1)]
        total[rows[np.argsort(score[rows], kind="stable")]] = values
    return total
