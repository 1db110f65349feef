"""Service use and its costs (report chapter 5, Appendix 4): Tables 17, 18, 61, T18b and T18c.

Each service-use item is costed as quantity × the unit cost of its service type.  Costs are
summed per respondent by group — mental health support by status (current, complete,
incomplete; waiting-list entries are not costed) and wider services by unit-cost category —
under three perspectives (Table 18):

- ``total``: every service;
- ``excl_delivered``: without services delivered by the Hub;
- ``excl_delivered_or_accessed``: without services delivered by the Hub or accessed due to it.

The complete-case sample is respondents whose mental health *and* wider sections are both
costable.  A missing ``delivered_by_hub``/``accessed_due_to_hub`` flag counts as not Hub-related.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analyses.economics import (CI_NOTE, Term, currency_prefix, fit_ols, fmt_coef_ci, fmt_money_ci, fmt_p, mean_ci,
                                 tidy)
from analyses.followup import check_site, scored_screening, strand_notes
from analyses.result import TableResult
from hubcase.errors import AnalysisError

PERSPECTIVES = {
    "total": "Total",
    "excl_delivered": "Excluding services delivered by the Hub",
    "excl_delivered_or_accessed": "Excluding services delivered by the Hub and services accessed due to Hub support",
}
MH_STATUSES = {"current": "Current", "complete": "Complete", "incomplete": "Incomplete"}
COSTED_SECTIONS = {"mental_health": "mh_costable", "wider": "other_costable"}


CATEGORY_LABELS = {  # report wording of Table 17 types and Table 18 wider categories, by category id
    "bereavement_support": "Bereavement support", "counselling": "Counselling",
    "covid_specific_support": "COVID-specific support", "digital_interventions": "Digital interventions and support",
    "gp_support": "GP support", "occupational_health": "Occupational health assessment and support",
    "third_sector": "Other third-sector offer (charity)",
    "hub_wellbeing_other": "Other well-being support provided by the Hub", "peer_support": "Peer support",
    "pharmacological_support": "Pharmacological support", "psychological_therapy": "Psychological therapy/support",
    "secondary_care_mh": "Secondary care mental health support", "wellbeing_support": "Well-being support",
    "inpatient": "Inpatient", "a_and_e": "A and E", "outpatient_day_case": "Hospital outpatient/day case",
    "primary_care": "Primary care", "community_social_care": "Community and social care",
}


def category_label(category: str) -> str:
    """Readable label of a unit-cost category: text with spaces or capitals is kept as written, a
    known id takes the report's wording, any other id is humanised (``gp_support`` → ``Gp support``)."""
    text = str(category)
    if " " in text or text != text.lower():
        return text
    return CATEGORY_LABELS.get(text, text.replace("_", " ").capitalize())


_LABEL_IDS = {label.lower(): cid for cid, label in CATEGORY_LABELS.items()}


def category_id(category: str) -> str:
    """Stable id of a unit-cost category (row id of the tidy data): a known id, the id of a known
    report label (``Psychological therapy/support`` → ``psychological_therapy``), else a slug."""
    text = str(category).strip()
    if text in CATEGORY_LABELS:
        return text
    return _LABEL_IDS.get(text.lower()) or "_".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def category_labels(unit_costs: pd.DataFrame, section: str) -> dict[str, str]:
    """Category id -> label for one section, in unit-cost table order."""
    cats = unit_costs.loc[unit_costs["section"] == section, "category"].astype(str)
    return {category_id(c): category_label(c) for c in dict.fromkeys(cats)}


def costed_items(study) -> pd.DataFrame:
    """Service-use items with unit cost, ``group`` (mh_<status> / wider_<category>) and ``cost``."""
    for tid in ("service_use", "unit_costs", "followup"):
        if tid not in study.tables:
            raise AnalysisError(f"service-use costing needs {tid} data, which the study does not have")
    uc = study.unit_costs[["service_type", "category", "unit_cost"]]
    items = study.service_use.merge(uc, on="service_type", how="left")
    items["category_id"] = items["category"].map(category_id, na_action="ignore")
    mh = (items["section"] == "mental_health").fillna(False).astype(bool)
    group = np.where(mh, "mh_" + items["status"].astype(str), "wider_" + items["category_id"].astype(str))
    items["group"] = group
    items["cost"] = (items["quantity"].astype("Float64") * items["unit_cost"].astype("Float64")).astype(float)
    items["quantity_missing"] = items["quantity"].isna()
    items["costed"] = ~(mh & (items["status"] == "waitlist").fillna(False).astype(bool))
    items["cost"] = items["cost"].where(items["costed"], 0.0).fillna(0.0)
    delivered = items["delivered_by_hub"].fillna(False).astype(bool)
    accessed = items["accessed_due_to_hub"].fillna(False).astype(bool)
    items["in_excl_delivered"] = ~delivered
    items["in_excl_delivered_or_accessed"] = ~(delivered | accessed)
    return items


def cost_groups(study, items: pd.DataFrame | None = None) -> dict[str, tuple[str, ...]]:
    """Cost groups per section: MH statuses; wider unit-cost categories (plus any other category
    that wider items use, e.g. a mental-health service type reported in the wider section)."""
    wider = [f"wider_{c}" for c in category_labels(study.unit_costs, "wider")]
    if items is not None:
        wider += [g for g in dict.fromkeys(items.loc[items["section"] == "wider", "group"]) if g not in wider]
    return {"mental_health": tuple(f"mh_{s}" for s in MH_STATUSES), "wider": tuple(wider)}


def cost_service_use(study) -> pd.DataFrame:
    """One row per follow-up respondent: ``<perspective>__<group>`` costs, section totals and ``total``.

    Also ``uses__<group>`` (any costed item with quantity > 0), the two costable flags and
    ``complete`` (both sections costable).  A section that is not costable has missing costs.
    """
    items = costed_items(study)
    fu = study.followup[["record_id", "site", "months_since_screening", "service_use_mh_costable",
                         "service_use_other_costable"]]
    out = fu.rename(columns={"service_use_mh_costable": "mh_costable",
                             "service_use_other_costable": "other_costable"}).reset_index(drop=True)
    out["mh_costable"] = out["mh_costable"].fillna(False).astype(bool)
    out["other_costable"] = out["other_costable"].fillna(False).astype(bool)
    out["complete"] = out["mh_costable"] & out["other_costable"]
    groups = cost_groups(study, items)
    ids = pd.Index(out["record_id"])
    used = items[items["costed"] & (items["quantity"].astype("Float64") > 0).fillna(False).astype(bool)]
    new = {}
    for g in (*groups["mental_health"], *groups["wider"]):
        new[f"uses__{g}"] = ids.isin(used.loc[used["group"] == g, "record_id"])
    for p in PERSPECTIVES:
        sel = items if p == "total" else items[items[f"in_{p}"]]
        sums = sel.groupby(["record_id", "group"])["cost"].sum().unstack(fill_value=0.0)
        for section, gs in groups.items():
            ok = out[COSTED_SECTIONS[section]].to_numpy()
            for g in gs:
                v = sums[g].reindex(ids).fillna(0.0).to_numpy() if g in sums.columns else np.zeros(len(ids))
                new[f"{p}__{g}"] = np.where(ok, v, np.nan)
            prefix = "mh" if section == "mental_health" else "wider"
            new[f"{p}__{prefix}_total"] = np.sum([new[f"{p}__{g}"] for g in gs], axis=0) if gs else np.where(
                ok, 0.0, np.nan)
        new[f"{p}__total"] = new[f"{p}__mh_total"] + new[f"{p}__wider_total"]
    return pd.concat([out, pd.DataFrame(new)], axis=1)


def complete_costs(study, site: str | None = None) -> pd.DataFrame:
    costs = cost_service_use(study)
    in_scope = (site,) if site else study.config.sites_with("followup")
    return costs[costs["complete"] & costs["site"].isin(list(in_scope))].reset_index(drop=True)


def _n_pct(n: int, d: int) -> str:
    return "–" if not d else f"{n} ({100 * n / d:.0f}%)"


def key_supports_table(*, study, site: str | None = None) -> TableResult:
    """T17: participants reporting each key type of mental health support, by status (complete cases)."""
    check_site(study, site)
    cc = complete_costs(study, site)
    items = costed_items(study)
    items = items[items["record_id"].isin(list(cc["record_id"])) & (items["section"] == "mental_health")]
    labels = category_labels(study.unit_costs, "mental_health")
    n, rows, data = len(cc), [], []
    for cat, label in sorted(labels.items(), key=lambda kv: kv[1].lower()):
        row = {"Key mental health service types": label}
        for status, head in MH_STATUSES.items():
            k = items.loc[(items["category_id"] == cat) & (items["status"] == status), "record_id"].nunique()
            row[head] = _n_pct(int(k), n)
            data += [{"row": cat, "column": status, "statistic": st, "value": float(v)}
                     for st, v in (("n", k), ("denominator", n), ("pct", 100 * k / n if n else np.nan))]
        rows.append(row)
    notes = (f"Complete cases (both service-use sections costable): n = {n}. A participant counts once per type and "
             "status; several types per person are possible, so percentages do not sum to 100.",
             "Waiting-list entries are not shown (waiting is not costed).", *strand_notes(study, site))
    return TableResult("T17", "Use of key types of mental health supports", pd.DataFrame(data), pd.DataFrame(rows),
                       notes, {"site": site})


def _cost_rows(study) -> list[tuple[str, str | None, str]]:
    """(label, group or None for a heading, column suffix) rows of Table 18."""
    wider = cost_groups(study, costed_items(study))["wider"]
    labels = category_labels(study.unit_costs, "wider")
    return [("Mental health care", None, ""), *((lab, f"mh_{s}", f"mh_{s}") for s, lab in MH_STATUSES.items()),
            ("Total mental health care", "", "mh_total"), ("Wider health and social care", None, ""),
            *((labels.get(g.removeprefix("wider_"), category_label(g.removeprefix("wider_"))), g, g) for g in wider),
            ("Total wider health and social care", "", "wider_total"), ("Total", "", "total")]


def service_costs_table(*, study, site: str | None = None) -> TableResult:
    """T18: users n (%) and mean cost per participant (95% CI) by category, under three perspectives."""
    check_site(study, site)
    cc = complete_costs(study, site)
    cur, n, rows, data = study.config.currency, len(cc), [], []
    for label, group, col in _cost_rows(study):
        row = {"Category": label, "Participants using a service (%)": ""}
        if group is None:
            rows.append(row)
            continue
        if group:
            k = int(cc[f"uses__{group}"].sum())
            row["Participants using a service (%)"] = _n_pct(k, n)
            data += [{"row": col, "column": "participants", "statistic": "n", "value": float(k)},
                     {"row": col, "column": "participants", "statistic": "pct", "value": 100 * k / n if n else np.nan}]
        for p, head in PERSPECTIVES.items():
            s = mean_ci(cc[f"{p}__{col}"])
            row[head] = fmt_money_ci(s, cur)
            data += [{"row": col, "column": p, "statistic": k, "value": v} for k, v in s.items()]
        rows.append(row)
    items = costed_items(study)
    no_qty = int((items["record_id"].isin(list(cc["record_id"])) & items["quantity_missing"]).sum())
    months = mean_ci(cc["months_since_screening"].astype("Float64"))
    data += [{"row": "months_since_screening", "column": "complete_cases", "statistic": k, "value": v}
             for k, v in months.items()]
    notes = [f"Complete cases (both service-use sections costable): n = {n}; cost = mean per participant, zeros "
             "included. Costs cover the time since screening and are not annualised: "
             + ("months since screening not recorded." if not months["n"] else
                f"mean {months['mean']:.2f} months (SD {months['sd']:.2f}, 95% CI {months['ci_low']:.2f} to "
                f"{months['ci_high']:.2f}, n = {int(months['n'])})."),
             CI_NOTE + f" Lower bounds below 1 are shown as '< {currency_prefix(cur)}1'.",
             "Hub-delivered and Hub-accessed flags were not complete for all items; a missing flag counts as not "
             "Hub-related, so the excluded costs may be underestimated.",
             f"Costs in {cur}, price year {study.config.price_year}. Waiting-list entries are not costed."]
    if no_qty:
        notes.append(f"{no_qty} service-use items without a quantity were costed as zero.")
    display = pd.DataFrame(rows, columns=["Category", "Participants using a service (%)", *PERSPECTIVES.values()])
    return TableResult("T18", "Use of categories of service use and associated costs", pd.DataFrame(data),
                       display.fillna(""), (*notes, *strand_notes(study, site)), {"site": site})



def _subgroup_columns(study, cc: pd.DataFrame, site: str | None) -> list[tuple[str, str, pd.DataFrame]]:
    cols = [(s, study.config.site(s).label, cc[cc["site"] == s])
            for s in ((site,) if site else study.config.sites_with("followup"))]
    if study.config.subgroups and "screening" not in study.tables:
        raise AnalysisError("subgroup columns need screening.csv to place respondents in subgroups")
    for g in study.config.subgroups:
        members = study.screening.loc[g.mask(study.screening), "record_id"]
        cols.append((g.id, g.label, cc[cc["record_id"].isin(list(members))]))
    return cols


def site_subgroup_costs_table(*, study, site: str | None = None) -> TableResult:
    """T61: complete-case N and mean mental health and wider costs (95% CI) per site and per subgroup."""
    check_site(study, site)
    cc = complete_costs(study, site)
    k, cur = study.config.min_cell_count, study.config.currency
    cols = _subgroup_columns(study, cc, site)
    rows = {"N (with complete costing data)": {}, "Mean total mental healthcare cost (95% CI)": {},
            "Mean wider health and social care cost (95% CI)": {}}
    data, suppressed = [], []
    for key, label, part in cols:
        n = len(part)
        hide = 0 < n < k
        rows["N (with complete costing data)"][label] = f"<{k}" if hide else str(n)
        for row, col in (("Mean total mental healthcare cost (95% CI)", "total__mh_total"),
                         ("Mean wider health and social care cost (95% CI)", "total__wider_total")):
            s = mean_ci(part[col])
            rows[row][label] = "suppressed" if hide else fmt_money_ci(s, cur)
            if not hide:
                data += [{"column": key, "row": col, "statistic": st, "value": v} for st, v in s.items()]
        data.append({"column": key, "row": "n", "statistic": "n", "value": np.nan if hide else float(n)})
        if hide:
            suppressed.append(label)
    display = pd.DataFrame([{"": r, **cells} for r, cells in rows.items()], columns=["", *(c[1] for c in cols)])
    notes = [f"Complete cases (both service-use sections costable), total perspective. {CI_NOTE}",
             "Subgroups from study.yml, applied to the respondents' screening records"
             + (f" at {study.config.site(site).label} only." if site else "."),
             f"Cells with fewer than {k} respondents (study.yml disclosure.min_cell_count) are shown as '<{k}' and "
             "their costs suppressed. '(NA)': no interval (one respondent or no variation)."]
    if suppressed:
        notes.append(f"Suppressed: {', '.join(suppressed)}.")
    return TableResult("T61", "Service use costs for Hubs and under-represented groups", pd.DataFrame(data),
                       display, (*notes, *strand_notes(study, site)), {"site": site})


# ---------------------------------------------------------------- T18b, T18c

def _with_covariates(study, costs: pd.DataFrame) -> pd.DataFrame:
    scr = study.screening[["record_id", "age", "gender", "prepandemic_concern", "covid_ill_hosp"]]
    scores = scored_screening(study)[["record_id", "overall_severity", "disability_analysed", "phq9_total",
                                      "wsas_total"]]
    return costs.merge(scr, on="record_id", how="left").merge(scores, on="record_id", how="left")


def cost_regressions(*, study, site: str | None = None, reference_site: str | None = None) -> TableResult:
    """T18b: OLS of total mental health cost and of total cost on age, gender, concern, severity and site."""
    check_site(study, site)
    frame = _with_covariates(study, complete_costs(study, site))
    terms = [Term("age", "Age (per year)"),
             Term("gender", "Gender", "categorical", "woman",
                  {"woman": "woman", "man": "man", "another_way": "another way"}),
             Term("prepandemic_concern", "Concerned about emotional well-being before the pandemic", "categorical",
                  "no"),
             Term("overall_severity", "Overall severity at screening", "categorical", "low")]
    sites = sorted(frame["site"].dropna().astype(str).unique())
    ref = reference_site or (sites[-1] if sites else None)
    if len(sites) > 1:
        terms.append(Term("site", "Site", "categorical", ref, {s: study.config.site(s).label for s in sites}))
    fits = {"mh": fit_ols(frame, "total__mh_total", terms), "total": fit_ols(frame, "total__total", terms)}
    heads = {"mh": "Mental health support cost", "total": "Total NHS and social care cost"}
    order = list(dict.fromkeys([*fits["mh"]["coefs"]["label"], *fits["total"]["coefs"]["label"]]))
    display = pd.DataFrame({"": order + ["n", "Adjusted R²"]})
    for key, fit in fits.items():
        c = fit["coefs"].set_index("label")
        display[f"{heads[key]}: coefficient (95% CI)"] = [
            fmt_coef_ci(c.loc[lab]) if lab in c.index else "–" for lab in order] + [
            str(fit["n"]), "–" if pd.isna(fit["adj_r2"]) else f"{fit['adj_r2']:.3f}"]
        display[f"{heads[key]}: p"] = [fmt_p(c.loc[lab, "p"]) if lab in c.index else "–" for lab in order] + ["", ""]
    data = pd.concat([part for k, f in fits.items() for part in (
        tidy(f["coefs"], row="term", column=k, statistics=["coef", "se", "ci_low", "ci_high", "p"], keep=("label",)),
        pd.DataFrame({"row": "model", "column": k, "statistic": ["n", "adj_r2"], "value": [float(f["n"]), f["adj_r2"]],
                      "label": ""}))], ignore_index=True)
    notes = [f"Ordinary least squares on costs in {study.config.currency} (total perspective), complete cases; "
             "95% CIs t-based. Reference levels: woman, no pre-pandemic concern, low severity"
             + (f", {study.config.site(ref).label}" if len(sites) > 1 else "") + ".",
             *(f"{heads[k]}: {t}" for k, f in fits.items() for t in f["notes"])]
    return TableResult("T18b", "Linear regressions of service-use costs", data, display,
                       (*notes, *strand_notes(study, site)), {"site": site, "reference_site": ref})


def _chi2_rows(d: pd.DataFrame, column: str, label: str, levels: dict) -> tuple[list[dict], dict]:
    sub = d[[column, "complete"]].dropna()
    values = sub[column].astype("string")
    table = pd.crosstab(values, sub["complete"]).reindex(columns=[True, False], fill_value=0)
    res = {"variable": column, "test": "chi-squared", "test_statistic": np.nan, "df": np.nan, "p": np.nan,
           "min_expected": np.nan}
    if table.shape[0] > 1 and (table.sum(axis=0) > 0).all():
        chi2, p, dof, expected = stats.chi2_contingency(table.to_numpy(), correction=False)
        res.update(test_statistic=chi2, df=dof, p=p, min_expected=float(expected.min()))
    totals = table.sum(axis=0)
    rows = [{"Variable": label if i == 0 else "", "Level": levels.get(v, v),
             "Complete costing data": _n_pct1(table.loc[v, True], totals[True]),
             "Incomplete costing data": _n_pct1(table.loc[v, False], totals[False])}
            for i, v in enumerate(table.index)]
    return rows, res


def _n_pct1(n, d) -> str:
    return "–" if not d else f"{int(n)} ({100 * n / d:.1f})"


def _t_rows(d: pd.DataFrame, column: str, label: str) -> tuple[list[dict], dict]:
    a = d.loc[d["complete"], column].astype("Float64").dropna().astype(float)
    b = d.loc[~d["complete"], column].astype("Float64").dropna().astype(float)
    res = {"variable": column, "test": "t-test", "test_statistic": np.nan, "df": np.nan, "p": np.nan,
           "mean_complete": a.mean(), "mean_incomplete": b.mean()}
    if len(a) > 1 and len(b) > 1:
        t = stats.ttest_ind(a, b, equal_var=True)
        res.update(test_statistic=float(t.statistic), df=float(len(a) + len(b) - 2), p=float(t.pvalue))
    cell = (lambda v: "–" if not len(v) else f"{v.mean():.1f} ({v.std(ddof=1):.1f}), n = {len(v)}")
    return [{"Variable": label, "Level": "Mean (SD)", "Complete costing data": cell(a),
             "Incomplete costing data": cell(b)}], res


def completeness_tests(*, study, site: str | None = None) -> TableResult:
    """T18c: is having complete costing data associated with site, disability, COVID hospitalisation, scores?"""
    check_site(study, site)
    in_scope = (site,) if site else study.config.sites_with("followup")
    costs = cost_service_use(study)
    d = _with_covariates(study, costs[costs["site"].isin(list(in_scope))])
    parts = []
    if site is None and len(in_scope) > 1:
        parts.append(_chi2_rows(d, "site", "Site", {s: study.config.site(s).label for s in in_scope}))
    parts.append(_chi2_rows(d, "disability_analysed", "Disability", {"True": "Yes", "False": "No"}))
    parts.append(_chi2_rows(d, "covid_ill_hosp", "Ill with COVID-19 (including hospital)",
                            {"True": "Yes", "False": "No"}))
    parts += [_t_rows(d, "phq9_total", "PHQ-9 total"), _t_rows(d, "wsas_total", "WSAS total")]
    rows = []
    for block, res in parts:
        block[0]["Test"] = {"chi-squared": "χ²", "t-test": "t"}[res["test"]] + (
            "" if pd.isna(res["test_statistic"]) else f"({int(res['df'])}) = {res['test_statistic']:.2f}")
        block[0]["p-value"] = fmt_p(res["p"])
        rows += block
    wide = pd.DataFrame([r for _, r in parts])
    data = tidy(wide, row="variable", column=site or "Total", statistics=[
        c for c in ("test_statistic", "df", "p", "min_expected", "mean_complete", "mean_incomplete") if c in wide],
                keep=("test",))
    notes = [f"Complete costing data: both service-use sections costable ({int(d['complete'].sum())} of {len(d)} "
             "respondents).", "Chi-squared: Pearson, no continuity correction. t-tests: two-sided, pooled variance "
             "(Student). Disability uses the analysis recode; complete cases per test."]
    small = wide[(wide["test"] == "chi-squared") & (wide["min_expected"] < 5)]
    if len(small):
        notes.append(f"Expected counts below 5 for: {', '.join(small['variable'])}; the chi-squared p is approximate.")
    display = pd.DataFrame(rows, columns=["Variable", "Level", "Complete costing data", "Incomplete costing data",
                                          "Test", "p-value"]).fillna("")
    return TableResult("T18c", "Characteristics associated with complete costing data", data, display,
                       (*notes, *strand_notes(study, site)), {"site": site})
