"""Calibrate service-use quantities so that mean costs per complete case hit their targets.

Costs are ``quantity × unit cost``.  Starting from drawn quantities, item costs are raked
(iterative proportional fitting over overlapping cells: status × Hub class, site, subgroup,
category) towards the target totals, rounded to whole units and then nudged one unit at a time
to minimise the squared relative misses.  The targets for the calibrated pool are the published
means of Tables 18 and 61 (spec A §2.8–2.9) times the group sizes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hubcase.synth import followup_targets as T

RAKE_ROUNDS = 300
DEFAULT_CAP = 40


@dataclass(frozen=True)
class Cell:
    """A calibration cell: the items it sums, its target total and the tolerance of a miss."""

    name: str
    items: np.ndarray  # boolean mask over items
    target: float
    tolerance: float


def pooled_mh_cells(item: dict, cc: dict) -> list[Cell]:
    """Cells of the mental health section for the calibrated pool."""
    n = cc["n"]
    cells = []
    for status in T.STATUSES:
        p1, p2, p3 = (x[0] for x in T.TABLE18[f"mh_{status}"])
        for cls, mean in (("hub", p1 - p2), ("acc", p2 - p3), ("other", p3)):
            mask = (item["status"] == status) & (item["cls"] == cls)
            cells.append(Cell(f"{status}/{cls}", mask, mean * n, max(0.02 * mean * n, 60.0)))
    for site, mean in _site_means("mh").items():
        mask = item["site"] == site
        cells.append(Cell(f"site {site}", mask, mean * cc["site_n"][site], 0.02 * mean * cc["site_n"][site]))
    for key, col in SUBGROUP_COLUMNS.items():
        k, (mean, _, _), _ = T.TABLE61[key]
        cells.append(Cell(f"subgroup {key}", item[col], mean * k, 0.03 * mean * k))
    return cells


def pooled_wider_cells(item: dict, cc: dict) -> list[Cell]:
    """Cells of the wider health and social care section for the calibrated pool."""
    n = cc["n"]
    cells = [Cell(c, item["category"] == c, T.TABLE18[c][0][0] * n, max(0.02 * T.TABLE18[c][0][0] * n, 40.0))
             for c in T.WIDER_CATEGORIES]
    cells.append(Cell("accessed", item["cls"] == "acc", T.WIDER_ACCESSED_MEAN * n, 0.1 * T.WIDER_ACCESSED_MEAN * n))
    for site, mean in _site_means("wider").items():
        k = cc["site_n"][site]
        cells.append(Cell(f"site {site}", item["site"] == site, mean * k, max(0.03 * mean * k, 30.0)))
    for key, col in SUBGROUP_COLUMNS.items():
        k, _, (mean, _, _) = T.TABLE61[key]
        if mean > 0:
            cells.append(Cell(f"subgroup {key}", item[col], mean * k, 0.04 * mean * k))
    return cells


SUBGROUP_COLUMNS = {"ethnic_minority": "minority", "men": "man", "care_home": "care_home",
                    "emergency_services": "emergency"}


def _site_means(section: str) -> dict[str, float]:
    j = 1 if section == "mh" else 2
    out = {s: T.TABLE61[s][j][0] for s in ("A", "B", "D")}
    out["C"] = T.SITE_C_COST[j]
    return out


def site_cells(item: dict, site: str, base: str, n_cc: int, section: str) -> list[Cell]:
    """One cell per section for a site outside the calibrated pool: the base site's mean cost."""
    mean = _site_means(section)[base]
    return [Cell(f"site {site}", item["site"] == site, mean * n_cc, 0.02 * mean * n_cc + 1.0)]


def calibrate(unit: np.ndarray, q0: np.ndarray, cap: np.ndarray, floor: np.ndarray, cells: list[Cell], *,
              integer_steps: int = 400) -> np.ndarray:
    """Whole-unit quantities (``floor`` ≤ q ≤ ``cap``) whose cell totals are as close as possible to the
    targets.  A floor of 0 lets the repair drop an optional item."""
    x = q0 * unit
    live = [c for c in cells if c.items.any()]
    for _ in range(RAKE_ROUNDS):
        worst = 0.0
        for c in live:
            if c.target <= 0:
                continue
            total = x[c.items].sum()
            if total <= 0:
                continue
            f = c.target / total
            worst = max(worst, abs(f - 1))
            x[c.items] *= f ** 0.8
            x = np.minimum(x, cap * unit)
        if worst < 1e-4:
            break
    q = np.clip(np.round(x / unit), 1, cap)
    return _integer_repair(unit, q, cap, floor, live, integer_steps)


def _integer_repair(unit: np.ndarray, q: np.ndarray, cap: np.ndarray, floor: np.ndarray, cells: list[Cell],
                    steps: int) -> np.ndarray:
    if not cells:
        return q
    m = np.array([c.items for c in cells], dtype=float)  # cells × items
    target = np.array([c.target for c in cells])
    tol = np.array([max(c.tolerance, 1.0) for c in cells])
    q = q.copy()
    for _ in range(steps):
        miss = m @ (q * unit) - target
        loss = ((miss / tol) ** 2).sum()
        best_gain, best = 1e-9, None
        for step in (1.0, -1.0):
            ok = (q + step >= floor) & (q + step <= cap)
            change = m * (step * unit)[None, :]
            new = (((miss[:, None] + change) / tol[:, None]) ** 2).sum(axis=0)
            gain = np.where(ok, loss - new, -np.inf)
            j = int(np.argmax(gain))
            if gain[j] > best_gain:
                best_gain, best = gain[j], (j, step)
        if best is None:
            break
        q[best[0]] += best[1]
    return q
