"""Hub costing (T14, T15, T59) and service-use costs (T17, T18, T61, T18b, T18c) on hand-made studies."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers_study import make_study
from scipy import stats

from analyses import economics, hub_costs, service_costs
from hubcase.schema import CONTRACT
from helpers_published import assert_reproduces, load_synthetic, published_rows


def table(table_id: str, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in CONTRACT.table(table_id).columns:
        if col.required and col.name not in frame.columns:
            frame[col.name] = None
    return frame


# ---------------------------------------------------------------- shared statistics

def test_mean_ci_is_the_t_interval():
    # 0, 100, 500: mean 200, SD sqrt((200² + 100² + 300²)/2) = 264.575, half-width t(0.975, 2) × SD/√3
    s = economics.mean_ci([0, 100, 500])
    lo, hi = stats.t.interval(0.95, 2, loc=200, scale=264.5751311 / np.sqrt(3))
    np.testing.assert_allclose([s["mean"], s["sd"], s["ci_low"], s["ci_high"]], [200, 264.5751311, lo, hi])


def test_lower_bound_below_one_shows_as_less_than_one_pound():
    assert economics.fmt_money_ci(economics.mean_ci([0, 100, 500]), "GBP") == "£200 (< £1 to £857)"


def test_no_variation_shows_na_instead_of_an_interval():
    assert economics.fmt_money_ci(economics.mean_ci([0, 0, 0]), "GBP") == "£0 (NA)"


def test_currencies_other_than_gbp_use_the_code():
    # mean 30, SD 15.81, half-width t(0.975, 4) × 15.81/√5 = 2.776 × 7.07 = 19.6 → 10.4 to 49.6
    assert economics.fmt_money_ci(economics.mean_ci([10, 20, 30, 40, 50]), "EUR") == "EUR 30 (EUR 10 to EUR 50)"


# ---------------------------------------------------------------- Hub costing: a 3-site fixture

COSTING_SITES = [{"id": s, "measures": ["phq9"], "strands": {"screening": True, "costing": True}} for s in "ABC"]
UNIT_COSTS = [{"afc_band": "6", "annual_cost": 50_000, "annual_cost_full": 75_000, "source": "test"},
              {"afc_band": "8a", "annual_cost": 80_000, "annual_cost_full": 120_000, "source": "test"}]
LINES = [  # ongoing: A staff 2×50k + 0.5×80k = 140k, non-staff 15k; B staff 190k, non-staff 10k;
           # C staff 50k (the temporary post is excluded), non-staff 20k.  Set-up: A 20k, B 40k, C none.
    ("A", "o1", "ongoing", "clinical_staff", None, 2, "6", True),
    ("A", "o2", "ongoing", "management", None, 0.5, "8a", True),
    ("A", "o3", "ongoing", "estates_overheads", 10_000, None, None, None),
    ("A", "o4", "ongoing", "it_infrastructure", 5_000, None, None, None),
    ("A", "s1", "setup", "it_infrastructure", 12_000, None, None, None),
    ("A", "s2", "setup", "equipment", 8_000, None, None, None),
    ("B", "o1", "ongoing", "clinical_staff", None, 3, "6", True),
    ("B", "o2", "ongoing", "management", None, 0.5, "8a", True),
    ("B", "o3", "ongoing", "equipment", 10_000, None, None, None),
    ("B", "s1", "setup", "estates_overheads", 30_000, None, None, None),
    ("B", "s2", "setup", "training", 10_000, None, None, None),
    ("C", "o1", "ongoing", "clinical_staff", None, 1, "6", True),
    ("C", "o2", "ongoing", "other_staff", None, 1, "6", False),
    ("C", "o3", "ongoing", "other_non_staff", 20_000, None, None, None),
]
ACTIVITY = [  # mid-point individual shares A 0.7, B 0.9, C 0.6; B records no team support
    {"site": "A", "setup_type": "newly_established", "keyworkers_individual": 100, "keyworkers_team": 465,
     "capacity_individual": 155, "capacity_team": 620, "individual_share_low": 0.6, "individual_share_high": 0.8,
     "budget": 1_000_000},
    {"site": "B", "setup_type": "newly_established", "keyworkers_individual": 300, "keyworkers_team": None,
     "capacity_individual": 450, "capacity_team": None, "individual_share_low": 0.8, "individual_share_high": 1.0,
     "budget": 1_200_000},
    {"site": "C", "setup_type": "expanded_existing", "keyworkers_individual": 60, "keyworkers_team": 140,
     "capacity_individual": 84, "capacity_team": 280, "individual_share_low": 0.5, "individual_share_high": 0.7},
]


@pytest.fixture(scope="module")
def costing_study(tmp_path_factory):
    lines = [dict(zip(("site", "line_id", "phase", "category", "amount", "wte", "afc_band", "continuous_funding"), r),
                  description="temporary research assistant" if r[:2] == ("C", "o2") else None) for r in LINES]
    return make_study(tmp_path_factory.mktemp("costing"), screening=table("screening", []), sites=COSTING_SITES,
                      unit_costs=table("unit_costs", []), staff_unit_costs=table("staff_unit_costs", UNIT_COSTS),
                      hub_costs=table("hub_costs", lines), hub_activity=table("hub_activity", ACTIVITY))


def per_site(study, analysis: str, support: str) -> dict:
    per = hub_costs.keyworker_costs(study)
    part = per[(per["analysis"] == analysis) & (per["support"] == support)]
    return dict(zip(part["site"], part["cost_per_keyworker"]))


def test_primary_cost_per_keyworker_by_hand(costing_study):
    # A 155,000 × 0.7 / 100 = 1085; B 200,000 × 0.9 / 300 = 600; C 70,000 × 0.6 / 60 = 700
    assert per_site(costing_study, "primary", "individual") == pytest.approx({"A": 1085, "B": 600, "C": 700})


def test_primary_summary_is_mean_and_sample_sd_across_sites(costing_study):
    # mean 795; deviations 290, −195, −95 → SD = sqrt(131,150 / 2) = 256.08 (ddof 1)
    row = cost_row(costing_study, "Individual support", "Primary")
    got = (row["Range"], row["Average cost per keyworker reached (SD)"], row["Sites"])
    assert got == ("£600–£1,085", "£795 (£256)", "3")


def cost_row(study, block: str, analysis: str) -> pd.Series:
    d = hub_costs.cost_per_keyworker_table(study=study).display
    start = d.index[d["Analysis"] == block][0]
    return d.iloc[start + 1:][d["Analysis"].iloc[start + 1:] == analysis].iloc[0]


def test_team_support_only_where_keyworkers_team_is_recorded(costing_study):
    # A 155,000 × 0.3 / 465 = 100; C 70,000 × 0.4 / 140 = 200; B has no team numbers (even in SA5)
    assert per_site(costing_study, "primary", "team") == pytest.approx({"A": 100, "B": np.nan, "C": 200}, nan_ok=True)
    assert np.isnan(per_site(costing_study, "sa5_capacity", "team")["B"])
    team = cost_row(costing_study, "Team support", "Primary")
    assert team["Average cost per keyworker reached (SD)"] == "£150 (£71)"  # mean 150, SD sqrt(2 × 50²) = 70.7


def test_overtime_raises_cost_at_every_site(costing_study):
    primary = per_site(costing_study, "primary", "individual")
    sa1 = per_site(costing_study, "sa1_overtime", "individual")
    assert all(sa1[s] > primary[s] for s in "ABC")
    # A: (140,000 × (1 + 10.4/37.5) + 15,000) × 0.7 / 100
    assert sa1["A"] == pytest.approx((140_000 * (1 + 10.4 / 37.5) + 15_000) * 0.7 / 100)


def test_full_pssru_uses_full_costs_and_drops_estates_and_other_non_staff(costing_study):
    # A: (2×75,000 + 0.5×120,000) + IT 5,000 (estates dropped) = 215,000 → × 0.7 / 100 = 1505
    # C: 75,000 (other_non_staff dropped) × 0.6 / 60 = 750
    sa2 = per_site(costing_study, "sa2_pssru_oncost", "individual")
    assert (sa2["A"], sa2["C"]) == pytest.approx((1505, 750))


def test_share_and_capacity_sensitivity_analyses(costing_study):
    # A: upper share 155,000 × 0.8 / 100 = 1240; lower 155,000 × 0.6 / 100 = 930; capacity 155,000 × 0.7 / 155 = 700
    analyses = ("sa3_more_individual", "sa4_more_team", "sa5_capacity")
    got = [per_site(costing_study, a, "individual")["A"] for a in analyses]
    assert got == pytest.approx([1240, 930, 700])


def test_setup_table_ticks_categories_and_summarises_reporting_sites(costing_study):
    res = hub_costs.setup_costs_table(study=costing_study)
    d = res.display.set_index("Cost breakdown")
    assert list(d.columns) == ["Site A", "Site B", "Across sites"]  # C reported no set-up costs
    assert (d.loc["Equipment", "Site A"], d.loc["Equipment", "Site B"]) == ("✓", "")
    # totals 20,000 and 40,000: mean 30,000, SD sqrt(2 × 10,000²) = 14,142
    assert d.loc["Total set-up cost", "Across sites"] == "£30,000 (SD £14,142), n = 2"
    assert any("Site C (expanded existing service): no set-up costs" in n for n in res.notes)


def test_ongoing_table_excludes_temporary_posts_and_reports_staff_share(costing_study):
    res = hub_costs.ongoing_costs_table(study=costing_study)
    d = res.display.set_index("Cost breakdown")
    assert "Other staff" not in d.index  # C's only other-staff line is temporary
    assert d.loc["Total ongoing cost", "Site C"] == "£70,000"
    # A 140/155 = 90%; pooled (140 + 190 + 50) / (155 + 200 + 70) = 89%
    assert (d.loc["Staff share of ongoing cost", "Site A"], d.loc["Staff share of ongoing cost", "Across sites"]) == (
        "90%", "89% (pooled)")
    assert any("temporary research assistant" in n for n in res.notes)


def test_ongoing_table_reports_budgets_where_separable(costing_study):
    d = hub_costs.ongoing_costs_table(study=costing_study).display.set_index("Cost breakdown")
    budget = d.loc["Annual budget (as reported)"]
    assert (budget["Site C"], budget["Across sites"]) == ("–", "mean £1,100,000 (£1,000,000–£1,200,000), n = 2")


# ---------------------------------------------------------------- service use: 4 respondents at A, 1 at B

SERVICE_UNIT_COSTS = [
    {"service_type": "cbt", "section": "mental_health", "category": "psychological_therapy", "label": "CBT",
     "unit": "session", "unit_cost": 100, "source": "test"},
    {"service_type": "gp_mh", "section": "mental_health", "category": "gp_support", "label": "GP (mental health)",
     "unit": "visit", "unit_cost": 40, "source": "test"},
    {"service_type": "gp_visit", "section": "wider", "category": "primary_care", "label": "GP visit",
     "unit": "visit", "unit_cost": 39, "source": "test"},
    {"service_type": "ae", "section": "wider", "category": "a_and_e", "label": "A&E attendance",
     "unit": "visit", "unit_cost": 200, "source": "test"},
]
USES = [  # r1: CBT current 5 × 100 (Hub-delivered), GP visit 2 × 39; r2: CBT complete 3 × 100 (accessed due to
          # the Hub), GP (MH) current 1 × 40; r3: waiting list only (not costed); r4: MH section not costable;
          # r5 (site B): A&E 1 × 200
    ("u1", "r1", "mental_health", "cbt", "current", 5, True, None),
    ("u2", "r1", "wider", "gp_visit", None, 2, None, None),
    ("u3", "r2", "mental_health", "cbt", "complete", 3, False, True),
    ("u4", "r2", "mental_health", "gp_mh", "current", 1, None, None),
    ("u5", "r3", "mental_health", "cbt", "waitlist", 4, None, None),
    ("u6", "r4", "mental_health", "cbt", "current", 9, None, None),
    ("u7", "r5", "wider", "ae", None, 1, None, None),
]
SERVICE_SITES = [{"id": s, "measures": ["phq9"], "strands": {"screening": True, "followup": True}} for s in "AB"]


def service_study(tmp_path, *, min_cell_count=1, subgroups=None):
    scr = [{"record_id": f"r{i}", "site": "A" if i < 5 else "B", "gender": "man" if i == 2 else "woman",
            "age": 60 if i in (3, 5) else 30} for i in range(1, 6)]
    fol = [{"record_id": r["record_id"], "site": r["site"], "service_use_mh_costable": r["record_id"] != "r4",
            "service_use_other_costable": True} for r in scr]
    uses = [dict(zip(("use_id", "record_id", "section", "service_type", "status", "quantity", "delivered_by_hub",
                      "accessed_due_to_hub"), u)) for u in USES]
    config = {"disclosure": {"min_cell_count": min_cell_count}, "subgroups": subgroups or []}
    return make_study(tmp_path, screening=table("screening", scr), sites=SERVICE_SITES, config=config,
                      followup=table("followup", fol), service_use=table("service_use", uses),
                      unit_costs=table("unit_costs", SERVICE_UNIT_COSTS))


def test_costs_per_respondent_under_the_three_perspectives(tmp_path):
    c = service_costs.cost_service_use(service_study(tmp_path)).set_index("record_id")
    assert c.loc[["r1", "r2", "r3"], "total__mh_total"].tolist() == [500, 340, 0]
    assert c.loc[["r1", "r2", "r3"], "excl_delivered__mh_total"].tolist() == [0, 340, 0]
    assert c.loc[["r1", "r2", "r3"], "excl_delivered_or_accessed__mh_total"].tolist() == [0, 40, 0]
    assert c.loc["r1", "total__total"] == 578 and np.isnan(c.loc["r4", "total__mh_total"])
    assert c["complete"].tolist() == [True, True, True, False, True]


def test_t18_mean_and_interval_over_complete_cases(tmp_path):
    res = service_costs.service_costs_table(study=service_study(tmp_path), site="A")
    d = res.display.set_index("Category")
    # complete at A: r1, r2, r3. Total: 578, 340, 0 → mean 306, SD sqrt((272² + 34² + 306²)/2) = 290.50,
    # half-width 4.3027 × 290.50/√3 = 721.6 → (−415.6, 1027.6)
    assert d.loc["Total", "Total"] == "£306 (< £1 to £1,028)"
    assert d.loc["Current", "Participants using a service (%)"] == "2 (67%)"
    assert d.loc["Total mental health care", "Excluding services delivered by the Hub"].startswith("£113 ")
    assert any("t(0.975, n − 1)" in n for n in res.notes)


def test_t17_counts_participants_by_type_and_status(tmp_path):
    res = service_costs.key_supports_table(study=service_study(tmp_path), site="A")
    d = res.display.set_index("Key mental health service types")
    assert d.loc["Psychological therapy/support"].tolist() == ["1 (33%)", "1 (33%)", "0 (0%)"]
    assert d.loc["GP support", "Current"] == "1 (33%)"


def test_t61_subgroup_below_the_threshold_is_suppressed(tmp_path):
    men = {"id": "men", "label": "Men", "kind": "demographic", "records": {"field": "gender", "equals": "man"}}
    res = service_costs.site_subgroup_costs_table(study=service_study(tmp_path, min_cell_count=2, subgroups=[men]))
    d = res.display.set_index("")
    assert d["Men"].tolist() == ["<2", "suppressed", "suppressed"]  # one man (r2) with complete data
    assert d.loc["N (with complete costing data)", "Site A"] == "3"
    assert not ((res.data["column"] == "men") & res.data["value"].notna()).any()


def test_t61_zero_variance_and_single_respondent_show_na(tmp_path):
    older = {"id": "older", "label": "Aged 60", "kind": "demographic", "records": {"field": "age", "equals": "60"}}
    res = service_costs.site_subgroup_costs_table(study=service_study(tmp_path, subgroups=[older]))
    d = res.display.set_index("")
    # r3 (A) and r5 (B): mental health costs 0 and 0 -> no variation; Site B: one respondent (r5)
    assert d.loc["Mean total mental healthcare cost (95% CI)", "Aged 60"] == "£0 (NA)"
    assert d.loc["Mean wider health and social care cost (95% CI)", "Site B"] == "£200 (NA)"


# ---------------------------------------------------------------- regressions and completeness

def regression_study(tmp_path):
    rng = np.random.default_rng(3)
    n = 30
    site = ["A"] * 15 + ["B"] * 15
    age = rng.integers(25, 60, n)
    gender = (["woman", "man", "woman"] * 10)
    concern = (["no", "yes", "unsure", "no", "yes"] * 6)
    phq = rng.integers(0, 28, n)
    cbt = rng.integers(0, 12, n)
    gp = rng.integers(0, 4, n)
    complete = np.arange(n) % 7 != 3
    scr = [{"record_id": f"r{i}", "site": site[i], "age": int(age[i]), "gender": gender[i],
            "prepandemic_concern": concern[i], "disability": "yes" if i % 4 == 0 else "no",
            "covid_ill_hosp": i % 5 == 0, **{f"phq9_{k:02d}": min(3, max(0, int(phq[i]) - 3 * (k - 1)))
                                               for k in range(1, 10)}} for i in range(n)]
    fol = [{"record_id": f"r{i}", "site": site[i], "service_use_mh_costable": bool(complete[i]),
            "service_use_other_costable": True} for i in range(n)]
    uses = [{"use_id": f"c{i}", "record_id": f"r{i}", "section": "mental_health", "service_type": "cbt",
             "status": "current", "quantity": int(cbt[i])} for i in range(n)]
    uses += [{"use_id": f"g{i}", "record_id": f"r{i}", "section": "wider", "service_type": "gp_visit",
              "quantity": int(gp[i])} for i in range(n)]
    sites = [{"id": s, "measures": ["phq9"], "strands": {"screening": True, "followup": True}} for s in "AB"]
    study = make_study(tmp_path, screening=table("screening", scr), sites=sites, followup=table("followup", fol),
                       service_use=table("service_use", uses), unit_costs=table("unit_costs", SERVICE_UNIT_COSTS))
    inputs = pd.DataFrame({"site": site, "age": age, "gender": gender, "concern": concern, "phq": phq,
                           "mh": 100.0 * cbt, "total": 100.0 * cbt + 39.0 * gp, "complete": complete})
    return study, inputs


def test_cost_regression_coefficients_match_lstsq(tmp_path):
    study, x = regression_study(tmp_path)
    res = service_costs.cost_regressions(study=study)
    cc = x[x["complete"]]
    sev = np.where(cc["phq"] <= 9, 0, np.where(cc["phq"] <= 19, 1, 2))
    X = np.column_stack([np.ones(len(cc)), cc["age"], cc["gender"] == "man", cc["concern"] == "yes",
                         cc["concern"] == "unsure", sev == 1, sev == 2, cc["site"] == "A"]).astype(float)
    for model, outcome in (("mh", "mh"), ("total", "total")):
        beta, *_ = np.linalg.lstsq(X, cc[outcome].to_numpy(), rcond=None)
        got = res.data[res.data["column"] == model]
        np.testing.assert_allclose(got.loc[got["statistic"] == "coef", "value"].to_numpy(), beta, rtol=1e-8)
        resid = cc[outcome].to_numpy() - X @ beta
        adj = 1 - (resid @ resid / (len(cc) - X.shape[1])) / cc[outcome].var(ddof=1)
        assert got.loc[got["statistic"] == "adj_r2", "value"].iloc[0] == pytest.approx(adj)
    assert res.spec["reference_site"] == "B"


def test_cost_regression_reference_site_is_configurable(tmp_path):
    study, _ = regression_study(tmp_path)
    res = service_costs.cost_regressions(study=study, reference_site="A")
    assert "site[B]" in set(res.data["row"]) and "site[A]" not in set(res.data["row"])


def test_completeness_tests_match_scipy(tmp_path):
    study, x = regression_study(tmp_path)
    data = service_costs.completeness_tests(study=study).data.set_index(["row", "statistic"])["value"]
    # site: complete at A vs B from the fixture rule (every 7th respondent from the 4th is incomplete)
    table_ = pd.crosstab(x["site"], x["complete"]).to_numpy()
    assert data["site", "p"] == pytest.approx(stats.chi2_contingency(table_, correction=False)[1])
    phq = x["phq"].to_numpy(dtype=float)
    t = stats.ttest_ind(phq[x["complete"]], phq[~x["complete"]], equal_var=True)
    assert data["phq9_total", "test_statistic"] == pytest.approx(t.statistic)
    assert data["phq9_total", "p"] == pytest.approx(t.pvalue)


# ---------------------------------------------------------------- backtest against the published figures

TABLES = (hub_costs.setup_costs_table, hub_costs.ongoing_costs_table, hub_costs.cost_per_keyworker_table,
          service_costs.key_supports_table, service_costs.service_costs_table,
          service_costs.site_subgroup_costs_table, service_costs.cost_regressions, service_costs.completeness_tests)
@pytest.fixture(scope="module")
def synthetic_study():
    return load_synthetic()


# Table 59's sensitivity rows are internally inconsistent (SD convention changes between rows, SA1 team SD fits no
# configuration, SA5 is infeasible; spec A §2.4) and the synthetic costing leaves them uncalibrated
# (docs/calibration-costing.md, "Approximately" / "Not reproduced"), so only its primary rows are held to the
# published rounding; test_synthetic_sensitivity_analyses_move_costs_as_published checks the others' direction.
STRICT_ROWS = {"T59": lambda pub: pub["row"].str.endswith("_primary")}


@pytest.mark.parametrize("make", TABLES, ids=lambda f: f.__name__)
def test_synthetic_study_reproduces_the_published_figures(synthetic_study, make):
    res = make(study=synthetic_study)
    pub = published_rows(res.id)
    if res.id in STRICT_ROWS:
        pub = pub[STRICT_ROWS[res.id](pub)]
    assert_reproduces(res, pub)


def test_synthetic_sensitivity_analyses_move_costs_as_published(synthetic_study):
    # sign of (analysis mean − primary mean) as in Table 59; SA5 is left out (infeasible as printed, and the
    # synthetic team capacity at one site is below its actual reach, as the report's figures imply)
    data = hub_costs.cost_per_keyworker_table(study=synthetic_study).data
    mean = data[(data["column"] == "Total") & (data["statistic"] == "mean")].set_index("row")["value"]
    pub = published_rows("T59")
    pub_mean = pub[pub["statistic"] == "mean"].set_index("row")["value"]
    for support in ("individual", "team"):
        for aid in ("sa1_overtime", "sa2_pssru_oncost", "sa3_more_individual", "sa4_more_team"):
            row, base = f"{support}_{aid}", f"{support}_primary"
            assert np.sign(mean[row] - mean[base]) == np.sign(pub_mean[row] - pub_mean[base]), row


def test_synthetic_costable_counts_and_chapter_5_p_thresholds(synthetic_study):
    pub = published_rows("CH5").set_index(["row", "statistic"])["value"]
    if pub.empty:
        pytest.skip("no chapter 5 figures in data/reference/published_figures/")
    costs = service_costs.cost_service_use(synthetic_study)
    got = {"mh_section_costable": costs["mh_costable"].sum(), "other_section_costable": costs["other_costable"].sum(),
           "both_sections_costable": costs["complete"].sum()}
    assert got == {k: pub[k, "n"] for k in got}
    tests = service_costs.completeness_tests(study=synthetic_study).data.set_index(["row", "statistic"])["value"]
    for var in ("phq9_total", "wsas_total"):  # printed "p < 0.001"
        assert tests[var, "p"] < pub[f"completeness_{var}", "p_below"]
    regs = service_costs.cost_regressions(study=synthetic_study).data
    site_a = regs[(regs["row"] == "site[A]") & (regs["column"] == "mh")].set_index("statistic")["value"]
    assert site_a["coef"] > 0 and site_a["p"] < pub["mh_cost_regression_site_a_vs_d", "p_below"]
