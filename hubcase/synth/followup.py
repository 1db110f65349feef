"""Synthetic follow-up questionnaire (SUQ), service-use items and unit costs.

:func:`generate_followup` is the entry point called by :mod:`hubcase.synth.build`.  For the
calibrated sites every published count of Tables 11, 12, 16 and 17 is reproduced exactly and the
Table 18/61 costs land inside their published 95% CIs (``docs/calibration-followup.md``); other
sites get the base site's proportions scaled to their size.  Answers follow the questionnaire's
skip logic: contact mode only after contact "yes", support source only after support "yes", the
waiting-list source only after waiting list "yes", satisfaction only after contact "yes".
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from hubcase.instruments import MEASURES
from hubcase.schema.tables import FOLLOWUP
from hubcase.synth import followup_targets as T
from hubcase.synth.followup_alloc import (apportion, assign_by_preference, assign_in_order, labels, rank_match,
                                          select_with_quotas, top_k)
from hubcase.synth.followup_eq5d import generate_eq5d
from hubcase.synth.followup_people import SitePlan, pooled, respondent_covariates, site_plans
from hubcase.synth.followup_service_use import generate_service_use
from hubcase.synth.sites import SiteProfile

SEED_TAG = 0xF011  # separates this generator's stream from the other generators' for the same seed
NULL_CHECK_ATTEMPTS = 40


def generate_followup(screening: pd.DataFrame, respondents: pd.DataFrame, sites: list[SiteProfile], *,
                      seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(followup, service_use, unit_costs)`` frames for the respondents (columns as the schemas)."""
    rng = np.random.default_rng([seed, SEED_TAG])
    people = respondent_covariates(screening, respondents)
    plans = site_plans(respondents, sites)
    is_pooled = pooled(plans)
    n = len(people)
    cols: dict[str, np.ndarray] = {c: np.full(n, None, dtype=object) for c in FOLLOWUP.names}
    cols["record_id"], cols["site"] = people["record_id"].to_numpy(object), people["site"].to_numpy(object)
    cols["months_since_screening"] = np.full(n, np.nan)
    for plan in plans:
        cols["months_since_screening"][plan.rows] = site_months(plan, rng)
        _contact(plan, cols, rng)
        _waitlist(plan, cols, rng)
    groups = [[p for p in plans if p.exact and p.profile.id == p.base]] if is_pooled else []
    grouped = {p.profile.id for g in groups for p in g}
    groups += [[p] for p in plans if p.profile.id not in grouped]
    for group in groups:
        _support_with_null_check(group, people, cols, rng, quotas=is_pooled and len(group) > 1)
    for plan in plans:
        _satisfaction(plan, cols, rng)
    eq = generate_eq5d(people, plans, rng, pooled=is_pooled)
    for c in (*T.DIMENSIONS, "eq_vas"):
        cols[c] = eq[c].to_numpy(object)
    service_use, mh_ok, other_ok, unit_costs = generate_service_use(
        people, cols, eq["eq5d_index"].to_numpy(float), plans, rng, pooled=is_pooled)
    cols["service_use_mh_costable"], cols["service_use_other_costable"] = mh_ok, other_ok
    return _followup_frame(cols), service_use, unit_costs


def _followup_frame(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    out = {}
    for c in FOLLOWUP.columns:
        v = cols[c.name]
        if c.kind == "integer":
            out[c.name] = pd.array([None if x is None or (isinstance(x, float) and np.isnan(x)) else int(x)
                                    for x in v], dtype="Int64")
        elif c.kind == "number":
            out[c.name] = pd.array(np.asarray(v, dtype=float), dtype="Float64")
        elif c.kind == "boolean":
            out[c.name] = pd.array(list(v), dtype="boolean")
        else:
            out[c.name] = pd.array(list(v), dtype="string")
    return pd.DataFrame(out)


# ---------------------------------------------------------------- timing

def site_months(plan: SitePlan, rng: np.random.Generator) -> np.ndarray:
    """Months from screening, one decimal, with the site mean equal to the published one (to 0.01)."""
    lo, hi = T.MONTHS_RANGE
    mean = T.MONTHS_MEAN[plan.base]
    m = np.clip(mean + T.MONTHS_SD * rng.standard_normal(plan.n), lo, hi)
    m = np.round(m + (mean - m.mean()), 1).clip(lo, hi)
    for _ in range(20 * plan.n):
        gap = m.mean() - mean
        if abs(gap) < 0.005:
            break
        step = -0.1 if gap > 0 else 0.1
        movable = np.flatnonzero((m + step >= lo) & (m + step <= hi))
        m[rng.choice(movable)] += step
    return np.round(m, 1)


# ---------------------------------------------------------------- Table 11

def _nested(parent: np.ndarray, rows: np.ndarray, counts: dict[str, int], exact: bool,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Positions (within ``rows``) answering "yes" to the parent, and their child answers."""
    yes = rows[parent[rows] == "yes"]
    return yes, labels(counts if exact else apportion(counts, len(yes)), rng)


def _contact(plan: SitePlan, cols: dict, rng: np.random.Generator) -> None:
    rows = plan.rows
    cols["hub_contact_any"][rows] = labels(plan.counts(T.CONTACT_ANY), rng)
    for col, table in (("hub_contact_phone", T.CONTACT_PHONE), ("hub_contact_email", T.CONTACT_EMAIL)):
        yes, answers = _nested(cols["hub_contact_any"], rows, table[plan.base], plan.exact, rng)
        cols[col][yes] = answers


def _waitlist(plan: SitePlan, cols: dict, rng: np.random.Generator) -> None:
    rows = plan.rows
    cols["waitlist_any"][rows] = labels(plan.counts(T.WAITLIST_ANY), rng)
    yes = rows[cols["waitlist_any"][rows] == "yes"]
    contact = cols["hub_contact_any"][yes] == "yes"
    c = T.WAITLIST_HUB[plan.base] if plan.exact else apportion(T.WAITLIST_HUB[plan.base], len(yes))
    source = assign_in_order([("yes", c["yes"]), ("", c[""]), ("no", c["no"])], 3.0 * contact, rng)
    cols["waitlist_hub"][yes] = np.where(source == "", None, source)
    e = T.WAITLIST_EMPLOYER[plan.base]
    cols["waitlist_employer"][yes] = labels(e if plan.exact else apportion(e, len(yes)), rng)
    _nonhub(cols, "waitlist_hub", "waitlist_nonhub_via_hub", yes, T.WAITLIST_NONHUB_YES, plan, contact, rng)


def _nonhub(cols: dict, hub_col: str, col: str, yes: np.ndarray, table: dict[str, int], plan: SitePlan,
            contact: np.ndarray, rng: np.random.Generator) -> None:
    """Non-Hub-via-Hub: "no" exactly where the Hub provided it; "yes" on others, preferring hub "no"."""
    hub = cols[hub_col][yes]
    others = hub != "yes"
    k = table[plan.base] if plan.exact else int(round(table[plan.base] * len(yes) / max(1, _parent_n(plan, hub_col))))
    k = min(k, int(others.sum()))
    pick = top_k(np.where(others, 2.0 * (hub == "no") + 2.0 * contact, -np.inf), k, rng)
    cols[col][yes[hub == "yes"]] = "no"
    cols[col][yes[pick]] = "yes"


def _parent_n(plan: SitePlan, hub_col: str) -> int:
    table = T.WAITLIST_ANY if hub_col.startswith("waitlist") else T.SUPPORT_ANY
    return table[plan.base]["yes"]


def _support_with_null_check(group: list[SitePlan], people: pd.DataFrame, cols: dict,
                             rng: np.random.Generator, *, quotas: bool) -> None:
    """Support block; for the calibrated pool, redrawn until ``accessed_due_to_hub`` is unrelated to
    the screening scores within sites (Table 13 is null)."""
    names = ("mh_support_any", "mh_support_hub", "mh_support_employer", "mh_support_nonhub_via_hub",
             "accessed_due_to_hub")
    best, best_stat = None, np.inf
    for _ in range(NULL_CHECK_ATTEMPTS if quotas else 1):
        trial = {c: cols[c].copy() for c in (*names, "hub_contact_any")}
        _support(group, people, trial, rng, quotas)
        stat = _association(group, people, trial["accessed_due_to_hub"]) if quotas else 0.0
        if stat < best_stat:
            best, best_stat = trial, stat
        if best_stat < 1.0:
            break
    for c in names:
        cols[c] = best[c]


def _association(group: list[SitePlan], people: pd.DataFrame, accessed: np.ndarray) -> float:
    """Largest |t| of the site-demeaned correlation of the outcome with each screening score."""
    rows = np.concatenate([p.rows for p in group])
    rows = rows[np.array([a is not None for a in accessed[rows]])]
    y = np.array([bool(a) for a in accessed[rows]], float)
    site = people["site"].to_numpy()[rows]
    worst = 0.0
    for col in (*(f"{m}_total" for m in MEASURES), "high_severity", "severity_z"):
        if col not in people:
            continue
        x = people[col].to_numpy(float)[rows]
        ok = np.isfinite(x)
        if ok.sum() < 3:
            continue
        xs, ys, ss = x[ok], y[ok], site[ok]
        for s in np.unique(ss):
            xs[ss == s] -= xs[ss == s].mean()
            ys[ss == s] -= ys[ss == s].mean()
        if xs.std() == 0 or ys.std() == 0:
            continue
        r = float(np.corrcoef(xs, ys)[0, 1])
        worst = max(worst, abs(r) * np.sqrt(max(1, ok.sum() - 2) / max(1e-9, 1 - r * r)))
    return worst


def _support(group: list[SitePlan], people: pd.DataFrame, cols: dict, rng: np.random.Generator,
             quotas: bool) -> None:
    rows = np.concatenate([p.rows for p in group])
    contact = cols["hub_contact_any"] == "yes"
    strata = np.array([f"{s}|{int(c)}" for s, c in zip(people["site"].to_numpy(), contact)], dtype=object)
    n_select = {}
    for p in group:
        c = p.counts(T.SUPPORT_ANY)
        src = _source_counts(p, c["yes"])
        need = src["hub"] + src["nonhub"]
        n_contact = int(contact[p.rows].sum())
        from_contact = min(n_contact, c["yes"], max(need, int(round(0.85 * c["yes"]))))
        from_contact = max(from_contact, c["yes"] - (p.n - n_contact))
        n_select[f"{p.profile.id}|1"] = from_contact
        n_select[f"{p.profile.id}|0"] = c["yes"] - from_contact
    score = 0.3 * people["severity_z"].to_numpy(float)
    groups = []
    if quotas:
        for key, col in (("ethnic_minority", "minority"), ("men", "man"), ("care_home", "care_home"),
                         ("emergency_services", "emergency")):
            groups.append((people[col].to_numpy(bool) & np.isin(np.arange(len(people)), rows),
                           T.SUPPORT_SUBGROUPS[key], 1.0))
    in_group = np.zeros(len(people), bool)
    in_group[rows] = True
    yes_mask = select_with_quotas(np.where(in_group, strata, "_"), n_select, np.where(in_group, score, 0.0),
                                  groups, rng)
    for p in group:
        _support_site(p, yes_mask, cols, rng)


def _source_counts(plan: SitePlan, n_yes: int) -> dict[str, int]:
    hub = T.SUPPORT_HUB[plan.base] if plan.exact else apportion(T.SUPPORT_HUB[plan.base], n_yes)
    nonhub = T.SUPPORT_NONHUB_YES[plan.base]
    if not plan.exact:
        nonhub = int(round(nonhub * n_yes / T.SUPPORT_ANY[plan.base]["yes"]))
    return {"hub": hub["yes"], "hub_no": hub["no"], "hub_missing": hub[""], "nonhub": nonhub}


def _support_site(plan: SitePlan, yes_mask: np.ndarray, cols: dict, rng: np.random.Generator) -> None:
    rows = plan.rows
    c = plan.counts(T.SUPPORT_ANY)
    yes = rows[yes_mask[rows]]
    rest = rows[~yes_mask[rows]]
    cols["mh_support_any"][rest] = labels({"no": c["no"], "": c[""]}, rng)
    cols["mh_support_any"][yes] = "yes"
    src = _source_counts(plan, len(yes))
    contact = cols["hub_contact_any"][yes] == "yes"
    hub = top_k(np.where(contact, 100.0, 0.0), src["hub"], rng)
    nonhub = top_k(np.where(~hub, 100.0 * contact, -np.inf), min(src["nonhub"], int((~hub).sum())), rng)
    missing = top_k(np.where(~hub & ~nonhub, 1.0, -np.inf), src["hub_missing"], rng)
    cols["mh_support_hub"][yes] = np.where(hub, "yes", np.where(missing, None, "no"))
    cols["mh_support_nonhub_via_hub"][yes] = np.where(hub, "no", np.where(nonhub, "yes", None))
    e = T.SUPPORT_EMPLOYER[plan.base]
    cols["mh_support_employer"][yes] = labels(e if plan.exact else apportion(e, len(yes)), rng)
    pool = ~hub & ~nonhub
    extra, false = T.ACCESSED_EXTRA_TRUE[plan.base], T.ACCESSED_FALSE[plan.base]
    if not plan.exact:
        scale = len(yes) / T.SUPPORT_ANY[plan.base]["yes"]
        extra, false = int(round(extra * scale)), int(round(false * scale))
    outcome = assign_in_order([(True, extra), (False, false)], np.where(pool, 0.0, -np.inf), rng)
    outcome[~pool] = None
    outcome = np.where(hub | nonhub, True, outcome)
    cols["accessed_due_to_hub"][yes] = outcome


# ---------------------------------------------------------------- Table 12

def _satisfaction(plan: SitePlan, cols: dict, rng: np.random.Generator) -> None:
    rows = plan.rows[cols["hub_contact_any"][plan.rows] == "yes"]
    b, m = plan.base, len(rows)
    help_values = np.array(T.HELPFULNESS[b], dtype=float)
    met, ref = T.MET_NEEDS[b], dict(zip((1, 2, 3, 4, 5), T.REFERRAL[b]))
    if not plan.exact:
        k = min(m, int(round(len(help_values) * plan.n / T.N[b])))
        help_values = np.quantile(help_values, (np.arange(k) + 0.5) / max(k, 1)).round()
        met = apportion(met, min(m, int(round(sum(met.values()) * plan.n / T.N[b]))))
        ref = apportion(ref, min(m, int(round(sum(ref.values()) * plan.n / T.N[b]))))
    hub = cols["mh_support_hub"][rows] == "yes"
    support = cols["mh_support_any"][rows] == "yes"
    nonhub = cols["mh_support_nonhub_via_hub"][rows] == "yes"
    satisfied = 0.8 * hub + 0.4 * support + rng.standard_normal(m)
    order = np.argsort(rng.random(m))  # completeness of the satisfaction section
    answered = lambda k: np.isin(np.arange(m), order[:k])  # noqa: E731
    met_rows = answered(sum(met.values()))
    met_ans = assign_in_order(list(met.items()), np.where(met_rows, satisfied, -np.inf), None)
    met_ans[~met_rows] = None
    cols["hub_met_needs"][rows] = met_ans
    help_rows = answered(len(help_values))
    cols["hub_helpfulness"][rows[help_rows]] = rank_match(
        help_values, satisfied[help_rows] + 0.7 * rng.standard_normal(int(help_rows.sum()))).astype(int)
    ref_rows = answered(sum(ref.values()))
    scores = {3: 3.0 * (met_ans == "no") + 1.0 * (met_ans == "yes_partially") - satisfied,
              2: 2.0 * nonhub - 0.5 * satisfied, 1: 3.0 * nonhub + satisfied, 5: 3.0 * ~support - 1.0 * hub,
              4: 3.0 * hub + 0.5 * satisfied}
    scores = {k: np.where(ref_rows, v, -1e9) for k, v in scores.items()}
    answers = assign_by_preference({k: ref[k] for k in (3, 2, 1, 5, 4)}, scores, rng)
    answers[~ref_rows] = None
    cols["hub_referral"][rows] = answers
