"""Follow-up service-use questionnaire (SUQ; report chapter 4): Tables 10–13.

Every table function is keyword-only ``(*, study, site=None)`` and returns a
:class:`TableResult`.  With ``site=None`` the columns are every site that
collected the follow-up strand plus a Total; with a site id, that site beside the Total.
Percentages follow the report's denominators, which each table states in its
notes.  The helpers :func:`respondents` and :func:`site_columns` are shared with
:mod:`analyses.eq5d` and :mod:`analyses.service_costs`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from analyses.economics import fmt_p, tidy
from analyses.regression import logit_model
from analyses.result import TableResult, fmt_mean_sd, fmt_n_pct
from analyses.scoring import SCORE_COLUMNS, score_screening
from hubcase.errors import AnalysisError
from hubcase.instruments import MEASURES
from hubcase.schema.tables import COVID_IMPACTS, ETHNICITIES

ETHNICITY_LABELS = dict(zip(ETHNICITIES, (
    "White British", "White Irish", "Other white", "Black African", "Black Caribbean", "Other black", "Chinese",
    "Indian", "Bangladeshi", "Pakistani", "Other Asian", "White and Asian", "White and Black Caribbean",
    "White and Black African", "Other mixed", "Other")))
GENDER_LABELS = {"woman": "Woman", "man": "Man", "another_way": "Identified in another way"}
YES_NO_DK_LABELS = {"yes": "Yes", "no": "No", "dont_know": "Don't know"}
YES_NO_LABELS = {"yes": "Yes", "no": "No"}
MET_NEEDS_LABELS = {"yes_fully": "Yes, fully", "yes_partially": "Yes, partially", "no": "No"}
REFERRAL_LABELS = {
    1: "1. Yes – the Hub helped me to access other services that I found beneficial",
    2: "2. Yes – the Hub helped me to access other services but it wasn't quite the right service for me",
    3: "3. No – I didn't get enough help to access the support that I needed",
    4: "4. No – they didn't need to help me access other services as I got all the support I needed directly "
       "from the Hub",
    5: "5. No – I did not need any support from the Hub or referrals elsewhere",
}
SCREENING_FIELDS = ("age", "gender", "ethnicity", "sexual_orientation", "disability", "sector", "work_setting",
                    "prepandemic_concern", *COVID_IMPACTS)
TOTAL = "Total"
FULL_N_NOTE = "Percentages use the full number of respondents in each column (n), as the report does."


# ---------------------------------------------------------------- shared helpers

def respondents(study, site: str | None = None) -> pd.DataFrame:
    """Follow-up rows (one site if given) with the linked screening fields (left join on record_id)."""
    if "followup" not in study.tables:
        raise AnalysisError("no follow-up questionnaire data (followup.csv): no site collected the follow-up "
                            "strand (study.yml sites: strands: followup)")
    fu = study.followup
    if site is not None:
        fu = fu[fu["site"] == site]
    if "screening" not in study.tables:
        return fu.reset_index(drop=True)
    scr = study.screening[["record_id", *SCREENING_FIELDS]]
    return fu.merge(scr, on="record_id", how="left", validate="one_to_one").reset_index(drop=True)


def check_site(study, site: str | None) -> None:
    if site is not None and site not in study.config.site_ids:
        raise AnalysisError(f"site {site!r} is not declared in study.yml (declared: "
                            f"{', '.join(study.config.site_ids)}); pass one of these or site=None")


def site_columns(study, frame: pd.DataFrame, site: str | None, *, strand: str = "followup",
                 total: bool = True) -> list[tuple[str, str, pd.DataFrame]]:
    """``[(key, header, rows)]``: one per site (``"Site A (n = 77)"``) and a ``"Total"`` column.

    With ``site=None`` every site that collected ``strand``; with a site id, that site beside the
    total (as in :func:`analyses.describe.site_groups`).  The total covers the sites collecting
    ``strand``.
    """
    check_site(study, site)
    pooled = study.config.sites_with(strand)
    cols = []
    for sid in ((site,) if site is not None else pooled):
        rows = frame[frame["site"] == sid]
        cols.append((sid, f"{study.config.site(sid).label} (n = {len(rows)})", rows))
    if total:
        rows = frame[frame["site"].isin(list(pooled))]
        cols.append((TOTAL, f"Total (N = {len(rows)})", rows))
    return cols


def strand_notes(study, site: str | None, *, strand: str = "followup") -> tuple[str, ...]:
    """Notes naming sites that did not collect ``strand`` (so have no column)."""
    ids = (site,) if site is not None else study.config.site_ids
    absent = [study.config.site(s).label for s in ids if not study.config.site(s).has(strand)]
    if not absent:
        return ()
    name = {"followup": "follow-up questionnaire"}.get(strand, strand.replace("_", " "))
    return (f"{', '.join(absent)}: the {name} strand was not collected, so "
            f"{'it has' if len(absent) == 1 else 'they have'} no data here.",)


def eq(series: pd.Series, value) -> pd.Series:
    """Boolean ``series == value`` with missing as False (works for category, string, Int64)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return series.astype("Float64").eq(float(value)).fillna(False).astype(bool)
    return series.astype("string").eq(str(value)).fillna(False).astype(bool)


def pct_missing(n_missing: int, denom: int) -> str:
    return "–" if denom == 0 else f"{100 * n_missing / denom:.0f}% missing"


class _Rows:
    """Collects display rows (label + one cell per column) and tidy data records together."""

    def __init__(self, columns: list[tuple[str, str, pd.DataFrame]]):
        self.columns = columns
        self.display: list[dict] = []
        self.data: list[dict] = []

    def heading(self, text: str) -> None:
        self.display.append({"": text, **{h: "" for _, h, _ in self.columns}})

    def add(self, label: str, cell: Callable[[pd.DataFrame], tuple[str, dict]], *, block: str, item: str,
            response: str = "") -> None:
        row = {"": label}
        for key, header, rows in self.columns:
            text, stats = cell(rows)
            row[header] = text
            rid = item if response in ("", "mean_sd") else f"{item}_{response}"
            self.data += [{"row": rid, "block": block, "item": item, "response": response, "column": key,
                           "statistic": k, "value": float(v) if v is not None and not pd.isna(v) else np.nan}
                          for k, v in stats.items()]
        self.display.append(row)

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        data = pd.DataFrame(self.data, columns=["row", "block", "item", "response", "column", "statistic", "value"])
        return data, pd.DataFrame(self.display, columns=["", *(h for _, h, _ in self.columns)])


def _categorical(tb: _Rows, block: str, item: str, column: str, levels: dict, *,
                 denom: Callable[[pd.DataFrame], pd.Series] | None = None, missing: str = "Missing",
                 missing_as_count: bool = False) -> None:
    """n (%) rows for each level of ``column``, then a missing row ("x% missing", or n (%) if
    ``missing_as_count``); ``denom`` selects who was asked (default: everyone in the column)."""
    def asked(rows: pd.DataFrame) -> pd.DataFrame:
        return rows if denom is None else rows[denom(rows)]

    for value, label in levels.items():
        def cell(rows, value=value):
            rows = asked(rows)
            n = int(eq(rows[column], value).sum())
            return fmt_n_pct(n, len(rows)), {"n": n, "denominator": len(rows),
                                               "pct": 100 * n / len(rows) if len(rows) else np.nan}
        tb.add(label, cell, block=block, item=item, response=str(value))

    def miss(rows):
        rows = asked(rows)
        n = int(rows[column].isna().sum())
        text = fmt_n_pct(n, len(rows)) if missing_as_count else pct_missing(n, len(rows))
        return text, {"n": n, "denominator": len(rows), "pct": 100 * n / len(rows) if len(rows) else np.nan}
    tb.add(missing, miss, block=block, item=item, response="missing")


# ---------------------------------------------------------------- Table 10

def _age_cell(rows: pd.DataFrame) -> tuple[str, dict]:
    age = rows["age"].astype("Float64").dropna().astype(float)
    mean = age.mean() if len(age) else np.nan
    sd = age.std(ddof=1) if len(age) > 1 else np.nan
    return fmt_mean_sd(mean, sd), {"n": len(age), "mean": mean, "sd": sd}


def respondent_demographics_table(*, study, site: str | None = None) -> TableResult:
    """T10: demographics of SUQ respondents, linked from their screening records."""
    frame = respondents(study)
    tb = _Rows(site_columns(study, frame, site))
    tb.add("Respondents", lambda rows: (str(len(rows)), {"n": len(rows)}), block="respondents",
           item="respondents")
    tb.add("Age (years), mean (SD)", _age_cell, block="age", item="age", response="mean_sd")

    def age_missing(rows):
        n = int(rows["age"].isna().sum())
        return pct_missing(n, len(rows)), {"n": n, "pct": 100 * n / len(rows) if len(rows) else np.nan}
    tb.add("Age missing", age_missing, block="age", item="age", response="missing")
    tb.heading("Ethnicity")
    _categorical(tb, "ethnicity", "ethnicity", "ethnicity", ETHNICITY_LABELS, missing="Missing/not stated")
    tb.heading("Gender")
    _categorical(tb, "gender", "gender", "gender", GENDER_LABELS)
    tb.heading("Sexual orientation")
    _categorical(tb, "sexual_orientation", "sexual_orientation", "sexual_orientation",
                 {"heterosexual": "Heterosexual", "another_way": "Identified in another way"}, missing_as_count=True)
    tb.heading("Disability")
    _categorical(tb, "disability", "disability", "disability", YES_NO_LABELS,
                 missing="Prefer not to say/not stated", missing_as_count=True)
    data, display = tb.frames()
    unlinked = int(frame["age"].isna().sum()) if "screening" not in study.tables else int(
        (~frame["record_id"].isin(list(study.screening["record_id"]))).sum())
    notes = [FULL_N_NOTE, "Demographics are taken from each respondent's screening record (linked by record_id); "
             "disability is shown as recorded, before any analysis recode."]
    if unlinked:
        notes.append(f"{unlinked} respondents have no linked screening record and count as missing.")
    return TableResult("T10", "Demographics of the participants who completed the service use questionnaire",
                       data, display, (*notes, *strand_notes(study, site)), {"site": site})


# ---------------------------------------------------------------- Table 11

def _yes(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda rows: eq(rows[column], "yes")


def _denominator_row(tb: _Rows, label: str, gate: str, block: str) -> None:
    def cell(rows):
        n = int(eq(rows[gate], "yes").sum())
        return str(n), {"n": n}
    tb.add(label, cell, block=block, item=gate, response="denominator")


def _ignored_answers(frame: pd.DataFrame) -> list[str]:
    gates = {"hub_contact_any": ("hub_contact_phone", "hub_contact_email"),
             "mh_support_any": ("mh_support_hub", "mh_support_employer", "mh_support_nonhub_via_hub"),
             "waitlist_any": ("waitlist_hub", "waitlist_employer", "waitlist_nonhub_via_hub")}
    out = []
    for gate, items in gates.items():
        off = ~eq(frame[gate], "yes")
        n = int((off & frame[list(items)].notna().any(axis=1)).sum())
        if n:
            out.append(f"{n} respondents answered items under {gate} without answering 'yes' to it; "
                       "those answers are ignored (skip logic).")
    return out


def hub_contact_table(*, study, site: str | None = None) -> TableResult:
    """T11: further contact with Hub staff, access to support and waiting lists (skip-logic denominators)."""
    frame = respondents(study)
    tb = _Rows(site_columns(study, frame, site))
    tb.heading("Further contact with Hub staff")
    for col, label in (("hub_contact_any", "Contact of any kind"), ("hub_contact_phone", "Telephone"),
                       ("hub_contact_email", "E-mail")):
        tb.heading(label)
        _categorical(tb, "contact", col, col, YES_NO_DK_LABELS)
    for block, gate, title in (("support", "mh_support_any", "Access to mental health support"),
                               ("waitlist", "waitlist_any", "Waiting list for mental health support")):
        prefix = "mh_support" if block == "support" else "waitlist"
        tb.heading(title)
        tb.heading("Via any route")
        _categorical(tb, block, gate, gate, YES_NO_LABELS)
        _denominator_row(tb, "Denominator for the items below (via any route = Yes)", gate, block)
        for suffix, label in (("hub", "Provided by the Hub"), ("employer", "Provided by employer"),
                              ("nonhub_via_hub", "Non-Hub support accessed by direct support of the Hub")):
            tb.heading(label)
            _categorical(tb, block, f"{prefix}_{suffix}", f"{prefix}_{suffix}", YES_NO_LABELS, denom=_yes(gate))
    data, display = tb.frames()
    notes = ("Contact of any kind, telephone, e-mail and access/waiting list via any route: percentages and "
             "% missing use the full n, as in the report (telephone and e-mail were asked only after contact of "
             "any kind = Yes, so their % missing includes those not asked).",
             "Provided by the Hub / employer / non-Hub via the Hub: denominator = via any route = Yes in the same "
             "block (shown in the denominator row); % missing is of that denominator.",
             *_ignored_answers(frame), *strand_notes(study, site))
    return TableResult("T11", "Hub contact and mental health support access following Hub screening",
                       data, display, notes, {"site": site})


# ---------------------------------------------------------------- Table 12

def _num(x: float) -> str:
    return "–" if pd.isna(x) else (f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}")


def _helpfulness(rows: pd.DataFrame) -> tuple[np.ndarray, dict]:
    v = rows["hub_helpfulness"].astype("Float64").dropna().to_numpy(dtype=float)
    if not len(v):
        return v, {"n": 0, "median": np.nan, "q1": np.nan, "q3": np.nan, "min": np.nan, "max": np.nan}
    q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75])
    return v, {"n": len(v), "median": med, "q1": q1, "q3": q3, "min": v.min(), "max": v.max()}


def satisfaction_table(*, study, site: str | None = None) -> TableResult:
    """T12: helpfulness of Hub contact (median, IQR), needs met and onward referral."""
    frame = respondents(study)
    tb = _Rows(site_columns(study, frame, site))
    tb.heading("How helpful was your contact with the Resilience Hub? (0–100)")

    def median_iqr(rows):
        _, s = _helpfulness(rows)
        text = "–" if not s["n"] else f"{_num(s['median'])} ({_num(s['q1'])}–{_num(s['q3'])})"
        return text, {k: s[k] for k in ("median", "q1", "q3")}

    def min_max(rows):
        _, s = _helpfulness(rows)
        return ("–" if not s["n"] else f"{_num(s['min'])}, {_num(s['max'])}"), {"min": s["min"], "max": s["max"]}

    def count(rows):
        _, s = _helpfulness(rows)
        return str(s["n"]), {"n": s["n"]}
    tb.add("Median (IQR)", median_iqr, block="helpfulness", item="hub_helpfulness", response="median_iqr")
    tb.add("Min, max", min_max, block="helpfulness", item="hub_helpfulness", response="min_max")
    tb.add("n", count, block="helpfulness", item="hub_helpfulness", response="n")
    tb.heading("Did the Resilience Hub meet your needs?")
    _categorical(tb, "met_needs", "hub_met_needs", "hub_met_needs", MET_NEEDS_LABELS)
    tb.heading("Did the Resilience Hub refer you to any other services/help you to access any other services?")
    _categorical(tb, "referral", "hub_referral", "hub_referral", REFERRAL_LABELS)
    data, display = tb.frames()
    notes = ("Helpfulness: median and interquartile range (quartiles by linear interpolation, numpy/R type 7) "
             "over respondents who answered.", FULL_N_NOTE, *strand_notes(study, site))
    return TableResult("T12", "Hub satisfaction", data, display, notes, {"site": site})


# ---------------------------------------------------------------- Table 13

def scored_screening(study) -> pd.DataFrame:
    """Screening records scored by :func:`analyses.scoring.score_screening`."""
    if "screening" not in study.tables:
        raise AnalysisError("this table needs screening.csv (screening scores and covariates), "
                            "but the study has no screening records")
    return score_screening(study.screening, sites=study.config.sites)


def severity_codes(series: pd.Series) -> pd.Series:
    """Overall severity as lower-case strings low/moderate/high (missing stays missing)."""
    return series.astype("string").str.lower()


def _model_frame(study, site: str | None) -> pd.DataFrame:
    frame = respondents(study, site)[["record_id", "site", "accessed_due_to_hub"]]
    scores = scored_screening(study)
    keep = ["record_id", "overall_severity", *SCORE_COLUMNS.values()]
    return frame.merge(scores[keep], on="record_id", how="left")


def _fit(y: pd.Series, P: pd.DataFrame, site: pd.Series, adjust_site: bool) -> dict[str, dict]:
    """Site-adjusted logit (profile-likelihood CIs) via :func:`analyses.regression.logit_model`."""
    names = list(P.columns)
    if len(y) < len(names) + 3:
        return {t: {"reason": f"too few respondents with data (n = {len(y)})"} for t in names}
    if y.nunique() < 2:
        return {t: {"reason": "the outcome has only one value among respondents with data"} for t in names}
    fit = logit_model(y.to_numpy(dtype=float), P.to_numpy(dtype=float), names,
                      site.astype(str).to_numpy() if adjust_site else None)
    est = {t.name: t for t in fit.terms}
    out = {}
    for name in names:
        if name not in est:
            out[name] = {"reason": fit.reason_for(name).removeprefix("not computable: ")}
            continue
        t = est[name]
        out[name] = {"odds_ratio": np.exp(t.coef), "ci_low": np.exp(t.ci_low), "ci_high": np.exp(t.ci_high),
                     "p": t.p, "n": fit.n, "events": float(y.sum()), "reason": ""}
    return out


def _access_rows(d: pd.DataFrame, measures: list[str], adjust_site: bool) -> list[dict]:
    out = []
    outcome = d["accessed_due_to_hub"].astype("Float64")
    for m in (MEASURES[k] for k in measures):
        col = SCORE_COLUMNS[m.id]
        sub = pd.DataFrame({"y": outcome, col: d[col].astype("Float64"), "site": d["site"]}).dropna()
        fit = _fit(sub["y"], sub[[col]], sub["site"], adjust_site)
        out.append({"section": "Screening questionnaires", "predictor": m.label, "term": col, **_unpack(fit[col])})
    sev = severity_codes(d["overall_severity"])
    sub = pd.DataFrame({"y": outcome, "sev": sev, "site": d["site"]}).dropna()
    terms = {f"overall_severity_{lv}": (sub["sev"] == lv).astype(float) for lv in ("moderate", "high")}
    if not (sub["sev"] == "low").any():
        fit = {t: {"reason": "no respondents with low overall severity (the reference group)"} for t in terms}
    else:
        present = {t: v for t, v in terms.items() if v.any()}
        fit = _fit(sub["y"], pd.DataFrame(present), sub["site"], adjust_site) if present else {}
    for term, label in (("overall_severity_moderate", "Moderate vs. low"), ("overall_severity_high", "High vs. low")):
        one = fit.get(term, {"reason": f"no respondents with {term.rsplit('_', 1)[1]} severity"})
        out.append({"section": "Overall severity", "predictor": label, "term": term, **_unpack(one)})
    return out


def _unpack(fit: dict) -> dict:
    empty = {"odds_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p": np.nan, "n": np.nan, "events": np.nan}
    return {**empty, **fit}


def support_access_models(*, study, site: str | None = None) -> TableResult:
    """T13: logistic regressions of accessing support as a result of the Hub on each screening score."""
    check_site(study, site)
    d = _model_frame(study, site)
    in_scope = [study.config.site(s) for s in ((site,) if site else study.config.sites_with("followup"))]
    measures = [m for m in MEASURES if any(m in s.measures for s in in_scope)]
    wide = pd.DataFrame(_access_rows(d, measures, adjust_site=site is None))
    rows = []
    for section, part in wide.groupby("section", sort=False):
        rows.append({"": section, "Odds ratio": "", "95% CI lower": "", "95% CI upper": "", "p-value": "", "n": ""})
        for r in part.itertuples():
            if r.reason:
                rows.append({"": r.predictor, "Odds ratio": "Not computable", "95% CI lower": "–",
                             "95% CI upper": "–", "p-value": "–", "n": "–"})
            else:
                rows.append({"": r.predictor, "Odds ratio": f"{r.odds_ratio:.2f}", "95% CI lower": f"{r.ci_low:.2f}",
                             "95% CI upper": f"{r.ci_high:.2f}", "p-value": fmt_p(r.p), "n": f"{int(r.n)}"})
    notes = ["Outcome: accessed mental health support as a result of the Hub (accessed_due_to_hub). One logistic "
             "model per predictor" + (", adjusted for site" if site is None else f" (site {site} only, no site term)")
             + "; complete cases per model. Scores: odds ratio per 1-point increase in the total. Overall "
             "severity: moderate and high vs low in one model. Only measures administered at a site in scope "
             "are modelled.",
             "95% CIs are profile-likelihood intervals (analyses.regression.logit_model), as the report's asymmetric "
             "intervals suggest; p-values are Wald tests."]
    notes += [f"{r.predictor}: not computable — {r.reason}." for r in wide.itertuples() if r.reason]
    data = tidy(wide, row="term", column=site or TOTAL, statistics=["odds_ratio", "ci_low", "ci_high", "p", "n",
                                                                   "events"], keep=("predictor", "reason"))
    return TableResult("T13", "Logistic regression of mental health support access amongst service use "
                       "questionnaire respondents", data, pd.DataFrame(rows), (*notes, *strand_notes(study, site)),
                       {"site": site})
