"""Demographic, occupational and COVID-impact fields of synthetic screening records.

Every categorical field gets exact counts (Tables 6–8 for calibrated sites,
the base site's counts apportioned to n otherwise) shuffled over the site's
records.  For a calibrated site the first ``n_followup`` records form a
*reserved block* with exactly the Table 10 demographics and the older age
profile of follow-up respondents; they all consent to contact, so the
follow-up selection (:mod:`hubcase.synth.screening_followup`) always has a
solution.  Records are shuffled afterwards by the caller.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from hubcase.schema.tables import COVID_IMPACTS
from hubcase.synth import screening_targets as T
from hubcase.synth.sites import BASE_OPENED, SiteProfile

LAST_SCREEN_DATE = dt.date(2021, 12, 31)


def _values(counts: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    """An object array with ``counts[v]`` copies of each value (``""`` → None), shuffled."""
    out = np.concatenate([np.full(c, v or None, dtype=object) for v, c in counts.items() if c > 0]
                         or [np.empty(0, dtype=object)])
    return rng.permutation(out)


def _split(site: dict[str, int], block: dict[str, int], n: int, n_block: int,
           rng: np.random.Generator) -> np.ndarray:
    """Block records get ``block`` counts exactly, the rest of the site the remainder."""
    if n_block == 0:
        return _values(T.scaled(site, n), rng)
    rest = {k: site.get(k, 0) - block.get(k, 0) for k in {**site, **block}}
    if min(rest.values()) < 0:
        raise ValueError(f"reserved block needs more records than the site has: {rest}")
    return np.concatenate([_values(block, rng), _values(rest, rng)])


def exact_ages(n: int, mean: float, sd: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` integer ages in AGE_RANGE whose mean and SD (ddof 1) are within 0.04 of the targets."""
    lo, hi = T.AGE_RANGE
    a = rng.standard_normal(n)
    for _ in range(30):
        a = np.clip(mean + (a - a.mean()) * (sd / a.std(ddof=1)), lo, hi)
    a = np.rint(a).astype(int)
    for _ in range(5 * n):
        dm, ds = a.mean() - mean, a.std(ddof=1) - sd
        if abs(dm) < 0.04 and abs(ds) < 0.04:
            break
        above = a > mean
        if abs(dm) >= 0.04:  # move one age by 1, on the side that also helps the SD
            step = -1 if dm > 0 else 1
            side = above == ((step < 0) == (ds > 0))
            pick = np.flatnonzero(side & (a > lo) & (a < hi))
            a[rng.choice(pick)] += step
        else:  # narrow (ds > 0) or widen (ds < 0) with two opposite moves that keep the mean
            s = -1 if ds > 0 else 1
            up, down = np.flatnonzero(above & (a + s > lo) & (a + s < hi)), \
                np.flatnonzero(~above & (a - s > lo) & (a - s < hi))
            a[rng.choice(up)] += s
            a[rng.choice(down)] -= s
    return a


def _tilted_subset(ages: np.ndarray, k: int, target: tuple[float, float], source: tuple[float, float],
                   rng: np.random.Generator) -> np.ndarray:
    """Indices of ``k`` ages whose mean/SD approach ``target`` (importance-weighted draw, then swaps)."""
    (mt, st), (ms, ss) = target, source
    x = ages.astype(float)
    logw = -0.5 * ((x - mt) / st) ** 2 + 0.5 * ((x - ms) / ss) ** 2
    inside = np.zeros(len(x), dtype=bool)
    inside[np.argsort(-(logw + rng.gumbel(size=len(x))))[:k]] = True
    s1, s2 = x[inside].sum(), (x[inside] ** 2).sum()

    def loss(t1, t2):
        m = t1 / k
        return (m - mt) ** 2 + (np.sqrt(np.maximum(t2 - t1 * m, 0) / (k - 1)) - st) ** 2
    for _ in range(300):
        if loss(s1, s2) < 0.02 ** 2:
            break
        a = rng.choice(np.flatnonzero(inside), min(60, k))[:, None]
        b = rng.choice(np.flatnonzero(~inside), min(60, len(x) - k))[None, :]
        t1, t2 = s1 - x[a] + x[b], s2 - x[a] ** 2 + x[b] ** 2
        trial = loss(t1, t2)
        i, j = np.unravel_index(np.argmin(trial), trial.shape)
        if trial[i, j] >= loss(s1, s2):
            continue
        inside[a[i, 0]], inside[b[0, j]] = False, True
        s1, s2 = t1[i, j], t2[i, j]
    return np.flatnonzero(inside)


def _ages(profile: SiteProfile, n_block: int, rng: np.random.Generator) -> np.ndarray:
    """Float ages (nan = missing); the first ``n_block`` records get the follow-up profile."""
    b, n = profile.base, profile.n_screening
    mean, sd, missing = T.AGE[b]
    n_missing = int(round(missing * n / T.N[b]))
    ages = exact_ages(n - n_missing, mean, sd, rng)
    out = np.full(n, np.nan)
    if n_block:
        block = _tilted_subset(ages, n_block, T.FOLLOWUP_AGE[b], (mean, sd), rng)
        rest = np.setdiff1d(np.arange(len(ages)), block)
        out[:n_block] = rng.permutation(ages[block])
        rest_slots = n_block + rng.permutation(n - n_block)[: len(rest)]
        out[rest_slots] = rng.permutation(ages[rest])
    else:
        out[rng.permutation(n)[: len(ages)]] = rng.permutation(ages)
    return out


def _consent(ages: np.ndarray, n_block: int, n_consent: int, rng: np.random.Generator) -> np.ndarray:
    """Block records consent; others are drawn with a mild tilt towards older staff."""
    n = len(ages)
    consent = np.zeros(n, dtype=bool)
    consent[:n_block] = True
    a = np.where(np.isnan(ages), np.nanmean(ages) if np.isfinite(ages).any() else 40.0, ages)
    keys = 0.03 * a + rng.gumbel(size=n)
    keys[:n_block] = -np.inf
    consent[np.argsort(-keys)[: max(0, n_consent - n_block)]] = True
    return consent


def _occupation(profile: SiteProfile, missing_order: np.ndarray, rng: np.random.Generator):
    b, n = profile.base, profile.n_screening
    counts = T.scaled(T.SECTOR[b], n)
    sector = np.full(n, None, dtype=object)
    valid = np.sort(missing_order[counts.pop(""):])
    sector[valid] = _values(counts, rng)
    setting = np.full(n, None, dtype=object)
    for sec, value in T.SECTOR_SETTING.items():
        setting[sector == sec] = value
    social = np.flatnonzero(sector == "social_care")
    setting[social] = _values(T.scaled(T.SOCIAL_CARE_SETTINGS, len(social)), rng)
    nhs = np.flatnonzero(sector == "nhs")
    n_icu = int(round(T.ICU_SHARE_OF_NHS[b] * len(nhs)))
    n_night = int(round(T.NIGHTINGALE_SHARE_OF_ICU * n_icu))
    others = T.scaled(T.NHS_OTHER_SETTINGS, len(nhs) - n_icu)
    setting[nhs] = _values({"icu_critical_care": n_icu - n_night, "nightingale": n_night, **others}, rng)
    clinical = np.full(n, None, dtype=object)
    if b in T.CLINICAL_ROLE_SITES and len(nhs):
        icu = np.isin(setting[nhs], ("icu_critical_care", "nightingale"))
        n_clin = int(round(T.CLINICAL_SHARE * len(nhs)))
        w = np.where(icu, T.CLINICAL_SHARE_ICU, (n_clin - T.CLINICAL_SHARE_ICU * icu.sum())
                     / max(1, (~icu).sum()))
        keys = np.log(np.clip(w, 1e-6, None) / np.clip(1 - w, 1e-6, None)) + rng.logistic(size=len(nhs))
        is_clin = np.zeros(len(nhs), dtype=bool)
        is_clin[np.argsort(-keys)[:n_clin]] = True
        clinical[nhs] = np.where(is_clin, "clinical", "non_clinical")
    return sector, setting, clinical


def _covid(profile: SiteProfile, missing_order: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """COVID impact items (True/False/None) and pre-pandemic concern; missingness is nested."""
    b, n = profile.base, profile.n_screening
    out: dict[str, np.ndarray] = {}
    for item in COVID_IMPACTS:
        yes, valid = T.COVID[item][b]
        n_valid = int(round(valid * n / T.N[b]))
        n_yes = int(round(yes * n_valid / valid))
        col = np.full(n, None, dtype=object)
        rows = missing_order[n - n_valid:]
        col[rows] = rng.permutation(np.r_[np.ones(n_yes, bool), np.zeros(n_valid - n_yes, bool)])
        out[item] = col
    counts = T.scaled(T.PREPANDEMIC[b], n)
    ppc = np.full(n, None, dtype=object)
    valid = np.sort(missing_order[counts.pop(""):])
    ppc[valid] = _values(counts, rng)
    out["prepandemic_concern"] = ppc
    return out


def _dates(profile: SiteProfile, rng: np.random.Generator) -> np.ndarray:
    start = dt.date.fromisoformat(BASE_OPENED[profile.base] + "-01")
    span = (LAST_SCREEN_DATE - start).days
    days = np.sort(rng.integers(0, span + 1, profile.n_screening))
    return (np.datetime64(start) + days).astype(str).astype(object)


def site_people(profile: SiteProfile, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """All non-scale fields of one site's records (unshuffled; block first), plus helper arrays.

    Helper keys start with ``_``: ``_missing_order`` (a permutation: records early in it skip
    more questions; the first ones are Site B's referral-form clients without scales).
    """
    b, n = profile.base, profile.n_screening
    n_block = profile.n_followup if profile.calibrated else 0
    if profile.calibrated:
        n_consent = T.CONSENT_CONTACT[b]
    else:
        n_consent = min(n, max(profile.n_followup, int(round(n * T.CONSENT_CONTACT[b] / T.N[b]))))
    people: dict[str, np.ndarray] = {}
    people["screen_date"] = _dates(profile, rng)
    ages = _ages(profile, n_block, rng)
    people["age"] = ages
    people["consent_contact"] = _consent(ages, n_block, n_consent, rng)
    people["gender"] = _split(T.GENDER[b], T.FOLLOWUP_GENDER[b], n, n_block, rng)
    people["ethnicity"] = _split(T.ETHNICITY[b], T.FOLLOWUP_ETHNICITY[b], n, n_block, rng)
    people["sexual_orientation"] = _split(T.SEXUAL_ORIENTATION[b], T.FOLLOWUP_SEXUAL_ORIENTATION[b], n,
                                          n_block, rng)
    people["disability"] = _split(T.DISABILITY[b], T.FOLLOWUP_DISABILITY[b], n, n_block, rng)
    missing_order = rng.permutation(n)
    people["sector"], people["work_setting"], people["clinical_role"] = _occupation(profile, missing_order, rng)
    people.update(_covid(profile, missing_order, rng))
    people["_missing_order"] = missing_order
    return people
