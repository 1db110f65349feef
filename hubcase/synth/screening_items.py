"""Item responses that sum to given totals and respect each measure's item rules.

Items are drawn by a weighted race over "slots" (an item scoring 0–4 has four
slots): the ``total`` earliest slots are taken, so the items always sum to the
total and never exceed their maximum.  AUDIT items 9–10 take 0, 2 or 4; ITQ
patterns are built to satisfy (or fail) the ICD-11 algorithm as the diagnosis
requires (endorsed = item ≥ 2).
"""
from __future__ import annotations

import numpy as np

from hubcase.instruments import ITQ_ITEMS, MEASURES

ITEM_WEIGHTS = {
    "phq9": (1.2, 1.2, 1.3, 1.5, 1.0, 1.1, 1.0, 0.6, 0.25),
    "gad7": (1.3, 1.1, 1.3, 1.1, 0.9, 1.1, 1.0),
    "pcl5": (1.1, 1.0, 0.9, 1.2, 1.0, 1.2, 1.1, 0.8, 1.1, 1.0, 1.2, 1.1, 1.0, 0.9, 1.1, 0.5, 1.0, 0.9, 1.2, 1.3),
    "audit": (2.0, 1.5, 1.4, 0.8, 0.7, 0.4, 0.8, 0.9),
    "wsas": (1.1, 1.0, 1.0, 1.0, 0.9),
    "itq_p": (1.0, 1.1, 1.0, 0.9, 1.1, 1.0),
    "itq_c": (1.0, 1.0, 1.1, 1.0, 0.9, 1.0),
}
PERSON_SD = 0.35  # log-sd of a record's own item weights


def allocate(totals: np.ndarray, caps: np.ndarray, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, k) integers in [0, caps] summing to ``totals`` (which must not exceed the caps' sum)."""
    n, k = caps.shape
    if n == 0:
        return np.zeros((0, k), dtype=int)
    s = int(caps.max()) if caps.size else 0
    if s == 0:
        return np.zeros((n, k), dtype=int)
    w = weights * np.exp(PERSON_SD * rng.standard_normal((n, k)))
    keys = rng.exponential(size=(n, k, s)) / w[:, :, None]
    keys[np.arange(s)[None, None, :] >= caps[:, :, None]] = np.inf
    flat = keys.reshape(n, k * s)
    t = np.minimum(np.asarray(totals, dtype=int), caps.sum(1))
    cut = np.sort(flat, axis=1)[np.arange(n), np.clip(t - 1, 0, k * s - 1)]
    cut[t <= 0] = -np.inf
    return (flat <= cut[:, None]).reshape(n, k, s).sum(2)


def simple_items(measure: str, totals: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Items of PHQ-9, GAD-7, PCL-5 or WSAS for non-missing ``totals`` (int array)."""
    m = MEASURES[measure]
    k = len(m.items)
    caps = np.full((len(totals), k), m.item_max)
    w = np.broadcast_to(np.array(ITEM_WEIGHTS[measure]), caps.shape)
    return allocate(totals, caps, w, rng)


def audit_items(totals: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """AUDIT items: 1–8 score 0–4, 9–10 score 0, 2 or 4."""
    t = np.asarray(totals, dtype=int)
    n = len(t)
    p = np.clip((t - 4) / 30, 0, 0.6)
    late = np.where(rng.random((n, 2)) < p[:, None], np.where(rng.random((n, 2)) < 0.6, 2, 4), 0)
    for _ in range(6):  # keep the rest within items 1–8 (0..32)
        rest = t - late.sum(1)
        low, high = rest < 0, rest > 32
        if not (low.any() or high.any()):
            break
        j = np.where(late[:, 1] > 0, 1, 0)
        late[low, j[low]] -= 2
        j = np.where(late[:, 0] < 4, 0, 1)
        late[high, j[high]] += 2
    late = np.clip(late, 0, 4)
    caps = np.full((n, 8), 4)
    first = allocate(t - late.sum(1), caps, np.broadcast_to(np.array(ITEM_WEIGHTS["audit"]), caps.shape), rng)
    return np.column_stack([first, late])


def _cluster_items(sums: np.ndarray, meets: np.ndarray, weights_key: str, rng: np.random.Generator) -> np.ndarray:
    """Six items in three pairs summing to ``sums``.

    ``meets`` True: one item per pair is endorsed (≥ 2), so sums must be ≥ 6.
    ``meets`` False: one pair has both items ≤ 1 (needs sums ≤ 18).
    """
    n = len(sums)
    caps = np.full((n, 6), 4)
    pre = np.zeros((n, 6), dtype=int)
    pick = rng.integers(0, 2, size=(n, 3)) + np.array([0, 2, 4])
    rows = np.flatnonzero(meets)
    for c in range(3):
        pre[rows, pick[rows, c]] = 2
        caps[rows, pick[rows, c]] = 2
    fail = np.flatnonzero(~meets)
    pair = rng.integers(0, 3, size=len(fail))
    caps[fail, 2 * pair] = 1
    caps[fail, 2 * pair + 1] = 1
    w = np.broadcast_to(np.array(ITEM_WEIGHTS[weights_key]), caps.shape)
    return pre + allocate(sums - pre.sum(1), caps, w, rng)


def _impairment(level: np.ndarray, endorsed: np.ndarray, none_endorsed: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """Three 0–4 impairment items around ``level``; ≥ 1 endorsed where ``endorsed``, none where asked."""
    n = len(level)
    x = np.clip(np.rint(level[:, None] + 0.8 * rng.standard_normal((n, 3))), 0, 4).astype(int)
    short = endorsed & (x.max(1) < 2)
    j = rng.integers(0, 3, size=n)
    x[short, j[short]] = 2 + (rng.random(short.sum()) < 0.3)
    x[none_endorsed] = np.minimum(x[none_endorsed], 1)
    return x


def _dso_sums(dx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    centre = np.select([dx == 2, dx == 1], [13.0, 7.0], 4.5)
    lo = np.where(dx == 2, 6, 0)
    return np.clip(np.rint(centre + 4 * rng.standard_normal(len(dx))), lo, 24).astype(int)


def itq_items(score: np.ndarray, dx: np.ndarray, dso_missing: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """ITQ items in ``ITQ_ITEMS`` order (float, nan = missing DSO block).

    ``dx``: 0 none, 1 PTSD, 2 CPTSD; ``score`` is the sum of P1–P6 (≥ 6 when dx > 0).
    """
    n = len(score)
    s = np.asarray(score, dtype=int)
    case = dx > 0
    cluster_fail = ~case & (s <= 18) & (rng.random(n) < 0.75)
    p = _cluster_items(s, case, "itq_p", rng) if n else np.zeros((0, 6), dtype=int)
    free = ~case & ~cluster_fail  # these meet the clusters by chance or not: impairment must fail
    p_free = allocate(s[free], np.full((free.sum(), 6), 4),
                      np.broadcast_to(np.array(ITEM_WEIGHTS["itq_p"]), (free.sum(), 6)), rng)
    p[free] = p_free
    pfi = _impairment(s / 6.0, case, free, rng)
    d = _dso_sums(dx, rng)
    ptsd_only = dx == 1
    dso_cluster_fail = ptsd_only & (d <= 18) & (rng.random(n) < 0.7)
    c = np.zeros((n, 6), dtype=int)
    meets = dx == 2
    structured = meets | dso_cluster_fail
    c[structured] = _cluster_items(d[structured], meets[structured], "itq_c", rng)
    rest = ~structured
    c[rest] = allocate(d[rest], np.full((rest.sum(), 6), 4),
                       np.broadcast_to(np.array(ITEM_WEIGHTS["itq_c"]), (rest.sum(), 6)), rng)
    cfi = _impairment(d / 6.0, meets, ptsd_only & ~dso_cluster_fail, rng)
    out = np.column_stack([p, pfi, c, cfi]).astype(float)
    out[np.ix_(dso_missing, np.arange(9, 18))] = np.nan
    assert out.shape[1] == len(ITQ_ITEMS)
    return out
