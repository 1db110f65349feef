"""Synthetic service maps and Hub costing, checked against the report's published figures.

The aggregates are recomputed here with plain pandas from the generated files (not with the
generator's own data) and compared with data/reference/published_figures/economics_hub.csv:
a published value matches when the recomputed one is within half its printed precision.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hubcase.errors import ProblemList
from hubcase.instruments import MEASURES
from hubcase.io import load_yaml, read_csv
from hubcase.schema import CONTRACT
from hubcase.schema.core import parse_table, validate_node
from hubcase.synth.costing import generate_costing
from hubcase.synth.service_mapping import CONTENT, generate_service_maps, site_scale
from hubcase.synth.sites import BASE_MEASURES, site_profiles

TARGETS = Path(__file__).resolve().parents[1] / "data" / "reference" / "published_figures" / "economics_hub.csv"
SITES = ["A", "B", "C", "D"]
BAND6_PLUS = {"6", "7", "8a", "8b", "8c", "8d", "9"}


# ------------------------------------------------------------------------- helpers
def _targets() -> dict[tuple[str, str, str, str], tuple[float, float]]:
    frame = pd.read_csv(TARGETS, dtype=str, keep_default_na=False)
    return {(r.table, r.row, r.column, r.statistic): (float(r.value), float(r.precision))
            for r in frame.itertuples()}


def assert_published(key: tuple[str, str, str, str], got: float) -> None:
    value, precision = _targets()[key]
    tolerance = precision / 2 if precision else 1e-9
    assert abs(got - value) <= tolerance, f"{key}: recomputed {got:.4f}, published {value} (± {tolerance})"


def _read(files: dict[str, str], name: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(files[f"costing/{name}.csv"]), dtype=str, keep_default_na=False)


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.replace("", None))


@pytest.fixture(scope="module")
def maps() -> dict[str, dict]:
    files = generate_service_maps(site_profiles())
    return {s: yaml.safe_load(files[f"service_mapping/{s}.yml"]) for s in SITES}


@pytest.fixture(scope="module")
def costing() -> dict[str, str]:
    return generate_costing(site_profiles(), seed=2024)


@pytest.fixture(scope="module")
def ongoing(costing) -> pd.Series:
    """Annual ongoing cost per site: WTE x band cost for continuously funded posts, plus amounts."""
    lines = _read(costing, "hub_costs")
    units = _read(costing, "staff_unit_costs")
    lines = lines[(lines.phase == "ongoing") & (lines.continuous_funding != "false")]
    lines = lines.merge(units[["afc_band", "annual_cost"]], on="afc_band", how="left")
    cost = _num(lines.amount).fillna(_num(lines.wte) * _num(lines.annual_cost))
    return cost.groupby(lines.site).sum()


@pytest.fixture(scope="module")
def activity(costing) -> pd.DataFrame:
    frame = _read(costing, "hub_activity").set_index("site").drop(columns="setup_type")
    return frame.apply(_num, axis=0)


def _cost_per_keyworker(ongoing: pd.Series, activity: pd.DataFrame, share: pd.Series) -> tuple[pd.Series, pd.Series]:
    individual = ongoing * share / activity.keyworkers_individual
    team = (ongoing * (1 - share) / activity.keyworkers_team).dropna()
    return individual, team


def _mid(activity: pd.DataFrame) -> pd.Series:
    return (activity.individual_share_low + activity.individual_share_high) / 2


# ---------------------------------------------------------------------- service maps
@pytest.mark.parametrize("n_sites", [None, 10])
def test_every_generated_service_map_validates_without_problems(n_sites):
    sites = site_profiles(n_sites)
    files = generate_service_maps(sites)
    assert sorted(files) == sorted(f"service_mapping/{s.id}.yml" for s in sites)
    for site in sites:
        problems = ProblemList()
        doc = yaml.safe_load(files[f"service_mapping/{site.id}.yml"])
        validate_node(CONTRACT.document("service_mapping").root, doc, "", site.id, problems)
        assert problems.items == [], [str(p) for p in problems.items]
        assert doc["site"] == site.id


def test_authored_files_load_with_the_strict_study_loader():
    for site in SITES:
        problems = ProblemList()
        doc = load_yaml(CONTENT / f"{site}.yml", f"{site}.yml", problems)
        assert problems.items == [] and doc["site"] == site


def test_calibrated_sites_get_the_authored_files_byte_for_byte():
    files = generate_service_maps(site_profiles())
    for site in SITES:
        assert files[f"service_mapping/{site}.yml"] == (CONTENT / f"{site}.yml").read_text(encoding="utf-8")


def test_region_staff_matches_table1(maps):
    for site in SITES:
        assert_published(("T1", "region_staff", site, "n"), maps[site]["region_staff"])


def test_post_wte_sums_equal_table4_totals(maps):
    for site in SITES:
        staffing = maps[site]["staffing"]
        total = sum(p["wte"] for p in staffing["posts"])
        assert_published(("T4", "total_wte", site, "sum"), total)
        assert total == pytest.approx(staffing["reported_total_wte"])


def test_band6_plus_share_of_posts_differs_from_reported_table3(maps):
    # A: (0.4 + 0.8 + 0.4 + 4.4 + 0.6 + 3.3 + 0.4) / 13.9 = 10.3 / 13.9 = 74.10%, Table 3 prints 78.51%
    for site in SITES:
        posts = pd.DataFrame(maps[site]["staffing"]["posts"])
        share = 100 * posts.wte[posts.afc_band.isin(BAND6_PLUS)].sum() / posts.wte.sum()
        assert_published(("T4", "band6_plus_wte_share", site, "pct"), share)
        assert_published(("T3", "band6_plus", site, "pct"), maps[site]["staffing"]["reported_pct_band6_plus"])


def test_screening_measures_match_base_measures_and_smoking_dates(maps):
    for site in SITES:
        measures = maps[site]["screening_measures"]
        used = {m for m in MEASURES if measures[m]["used"]}
        assert used == set(BASE_MEASURES[site])
        assert measures["demographic_occupational"]["used"] and measures["covid_impact"]["used"]
    assert [maps[s]["screening_measures"]["smoking_drug_use"]["since"] for s in SITES] == [
        None, None, "2021-09", "2021-05"]


def test_onward_referral_models_and_direct_shares(maps):
    got = [(maps[s]["onward_referral"]["model"], maps[s]["onward_referral"]["share_direct"]) for s in SITES]
    assert got == [("in_house_therapy", None), ("mixed", 0.5), ("facilitated_onward_referral", 0.4),
                   ("facilitated_onward_referral", None)]


def test_only_site_d_is_an_expanded_existing_service(maps):
    assert [maps[s]["setup_type"] for s in SITES] == ["newly_established"] * 3 + ["expanded_existing"]


def test_subgroup_specific_training_is_empty_and_targets_use_subgroup_ids(maps):
    subgroups = {"care_home", "men", "ethnic_minority", "emergency_services"}
    targeted = set()
    for site in SITES:
        assert maps[site]["training"]["subgroup_specific"] == []
        targeted |= {g for a in maps[site]["outreach"]["targeted"] for g in a["target_groups"]}
    assert subgroups <= targeted


def test_other_sites_copy_their_base_with_scaled_region_staff():
    files = generate_service_maps(site_profiles(10))
    for site in site_profiles(10)[4:]:
        doc = yaml.safe_load(files[f"service_mapping/{site.id}.yml"])
        base = yaml.safe_load((CONTENT / f"{site.base}.yml").read_text(encoding="utf-8"))
        assert doc["region_staff"] == round(base["region_staff"] * site_scale(site.id) / 1000) * 1000
        assert {k: v for k, v in doc.items() if k not in ("site", "region_staff")} == \
               {k: v for k, v in base.items() if k not in ("site", "region_staff")}


def test_site_scale_is_fixed_and_bounded():
    assert site_scale("E") == site_scale("E")
    assert all(0.8 <= site_scale(s) <= 1.2 for s in ("E", "F", "S01", "S99"))


# --------------------------------------------------------------------------- costing
@pytest.mark.parametrize("n_sites", [None, 10])
def test_costing_files_meet_the_contract(tmp_path, n_sites):
    sites = site_profiles(n_sites)
    files = generate_costing(sites, seed=1)
    for table_id in ("hub_costs", "hub_activity", "staff_unit_costs"):
        text = files[f"costing/{table_id}.csv"]
        assert "\r" not in text and text.endswith("\n")
        path = tmp_path / f"{table_id}.csv"
        path.write_text(text, encoding="utf-8")
        problems = ProblemList()
        raw = read_csv(path, path.name, problems)
        parse_table(CONTRACT.table(table_id), raw, path.name, problems)
        assert problems.items == [], [str(p) for p in problems.items]
        assert list(raw.columns) == list(CONTRACT.table(table_id).names)
    activity = _read(files, "hub_activity")
    assert list(activity.site) == [s.id for s in sites]


def test_setup_cost_mean_and_sd_match_chapter5(costing):
    lines = _read(costing, "hub_costs")
    setup = _num(lines.amount[lines.phase == "setup"]).groupby(lines.site[lines.phase == "setup"]).sum()
    assert list(setup.index) == ["A", "B", "C"]
    assert_published(("T14", "setup_cost", "Total", "mean"), setup.mean())
    assert_published(("T14", "setup_cost", "Total", "sd"), setup.std(ddof=1))
    assert_published(("T14", "setup_cost", "Total", "n"), len(setup))


@pytest.mark.parametrize("table,phase,sites", [("T14", "setup", ["A", "B", "C"]), ("T15", "ongoing", SITES)])
def test_cost_categories_match_the_ticks_of_tables_14_and_15(costing, table, phase, sites):
    lines = _read(costing, "hub_costs")
    lines = lines[lines.phase == phase]
    targets = pd.read_csv(TARGETS, dtype=str, keep_default_na=False)
    ticks = targets[(targets.table == table) & (targets.statistic == "reported")]
    for row in ticks.itertuples():
        present = ((lines.site == row.column) & (lines.category == row.row)).any()
        assert present == (row.value == "1"), f"{table} {row.row} at {row.column}"
    assert set(lines.site) == set(sites)


def test_staff_lines_are_the_service_map_posts(costing, maps):
    lines = _read(costing, "hub_costs")
    for site in SITES:
        staff = lines[(lines.site == site) & (lines.wte != "") & (lines.continuous_funding == "true")]
        posts = maps[site]["staffing"]["posts"]
        assert list(zip(staff.description, staff.afc_band, _num(staff.wte))) == [
            (p["role"], p["afc_band"], p["wte"]) for p in posts]


def test_two_temporary_site_c_posts_are_not_continuously_funded(costing):
    lines = _read(costing, "hub_costs")
    temporary = lines[lines.continuous_funding == "false"]
    assert list(temporary.site) == ["C", "C"]
    assert (temporary.wte != "").all()


def test_staff_share_of_ongoing_cost_rounds_to_86_percent(costing, ongoing):
    lines = _read(costing, "hub_costs")
    units = _read(costing, "staff_unit_costs")
    staff = lines[(lines.wte != "") & (lines.continuous_funding == "true")].merge(units, on="afc_band")
    staff_cost = (_num(staff.wte) * _num(staff.annual_cost)).groupby(staff.site).sum()
    assert_published(("T15", "staff_share", "Total", "pct"), 100 * staff_cost.sum() / ongoing.sum())
    assert_published(("T15", "staff_share", "Total", "pct"), 100 * (staff_cost / ongoing).mean())
    assert_published(("T15", "non_staff_share", "Total", "pct"), 100 * (1 - staff_cost.sum() / ongoing.sum()))


def test_keyworker_counts_and_capacity_match_chapter5_and_table58(activity):
    for row, table in (("keyworkers_individual", "CH5"), ("keyworkers_team", "CH5"),
                       ("capacity_individual", "T58"), ("capacity_team", "T58")):
        values = activity[row].dropna()
        for stat in ("mean", "min", "max"):
            assert_published((table, row, "Total", stat), getattr(values, stat)())
    assert sorted(activity.keyworkers_team.dropna()) == [900, 1786, 2672]
    assert activity.keyworkers_team.isna().tolist() == [False, True, False, False]


def test_budgets_are_the_three_published_new_hub_budgets(activity):
    budgets = activity.budget
    assert sorted(budgets.dropna()) == [1_009_145, 1_181_998, 1_848_438]
    assert pd.isna(budgets["D"])
    assert_published(("CH5", "budget", "Total", "mean"), budgets.mean())


def test_individual_cost_per_keyworker_matches_table59(ongoing, activity):
    individual, _ = _cost_per_keyworker(ongoing, activity, _mid(activity))
    assert len(individual) == 4
    key = ("T59", "individual_primary", "Total")
    assert_published((*key, "mean"), individual.mean())
    assert_published((*key, "sd"), individual.std(ddof=1))
    assert_published((*key, "min"), individual.min())
    assert_published((*key, "max"), individual.max())


def test_team_cost_per_keyworker_matches_table59(ongoing, activity):
    _, team = _cost_per_keyworker(ongoing, activity, _mid(activity))
    assert list(team.index) == ["A", "C", "D"]
    assert sorted(team.round()) == [99, 288, 429]
    key = ("T59", "team_primary", "Total")
    for stat, got in (("mean", team.mean()), ("sd", team.std(ddof=1)), ("min", team.min()),
                      ("max", team.max()), ("median", team.median())):
        assert_published((*key, stat), got)


@pytest.mark.parametrize("row,bound", [("team_sa3_more_individual", "individual_share_high"),
                                       ("team_sa4_more_team", "individual_share_low")])
def test_share_ranges_reproduce_team_sensitivity_mean_and_population_sd(ongoing, activity, row, bound):
    _, team = _cost_per_keyworker(ongoing, activity, activity[bound])
    assert_published(("T59", row, "Total", "mean"), team.mean())
    assert_published(("T59", row, "Total", "sd"), team.std(ddof=0))


def test_staff_unit_costs_cover_every_band_with_full_cost_about_35_percent_higher(costing):
    units = _read(costing, "staff_unit_costs").set_index("afc_band")
    assert list(units.index) == ["2", "3", "4", "4/5", "5", "6", "7", "8a", "8b", "8c", "8d", "9"]
    ratio = _num(units.annual_cost_full) / _num(units.annual_cost)
    assert ratio.between(1.34, 1.36).all()
    cost = _num(units.annual_cost)
    assert cost["4/5"] == (cost["4"] + cost["5"]) / 2
    assert cost.is_monotonic_increasing
    assert (units.source == "Illustrative values in the style of PSSRU Unit Costs 2021 (synthetic)").all()


def test_other_sites_keep_their_posts_and_scale_money_and_counts():
    sites = site_profiles(10)
    files = generate_costing(sites, seed=1)
    lines = _read(files, "hub_costs")
    activity = _read(files, "hub_activity").set_index("site")
    for site in sites[4:]:
        mine, base = lines[lines.site == site.id], lines[lines.site == site.base]
        assert list(mine.wte) == list(base.wte) and list(mine.category) == list(base.category)
        amounts = _num(mine.amount).dropna().to_numpy()
        expected = (_num(base.amount).dropna() * site_scale(site.id)).round().to_numpy()
        assert (amounts == expected).all()
        kw = int(activity.loc[site.base, "keyworkers_individual"])
        assert int(activity.loc[site.id, "keyworkers_individual"]) == round(kw * site_scale(site.id))


def test_generation_is_deterministic_and_ignores_the_seed():
    sites = site_profiles(10)
    assert generate_costing(sites, seed=1) == generate_costing(sites, seed=99)
    assert generate_service_maps(sites) == generate_service_maps(sites)


def test_targets_file_has_the_documented_columns_and_numeric_values():
    frame = pd.read_csv(TARGETS, dtype=str, keep_default_na=False)
    assert list(frame.columns) == ["table", "row", "column", "statistic", "value", "precision", "source_note"]
    assert pd.to_numeric(frame.value).notna().all() and pd.to_numeric(frame.precision).ge(0).all()
    assert not frame.duplicated(["table", "row", "column", "statistic"]).any()
    assert frame.table.map(lambda t: re.fullmatch(r"T\d+|CH5", t) is not None).all()
