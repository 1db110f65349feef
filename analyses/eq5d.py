"""Health status of follow-up respondents: EQ-5D-5L (report chapter 5; Table 16, T16b, T16c, Figure 2).

Value sets are data: a CSV with columns ``state,value`` giving the index value of each of the
3125 EQ-5D-5L states (``11111`` … ``55555``).  Built-in sets live in
``hubcase/data/eq5d/<id>.csv``; a study may instead name a CSV inside its own directory in
``study.yml`` (``eq5d: value_set: costing/my_value_set.csv``).
"""
from __future__ import annotations

from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import hubcase
from analyses.economics import CI_NOTE, Term, fit_ols, fmt_coef_ci, fmt_p, mean_ci, one_sample_t, tidy
from analyses.followup import TOTAL, check_site, respondents, scored_screening, site_columns, strand_notes
from analyses.result import FigureResult, TableResult
from hubcase.errors import HubcaseError, ProblemList, StudyError
from hubcase.io import read_csv

BUILTIN_DIR = Path(hubcase.__file__).resolve().parent / "data" / "eq5d"
DIMENSIONS = {"eq5d_mo": "Mobility", "eq5d_sc": "Self-care", "eq5d_ua": "Usual activities",
              "eq5d_pd": "Pain and discomfort", "eq5d_ad": "Anxiety and depression"}
ALL_STATES = frozenset("".join(p) for p in product("12345", repeat=5))
NORMS = (  # reference values the report quotes (spec A §2.5-2.6)
    {"id": "uk_3l_35_44", "label": "UK population norm, age 35–44 (EQ-5D-3L)", "mean": 0.893, "ci_low": np.nan,
     "ci_high": np.nan, "n": np.nan, "source": "Szende, Janssen & Cabases 2014, Self-reported Population Health"},
    {"id": "uk_3l_45_54", "label": "UK population norm, age 45–54 (EQ-5D-3L)", "mean": 0.855, "ci_low": np.nan,
     "ci_high": np.nan, "n": np.nan, "source": "Szende, Janssen & Cabases 2014, Self-reported Population Health"},
    {"id": "hse_2018_hsc", "label": "Health Survey for England 2018, health and social care workers",
     "mean": 0.870, "ci_low": 0.853, "ci_high": 0.888, "n": 348.0,
     "source": "NatCen/UCL, Health Survey for England 2018 (UK Data Service SN 8649), as reported by the "
               "evaluation"},
)


# ---------------------------------------------------------------- value sets

def builtin_value_sets() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in BUILTIN_DIR.glob("*.csv"))) if BUILTIN_DIR.is_dir() else ()


def validate_value_set(raw: pd.DataFrame, label: str) -> pd.Series:
    """Check a value-set table (strings, indexed by file line); return state -> value or raise StudyError."""
    problems = ProblemList()
    missing = [c for c in ("state", "value") if c not in raw.columns]
    if missing:
        problems.error(label, "row 1", f"column(s) {', '.join(missing)} missing; expected columns state,value "
                       f"(got {', '.join(raw.columns)})")
        problems.raise_if_errors()
    state = raw["state"].astype(str).str.strip()
    value = pd.to_numeric(raw["value"].astype(str).str.strip(), errors="coerce")
    for line in state.index[~state.isin(ALL_STATES)][:10]:
        problems.error(label, f"row {line}", f"state {state[line]!r} is not an EQ-5D-5L state (5 digits, each 1–5)")
    for line in value.index[value.isna()][:10]:
        problems.error(label, f"row {line}", f"value {raw.loc[line, 'value']!r} is not a number")
    for line in value.index[value > 1][:10]:
        problems.error(label, f"row {line}", f"value {value[line]} is above 1 (index values are at most 1, "
                       "full health)")
    dupes = state[state.duplicated(keep=False) & state.isin(ALL_STATES)]
    for s in sorted(set(dupes))[:10]:
        problems.error(label, f"rows {', '.join(str(i) for i in dupes.index[dupes == s])}", f"state {s} appears "
                       "more than once")
    absent = sorted(ALL_STATES - set(state))
    if absent:
        problems.error(label, "", f"has {len(set(state) & ALL_STATES)} of the 3125 EQ-5D-5L states; missing "
                       f"{len(absent)} (e.g. {', '.join(absent[:3])}); a value set must list every state")
    problems.raise_if_errors()
    return pd.Series(value.to_numpy(dtype=float), index=pd.Index(state.to_numpy(), name="state"), name="value")


def load_value_set(spec: str, *, root: Path | str | None = None) -> pd.Series:
    """A built-in value set id, or a ``.csv`` path relative to ``root`` (the study directory)."""
    if spec.endswith(".csv") or "/" in spec:
        if root is None:
            raise HubcaseError(f"value set {spec!r} is a path, but no study directory was given to resolve it")
        base = Path(root).resolve()
        path = (base / spec).resolve()
        if not path.is_relative_to(base):
            raise HubcaseError(f"study.yml eq5d.value_set: {spec!r} points outside the study directory; "
                               "hint: copy the CSV into the study directory")
        label = spec
    else:
        path, label = BUILTIN_DIR / f"{spec}.csv", f"built-in value set {spec}"
        if not path.is_file():
            known = ", ".join(builtin_value_sets()) or "none installed"
            raise HubcaseError(f"study.yml eq5d.value_set: {spec!r} is not a built-in value set (built-in: {known}); "
                               "hint: give a CSV path inside the study directory with columns state,value")
    problems = ProblemList()
    raw = read_csv(path, label, problems)
    if raw is None:
        raise StudyError(problems.items)
    return validate_value_set(raw, label).rename(spec)


def value_set_citation(spec: str) -> str | None:
    """Citation of a built-in value set, from its ``<id>.yml`` metadata (None for a user CSV)."""
    meta = BUILTIN_DIR / f"{spec}.yml"
    if not meta.is_file():
        return None
    doc = yaml.safe_load(meta.read_text(encoding="utf-8")) or {}
    return " ".join(str(doc.get("citation", "")).split()) or None


def study_value_set(study) -> pd.Series:
    return load_value_set(study.config.eq5d_value_set, root=study.root)


def eq5d_states(followup: pd.DataFrame) -> pd.Series:
    """5-digit state strings (``'11213'``); missing where any dimension is missing."""
    dims = followup[list(DIMENSIONS)].astype("Float64")
    complete = dims.notna().all(axis=1)
    text = dims.fillna(0).astype(int).astype(str).agg("".join, axis=1)
    return text.where(complete).astype("string")


def eq5d_index(followup: pd.DataFrame, value_set: pd.Series) -> pd.Series:
    """Index value of each respondent's state (NaN where a dimension is missing)."""
    states = eq5d_states(followup)
    values = states.map(value_set.to_dict(), na_action="ignore")
    return pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=followup.index, name="eq5d_index")


# ---------------------------------------------------------------- Table 16

def _missing_note(frame: pd.DataFrame) -> str:
    present = frame[list(DIMENSIONS)].notna().sum(axis=1)
    n, none, part = len(frame), int((present == 0).sum()), int(((present > 0) & (present < 5)).sum())
    pct = (lambda k: f"{100 * k / n:.0f}%") if n else (lambda k: "–")
    return (f"Complete cases on all five dimensions: {n - none - part} of {n} respondents; {none} ({pct(none)}) "
            f"missing all five dimensions, {part} ({pct(part)}) missing some.")


def eq5d_levels_table(*, study, site: str | None = None) -> TableResult:
    """T16: n (%) at each level of each EQ-5D-5L dimension; no problems vs some problems."""
    check_site(study, site)
    frame = respondents(study, site)
    frame = frame[frame["site"].isin(list((site,) if site else study.config.sites_with("followup")))]
    complete = frame[frame[list(DIMENSIONS)].notna().all(axis=1)]
    n = len(complete)
    cell = (lambda k: f"{k} ({100 * k / n:.0f}%)") if n else (lambda k: "–")
    rows, data = [], []
    counts = {d: complete[d].astype(int).value_counts() for d in DIMENSIONS}
    groups = [(str(lv), str(lv), [lv]) for lv in range(1, 6)] + [
        ("Total (%)", "total", [1, 2, 3, 4, 5]), ("Number reporting no problems (%)", "no_problems", [1]),
        ("Number reporting some problems (%)", "some_problems", [2, 3, 4, 5])]
    column = site or TOTAL
    for label, rid, levels in groups:
        row = {"Level": label}
        for d, name in DIMENSIONS.items():
            k = int(sum(counts[d].get(lv, 0) for lv in levels))
            row[name] = cell(k)
            data += [{"row": f"{d}_{rid}", "column": column, "statistic": st, "value": float(v)}
                     for st, v in (("n", k), ("denominator", n), ("pct", 100 * k / n if n else np.nan))]
        rows.append(row)
    present = frame[list(DIMENSIONS)].notna().sum(axis=1)
    data += [{"row": rid, "column": column, "statistic": "n", "value": float(v)} for rid, v in (
        ("eq5d_respondents", len(frame)), ("eq5d_complete", n), ("eq5d_missing_all", (present == 0).sum()),
        ("eq5d_missing_part", ((present > 0) & (present < 5)).sum()))]
    notes = (_missing_note(frame), "No problems = level 1; some problems = levels 2–5. Percentages of complete "
             "cases.", *strand_notes(study, site))
    return TableResult("T16", "Frequency of EQ-5D-5L levels by dimension", pd.DataFrame(data), pd.DataFrame(rows),
                       notes, {"site": site})


# ---------------------------------------------------------------- T16b

def _summary(values: pd.Series) -> dict:
    s = mean_ci(values)
    s["median"] = float(values.dropna().median()) if values.notna().any() else np.nan
    return s


def _fmt_summary(s: dict, digits: int) -> tuple[str, str, str, str]:
    if not s["n"]:
        return "0", "–", "–", "–"
    sd = "–" if pd.isna(s["sd"]) else f"{s['sd']:.{digits}f}"
    ci = "–" if pd.isna(s["ci_low"]) else f"{s['ci_low']:.{digits}f} to {s['ci_high']:.{digits}f}"
    return f"{int(s['n'])}", f"{s['mean']:.{digits}f} ({sd})", ci, f"{s['median']:.{digits}f}"


SUMMARY_COLUMNS = ("", "n (index)", "EQ-5D index, mean (SD)", "Index 95% CI", "Index median", "n (EQ-VAS)",
                   "EQ-VAS, mean (SD)", "EQ-VAS 95% CI", "EQ-VAS median", "Study mean − reference",
                   "One-sample t-test")


def eq5d_summary_table(*, study, site: str | None = None) -> TableResult:
    """T16b: EQ-5D index and EQ-VAS per site and overall, against the population norms the report quotes."""
    value_set = study_value_set(study)
    frame = respondents(study)
    frame = frame.assign(eq5d_index=eq5d_index(frame, value_set))
    rows, data = [], []
    for key, header, part in site_columns(study, frame, site):
        idx, vas = _summary(part["eq5d_index"]), _summary(part["eq_vas"].astype("Float64"))
        label = "Total" if key == TOTAL else study.config.site(key).label
        rows.append(dict(zip(SUMMARY_COLUMNS, (label, *_fmt_summary(idx, 3), *_fmt_summary(vas, 2), "", ""))))
        data += [{"row": m, "column": key, "statistic": k, "value": v}
                 for m, s in (("eq5d_index", idx), ("eq_vas", vas)) for k, v in s.items()]
    in_scope = (site,) if site else study.config.sites_with("followup")
    study_values = frame.loc[frame["site"].isin(list(in_scope)), "eq5d_index"]
    compared = study.config.site(site).label if site else "overall study"
    for norm in NORMS:
        test = one_sample_t(study_values, norm["mean"])
        diff = mean_ci(study_values)["mean"] - norm["mean"]
        ci = "" if pd.isna(norm["ci_low"]) else f"{norm['ci_low']:.3f} to {norm['ci_high']:.3f}"
        rows.append(dict(zip(SUMMARY_COLUMNS, (
            f"{norm['label']} [{norm['source']}]", "" if pd.isna(norm["n"]) else f"{int(norm['n'])}",
            f"{norm['mean']:.3f}", ci, "", "", "", "", "", "–" if pd.isna(diff) else f"{diff:+.3f}",
            "–" if pd.isna(test["t"]) else f"t = {test['t']:.2f}, df = {int(test['df'])}, p {_p_text(test['p'])}"))))
        data += [{"row": "eq5d_index", "column": norm["id"], "statistic": k, "value": v}
                 for k, v in {"mean": norm["mean"], "ci_low": norm["ci_low"], "ci_high": norm["ci_high"],
                              "n": norm["n"], "t": test["t"], "df": test["df"], "p": test["p"]}.items()]
    cite = value_set_citation(str(value_set.name))
    notes = (f"Index values from the value set {value_set.name!r}" + (f" ({cite})" if cite else "")
             + "; complete cases on all five dimensions. EQ-VAS over respondents who gave it. The report valued "
             "EQ-5D-5L with the van Hout et al. (2012) crosswalk, so means from another value set are not "
             "directly comparable with it.", CI_NOTE,
             f"Reference rows are the values the report quotes, with their sources; each test is a two-sided "
             f"one-sample t-test of the {compared} mean index against the reference value, treating the reference "
             "as fixed (its own uncertainty is ignored). The UK norms are EQ-5D-3L values, so they compare "
             "directly only with a crosswalk value set.", *strand_notes(study, site))
    return TableResult("T16b", "EQ-5D-5L index and EQ-VAS: summary and comparison with population norms",
                       pd.DataFrame(data, columns=["row", "column", "statistic", "value"]),
                       pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)), notes,
                       {"site": site, "value_set": value_set.name})


def _p_text(p: float) -> str:
    text = fmt_p(p)
    return text if text.startswith("<") else f"= {text}"


# ---------------------------------------------------------------- Figure 2

def eq_vas_figure(*, study, site: str | None = None) -> FigureResult:
    """F2: frequency distribution of EQ-VAS scores (0–100)."""
    from matplotlib.figure import Figure

    check_site(study, site)
    frame = respondents(study, site)
    frame = frame[frame["site"].isin(list((site,) if site else study.config.sites_with("followup")))]
    vas = frame["eq_vas"].astype("Float64").dropna().astype(int)
    counts = vas.value_counts().reindex(range(101), fill_value=0)
    data = pd.DataFrame({"eq_vas": counts.index, "n": counts.to_numpy()})
    fig = Figure(figsize=(7, 3.5))
    ax = fig.subplots()
    ax.bar(data["eq_vas"], data["n"], width=0.8, color="#3b6ea5")
    ax.set_xlabel("EQ-VAS (0 = worst, 100 = best imaginable health)")
    ax.set_ylabel("Respondents")
    ax.set_xlim(-1, 101)
    fig.tight_layout()
    notes = (f"n = {len(vas)} respondents with an EQ-VAS score.", *strand_notes(study, site))
    return FigureResult("F2", "Frequency distribution of EQ-VAS scores", fig, data, notes)


# ---------------------------------------------------------------- T16c

def _regression_frame(study, site: str | None) -> pd.DataFrame:
    frame = respondents(study, site)
    frame = frame.assign(eq5d_index=eq5d_index(frame, study_value_set(study)))
    scores = scored_screening(study)[["record_id", "ethnic_minority", "disability_analysed", "overall_severity"]]
    return frame.merge(scores, on="record_id", how="left")


def regression_terms(frame: pd.DataFrame, reference_site: str | None) -> list[Term]:
    terms = [Term("ethnic_minority", "Ethnic minority (vs white)", "binary"),
             Term("disability_analysed", "Disability (vs none)", "binary"),
             Term("bereavement", "Bereavement of family member or close friend", "binary"),
             Term("covid_ill_hosp", "Ill with COVID-19 (including hospital)", "binary"),
             Term("overall_severity", "Overall severity at screening", "categorical", "low",
                  {"low": "low", "moderate": "moderate", "high": "high"}),
             Term("age", "Age (per year)"),
             Term("gender", "Gender", "categorical", "woman", {"woman": "woman", "man": "man",
                                                              "another_way": "another way"})]
    sites = sorted(frame["site"].dropna().astype(str).unique())
    if len(sites) > 1:
        terms.append(Term("site", "Site", "categorical", reference_site or sites[-1]))
    return terms


def eq5d_regression(*, study, site: str | None = None, reference_site: str | None = None) -> TableResult:
    """T16c: OLS of the EQ-5D index on demographic, COVID-impact and screening-severity covariates."""
    check_site(study, site)
    frame = _regression_frame(study, site)
    fit = fit_ols(frame, "eq5d_index", regression_terms(frame, reference_site))
    coefs = fit["coefs"]
    display = pd.DataFrame({"": coefs["label"],
                            "Coefficient (95% CI)": [fmt_coef_ci(r, 3) for _, r in coefs.iterrows()],
                            "p-value": [fmt_p(p) for p in coefs["p"]]})
    footer = pd.DataFrame({"": ["n", "Adjusted R²"], "Coefficient (95% CI)": [
        str(fit["n"]), "–" if pd.isna(fit["adj_r2"]) else f"{fit['adj_r2']:.3f}"], "p-value": ["", ""]})
    data = pd.concat([tidy(coefs, row="term", column=site or TOTAL, statistics=["coef", "se", "ci_low", "ci_high", "p"],
                           keep=("label",)),
                      pd.DataFrame({"row": ["model", "model"], "column": site or TOTAL, "statistic": ["n", "adj_r2"],
                                    "value": [float(fit["n"]), fit["adj_r2"]], "label": ""})], ignore_index=True)
    notes = ("Ordinary least squares, complete cases; 95% CIs are t-based. All covariates entered together "
             "(no stepwise selection). Disability uses the analysis recode (missing = no at sites where most "
             "answers are missing); site reference = " + (reference_site or "the last site alphabetically") + ".",
             *fit["notes"], *strand_notes(study, site))
    return TableResult("T16c", "Linear regression of EQ-5D-5L index values", data,
                       pd.concat([display, footer], ignore_index=True), notes,
                       {"site": site, "reference_site": reference_site})
