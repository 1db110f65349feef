"""EQ-5D-5L profiles, EQ-VAS and the built-in England value set of the synthetic follow-up.

Level counts per site and dimension are fixed (Table 16 / Table 23 for calibrated sites, see
:mod:`hubcase.synth.followup_targets`); *who* gets which level follows a latent health score
that is lower for ethnic minority, disability, bereavement, COVID-19 hospitalisation and high
screening severity (the directions of the report's EQ-5D regression, spec A §2.6).
"""
from __future__ import annotations

from functools import lru_cache
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd

from hubcase.synth import followup_targets as T
from hubcase.synth.followup_alloc import apportion, assign_in_order, rank_match, swap_toward
from hubcase.synth.followup_people import SitePlan

VALUE_SET_ID = "england_5l_devlin2018"
VALUE_SET_PATH = Path(__file__).resolve().parents[1] / "data" / "eq5d" / f"{VALUE_SET_ID}.csv"
# Devlin, Shah, Feng, Mulhern & van Hout (2018), Health Economics 27(1):7-22, doi:10.1002/hec.3564:
# value = 1 - sum of the decrements of levels 2-5 in each dimension (no constant).
ENGLAND_5L_DECREMENTS = {
    "eq5d_mo": (0.0, 0.058, 0.076, 0.207, 0.274), "eq5d_sc": (0.0, 0.050, 0.080, 0.164, 0.203),
    "eq5d_ua": (0.0, 0.050, 0.063, 0.162, 0.184), "eq5d_pd": (0.0, 0.063, 0.084, 0.276, 0.335),
    "eq5d_ad": (0.0, 0.078, 0.104, 0.285, 0.289),
}
DIM_NOISE = {"eq5d_mo": 1.0, "eq5d_sc": 1.0, "eq5d_ua": 0.7, "eq5d_pd": 0.9, "eq5d_ad": 0.6}
VAS_NOISE = 0.9


def england_index(levels: np.ndarray) -> np.ndarray:
    """Index values of an ``(n, 5)`` array of levels 1-5 under the England 5L value set."""
    dec = np.array([ENGLAND_5L_DECREMENTS[d] for d in T.DIMENSIONS])  # 5 × 5
    lv = np.asarray(levels, dtype=int) - 1
    return np.round(1.0 - dec[np.arange(5), lv].sum(axis=1), 3)


def england_value_set() -> pd.DataFrame:
    """All 3125 states (``11111`` … ``55555``) with their England 5L values (columns state, value)."""
    states = ["".join(p) for p in product("12345", repeat=5)]
    levels = np.array([[int(c) for c in s] for s in states])
    return pd.DataFrame({"state": states, "value": england_index(levels)})


@lru_cache(maxsize=1)
def _site_vas_mean() -> dict[str, float]:
    return {b: T.VAS_SITE_SUM[b] / T.EQ5D_COMPLETE[b] for b in T.SITES}


def generate_eq5d(people: pd.DataFrame, plans: list[SitePlan], rng: np.random.Generator, *,
                  pooled: bool) -> pd.DataFrame:
    """Columns eq5d_mo … eq5d_ad, eq_vas (object arrays, None = blank) and eq5d_index (float)."""
    n = len(people)
    levels = np.full((n, 5), np.nan)
    complete = np.zeros(n, dtype=bool)
    health = _latent_health(people, rng)
    for plan in plans:
        c = _site_levels(plan, people, health, rng)
        levels[plan.rows] = c
        complete[plan.rows] = ~np.isnan(c).any(axis=1)
    index = np.full(n, np.nan)
    index[complete] = england_index(levels[complete])
    vas = _vas(plans, complete, index, pooled, rng)
    out = {d: [None if np.isnan(x) else int(x) for x in levels[:, j]] for j, d in enumerate(T.DIMENSIONS)}
    out["eq_vas"] = [None if np.isnan(x) else int(x) for x in vas]
    out["eq5d_index"] = index
    return pd.DataFrame(out)


def _latent_health(people: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    e = T.HEALTH_EFFECTS
    h = (e["ethnic_minority"] * people["minority"] + e["disability"] * people["disability"]
         + e["bereavement"] * people["bereavement"] + e["covid_ill_hosp"] * people["covid_hosp"]
         + e["high_severity"] * people["high_severity"] + e["severity_z"] * people["severity_z"])
    return h.to_numpy(float) + rng.standard_normal(len(people))


def _level_counts(plan: SitePlan, dim: str, n_complete: int) -> list[tuple[int, int]]:
    base = T.EQ5D_LEVELS[plan.base][dim]
    counts = base if plan.exact else tuple(apportion(dict(enumerate(base, 1)), n_complete).values())
    return list(zip(range(1, 6), counts))


def _site_levels(plan: SitePlan, people: pd.DataFrame, health: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    b, m = plan.base, plan.n
    n_complete = T.EQ5D_COMPLETE[b] if plan.exact else int(round(T.EQ5D_COMPLETE[b] * m / T.N[b]))
    n_partial = T.EQ5D_PARTIAL[b] if plan.exact else int(round(T.EQ5D_PARTIAL[b] * m / T.N[b]))
    sev = people["severity_z"].to_numpy(float)[plan.rows]
    status = assign_in_order([("missing", m - n_complete - n_partial), ("partial", n_partial)], 0.4 * sev, rng)
    done = status == None  # noqa: E711 (object array comparison)
    h = health[plan.rows][done]
    out = np.full((m, 5), np.nan)
    lv = np.zeros((int(done.sum()), 5), dtype=int)
    for j, d in enumerate(T.DIMENSIONS):
        key = h + DIM_NOISE[d] * rng.standard_normal(len(h)) - (0.4 * sev[done] if d == "eq5d_ad" else 0.0)
        lv[:, j] = assign_in_order(_level_counts(plan, d, n_complete), key, None).astype(int)
    target = T.FULL_HEALTH[b] if plan.exact else int(round(T.FULL_HEALTH[b] * n_complete / T.EQ5D_COMPLETE[b]))
    out[done] = _repair_full_health(lv, h, target)
    for i in np.flatnonzero(status == "partial"):
        row = lv[rng.integers(len(lv))].astype(float)
        row[rng.choice(5, size=int(rng.integers(1, 3)), replace=False)] = np.nan
        out[i] = row
    return out


def _repair_full_health(lv: np.ndarray, h: np.ndarray, target: int) -> np.ndarray:
    """Swap single-dimension levels between respondents (keeping every level count) until exactly
    ``target`` respondents are in state 11111."""
    lv = lv.copy()
    for _ in range(10 * len(lv) + 10):
        full = (lv == 1).all(axis=1)
        gap = target - int(full.sum())
        if gap == 0:
            return lv
        non1 = (lv != 1).sum(axis=1)
        if gap > 0:  # make the healthiest nearly-full respondent full
            cand = np.flatnonzero(~full)
            i = cand[np.lexsort((-h[cand], non1[cand]))[0]]
            for d in np.flatnonzero(lv[i] != 1):
                donors = np.flatnonzero(~full & (lv[:, d] == 1) & (np.arange(len(lv)) != i))
                if not len(donors):
                    break
                j = donors[np.argmin(h[donors])]
                lv[i, d], lv[j, d] = lv[j, d], lv[i, d]
        else:  # give the least healthy full respondent a problem from someone with two or more
            i = np.flatnonzero(full)[np.argmin(h[full])]
            donors = np.flatnonzero(non1 >= 2)
            if not len(donors):
                break
            j = donors[np.argmax(h[donors])]
            d = np.flatnonzero(lv[j] != 1)[0]
            lv[i, d], lv[j, d] = lv[j, d], lv[i, d]
    raise ValueError(f"could not reach {target} respondents in full health")


def _vas(plans: list[SitePlan], complete: np.ndarray, index: np.ndarray, pooled: bool,
         rng: np.random.Generator) -> np.ndarray:
    vas = np.full(len(complete), np.nan)
    pool_values = np.repeat(list(T.VAS_COUNTS), list(T.VAS_COUNTS.values())).astype(float)
    in_pool = [p for p in plans if pooled and p.exact and p.profile.id == p.base]
    if in_pool:
        rows = [p.rows[complete[p.rows]] for p in in_pool]
        site = np.concatenate([np.full(len(r), p.base, dtype=object) for p, r in zip(in_pool, rows)])
        values = swap_toward(rng.permutation(pool_values), site, {p.base: T.VAS_SITE_SUM[p.base] for p in in_pool},
                             rng)
        for p, r in zip(in_pool, rows):
            vas[r] = _match(values[site == p.base], index[r], rng)
    for p in plans:
        if p in in_pool:
            continue
        r = p.rows[complete[p.rows]]
        q = np.quantile(pool_values, (np.arange(len(r)) + 0.5) / max(1, len(r)))
        shifted = np.clip(np.round(q + _site_vas_mean()[p.base] - pool_values.mean()), 0, 100)
        vas[r] = _match(shifted, index[r], rng)
    return vas


def _match(values: np.ndarray, index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    z = (index - index.mean()) / (index.std() or 1.0)
    return rank_match(values, z + VAS_NOISE * rng.standard_normal(len(index)))
