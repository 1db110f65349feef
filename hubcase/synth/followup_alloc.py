"""Allocation helpers of the follow-up generator: exact counts, ranked picks and quotas.

Every function takes an explicit ``numpy.random.Generator`` (or none) and returns new
arrays; nothing is drawn from global state.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def apportion(counts: Mapping[str, int], total: int) -> dict[str, int]:
    """``counts`` scaled to sum to ``total`` by largest remainder (unchanged when they already do)."""
    keys = list(counts)
    w = np.array([max(0, counts[k]) for k in keys], dtype=float)
    if total <= 0 or w.sum() <= 0:
        return {k: 0 for k in keys}
    quota = w * total / w.sum()
    out = np.floor(quota + 1e-9).astype(int)
    short = int(total - out.sum())
    if short > 0:
        out[np.argsort(-(quota - out), kind="stable")[:short]] += 1
    return dict(zip(keys, (int(v) for v in out)))


def labels(counts: Mapping[str, int], rng: np.random.Generator) -> np.ndarray:
    """A shuffled object array with ``counts[v]`` copies of each value; ``""`` becomes None."""
    parts = [np.full(c, v or None, dtype=object) for v, c in counts.items() if c > 0]
    out = np.concatenate(parts) if parts else np.empty(0, dtype=object)
    return rng.permutation(out)


def ranked(score: np.ndarray, rng: np.random.Generator | None, noise: float = 1.0) -> np.ndarray:
    """Positions ordered from the highest ``score`` (plus Gumbel noise of scale ``noise``) down."""
    key = np.asarray(score, dtype=float)
    if rng is not None and noise > 0:
        key = key + noise * rng.gumbel(size=len(key))
    return np.argsort(-key, kind="stable")


def top_k(score: np.ndarray, k: int, rng: np.random.Generator | None, noise: float = 1.0) -> np.ndarray:
    """Boolean mask of the ``k`` positions ranked highest by :func:`ranked`."""
    mask = np.zeros(len(score), dtype=bool)
    mask[ranked(score, rng, noise)[:max(0, k)]] = True
    return mask


def assign_in_order(blocks: Sequence[tuple[object, int]], score: np.ndarray,
                    rng: np.random.Generator | None, noise: float = 1.0) -> np.ndarray:
    """Hand out labels by rank: the first block's label to the highest-ranked positions, and so on.

    Positions left over (when the counts add up to less than ``len(score)``) get None.
    """
    out = np.full(len(score), None, dtype=object)
    order = ranked(score, rng, noise)
    start = 0
    for label, k in blocks:
        out[order[start:start + k]] = label
        start += k
    return out


def assign_by_preference(counts: Mapping[object, int], scores: Mapping[object, np.ndarray],
                         rng: np.random.Generator, noise: float = 1.0) -> np.ndarray:
    """Exact counts per label; labels are served in the given order, each taking the unassigned
    positions it scores highest on."""
    n = len(next(iter(scores.values())))
    out = np.full(n, None, dtype=object)
    free = np.ones(n, dtype=bool)
    for label, k in counts.items():
        key = np.where(free, scores[label] + noise * rng.gumbel(size=n), -np.inf)
        pick = np.argsort(-key, kind="stable")[:min(k, int(free.sum()))]
        out[pick] = label
        free[pick] = False
    return out


def rank_match(values: np.ndarray, key: np.ndarray) -> np.ndarray:
    """``values`` rearranged so that the largest value goes to the largest ``key``."""
    out = np.empty(len(values), dtype=np.asarray(values).dtype)
    out[np.argsort(key, kind="stable")] = np.sort(values, kind="stable")
    return out


def select_with_quotas(strata: np.ndarray, n_select: Mapping[object, int], score: np.ndarray,
                       groups: Sequence[tuple[np.ndarray, int, float]], rng: np.random.Generator,
                       noise: float = 1.0, max_swaps: int = 400) -> np.ndarray:
    """Pick ``n_select[s]`` positions in every stratum, preferring high ``score``, then swap within
    strata to bring each group's count towards its target.

    ``groups`` are ``(mask, target, weight)``; the loss is ``Σ weight·|count − target|``.  A swap is
    made only if it lowers the loss; among equal gains the one losing least score wins.
    """
    key = np.asarray(score, float) + noise * rng.gumbel(size=len(score))
    chosen = np.zeros(len(key), dtype=bool)
    for s, k in n_select.items():
        idx = np.flatnonzero(strata == s)
        chosen[idx[np.argsort(-key[idx], kind="stable")[:k]]] = True
    if not groups:
        return chosen
    masks = np.array([g[0] for g in groups], dtype=float)  # groups × people
    target = np.array([g[1] for g in groups], dtype=float)
    weight = np.array([g[2] for g in groups], dtype=float)
    for _ in range(max_swaps):
        dev = masks @ chosen - target
        best = (1e-9, None)
        for s in n_select:
            inn = np.flatnonzero(chosen & (strata == s))
            out = np.flatnonzero(~chosen & (strata == s))
            if not len(inn) or not len(out):
                continue
            delta = masks[:, out][:, None, :] - masks[:, inn][:, :, None]  # groups × in × out
            new = np.abs(dev[:, None, None] + delta)
            gain = (weight[:, None, None] * (np.abs(dev)[:, None, None] - new)).sum(axis=0)
            gain = gain - 1e-6 * (key[inn][:, None] - key[out][None, :])
            i, j = np.unravel_index(np.argmax(gain), gain.shape)
            if gain[i, j] > best[0]:
                best = (gain[i, j], (inn[i], out[j]))
        if best[1] is None:
            break
        chosen[best[1][0]], chosen[best[1][1]] = False, True
    return chosen


def swap_toward(values: np.ndarray, groups: np.ndarray, target_sums: Mapping[object, int],
                rng: np.random.Generator, max_iter: int = 10000) -> np.ndarray:
    """Swap values between groups until every group's sum equals its target (the grand total must
    already match).  Used to give each site its exact EQ-VAS total."""
    vals = np.asarray(values).copy()
    keys = list(target_sums)
    for _ in range(max_iter):
        dev = {g: int(vals[groups == g].sum()) - target_sums[g] for g in keys}
        if not any(dev.values()):
            return vals
        hi = max(keys, key=lambda g: dev[g])
        lo = min(keys, key=lambda g: dev[g])
        need = min(dev[hi], -dev[lo])
        a, b = np.flatnonzero(groups == hi), np.flatnonzero(groups == lo)
        diff = vals[a][:, None] - vals[b][None, :]  # how much hi's sum drops by swapping
        ok = (diff > 0) & (diff <= need)
        if not ok.any():
            raise ValueError(f"cannot balance group sums {dev}")
        cand = np.argwhere(ok & (diff == diff[ok].max()))
        i, j = cand[rng.integers(len(cand))]
        vals[a[i]], vals[b[j]] = vals[b[j]], vals[a[i]]
    raise ValueError("group sums did not balance")
