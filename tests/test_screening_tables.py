"""Descriptive screening tables (analyses.screening): T6–T9, T29, T55 on hand-made studies."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers_study import make_study

from analyses import screening as S
from hubcase.errors import AnalysisError
from hubcase.instruments import MEASURES

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = ROOT / "data" / "synthetic"
PUBLISHED = ROOT / "data" / "reference" / "published_figures" / "screening.csv"


def items(measure_id: str, total: int | None) -> dict:
    m = MEASURES[measure_id]
    out, left = {}, total
    for item in m.scored_items:
        out[item] = None if total is None else min(left, m.item_max)
        left = None if total is None else left - out[item]
    return out


def record(site: str, phq: int | None = None, gad: int | None = None, wsas: int | None = None, **fields) -> dict:
    return {"site": site, **items("phq9", phq), **items("gad7", gad), **items("wsas", wsas), **fields}


SITES = [{"id": "A", "measures": ["phq9", "gad7", "wsas"]}, {"id": "B", "measures": ["phq9", "wsas"]}]
# A: PHQ-9 12, 3, 20, missing; B: 5, 15.  GAD-7 only at A.  WSAS everywhere.
ROWS = [
    record("A", 12, 10, 11, age=30, gender="woman", ethnicity="white_british", sector="nhs",
           work_setting="icu_critical_care", covid_ill_home=True, prepandemic_concern="yes"),
    record("A", 3, 3, 3, age=40, gender="man", ethnicity="indian", sector="nhs", work_setting="other_ward",
           covid_ill_home=False, prepandemic_concern="no"),
    record("A", 20, 16, 25, age=50, gender="woman", ethnicity="white_irish", sector="social_care",
           covid_ill_home=False, prepandemic_concern="unsure"),
    record("A", None, None, 12, age=None, gender=None, ethnicity=None, sector=None, covid_ill_home=None,
           prepandemic_concern=None),
    record("B", 5, None, 5, age=35, gender="woman", ethnicity="white_british", sector="nhs"),
    record("B", 15, None, 21, age=45, gender="another_way", ethnicity="black_african", sector="other"),
]


@pytest.fixture
def study(tmp_path):
    return make_study(tmp_path, screening=pd.DataFrame(ROWS), sites=SITES)


def cell(result, row_label: str, column_prefix: str, within: str | None = None) -> str:
    """The display cell of ``row_label`` (first after the header row ``within``, if given)."""
    col = next(c for c in result.display.columns if c.startswith(column_prefix))
    labels = result.display.iloc[:, 0].str.strip().tolist()
    start = labels.index(within) + 1 if within else 0
    if within is None:
        assert labels.count(row_label) == 1, f"{row_label!r} appears {labels.count(row_label)} times"
    return result.display[col].iloc[labels.index(row_label, start)]


def block(result, header: str, column_prefix: str) -> list[str]:
    """Cells of the rows from ``header`` up to the next unindented row."""
    col = next(c for c in result.display.columns if c.startswith(column_prefix))
    labels = result.display.iloc[:, 0].tolist()
    start = labels.index(header)
    end = next((i for i in range(start + 1, len(labels)) if not labels[i].startswith("\u2003")), len(labels))
    return result.display[col].iloc[start:end].tolist()


def stat(result, site: str, variable: str, level: str) -> pd.Series:
    data = result.data
    hit = data[(data["site"] == site) & (data["variable"] == variable) & (data["level"] == level)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_caseness_percentages_exclude_missing(study):
    t9 = S.caseness_table(study=study)
    # A: PHQ-9 cases 12 and 20 of 3 answered -> 2 (66.7); B: 15 of 2 -> 1 (50.0); total 3 of 5 -> 60.0
    label = "Caseness: " + MEASURES["phq9"].caseness_label
    assert cell(t9, label, "Site A") == "2 (66.7)"
    assert cell(t9, label, "Site B") == "1 (50.0)"
    assert cell(t9, label, "Total") == "3 (60.0)"
    row = stat(t9, "A", "phq9_band", "moderate")
    assert (row["n"], row["denom"], round(row["missing_pct"], 1)) == (1, 3, 25.0)  # 1 missing of 4


def test_caseness_table_shows_mean_sd_of_totals(study):
    t9 = S.caseness_table(study=study)
    # A: 12, 3, 20 -> mean 11.67, SD sqrt(((.33)² + (8.67)² + (8.33)²)/2) = 8.50
    assert cell(t9, "PHQ-9 score, mean (SD)", "Site A") == "11.7 (8.5)"
    assert stat(t9, "A", "phq9_total", "mean")["sd"] == pytest.approx(8.5049, abs=1e-4)


def test_site_that_did_not_use_a_measure_shows_a_dash(study):
    t9 = S.caseness_table(study=study)
    gad = t9.data[t9.data["variable"].isin(["gad7_total", "gad7_band", "case_gad7"])]
    assert not gad.loc[gad["site"] == "B", "administered"].any()
    assert set(block(t9, "GAD-7 score, mean (SD)", "Site B")) == {"–"}
    assert len(block(t9, "GAD-7 score, mean (SD)", "Site B")) == 7  # mean, 4 bands, missing, caseness
    # the Total column covers site A only: severe GAD-7 (16) is 1 of 3 answered at A
    assert stat(t9, "Total", "gad7_band", "severe")[["n", "denom"]].tolist() == [1, 3]


def test_overall_severity_rows(study):
    t9 = S.caseness_table(study=study)
    # A: (12,10,11) moderate; (3,3,3) low; (20,16,25) high; (–,–,12) moderate from WSAS alone.
    # B: (5,–,5) low; (15,–,21) high.  Total low 2/6 = 33.3
    assert stat(t9, "A", "overall_severity", "moderate")["n"] == 2
    assert cell(t9, "Low", "Total") == "2 (33.3)"


def test_domains_table_uses_complete_cases(study):
    t55 = S.domains_table(study=study)
    # A r4 lacks PHQ-9 and GAD-7 -> missing.  A: r1 3 domains, r2 0, r3 3.  B: r5 0, r6 2 (PHQ 15, WSAS 21)
    assert stat(t55, "A", "n_domains_case", "3")[["n", "denom"]].tolist() == [2, 3]
    assert stat(t55, "B", "n_domains_case", "2")["n"] == 1
    assert cell(t55, "Missing", "Site A") == "25.0% missing"
    # 0 domains equals overall-severity low (both 2 in total)
    assert cell(t55, "0", "Total") == "2 (40.0)"


def test_demographics_exclude_missing_and_report_the_share_missing(study):
    t6 = S.demographics_table(study=study)
    # A ethnicity: white british, indian (asian), white irish (other white), missing -> 1 of 3 each
    assert cell(t6, "Asian", "Site A") == "1 (33.3)"
    assert cell(t6, "Other white", "Site A") == "1 (33.3)"
    assert cell(t6, "Missing/not stated", "Site A", within="Ethnicity") == "25.0% missing"
    # age A: 30, 40, 50 -> 40.0 (10.0)
    assert cell(t6, "Age (years), mean (SD)", "Site A") == "40.0 (10.0)"


def test_all_missing_column_shows_dashes_not_a_crash(study):
    t6 = S.demographics_table(study=study)  # sexual orientation never answered
    assert cell(t6, "Heterosexual", "Total") == "–"
    assert cell(t6, "Prefer not to say/left blank", "Total") == "100.0% missing"


def test_all_missing_age_shows_a_dash(tmp_path):
    rows = [record("A", 3, 3, 3, age=None), record("A", 4, 4, 4, age=None)]
    t6 = S.demographics_table(study=make_study(tmp_path, screening=pd.DataFrame(rows), sites=SITES[:1]))
    assert cell(t6, "Age (years), mean (SD)", "Site A") == "–"


def test_occupation_table_reports_icu_as_a_share_of_nhs(study):
    t7 = S.occupation_table(study=study)
    # A NHS: r1 ICU, r2 other ward -> ICU 1 of 2 (50.0); B NHS r5 has no work setting -> "–"
    assert cell(t7, "of NHS: ICU/critical care (incl. Nightingale)", "Site A") == "1 (50.0)"
    assert cell(t7, "of NHS: ICU/critical care (incl. Nightingale)", "Site B") == "–"
    assert cell(t7, "NHS", "Total") == "3 (60.0)"  # 3 NHS of 5 with a sector


def test_covid_impact_cells_show_count_and_missing(study):
    t8 = S.covid_impact_table(study=study)
    # A: True, False, False, missing -> 1 of 3 (33.3), 25% missing
    assert cell(t8, "Ill with COVID-19 (recovered at home)", "Site A") == "1 (33.3), 25.0% missing"
    assert cell(t8, "Unsure", "Site A") == "1 (33.3)"


def test_single_site_study_has_the_site_and_the_total(tmp_path):
    rows = [r for r in ROWS if r["site"] == "A"]
    t9 = S.caseness_table(study=make_study(tmp_path, screening=pd.DataFrame(rows), sites=SITES[:1]))
    assert list(t9.display.columns) == ["", "Site A (n = 4)", "Total (N = 4)"]
    assert (t9.display["Site A (n = 4)"] == t9.display["Total (N = 4)"]).all()


def test_site_argument_gives_that_site_beside_the_total(study):
    t9 = S.caseness_table(study=study, site="B")
    assert list(t9.display.columns) == ["", "Site B (n = 2)", "Total (N = 6)"]
    assert set(t9.data["site"]) == {"B", "Total"}


def test_unknown_site_is_reported_by_name(study):
    with pytest.raises(AnalysisError, match="site 'Z' is not a site of this study"):
        S.caseness_table(study=study, site="Z")


def test_table9_lists_only_measures_some_site_used(tmp_path):
    rows = [{"site": "A", **items("wsas", 12)}, {"site": "A", **items("wsas", 3)}]
    t9 = S.caseness_table(study=make_study(tmp_path, screening=pd.DataFrame(rows),
                                           sites=[{"id": "A", "measures": ["wsas"]}]))
    assert set(t9.data["variable"]) == {"wsas_total", "wsas_band", "case_wsas", "overall_severity"}


def test_overall_severity_definition_comes_from_the_instrument_bands(study):
    t29 = S.overall_severity_definition(study=study)
    shown = t29.display.set_index("Overall severity")
    assert shown.loc["Moderate", "PHQ-9"] == "Moderate; Moderately severe"
    assert shown.loc["High", "WSAS"] == "Moderately severe or worse"
    assert list(shown.columns) == ["PHQ-9", "GAD-7", "WSAS"]  # measures this study used


def test_overall_severity_definition_marks_grades_a_measure_lacks(tmp_path):
    rows = [{"site": "A", **items("pcl5", 40)}]
    t29 = S.overall_severity_definition(study=make_study(tmp_path, screening=pd.DataFrame(rows),
                                                         sites=[{"id": "A", "measures": ["pcl5"]}]))
    assert t29.display.set_index("Overall severity").loc["Moderate", "PCL-5"] == "N/A"


def test_tables_do_not_mutate_the_study(study):
    before = study.screening.copy()
    for table in (S.demographics_table, S.occupation_table, S.covid_impact_table, S.caseness_table,
                  S.domains_table):
        table(study=study)
    pd.testing.assert_frame_equal(study.screening, before)


# ------------------------------------------------------------------ synthetic study vs published
def _published(table: str) -> pd.DataFrame:
    ref = pd.read_csv(PUBLISHED)
    return ref[(ref["table"] == table) & ref["statistic"].isin(["n", "n_valid"])]


def _ours_t9(result) -> dict:
    """Published row key (e.g. phq9_caseness, itq_cptsd) -> {(site, statistic): value}."""
    out: dict = {}
    for r in result.data.to_dict("records"):
        var, level = r["variable"], r["level"]
        if var.startswith("case_") and level == "yes":
            keys = [(f"{var[5:]}_caseness", "n"), (var[5:], "n_valid")]
        elif var == "itq_dx" and level == "ptsd":
            keys = [("itq_ptsd", "n")]
        elif var == "itq_cptsd" and level == "yes":
            keys = [("itq_cptsd", "n"), ("itq_cptsd", "n_valid")]
        elif var.endswith("_band"):
            keys = [(f"{var[:-5]}_{level}", "n")]
        else:
            continue
        for key, statistic in keys:
            out.setdefault(key, {})[(r["site"], statistic)] = r["n"] if statistic == "n" else r["denom"]
    return out


@pytest.fixture(scope="module")
def synthetic_study():
    if not (SYNTHETIC / "screening.csv").exists() or not PUBLISHED.exists():
        pytest.skip("data/synthetic or the published figures are not present")
    from hubcase.study import load_study
    return load_study(SYNTHETIC)


def test_synthetic_table9_caseness_counts_match_the_published_counts(synthetic_study):
    ours = _ours_t9(S.caseness_table(study=synthetic_study))
    ref = _published("T9")
    ref = ref[ref["row"].str.endswith("_caseness") | ref["statistic"].eq("n_valid")]
    assert len(ref) > 0
    for r in ref.itertuples():
        got = ours[r.row][(r.column, r.statistic)]
        assert abs(got - r.value) <= r.precision, f"T9 {r.row} {r.column} {r.statistic}: {got} vs {r.value}"


def test_synthetic_table55_counts_match_the_published_counts(synthetic_study):
    data = S.domains_table(study=synthetic_study).data
    for r in _published("T55").itertuples():
        level = r.row.removeprefix("domains_") if r.row != "domains" else "0"
        hit = data[(data["site"] == r.column) & (data["level"] == level)].iloc[0]
        got = hit["n"] if r.statistic == "n" else hit["denom"]
        assert abs(got - r.value) <= r.precision, f"T55 {r.row} {r.column} {r.statistic}: {got} vs {r.value}"
