"""Descriptive tables of the screening strand (report Tables 6–9, 29 and 55).

Each table function takes ``(*, study, site=None)``: with ``site=None`` every site is a column
beside the total; with a site id, that site's column sits beside the total of all sites.
Percentages exclude missing values and the share missing is shown in its own row.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analyses.describe import (Group, Row, count_rows, display, indent, mean_rows, site_groups, tidy,
                               yes_no)
from analyses.result import TableResult
from analyses.scoring import (BAND_COLUMNS, CASE_COLUMNS, ETHNICITY_GROUP_LEVELS, SCORE_COLUMNS, SEVERITY_LABELS,
                              SEVERITY_LEVELS, measures_by_site, score_screening)
from hubcase.errors import AnalysisError
from hubcase.instruments import ITQ, MEASURES
from hubcase.schema.tables import COVID_IMPACTS, SECTORS

ETHNICITY_LABELS = dict(zip(ETHNICITY_GROUP_LEVELS, ("White British", "Other white", "Black", "Asian", "Mixed",
                                                     "Other")))
GENDER_LABELS = {"woman": "Woman", "man": "Man", "another_way": "Identified in another way"}
ORIENTATION_LABELS = {"heterosexual": "Heterosexual", "another_way": "Identified in another way"}
SECTOR_LABELS = dict(zip(SECTORS, ("NHS", "Primary care", "Social care", "Emergency services", "Education",
                                   "VCSE", "Local authority", "Other")))
CONCERN_LABELS = {"yes": "Yes", "unsure": "Unsure", "no": "No"}
PCT_NOTE = "Percentages exclude missing values; the share missing is shown in its own row."
NOT_USED_NOTE = "– : the measure was not used at the site (Total: the sites that used it)."


def screening_records(study) -> pd.DataFrame:
    """The screening records with their scores and derived covariates (one frame)."""
    if "screening" not in study.tables:
        raise AnalysisError("the screening tables need screening.csv, but the study has no screening records; "
                            "hint: set strands.screening for the sites that collected it in study.yml.")
    screening = study.screening.reset_index(drop=True)
    scored = score_screening(screening, sites=study.config.sites)
    return pd.concat([screening, scored.drop(columns=["record_id", "site"])], axis=1)


def _administered(records: pd.DataFrame, study, measure: str) -> np.ndarray:
    used = measures_by_site(study.config.sites)
    ids = [s for s, ms in used.items() if measure in ms]
    return records["site"].astype("string").isin(ids).fillna(False).to_numpy(dtype=bool)


def _block(title: str, variable: str, labels: dict[str, str], missing: str = "Missing") -> list[Row]:
    return ([Row(title, kind="header")] + [Row(indent(lab), variable, lev) for lev, lab in labels.items()]
            + [Row(indent(missing), variable, kind="missing")])


def _table(table_id: str, title: str, rows: list[dict], layout: list[Row], groups: list[Group], site,
           notes: tuple[str, ...], first: str = "") -> TableResult:
    data = tidy(rows)
    return TableResult(table_id, title, data, display(data, groups, layout, first), notes,
                       {"site": site, "columns": [g.key for g in groups]})


def _disability_note(records: pd.DataFrame, study) -> str:
    raw = records["disability"].astype("string").isna()
    share = raw.groupby(records["site"].astype("string")).mean()
    recoded = [study.config.site(s).label for s in study.config.site_ids if share.get(s, 0) > 0.5]
    where = ", ".join(recoded) if recoded else "none in this study"
    return ("Disability: at sites where more than half of the answers are missing, a missing answer is "
            f"counted as 'no' (the report's rule for Sites B and D; here: {where}); the percentage is of the "
            "answers so analysed, and 'not stated' is the share missing as recorded.")


def demographics_table(*, study, site: str | None = None) -> TableResult:
    """Table 6: age, ethnicity, gender, sexual orientation and disability by site."""
    records = screening_records(study)
    groups = site_groups(study, records, site)
    rows = mean_rows(records["age"], groups, "age")
    rows += count_rows(records["ethnicity_group"], groups, "ethnicity", ETHNICITY_LABELS)
    rows += count_rows(records["gender"], groups, "gender", GENDER_LABELS)
    rows += count_rows(records["sexual_orientation"], groups, "sexual_orientation", ORIENTATION_LABELS)
    rows += count_rows(yes_no(records["disability_analysed"]), groups, "disability", ["yes"])
    rows += count_rows(records["disability"], groups, "disability_recorded", ["yes", "no"])
    layout = ([Row("Age (years), mean (SD)", "age", "mean", "mean"), Row(indent("Missing"), "age", kind="missing")]
              + _block("Ethnicity", "ethnicity", ETHNICITY_LABELS, "Missing/not stated")
              + _block("Gender", "gender", GENDER_LABELS, "Missing/not stated")
              + _block("Sexual orientation", "sexual_orientation", ORIENTATION_LABELS,
                       "Prefer not to say/left blank")
              + [Row("Disability (yes)", "disability", "yes"),
                 Row(indent("Not stated (as recorded)"), "disability_recorded", kind="missing")])
    notes = (PCT_NOTE, "Ethnicity: White Irish is grouped with other white.", _disability_note(records, study))
    return _table("T6", "Demographic characteristics of the sample", rows, layout, groups, site, notes)


def occupation_table(*, study, site: str | None = None) -> TableResult:
    """Table 7: occupational sector by site, with ICU/critical care as a share of NHS staff."""
    records = screening_records(study)
    groups = site_groups(study, records, site)
    rows = count_rows(records["sector"], groups, "sector", SECTOR_LABELS)
    nhs = (records["sector"].astype("string") == "nhs").fillna(False).to_numpy(dtype=bool)
    rows += count_rows(yes_no(records["nhs_icu"]), groups, "nhs_icu", ["yes"], administered=nhs)
    layout = [Row("Sector", kind="header"), Row(indent("NHS"), "sector", "nhs"),
              Row(indent("of NHS: ICU/critical care (incl. Nightingale)", 2), "nhs_icu", "yes")]
    layout += [Row(indent(lab), "sector", lev) for lev, lab in SECTOR_LABELS.items() if lev != "nhs"]
    layout.append(Row(indent("Missing"), "sector", kind="missing"))
    notes = (PCT_NOTE, "ICU/critical care: percentage of NHS participants with a recorded work setting.")
    return _table("T7", "Occupational sector of the sample", rows, layout, groups, site, notes)


def covid_impact_table(*, study, site: str | None = None) -> TableResult:
    """Table 8: COVID-19 impact items and pre-pandemic well-being concern by site."""
    records = screening_records(study)
    groups = site_groups(study, records, site)
    rows: list[dict] = []
    layout = [Row("Have you been impacted in any of these ways by COVID-19?", kind="header")]
    for item, label in COVID_IMPACTS.items():
        rows += count_rows(yes_no(records[item]), groups, item, ["yes"])
        layout.append(Row(indent(label), item, "yes", "count_missing"))
    rows += count_rows(records["prepandemic_concern"], groups, "prepandemic_concern", CONCERN_LABELS)
    layout += _block("Were you concerned about your emotional well-being before COVID-19?",
                     "prepandemic_concern", CONCERN_LABELS)
    notes = (PCT_NOTE.replace("in its own row", "beside each item and in its own row"),)
    return _table("T8", "COVID-19 impacts and pre-pandemic well-being concerns", rows, layout, groups, site, notes)


def _measure_block(records, study, groups, measure) -> tuple[list[dict], list[Row]]:
    asked = _administered(records, study, measure.id)
    score = SCORE_COLUMNS[measure.id]
    rows = mean_rows(records[score], groups, score, asked)
    layout = [Row(f"{measure.label} score, mean (SD)", score, "mean", "mean")]
    if measure.id == "itq":
        rows += count_rows(records["itq_dx"], groups, "itq_dx", ["ptsd"], asked)
        rows += count_rows(yes_no(records["itq_cptsd"]), groups, "itq_cptsd", ["yes"], asked)
        layout += [Row(indent(f"Missing ({measure.label} score)"), score, kind="missing"),
                   Row(indent("PTSD present"), "itq_dx", "ptsd"), Row(indent("Missing"), "itq_dx", kind="missing"),
                   Row(indent("CPTSD present"), "itq_cptsd", "yes"),
                   Row(indent("Missing"), "itq_cptsd", kind="missing")]
    else:
        band = BAND_COLUMNS[measure.id]
        rows += count_rows(records[band], groups, band, [b.id for b in measure.bands], asked)
        layout += [Row(indent(b.label), band, b.id) for b in measure.bands]
        layout.append(Row(indent("Missing"), band, kind="missing"))
    case = CASE_COLUMNS[measure.id]
    rows += count_rows(yes_no(records[case]), groups, case, ["yes"], asked)
    layout.append(Row(indent(f"Caseness: {measure.caseness_label}"), case, "yes"))
    return rows, layout


def caseness_table(*, study, site: str | None = None) -> TableResult:
    """Table 9: score means (SD), severity bands, caseness and overall severity by site."""
    records = screening_records(study)
    groups = site_groups(study, records, site)
    used = {m for ms in measures_by_site(study.config.sites).values() for m in ms}
    rows: list[dict] = []
    layout: list[Row] = []
    for measure in MEASURES.values():
        if measure.id in used:
            block_rows, block_layout = _measure_block(records, study, groups, measure)
            rows += block_rows
            layout += block_layout
    rows += count_rows(records["overall_severity"], groups, "overall_severity", SEVERITY_LEVELS)
    layout += _block("Overall severity", "overall_severity", SEVERITY_LABELS)
    notes = (PCT_NOTE, NOT_USED_NOTE,
             f"ITQ: {ITQ.caseness_label}; PTSD present and CPTSD present are mutually exclusive.",
             "Overall severity: the highest grade over the measures available for the person (Table 29).")
    return _table("T9", "Screening scores and participants meeting cut-offs for clinically significant "
                  "difficulties", rows, layout, groups, site, notes)


def overall_severity_definition(*, study, site: str | None = None) -> TableResult:
    """Table 29: which band of each measure counts as low, moderate or high overall severity."""
    used = measures_by_site(study.config.sites)
    wanted = {m for sid, ms in used.items() if site is None or sid == site for m in ms}
    measures = [m for m in MEASURES.values() if m.id in wanted]
    rows, cells = [], []
    for grade, level in enumerate(SEVERITY_LEVELS):
        line = {"Overall severity": SEVERITY_LABELS[level]}
        for m in measures:
            bands = [b for b in m.bands if b.grade == grade]
            text = "; ".join(b.label for b in bands) or "N/A"
            line[m.label] = text
            rows.append({"severity": level, "measure": m.id, "bands": ";".join(b.id for b in bands),
                         "labels": text, "low": min((b.low for b in bands), default=np.nan),
                         "high": max((b.high for b in bands), default=np.nan)})
        cells.append(line)
    data = pd.DataFrame(rows, columns=["severity", "measure", "bands", "labels", "low", "high"])
    shown = pd.DataFrame(cells, columns=["Overall severity"] + [m.label for m in measures])
    notes = ("A person's overall severity is the highest grade across the measures available for them; "
             "it is missing only if every measure is missing.",)
    return TableResult("T29", "Overall severity", data, shown, notes, {"site": site})


def domains_table(*, study, site: str | None = None) -> TableResult:
    """Table 55: number of caseness domains per participant, complete cases by site."""
    records = screening_records(study)
    groups = site_groups(study, records, site)
    used = measures_by_site(study.config.sites)
    n_max = max((len({MEASURES[m].domain for m in ms}) for ms in used.values()), default=0)
    levels = {str(k): ("0" if k == 0 else f"{k} domain{'s' if k > 1 else ''}") for k in range(n_max + 1)}
    values = records["n_domains_case"].astype("Int64").astype("string")
    rows = count_rows(values, groups, "n_domains_case", levels)
    layout = [Row(lab, "n_domains_case", lev) for lev, lab in levels.items()]
    layout.append(Row("Missing", "n_domains_case", kind="missing"))
    notes = ("Domains: depression (PHQ-9), anxiety (GAD-7), PTSD (PCL-5 or ITQ), alcohol (AUDIT), "
             "functioning (WSAS), counted over the measures the site administered.",
             "Complete cases: a participant missing any measure the site administered is counted as missing "
             "(overall severity, by contrast, uses the available measures).", PCT_NOTE)
    return _table("T55", "Number of participants meeting caseness across multiple domains", rows, layout,
                  groups, site, notes, first="Domains")
