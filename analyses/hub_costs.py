"""Costing Hub support (report chapter 5, Appendix 2 Part 2): Tables 14, 15 and 58/59.

A cost line (``costing/hub_costs.csv``) has an amount, or a WTE and an Agenda-for-Change band
costed from ``costing/staff_unit_costs.csv`` (primary: ``annual_cost``, which excludes on-costs
that overlap with Hub-reported costs).  Set-up costs are summarised only; ongoing annual costs
feed the cost per keyworker reached:

    individual = ongoing × share_individual / keyworkers_individual
    team       = ongoing × (1 − share_individual) / keyworkers_team

with ``share_individual`` the mid-point of the Hub's lower and upper estimates.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analyses.economics import fmt_money, tidy
from analyses.followup import strand_notes
from analyses.result import TableResult
from hubcase.errors import AnalysisError

TICK = "✓"
STAFF_CATEGORIES = {"management": "Management", "clinical_leadership": "Clinical leadership",
                    "clinical_staff": "Clinical staff (to provide support)",
                    "administrative_support": "Administrative support", "other_staff": "Other staff"}
NON_STAFF_CATEGORIES = {"estates_overheads": "Estates/overheads", "it_infrastructure": "IT infrastructure",
                        "equipment": "Equipment", "workshops_conferences": "Workshops/conferences",
                        "promotional_material": "Promotional material/advertisement", "training": "Training",
                        "travel": "Travel", "printing_stationery": "Printing/stationery",
                        "other_non_staff": "Other non-staff"}
CATEGORY_LABELS = {**STAFF_CATEGORIES, **NON_STAFF_CATEGORIES}
REPLACED_BY_FULL_PSSRU = ("estates_overheads", "other_non_staff")
"""Non-staff categories dropped in sensitivity analysis 2 (the full PSSRU cost includes them)."""
SD_NOTE = "SD across sites is the sample SD (ddof = 1); the report mixes ddof 1 and 0 between rows (spec A §2.4)."


def costing_sites(study, site: str | None = None) -> tuple[str, ...]:
    if site is not None:
        if site not in study.config.site_ids:
            raise AnalysisError(f"site {site!r} is not declared in study.yml (declared: "
                                f"{', '.join(study.config.site_ids)})")
        return (site,) if study.config.site(site).has("costing") else ()
    return study.config.sites_with("costing")


def cost_lines(study, *, full_pssru: bool = False) -> pd.DataFrame:
    """Every cost line with ``cost`` (amount, or WTE × staff unit cost), ``staff`` and ``included`` flags.

    ``included`` is False for ongoing lines whose funding is not continuous (temporary posts).
    ``full_pssru`` costs WTE lines at ``annual_cost_full`` instead of ``annual_cost``.
    """
    if "hub_costs" not in study.tables:
        raise AnalysisError("no costing/hub_costs.csv: the costing strand was not collected at any site")
    lines = study.hub_costs.copy()
    unit = study.staff_unit_costs.set_index("afc_band")["annual_cost_full" if full_pssru else "annual_cost"]
    band_cost = lines["afc_band"].map(unit.astype(float).to_dict()).astype("Float64")
    lines["cost"] = lines["amount"].astype("Float64").fillna(lines["wte"].astype("Float64") * band_cost)
    lines["cost"] = lines["cost"].astype(float).fillna(0.0)
    lines["staff"] = lines["category"].astype(str).isin(list(STAFF_CATEGORIES))
    temporary = (lines["continuous_funding"] == False).fillna(False).astype(bool)  # noqa: E712
    lines["included"] = ~((lines["phase"] == "ongoing").fillna(False).astype(bool) & temporary)
    return lines


def _tick_rows(lines: pd.DataFrame, sites: tuple[str, ...], categories: dict, labels: dict) -> tuple[list, list]:
    rows, data = [], []
    for cat, label in categories.items():
        at = lines[(lines["category"].astype(str) == cat) & (lines["cost"] > 0)]
        ticked = {s: bool((at["site"] == s).any()) for s in sites}
        if not any(ticked.values()):
            continue
        rows.append({"Cost breakdown": label, **{labels[s]: TICK if ticked[s] else "" for s in sites},
                     "Across sites": f"{sum(ticked.values())} of {len(sites)} sites"})
        data += [{"row": cat, "column": s, "statistic": "reported", "value": float(ticked[s])} for s in sites]
    return rows, data


def _summary(values: pd.Series) -> dict:
    v = values.dropna().astype(float)
    return {"n": float(len(v)), "mean": v.mean() if len(v) else np.nan,
            "sd": v.std(ddof=1) if len(v) > 1 else np.nan,
            "min": v.min() if len(v) else np.nan, "max": v.max() if len(v) else np.nan}


def _mean_sd_text(s: dict, currency: str) -> str:
    if not s["n"]:
        return "–"
    return f"{fmt_money(s['mean'], currency)} (SD {fmt_money(s['sd'], currency)}), n = {int(s['n'])}"


def setup_costs_table(*, study, site: str | None = None) -> TableResult:
    """T14: set-up cost categories reported per site, total per site, mean (SD) across sites reporting."""
    lines = cost_lines(study)
    setup = lines[(lines["phase"] == "setup").fillna(False).astype(bool)]
    all_sites = costing_sites(study)
    totals = setup.groupby("site")["cost"].sum().reindex(list(all_sites)).fillna(0.0)
    reporting = tuple(s for s in all_sites if totals[s] > 0)
    shown = tuple(s for s in costing_sites(study, site) if s in reporting)
    labels = {s: study.config.site(s).label for s in all_sites}
    rows, data = _tick_rows(setup, shown, CATEGORY_LABELS, labels)
    summary = _summary(totals[list(reporting)])
    cur = study.config.currency
    rows.append({"Cost breakdown": "Total set-up cost", **{labels[s]: fmt_money(totals[s], cur) for s in shown},
                 "Across sites": _mean_sd_text(summary, cur)})
    data += [{"row": "setup_cost", "column": s, "statistic": "cost", "value": totals[s]} for s in shown]
    data += [{"row": "setup_cost", "column": "Total", "statistic": k, "value": v} for k, v in summary.items()]
    kind = _setup_types(study)
    none = [labels[s] + kind.get(s, "") for s in all_sites if s not in reporting and (site is None or s == site)]
    notes = ["Ticks: the site reported a set-up cost in the category. Set-up costs are one-off (sunk) costs and "
             "do not enter the cost per keyworker.",
             f"Across sites: mean and SD of the total over the {len(reporting)} sites reporting set-up costs. "
             + SD_NOTE.split(";")[0] + "."]
    if none:
        notes.append(f"{', '.join(none)}: no set-up costs reported.")
    if setup["estimated"].fillna(False).astype(bool).any():
        notes.append("Some set-up amounts are the Hubs' estimates.")
    display = pd.DataFrame(rows, columns=["Cost breakdown", *(labels[s] for s in shown), "Across sites"])
    notes += strand_notes(study, site, strand="costing")
    return TableResult("T14", "Hub set-up costs", pd.DataFrame(data), display, tuple(notes), {"site": site})


def _setup_types(study) -> dict[str, str]:
    if "hub_activity" not in study.tables:
        return {}
    act = study.hub_activity
    return {s: f" ({str(t).replace('_', ' ')} service)" for s, t in zip(act["site"], act["setup_type"]) if pd.notna(t)}


def _budget_row(study, shown, labels, cur) -> tuple[dict, list[dict]]:
    """Reported annual budgets (blank where the Hub's keyworker budget is not separable)."""
    act = study.hub_activity.set_index("site") if "hub_activity" in study.tables else pd.DataFrame()
    budget = {s: float(act.loc[s, "budget"]) if s in act.index and pd.notna(act.loc[s, "budget"]) else np.nan
              for s in costing_sites(study)}
    s = _summary(pd.Series(budget, dtype=float))
    across = "–" if not s["n"] else (f"mean {fmt_money(s['mean'], cur)} ({fmt_money(s['min'], cur)}–"
                                     f"{fmt_money(s['max'], cur)}), n = {int(s['n'])}")
    row = {"Cost breakdown": "Annual budget (as reported)", **{labels[x]: fmt_money(budget[x], cur) for x in shown},
           "Across sites": across}
    return row, [{"row": "budget", "column": x, "statistic": "amount", "value": budget[x]} for x in shown]


def ongoing_costs(study, *, full_pssru: bool = False, overtime: bool = False) -> pd.DataFrame:
    """Per costing site: staff, non-staff and total ongoing annual cost under one costing variant."""
    lines = cost_lines(study, full_pssru=full_pssru)
    on = lines[(lines["phase"] == "ongoing").fillna(False).astype(bool) & lines["included"]]
    if full_pssru:
        on = on[on["staff"] | ~on["category"].astype(str).isin(REPLACED_BY_FULL_PSSRU)]
    sites = list(costing_sites(study))
    staff = on[on["staff"]].groupby("site")["cost"].sum().reindex(sites).fillna(0.0)
    other = on[~on["staff"]].groupby("site")["cost"].sum().reindex(sites).fillna(0.0)
    if overtime:
        staff = staff * overtime_uplift(study)
    return pd.DataFrame({"site": sites, "staff": staff.to_numpy(), "non_staff": other.to_numpy(),
                         "total": (staff + other).to_numpy()})


def overtime_uplift(study) -> float:
    econ = study.config.economics
    return 1.0 + float(econ["overtime_hours_per_week"]) / float(econ["contracted_hours_per_week"])


def ongoing_costs_table(*, study, site: str | None = None) -> TableResult:
    """T15: ongoing cost categories per site, staff vs non-staff cost and share."""
    lines = cost_lines(study)
    on = lines[(lines["phase"] == "ongoing").fillna(False).astype(bool)]
    shown = costing_sites(study, site)
    labels = {s: study.config.site(s).label for s in study.config.site_ids}
    inc = on[on["included"]]
    rows = [{"Cost breakdown": "Staff costs"}]
    staff_rows, data = _tick_rows(inc, shown, STAFF_CATEGORIES, labels)
    other_rows, more = _tick_rows(inc, shown, NON_STAFF_CATEGORIES, labels)
    rows += staff_rows + [{"Cost breakdown": "Other non-staff costs"}] + other_rows
    data += more
    costs = ongoing_costs(study).set_index("site")
    cur, pooled = study.config.currency, costs.sum()
    for key, label in (("staff", "Staff cost"), ("non_staff", "Non-staff cost"), ("total", "Total ongoing cost")):
        rows.append({"Cost breakdown": label, **{labels[s]: fmt_money(costs.loc[s, key], cur) for s in shown},
                     "Across sites": fmt_money(pooled[key], cur) + " (sum)"})
        data += [{"row": key, "column": s, "statistic": "cost", "value": costs.loc[s, key]} for s in shown]
    share = costs["staff"] / costs["total"].replace(0.0, np.nan)
    pooled_share = pooled["staff"] / pooled["total"] if pooled["total"] else np.nan
    rows.append({"Cost breakdown": "Staff share of ongoing cost",
                 **{labels[s]: _pct(share[s]) for s in shown}, "Across sites": _pct(pooled_share) + " (pooled)"})
    for s_id, value in [*((s, share[s]) for s in shown), ("Total", pooled_share)]:
        data += [{"row": "staff_share", "column": s_id, "statistic": "pct", "value": 100 * value},
                 {"row": "non_staff_share", "column": s_id, "statistic": "pct", "value": 100 * (1 - value)}]
    budget_row, budget_data = _budget_row(study, shown, labels, cur)
    rows.append(budget_row)
    data += budget_data
    display = pd.DataFrame(rows, columns=["Cost breakdown", *(labels[s] for s in shown), "Across sites"]).fillna("")
    return TableResult("T15", "Ongoing Hub cost categories", pd.DataFrame(data), display,
                       (*_ongoing_notes(on, shown, labels), *strand_notes(study, site, strand="costing")),
                       {"site": site})


def _pct(x: float) -> str:
    return "–" if pd.isna(x) else f"{100 * x:.0f}%"


def _ongoing_notes(on: pd.DataFrame, shown, labels) -> tuple[str, ...]:
    notes = ["Ongoing annual costs. Staff lines given as WTE are costed as WTE × the annual cost per WTE of their "
             "Agenda-for-Change band excluding on-costs that overlap with Hub-reported costs (staff_unit_costs."
             "annual_cost); staff lines given as an amount are used as reported.",
             "Across sites: sums over every costing site (also when one site is shown); the staff share is pooled "
             "(total staff cost over total ongoing cost)."]
    for s in shown:
        out = on[(on["site"] == s) & ~on["included"]]
        if len(out):
            what = "; ".join(str(d) if pd.notna(d) else str(i) for d, i in zip(out["description"], out["line_id"]))
            notes.append(f"{labels[s]}: {len(out)} line(s) excluded because funding is not continuous "
                         f"(temporary): {what}.")
    return tuple(notes)


# ---------------------------------------------------------------- Tables 58/59

ANALYSES = (  # id, label, description (Table 58), individual-share column, denominator kind
    ("primary", "Primary", "Actual number of keyworkers supported; mid-point of the individual-support share",
     "mid", "actual"),
    ("sa1_overtime", "Sensitivity analysis 1",
     "Staff overtime: staff costs × (1 + overtime ÷ contracted hours)", "mid", "actual"),
    ("sa2_pssru_oncost", "Sensitivity analysis 2",
     "PSSRU on-costs: staff at the full published cost per WTE; Hub-reported estates/overheads and other non-staff "
     "costs removed", "mid", "actual"),
    ("sa3_more_individual", "Sensitivity analysis 3",
     "More individual support: upper estimate of the individual share", "high", "actual"),
    ("sa4_more_team", "Sensitivity analysis 4",
     "More team support: lower estimate of the individual share", "low", "actual"),
    ("sa5_capacity", "Sensitivity analysis 5",
     "Predicted capacity instead of the actual number of keyworkers supported", "mid", "capacity"),
)


def keyworker_costs(study) -> pd.DataFrame:
    """Cost per keyworker reached: one row per analysis × support type × site (NaN where not computable)."""
    if "hub_activity" not in study.tables:
        raise AnalysisError("no costing/hub_activity.csv: keyworker numbers are needed for the cost per keyworker")
    act = study.hub_activity.set_index("site")
    variants = {"primary": ongoing_costs(study), "sa1_overtime": ongoing_costs(study, overtime=True),
                "sa2_pssru_oncost": ongoing_costs(study, full_pssru=True)}
    rows = []
    for aid, _, _, share_kind, denom_kind in ANALYSES:
        costs = variants.get(aid, variants["primary"]).set_index("site")
        for s in costs.index:
            if s not in act.index:
                continue
            a = act.loc[s]
            low, high = float(a["individual_share_low"]), float(a["individual_share_high"])
            share = {"mid": (low + high) / 2, "low": low, "high": high}[share_kind]
            for support, part in (("individual", share), ("team", 1 - share)):
                col = f"{'keyworkers' if denom_kind == 'actual' else 'capacity'}_{support}"
                denom = a[col]
                ok = pd.notna(denom) and float(denom) > 0
                if support == "team":  # team support only where keyworkers reached by team support are recorded
                    ok = ok and pd.notna(a["keyworkers_team"]) and float(a["keyworkers_team"]) > 0
                rows.append({"analysis": aid, "support": support, "site": s, "ongoing_cost": costs.loc[s, "total"],
                             "share": part, "denominator": float(denom) if pd.notna(denom) else np.nan,
                             "cost_per_keyworker": costs.loc[s, "total"] * part / float(denom) if ok else np.nan})
    return pd.DataFrame(rows, columns=["analysis", "support", "site", "ongoing_cost", "share", "denominator",
                                       "cost_per_keyworker"])


def cost_per_keyworker_table(*, study, site: str | None = None) -> TableResult:
    """T59 (descriptions of T58): cost per keyworker reached, primary and sensitivity analyses 1–5."""
    per = keyworker_costs(study)
    shown = [s for s in costing_sites(study, site) if s in set(per["site"])]
    labels = {s: study.config.site(s).label for s in study.config.site_ids}
    cur, rows, data = study.config.currency, [], []
    for support, heading in (("individual", "Individual support"), ("team", "Team support")):
        rows.append({"Analysis": heading})
        for aid, label, desc, _, _ in ANALYSES:
            part = per[(per["analysis"] == aid) & (per["support"] == support)].set_index("site")
            s = _summary(part["cost_per_keyworker"])
            rng = "–" if not s["n"] else f"{fmt_money(s['min'], cur)}–{fmt_money(s['max'], cur)}"
            avg = "–" if not s["n"] else f"{fmt_money(s['mean'], cur)} ({fmt_money(s['sd'], cur)})"
            rows.append({"Analysis": label, "Description": desc,
                         **{labels[x]: fmt_money(part["cost_per_keyworker"].get(x, np.nan), cur) for x in shown},
                         "Range": rng, "Average cost per keyworker reached (SD)": avg, "Sites": f"{int(s['n'])}"})
            s["median"] = float(part["cost_per_keyworker"].median()) if s["n"] else np.nan
            data += [{"row": f"{support}_{aid}", "column": "Total", "statistic": k, "value": v}
                     for k, v in s.items()]
    wide = per.assign(row=per["support"] + "_" + per["analysis"])
    data = pd.concat([tidy(wide, row="row", column="site", statistics=["cost_per_keyworker", "ongoing_cost", "share",
                                                                     "denominator"]), pd.DataFrame(data)],
                     ignore_index=True)
    cols = ["Analysis", "Description", *(labels[x] for x in shown), "Range",
            "Average cost per keyworker reached (SD)", "Sites"]
    return TableResult("T59", "Costing Hub support: cost per keyworker reached, primary and sensitivity analyses",
                       data, pd.DataFrame(rows, columns=cols).fillna(""),
                       (*_keyworker_notes(study, per), *strand_notes(study, site, strand="costing")), {"site": site})


def _keyworker_notes(study, per: pd.DataFrame) -> tuple[str, ...]:
    econ = study.config.economics
    notes = [
        "Cost per keyworker = ongoing annual cost × share of activity (individual, or 1 − individual for team) ÷ "
        "keyworkers supported. Primary: mid-point of the Hub's lower and upper individual-share estimates.",
        f"Sensitivity analysis 1: staff costs × (1 + {econ['overtime_hours_per_week']:g} ÷ "
        f"{econ['contracted_hours_per_week']:g}) = × {overtime_uplift(study):.4f} (overtime as billable hours; "
        "study.yml economics).",
        "Sensitivity analysis 2: staff lines given as WTE are costed at staff_unit_costs.annual_cost_full (the full "
        "PSSRU cost including on-costs, estates and overheads) and every ongoing non-staff line of category "
        f"{' or '.join(REPLACED_BY_FULL_PSSRU)} is dropped; staff lines given as an amount and the other non-staff "
        "categories are unchanged.",
        "Sensitivity analyses 3 and 4: upper and lower estimates of the individual share. Sensitivity analysis 5: "
        "predicted capacity (capacity_individual, capacity_team) as the denominator.",
        "Team support only at sites that recorded keyworkers reached by team support (keyworkers_team); "
        "range and mean (SD) are across the sites with a value (the Sites column). " + SD_NOTE,
        "Summary columns always cover every costing site, also when one site is shown.",
    ]
    missing = per[per["cost_per_keyworker"].isna()]
    for support, part in missing.groupby("support", sort=False):
        by_site = part.groupby("site", sort=False)["analysis"].apply(list)
        for s, aids in by_site.items():
            which = "all analyses" if len(aids) == len(ANALYSES) else ", ".join(aids)
            notes.append(f"{study.config.site(s).label}, {support} support: not computable in {which} "
                         "(keyworkers or capacity missing or zero).")
    return tuple(notes)
