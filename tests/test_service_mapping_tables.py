"""Service mapping (analyses.service_mapping): Tables 1–5 and T-OUT on tiny hand-made studies,
then on the authored service-mapping documents of sites A–D (checked against spec A §1.3–1.4)."""
from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml
from helpers_study import make_study

from analyses import service_mapping as sm
from hubcase.synth.qualitative import CONTENT

TICK = "✓"
SUBGROUPS = [
    {"id": "care_home", "label": "Care-home staff", "kind": "occupational",
     "records": {"field": "sector", "equals": "social_care"}},
    {"id": "ethnic_minority", "label": "Ethnic minority staff", "kind": "demographic",
     "records": {"field": "ethnicity", "in": ["indian", "pakistani"]}},
]


def post(role: str, band: str, wte: float, group: str = "STT", code: str | None = None) -> dict:
    out = {"role": role, "afc_band": band, "wte": wte, "staff_group": group}
    if code:
        out["role_code"] = code
    return out


def mapping(site: str, *, posts: list[dict], reported_pct: float | None = None, groups: dict | None = None,
            measures: dict | None = None, targeted: list[dict] | None = None, region_staff: int = 1000,
            family: str | None = None) -> dict:
    """A small service_mapping/<site>.yml that validates."""
    staffing = {"model": "top_loaded", "reported_total_wte": sum(p["wte"] for p in posts), "posts": posts}
    if reported_pct is not None:
        staffing["reported_pct_band6_plus"] = reported_pct
    eligibility = {"groups": groups or {"hsc_staff_18_plus": {"status": "in_scope"}},
                   "cause_scope": "any_cause"}
    if family:
        eligibility["family_definition"] = family
    return {
        "site": site,
        "snapshot": {"period_start": "2021-03", "period_end": "2022-03", "sources": ["business case"]},
        "region_staff": region_staff, "setup_type": "newly_established", "eligibility": eligibility,
        "pathway": {"self_referral": "Online form", "assessment": "Telephone assessment"},
        "onward_referral": {"model": "in_house_therapy", "description": "Therapy in house"},
        "staffing": staffing,
        "services": [{"id": "therapy", "label": "Therapy", "level": "individual", "offered": True}],
        "screening_measures": measures or {},
        "outreach": {"general": ["posters"], "targeted": targeted or []},
        "training": {"general": ["CPD"], "subgroup_specific": []},
    }


def build(tmp_path, maps: dict[str, dict], *, measures: dict[str, list[str]] | None = None,
          without_mapping: tuple[str, ...] = ()):
    """Load a study whose sites are ``maps`` (service mapping on) plus ``without_mapping`` (off)."""
    measures = measures or {}
    sites = [{"id": s, "measures": measures.get(s, ["phq9"]),
              "strands": {"screening": False, "service_mapping": True}} for s in maps]
    sites += [{"id": s, "measures": measures.get(s, ["phq9"]), "strands": {"screening": False}}
              for s in without_mapping]
    extra = {f"service_mapping/{s}.yml": yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
             for s, doc in maps.items()}
    return make_study(tmp_path, screening=pd.DataFrame(), sites=sites, config={"subgroups": SUBGROUPS},
                      extra_files=extra)


def cell(result, row_label: str, column: str) -> str:
    labels = result.display.iloc[:, 0].tolist()
    assert labels.count(row_label) == 1, f"{row_label!r} appears {labels.count(row_label)} times"
    return result.display[column].iloc[labels.index(row_label)]


# Site A: 2.0 WTE at Band 7 + 1.0 at Band 5 + 1.0 at Band 4/5 = 4.0 WTE, of which 2.0 at Band 6+ -> 50%.
# (Counting posts instead of WTE would give 1 of 3 = 33.3%.)
POSTS_A = [post("Clinical psychologist", "7", 2.0, code="S2L"), post("Research assistant", "5", 1.0, "A and C"),
           post("Assistant psychologist", "4/5", 1.0, code="S5L")]
# Site B: 1.0 at Band 6 + 1.0 at Band 8a + 2.0 at Band 3 = 4.0 WTE, 2.0 at Band 6+ -> 50%.
POSTS_B = [post("Mental health nurse", "6", 1.0, "N"), post("Clinical lead", "8a", 1.0),
           post("Administrator", "3", 2.0, "A and C")]


# ----------------------------------------------------------------------------- T1
def test_region_staff_are_shown_per_site_with_thousands_separators(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A, region_staff=126000),
                             "B": mapping("B", posts=POSTS_B, region_staff=1650)})
    result = sm.region_staff_table(study=study)
    assert result.id == "T1"
    assert result.data["region_staff"].tolist() == [126000, 1650]
    assert result.display.iloc[:, 1].tolist() == ["126,000", "1,650"]
    assert result.display["Site"].tolist() == ["Site A", "Site B"]


def test_region_staff_for_one_site_keeps_only_that_site(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A), "B": mapping("B", posts=POSTS_B)})
    assert sm.region_staff_table(study=study, site="B").data["site"].tolist() == ["B"]


# ----------------------------------------------------------------------------- T2
GROUPS_A = {
    "hsc_staff_18_plus": {"status": "in_scope"},
    "education": {"status": "not_in_scope"},
    "police_fire": {"status": "conditional", "condition": "if on COVID-19 duties"},
    "vcse": {"status": "conditional"},
    # hsc_staff_16_17 and the rest are not recorded
}


def test_groups_in_scope_show_tick_not_in_scope_and_condition(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A, groups=GROUPS_A)})
    result = sm.groups_in_scope_table(study=study)
    assert cell(result, "Over 18 (health and care staff)", "Site A") == TICK
    assert cell(result, "Education", "Site A") == "Not in scope"
    assert cell(result, "Police/fire", "Site A") == f"{TICK} (if on COVID-19 duties)"


def test_conditional_group_without_a_condition_says_conditional(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A, groups=GROUPS_A)})
    assert cell(sm.groups_in_scope_table(study=study), "VCSE", "Site A") == f"{TICK} (conditional)"


def test_group_the_mapping_does_not_mention_is_not_recorded(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A, groups=GROUPS_A)})
    result = sm.groups_in_scope_table(study=study)
    assert cell(result, "16–17 years (health and care staff)", "Site A") == "Not recorded"
    row = result.data[(result.data["group"] == "hsc_staff_16_17")].iloc[0]
    assert row["status"] is None or pd.isna(row["status"])


def test_groups_in_scope_lists_all_eight_groups_per_site(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A, groups=GROUPS_A), "B": mapping("B", posts=POSTS_B)})
    result = sm.groups_in_scope_table(study=study)
    assert result.display.shape == (8, 3)
    assert len(result.data) == 16  # 8 groups x 2 sites, tidy


def test_family_definition_becomes_one_note_for_that_site(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A, family="Immediate family in the region."),
                             "B": mapping("B", posts=POSTS_B)})
    notes = sm.groups_in_scope_table(study=study).notes
    assert notes == ("Site A, definition of family members: Immediate family in the region.",)


# ----------------------------------------------------------------------------- T3
def test_band6_share_is_computed_from_wte_not_from_post_count(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A), "B": mapping("B", posts=POSTS_B)})
    result = sm.band6_share_table(study=study)
    # A: 2.0 / 4.0 (Band 5 and Band 4/5 below Band 6); B: (1.0 Band 6 + 1.0 Band 8a) / 4.0.
    assert result.data["senior_wte"].tolist() == [2.0, 2.0]
    assert result.data["total_wte"].tolist() == [4.0, 4.0]
    assert result.data["share_band6_plus"].tolist() == [0.5, 0.5]
    assert cell(result, "Site A", "Band 6 or higher (computed)") == "50.00%"
    assert cell(result, "Site A", "Band 6+ WTE / total WTE") == "2.00 / 4.00"


def test_uneven_wte_share_is_rounded_to_two_decimals(tmp_path):
    # 0.45 (8d) + 0.5 (6) over 0.45 + 0.5 + 2.1 (4/5) = 0.95 / 3.05 = 31.1475...% -> "31.15%".
    posts = [post("Lead", "8d", 0.45), post("Nurse", "6", 0.5, "N"), post("Assistant", "4/5", 2.1)]
    result = sm.band6_share_table(study=build(tmp_path, {"A": mapping("A", posts=posts)}))
    assert result.data["share_band6_plus"].iloc[0] == pytest.approx(0.95 / 3.05)
    assert cell(result, "Site A", "Band 6 or higher (computed)") == "31.15%"


def test_reported_share_half_a_point_or_more_off_the_posts_gets_a_note(tmp_path):
    # Both compute to 50%.  A reports 50.5 (0.5 points off: noted); B reports 50.4 (0.4 off: not noted).
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A, reported_pct=50.5),
                             "B": mapping("B", posts=POSTS_B, reported_pct=50.4)})
    result = sm.band6_share_table(study=study)
    assert cell(result, "Site A", "Band 6 or higher (as reported)") == "50.50%"
    assert len(result.notes) == 2
    assert "Site A (50.00% computed, 50.50% reported)" in result.notes[1]
    assert "Site B" not in result.notes[1]


def test_reported_share_that_agrees_with_the_posts_adds_no_note(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A, reported_pct=50.0)})
    assert len(sm.band6_share_table(study=study).notes) == 1  # the method note only


def test_missing_reported_share_shows_a_dash_beside_a_reported_one(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A, reported_pct=60.0), "B": mapping("B", posts=POSTS_B)})
    result = sm.band6_share_table(study=study)
    assert cell(result, "Site B", "Band 6 or higher (as reported)") == "–"
    assert "Site B" not in " ".join(result.notes)
    assert "Site A (50.00% computed, 60.00% reported)" in result.notes[1]


# ----------------------------------------------------------------------------- T4
def test_staffing_total_row_sums_each_sites_wte(tmp_path):
    posts_b = POSTS_B + [post("Pathways advisor", "4", 0.8, "A and C")]
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A), "B": mapping("B", posts=posts_b)})
    result = sm.staffing_table(study=study)
    total = result.display.iloc[-1]
    # A: 2.0 + 1.0 + 1.0 = 4; B: 1.0 + 1.0 + 2.0 + 0.8 = 4.8.
    assert total["Role"] == "Total WTE"
    assert (total["Site A"], total["Site B"]) == ("4", "4.8")


def test_post_absent_at_a_site_shows_a_dash(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A), "B": mapping("B", posts=POSTS_B)})
    result = sm.staffing_table(study=study)
    assert cell(result, "Clinical psychologist", "Site A") == "2"
    assert cell(result, "Clinical psychologist", "Site B") == "-"
    assert cell(result, "Administrator", "Site B") == "2"


def test_two_posts_of_one_role_and_band_at_a_site_are_summed(tmp_path):
    # Administrator Band 3: 0.5 + 0.3 = 0.8 WTE in one row; the total is 2.0 + 0.8 = 2.8.
    posts = [post("Clinical psychologist", "7", 2.0), post("Administrator", "3", 0.5, "A and C"),
             post("Administrator", "3", 0.3, "A and C")]
    result = sm.staffing_table(study=build(tmp_path, {"A": mapping("A", posts=posts)}))
    assert cell(result, "Administrator", "Site A") == "0.8"
    assert result.display.iloc[-1]["Site A"] == "2.8"
    assert len(result.display) == 3  # two post rows and the total


def test_staffing_rows_run_from_the_most_senior_band(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A), "B": mapping("B", posts=POSTS_B)})
    bands = sm.staffing_table(study=study).display["AfC band"].tolist()
    assert bands == ["8a", "7", "6", "5", "4/5", "3", ""]


def test_staffing_shows_staff_group_and_role_code(tmp_path):
    result = sm.staffing_table(study=build(tmp_path, {"A": mapping("A", posts=POSTS_A)}))
    assert cell(result, "Clinical psychologist", "Staff group") == "STT"
    assert cell(result, "Clinical psychologist", "Role code") == "S2L"
    assert cell(result, "Research assistant", "Role code") == ""


def test_staffing_data_is_one_row_per_post_with_senior_flag(tmp_path):
    result = sm.staffing_table(study=build(tmp_path, {"A": mapping("A", posts=POSTS_A)}))
    assert result.data["senior"].tolist() == [True, False, False]  # 7 yes; 5 and 4/5 no
    assert result.data["wte"].sum() == 4.0


# ----------------------------------------------------------------------------- T5
MEASURES_A = {"phq9": {"used": True}, "gad7": {"used": True, "since": "2021-03"},
              "demographic_occupational": {"used": True},
              "smoking_drug_use": {"used": True, "since": "2021-09"}, "covid_impact": {"used": False}}


@pytest.fixture
def t5(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A, measures=MEASURES_A),
                             "B": mapping("B", posts=POSTS_B, measures={"phq9": {"used": True}})},
                  measures={"A": ["phq9", "gad7"], "B": ["phq9"], "C": ["phq9", "audit"]}, without_mapping=("C",))
    return sm.measures_table(study=study)


def test_measure_not_used_at_a_site_shows_no(t5):
    assert cell(t5, "AUDIT", "Site A") == "No"
    assert cell(t5, "GAD-7", "Site B") == "No"


def test_measure_used_shows_a_tick(t5):
    assert cell(t5, "PHQ-9", "Site A") == TICK
    assert cell(t5, "AUDIT", "Site C") == TICK  # from study.yml; C has no service mapping


def test_measure_used_since_a_month_shows_the_month(t5):
    assert cell(t5, "GAD-7", "Site A") == f"{TICK} (since March 2021)"
    assert cell(t5, "Smoking/drug use", "Site A") == f"{TICK} (since September 2021)"


def test_extra_screening_item_the_mapping_marks_unused_shows_no(t5):
    assert cell(t5, "Questions around the impact of COVID-19", "Site A") == "No"


def test_extra_screening_item_the_mapping_omits_is_not_recorded(t5):
    assert cell(t5, "Smoking/drug use", "Site B") == "Not recorded"
    assert cell(t5, "Demographic and occupational questions", "Site C") == "Not recorded"


def test_measures_table_has_every_measure_and_extra_item_per_site(t5):
    assert len(t5.display) == 9  # 6 measures + 3 other items
    assert list(t5.display.columns) == ["Measure", "Site A", "Site B", "Site C"]


# ----------------------------------------------------------------------------- T-OUT
TARGETED_A = [{"activity": "Care home visits", "target_groups": ["care_home", "hospices"]}]
TARGETED_B = [{"activity": "Care home visits", "target_groups": ["care_home"]},
              {"activity": "Race equality campaign", "target_groups": ["ethnic_minority"]}]


@pytest.fixture
def tout(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A, targeted=TARGETED_A),
                             "B": mapping("B", posts=POSTS_B, targeted=TARGETED_B)})
    return sm.targeted_outreach_table(study=study)


def test_targeted_outreach_ticks_each_site_that_did_the_activity_for_the_group(tout):
    rows = {(a, g): (x, y) for a, g, x, y in tout.display.itertuples(index=False)}
    assert rows == {("Care home visits", "Care-home staff"): (TICK, TICK),
                    ("Care home visits", "Hospices"): (TICK, ""),
                    ("Race equality campaign", "Ethnic minority staff"): ("", TICK)}


def test_targeted_outreach_data_has_one_row_per_target_group(tout):
    # A: 1 activity x 2 groups; B: 2 activities x 1 group each.
    assert len(tout.data) == 4
    assert tout.data.groupby("site").size().to_dict() == {"A": 2, "B": 2}


def test_site_without_targeted_outreach_has_an_empty_column(tmp_path):
    study = build(tmp_path, {"A": mapping("A", posts=POSTS_A, targeted=TARGETED_A), "B": mapping("B", posts=POSTS_B)})
    result = sm.targeted_outreach_table(study=study)
    assert result.display["Site B"].tolist() == ["", ""]


# ----------------------------------------------------------------------------- authored sites A–D
@pytest.fixture(scope="module")
def authored(tmp_path_factory):
    """The authored service-mapping documents of sites A–D (no other strand collected)."""
    maps = {s: yaml.safe_load((CONTENT / "service_mapping" / f"{s}.yml").read_text(encoding="utf-8"))
            for s in "ABCD"}
    measures = {s: [m for m, v in doc["screening_measures"].items()
                    if v["used"] and m in ("phq9", "gad7", "pcl5", "itq", "audit", "wsas")]
                for s, doc in maps.items()}
    return build(tmp_path_factory.mktemp("authored"), copy.deepcopy(maps), measures=measures)


def test_authored_band6_shares_are_those_of_spec_1_4(authored):
    # Spec A §1.4: A 10.3/13.9, B 17.8/26.6, C 11.5/19.9, D 9.05/12.15.
    result = sm.band6_share_table(study=authored)
    assert result.display["Band 6 or higher (computed)"].tolist() == ["74.10%", "66.92%", "57.79%", "74.49%"]
    assert result.display["Band 6 or higher (as reported)"].tolist() == ["78.51%", "67.04%", "73.96%", "74.17%"]


def test_authored_reported_shares_of_a_and_c_are_flagged_b_and_d_are_not(authored):
    # |74.10 - 78.51| = 4.41 and |57.79 - 73.96| = 16.17 are flagged; B 0.12 and D 0.32 are not.
    note = sm.band6_share_table(study=authored).notes[1]
    assert "Site A" in note and "Site C" in note
    assert "Site B" not in note and "Site D" not in note


def test_authored_staffing_totals_are_those_of_table_4(authored):
    total = sm.staffing_table(study=authored).display.iloc[-1]
    assert [total[f"Site {s}"] for s in "ABCD"] == ["13.9", "26.6", "19.9", "12.15"]


def test_authored_staffing_has_the_24_role_and_band_rows_of_table_4(authored):
    result = sm.staffing_table(study=authored)
    assert len(result.display) == 25  # 24 rows + total
    assert cell(result, "Pharmacist/non-medical prescriber", "Site A") == "0.6"
    assert cell(result, "Assistant psychologist", "Site B") == "7"


def test_authored_region_staff_are_those_of_table_1(authored):
    assert sm.region_staff_table(study=authored).display.iloc[:, 1].tolist() == [
        "126,000", "165,000", "129,000", "180,000"]


def test_authored_groups_in_scope_match_table_2(authored):
    result = sm.groups_in_scope_table(study=authored)
    assert result.display.loc[1, ["Site A", "Site B", "Site C", "Site D"]].tolist() == [
        TICK, "Not in scope", TICK, TICK]  # 16–17 years
    assert result.display.loc[5, ["Site A", "Site B", "Site C"]].tolist() == [TICK, "Not in scope", "Not in scope"]
    assert cell(result, "Education", "Site D").startswith(f"{TICK} (")
    assert cell(result, "VCSE", "Site B").startswith(f"{TICK} (")


def test_authored_measures_match_table_5(authored):
    result = sm.measures_table(study=authored)
    expected = {  # spec A Table 5
        "AUDIT": [TICK, "No", TICK, TICK], "ITQ": ["No", "No", TICK, TICK], "PCL-5": [TICK, TICK, "No", "No"],
        "WSAS": [TICK] * 4,
        "Smoking/drug use": [TICK, TICK, f"{TICK} (since September 2021)", f"{TICK} (since May 2021)"],
    }
    for row, cells in expected.items():
        assert [cell(result, row, f"Site {s}") for s in "ABCD"] == cells, row


def test_authored_targeted_outreach_attributes_activities_to_sites(authored):
    result = sm.targeted_outreach_table(study=authored)
    shown = result.display.set_index(["Activity", "Target group"])
    sites = ["Site A", "Site B", "Site C", "Site D"]

    def ticked(activity: str) -> list[str]:
        rows = shown.xs(activity, level="Activity")
        assert len(rows) == 1, activity
        return [s[-1] for s in sites if rows.iloc[0][s] == TICK]

    assert ticked("Visited care homes and left materials") == ["B", "C", "D"]
    assert ticked("Produced information for care homes") == ["A", "D"]
    assert ticked("Ran a race equality campaign") == ["B"]
