"""Synthetic service-use items of follow-up respondents, their costability and the unit costs.

Each respondent's two questionnaire sections (mental health support; wider health and social
care) are costable or not.  Respondents with both sections costable are the *complete cases*;
for the calibrated pool their items reproduce Table 17 (type × status), the Table 18 user counts,
and — after :mod:`hubcase.synth.followup_cost_calibration` — the Table 18 and 61 mean costs.
Respondents with one costable section get items drawn from the same model; a section that is not
costable may list services without a quantity (reported without enough detail to cost).
Waiting-list entries are listed with quantity 0: the report costs only services already used.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from hubcase.schema.tables import SERVICE_USE, UNIT_COSTS
from hubcase.synth import followup_targets as T
from hubcase.synth import followup_cost_calibration as C
from hubcase.synth.followup_alloc import apportion, labels, ranked, select_with_quotas
from hubcase.synth.followup_people import SitePlan

ITEM_FIELDS = ("person", "section", "service_type", "category", "status", "cls", "q0", "cc", "optional")
HUB_TYPES_FIRST = ("hub_wellbeing_other",)


def unit_costs_frame() -> pd.DataFrame:
    """The synthetic unit-cost table (columns as the UNIT_COSTS schema)."""
    frame = pd.DataFrame(list(T.UNIT_COSTS), columns=list(UNIT_COSTS.names))
    return frame.astype({"unit_cost": "Float64"})


def generate_service_use(people: pd.DataFrame, cols: dict, index: np.ndarray, plans: list[SitePlan],
                         rng: np.random.Generator, *, pooled: bool):
    """``(service_use, mh_costable, other_costable, unit_costs)`` for all respondents."""
    units = unit_costs_frame()
    info = _person_info(people, cols, index)
    kind = _costable(info, plans, rng, pooled)
    items: dict[str, list] = {f: [] for f in ITEM_FIELDS}
    quantity: list[float] = []
    in_pool = [p for p in plans if pooled and p.exact and p.profile.id == p.base]
    groups = ([in_pool] if in_pool else []) + [[p] for p in plans if p not in in_pool]
    for group in groups:
        start, is_pool = len(items["person"]), group is in_pool
        _complete_case_items(group, info, kind, items, rng, pooled=is_pool)
        quantity += list(_calibrated(group, info, kind, items, start, units, pooled=is_pool))
    means = _mean_quantities(items, quantity)
    start = len(items["person"])
    _other_items(info, kind, items, rng)
    quantity += [_draw_quantity(t, s, means, rng) for t, s in zip(items["service_type"][start:],
                                                                  items["status"][start:])]
    frame = _frame(items, quantity, info, cols, rng)
    mh_ok = np.isin(kind, ("both", "mh_only"))
    other_ok = np.isin(kind, ("both", "other_only"))
    return frame, mh_ok, other_ok, units


# ---------------------------------------------------------------- respondents

def _person_info(people: pd.DataFrame, cols: dict, index: np.ndarray) -> pd.DataFrame:
    info = people[["record_id", "site", "minority", "man", "care_home", "emergency", "prepandemic",
                   "severity_z", "disability", "covid_hosp", "age"]].copy()
    info["support"] = cols["mh_support_any"]
    info["hub"] = cols["mh_support_hub"] == "yes"
    info["accessed"] = np.array([a is True for a in cols["accessed_due_to_hub"]])
    info["months"] = np.asarray(cols["months_since_screening"], float)
    info["index"] = index
    return info


def _costable(info: pd.DataFrame, plans: list[SitePlan], rng: np.random.Generator, pooled: bool) -> np.ndarray:
    """"both" / "mh_only" / "other_only" / "neither" per respondent.

    Completeness is likelier with lower PHQ-9/WSAS (screening severity), no disability, no COVID
    hospitalisation, an answered support question and EQ-5D, and a longer follow-up.
    """
    site = info["site"].to_numpy(object)
    months_z = np.zeros(len(info))
    for p in plans:
        m = info["months"].to_numpy(float)[p.rows]
        months_z[p.rows] = (m - m.mean()) / (m.std() or 1.0)
    score = (-0.6 * info["severity_z"].to_numpy(float) - 0.5 * info["disability"] - 0.5 * info["covid_hosp"]
             - 1.2 * pd.isna(info["support"]) - 1.0 * np.isnan(info["index"]) + 0.5 * months_z).to_numpy(float)
    counts = {p.profile.id: p.counts(T.COSTABLE) for p in plans}
    groups = []
    if pooled:
        pool = np.isin(site, [p.profile.id for p in plans if p.exact and p.profile.id == p.base])
        for key, col in C.SUBGROUP_COLUMNS.items():
            groups.append((info[col].to_numpy(bool) & pool, T.COMPLETE_CASE_SUBGROUPS[key], 1.0))
        support = (info["support"] == "yes").to_numpy(bool)
        for s, k in T.COMPLETE_CASE_SUPPORT.items():
            groups.append(((site == s) & support, k, 0.5))
        for key, k in T.COMPLETE_CASE_SUBGROUP_SUPPORT.items():
            groups.append((info[C.SUBGROUP_COLUMNS[key]].to_numpy(bool) & pool & support, k, 1.0))
    both = select_with_quotas(site, {s: c["both"] for s, c in counts.items()}, score, groups, rng)
    kind = np.where(both, "both", None).astype(object)
    for p in plans:
        c = counts[p.profile.id]
        rest = p.rows[~both[p.rows]]
        order = rest[ranked(score[rest], rng)]
        k = c["mh_only"] + c["other_only"]
        kind[order[:k]] = labels({"mh_only": c["mh_only"], "other_only": c["other_only"]}, rng)
        kind[order[k:]] = "neither"
    return kind


# ---------------------------------------------------------------- complete-case items

def _status_users(group: list[SitePlan], kind: np.ndarray) -> dict[str, dict[str, int]]:
    out = {}
    for status in T.STATUSES:
        out[status] = {}
        for p in group:
            base = T.MH_USERS[status][p.base]
            n_cc = int((kind[p.rows] == "both").sum())
            out[status][p.profile.id] = base if p.exact else int(round(base * n_cc / T.COSTABLE[p.base]["both"]))
    return out


def _reports(status: str, n_users: int, exact_pool: bool) -> dict[str, int]:
    j = T.STATUSES.index(status) + 1
    table = {t: v[j] for t, v in T.MH_TYPES.items()}
    if exact_pool:
        return table
    total = sum(table.values())
    return apportion(table, max(n_users, int(round(n_users * total / sum(T.MH_USERS[status][b] for b in T.SITES)))))


def _complete_case_items(group: list[SitePlan], info: pd.DataFrame, kind: np.ndarray, items: dict,
                         rng: np.random.Generator, *, pooled: bool) -> None:
    rows = np.concatenate([p.rows for p in group])
    cc = rows[kind[rows] == "both"]
    support = info["support"].to_numpy(object)[cc]
    eligible_rank = np.where(support == "yes", 2.0, np.where(pd.isna(support), 1.0, 0.0))
    boost = 2.0 * (info["minority"] | info["care_home"] | info["emergency"]).to_numpy(float)[cc] if pooled else 0.0
    col = lambda c: info[c].to_numpy(float)[cc]  # noqa: E731
    score = 100.0 * eligible_rank + 0.5 * col("hub") + 0.4 * col("prepandemic") + 0.3 * col("severity_z") + boost
    site = info["site"].to_numpy(object)[cc]
    already = np.zeros(len(cc))
    for status, per_site in _status_users(group, kind).items():
        users = []
        for s, k in per_site.items():
            idx = np.flatnonzero(site == s)
            users += list(cc[idx[ranked(score[idx] - 1.5 * already[idx], rng)[:k]]])
        already[np.isin(cc, users)] = 1.0
        _hand_out(status, np.array(users, dtype=int), _reports(status, len(users), pooled), info, items, rng,
                  pooled)
    _wider_complete_case(group, info, kind, cc, items, rng, pooled)


def _hand_out(status: str, users: np.ndarray, reports: dict[str, int], info: pd.DataFrame, items: dict,
              rng: np.random.Generator, pooled: bool) -> None:
    """Give each user at least one report of ``status``; extra reports go to users lacking that type."""
    if not len(users):
        return
    todo = [t for t in HUB_TYPES_FIRST for _ in range(reports.get(t, 0))]
    rest = [t for t, k in reports.items() if t not in HUB_TYPES_FIRST for _ in range(k)]
    todo += list(rng.permutation(np.array(rest, dtype=object))) if rest else []
    hub = info["hub"].to_numpy(bool)[users]
    has = {t: np.zeros(len(users), bool) for t in reports}
    owner: list[tuple[int, str]] = []
    for t in todo:
        lacking, unserved = ~has[t], ~np.isin(np.arange(len(users)), [o for o, _ in owner])
        tiers = [lacking & unserved & hub, lacking & hub, lacking & unserved, lacking] if t in HUB_TYPES_FIRST \
            else [lacking & unserved, lacking]
        free = next((m for m in tiers if m.any()), None)
        if free is None:
            continue
        w = np.where(free, 1.0 + 0.5 * hub * (T.MH_ITEM[t][1] > 0), 0.0)
        i = int(rng.choice(len(users), p=w / w.sum()))
        has[t][i] = True
        owner.append((i, t))
    _serve_everyone(owner, has, len(users))
    for i, t in owner:
        _add(items, users[i], "mental_health", t, t, status,
             _mh_class(t, status, users[i], info, rng, pooled), _q0(t, status, users[i], info, rng), True)


def _serve_everyone(owner: list[tuple[int, str]], has: dict[str, np.ndarray], n: int) -> None:
    """Move extra reports to users left without one, so the number of users is exact."""
    for i in range(n):
        if any(o == i for o, _ in owner):
            continue
        counts = {o: sum(1 for x, _ in owner if x == o) for o, _ in owner}
        for k, (o, t) in enumerate(owner):
            if counts[o] > 1 and not has[t][i] and t not in HUB_TYPES_FIRST:
                owner[k] = (i, t)
                has[t][o], has[t][i] = False, True
                break


def _mh_class(t: str, status: str, person: int, info: pd.DataFrame, rng: np.random.Generator, pooled: bool) -> str:
    _, p_hub, p_acc = T.MH_ITEM[t]
    if p_hub >= 1.0 or (info["hub"].iat[person] and rng.random() < p_hub):
        return "hub"
    if info["accessed"].iat[person] and rng.random() < p_acc and not (pooled and status == "incomplete"):
        return "acc"
    return "other"


def _q0(t: str, status: str | None, person: int, info: pd.DataFrame, rng: np.random.Generator) -> float:
    if status is None:
        mean = next(q for c in T.WIDER_ITEM.values() for s, _, q in c if s == t)
    else:
        mean = T.MH_ITEM[t][0][T.STATUSES.index(status)]
    lift = 1.0 + 0.25 * info["prepandemic"].iat[person] + 0.1 * info["severity_z"].iat[person]
    return max(1.0, mean * lift * float(rng.lognormal(0.0, 0.3)))


def _add(items: dict, person: int, section: str, t: str, category: str, status, cls: str, q0: float,
         cc: bool, optional: bool = False) -> None:
    for f, v in zip(ITEM_FIELDS, (person, section, t, category, status, cls, q0, cc, optional)):
        items[f].append(v)


def _wider_complete_case(group: list[SitePlan], info: pd.DataFrame, kind: np.ndarray, cc: np.ndarray, items: dict,
                         rng: np.random.Generator, pooled: bool) -> None:
    site = info["site"].to_numpy(object)[cc]
    health = np.nan_to_num(info["index"].to_numpy(float)[cc], nan=0.8)
    age = info["age"].fillna(44).to_numpy(float)[cc]
    base = 2.5 * (1 - health) + 0.3 * info["severity_z"].to_numpy(float)[cc] + 0.01 * age
    if pooled:
        base = base + 0.5 * info["minority"].to_numpy(float)[cc] - 100.0 * info["care_home"].to_numpy(float)[cc]
    for category in T.WIDER_CATEGORIES:
        boost = 1.5 * info["emergency"].to_numpy(float)[cc] if pooled and category == "primary_care" else 0.0
        for p in group:
            idx = np.flatnonzero(site == p.profile.id)
            k = T.WIDER_USERS[category][p.base]
            if not p.exact:
                k = int(round(k * len(idx) / T.COSTABLE[p.base]["both"]))
            for i in cc[idx[ranked((base + boost)[idx], rng)[:k]]]:
                _wider_person(int(i), category, info, items, rng, True)


def _wider_person(person: int, category: str, info: pd.DataFrame, items: dict, rng: np.random.Generator,
                  cc: bool) -> None:
    for j, (t, prob, _) in enumerate(T.WIDER_ITEM[category]):
        if j == 0 or rng.random() < prob:
            acc = bool(info["accessed"].iat[person]) and rng.random() < T.WIDER_ACCESSED_P
            _add(items, person, "wider", t, category, None, "acc" if acc else "other", _q0(t, None, person, info, rng),
                 cc, optional=j > 0)


def _calibrated(group: list[SitePlan], info: pd.DataFrame, kind: np.ndarray, items: dict, start: int,
                units: pd.DataFrame, *, pooled: bool) -> np.ndarray:
    it = {f: np.array(items[f][start:], dtype=object) for f in ITEM_FIELDS}
    person = it["person"].astype(int)
    if not len(person):
        return np.zeros(0)
    for col in ("site", *C.SUBGROUP_COLUMNS.values()):
        it[col] = info[col].to_numpy()[person]
    unit = units.set_index("service_type")["unit_cost"].astype(float).reindex(it["service_type"]).to_numpy()
    cap = np.array([T.QUANTITY_CAP.get(t, C.DEFAULT_CAP) for t in it["service_type"]], float)
    q0 = it["q0"].astype(float)
    floor = np.where(it["optional"].astype(bool), 0.0, 1.0)  # extra services of a category may be dropped
    out = np.zeros(len(person))
    n_site = {p.profile.id: int((kind[p.rows] == "both").sum()) for p in group}
    for section in ("mental_health", "wider"):
        sec = it["section"] == section
        sub = {k: (v[sec] if isinstance(v, np.ndarray) else v) for k, v in it.items()}
        if pooled:
            cc = {"n": sum(n_site.values()), "site_n": n_site}
            cells = (C.pooled_mh_cells if section == "mental_health" else C.pooled_wider_cells)(sub, cc)
        else:
            p = group[0]
            cells = C.site_cells(sub, p.profile.id, p.base, n_site[p.profile.id],
                                 "mh" if section == "mental_health" else "wider")
        out[sec] = C.calibrate(unit[sec], q0[sec], cap[sec], floor[sec], cells, integer_steps=400 if pooled else 60)
    return out


# ---------------------------------------------------------------- other respondents

def _mean_quantities(items: dict, quantity: list[float]) -> dict[tuple, float]:
    frame = pd.DataFrame({"t": items["service_type"], "s": items["status"], "q": quantity})
    frame["s"] = frame["s"].fillna("-")
    return frame[frame["q"] > 0].groupby(["t", "s"])["q"].mean().to_dict()


def _draw_quantity(t: str, status, means: dict, rng: np.random.Generator) -> float:
    if t.startswith("_"):
        return np.nan
    key = (t, status if status is not None else "-")
    mean = means.get(key) or (_q0_mean(t, status))
    return float(max(1, rng.poisson(max(mean - 1, 0.0)) + 1))


def _q0_mean(t: str, status) -> float:
    if status is None:
        return next(q for c in T.WIDER_ITEM.values() for s, _, q in c if s == t)
    return T.MH_ITEM[t][0][T.STATUSES.index(status)]


def _other_items(info: pd.DataFrame, kind: np.ndarray, items: dict, rng: np.random.Generator) -> None:
    """Items of respondents with one costable section; undetailed items where a section is not costable."""
    users = np.array([sum(T.MH_USERS[s][b] for b in T.SITES) for s in T.STATUSES], float)
    type_p = {s: np.array([v[j + 1] for v in T.MH_TYPES.values()], float) for j, s in enumerate(T.STATUSES)}
    n_cc = sum(T.COSTABLE[b]["both"] for b in T.SITES)
    support = info["support"].to_numpy(object)
    for i in np.flatnonzero(kind != "both"):
        mh_ok, wider_ok = kind[i] == "mh_only", kind[i] == "other_only"
        if support[i] == "yes" and rng.random() < (0.85 if mh_ok else 0.6):
            for _ in range(1 + int(rng.random() < 0.25)):
                status = T.STATUSES[int(rng.choice(3, p=users / users.sum()))]
                t = list(T.MH_TYPES)[int(rng.choice(len(T.MH_TYPES), p=type_p[status] / type_p[status].sum()))]
                if t in HUB_TYPES_FIRST and not info["hub"].iat[i]:
                    t = "counselling"
                cls = _mh_class(t, status, int(i), info, rng, False)
                _add(items, int(i), "mental_health", t if mh_ok else "_" + t, t, status, cls, 0.0,
                     False)
        for category in T.WIDER_CATEGORIES:
            rate = sum(T.WIDER_USERS[category].values()) / n_cc
            if rng.random() < (rate if wider_ok else 0.3 * rate):
                start = len(items["person"])
                _wider_person(int(i), category, info, items, rng, False)
                if not wider_ok:
                    items["service_type"][start:] = ["_" + t for t in items["service_type"][start:]]


def _frame(items: dict, quantity: list[float], info: pd.DataFrame, cols: dict,
           rng: np.random.Generator) -> pd.DataFrame:
    it = pd.DataFrame({f: items[f] for f in ITEM_FIELDS})
    it["quantity"] = quantity
    it["service_type"] = it["service_type"].str.lstrip("_")
    it = it[~(it["optional"].astype(bool) & (it["quantity"] == 0))]
    it = _with_waitlist(it, info, cols, rng)
    it = it.sort_values(["person", "section", "service_type"], kind="stable").reset_index(drop=True)
    record = info["record_id"].to_numpy(object)[it["person"].to_numpy(int)]
    width = max(4, len(str(len(it))))
    out = pd.DataFrame({
        "use_id": [f"SU{i + 1:0{width}d}" for i in range(len(it))],
        "record_id": record,
        "section": it["section"],
        "service_type": it["service_type"],
        "status": it["status"],
        "quantity": pd.array([None if pd.isna(q) else int(q) for q in it["quantity"]], dtype="Int64"),
        "delivered_by_hub": pd.array((it["cls"] == "hub").tolist(), dtype="boolean"),
        "accessed_due_to_hub": pd.array((it["cls"] == "acc").tolist(), dtype="boolean"),
    })
    out = out.astype({c: "string" for c in ("use_id", "record_id", "section", "service_type", "status")})
    return out[list(SERVICE_USE.names)]


def _with_waitlist(it: pd.DataFrame, info: pd.DataFrame, cols: dict, rng: np.random.Generator) -> pd.DataFrame:
    """One quantity-0 waiting-list entry per respondent on a waiting list (source from Table 11)."""
    rows = []
    for i in np.flatnonzero(cols["waitlist_any"] == "yes"):
        t = ("psychological_therapy", "counselling", "secondary_care_mh")[int(rng.choice(3, p=(0.6, 0.25, 0.15)))]
        cls = "hub" if cols["waitlist_hub"][i] == "yes" else (
            "acc" if cols["waitlist_nonhub_via_hub"][i] == "yes" else "other")
        rows.append({"person": int(i), "section": "mental_health", "service_type": t,
                     "category": t, "status": "waitlist", "cls": cls, "q0": 0.0, "cc": False,
                     "optional": False, "quantity": 0.0})
    return pd.concat([it, pd.DataFrame(rows, columns=it.columns)], ignore_index=True) if rows else it
