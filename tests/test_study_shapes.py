"""Every table, figure and joint display works for studies of other shapes (issue 3 done-when)."""
from __future__ import annotations

import matplotlib
import pandas as pd
import pytest
import yaml

from analyses import catalog
from hubcase.study import load_study
from hubcase.synth.build import synthesise
from joint_displays.build import build_displays

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def six_sites(tmp_path_factory):
    root = tmp_path_factory.mktemp("six") / "study"
    synthesise(root, seed=7, n_sites=6, records_per_site=150)
    return load_study(root)


def _all_outputs(study):
    tables = catalog.compute_tables(study)
    figures = catalog.compute_figures(study)
    return tables, figures


def test_six_site_study_gives_every_table_with_a_column_per_site(six_sites):
    tables, figures = _all_outputs(six_sites)
    by_id = {t.id: t for t in tables}
    assert {"T1", "T6", "T9", "T11", "T16", "T18", "T22", "T30", "T55", "T61"} <= set(by_id)
    unavailable = [t.id for t in tables if not catalog.is_available(t)]
    assert unavailable == [], unavailable
    # T9: six site columns plus the total, each headed with the site's own n.
    header = list(by_id["T9"].display.columns)[1:]
    assert len(header) == 7 and header[-1].startswith("Total")
    n_f = int((six_sites.screening["site"] == "F").sum())
    assert any(h == f"Site F (n = {n_f})" for h in header)
    assert figures, "no figures were produced"


def test_six_site_hub_display_columns_are_the_sites_with_interviews(six_sites):
    ds = build_displays(six_sites)
    with_interviews = [s.id for s in six_sites.config.sites if s.has("qualitative")]
    assert list(ds.hub.column_ids) == with_interviews
    assert "C" not in ds.hub.column_ids  # base profile C has no interviews
    assert {r.fit.derived for r in ds.themes.rows} <= {"confirmation", "expansion", "discordance", "not_addressed"}


def test_a_site_lacking_a_measure_shows_a_dash_not_a_number(six_sites):
    t9 = catalog.table("T9", study=six_sites)
    audit = t9.data[(t9.data["variable"] == "case_audit") & (t9.data["site"] == "B")]
    assert not bool(audit["administered"].iloc[0])  # site B (and F) did not use AUDIT
    row = t9.display[t9.display.iloc[:, 0].str.contains("AUDIT score")].iloc[0]
    b_col = next(c for c in t9.display.columns if str(c).startswith("Site B"))
    assert row[b_col] == "–"


def test_single_site_study_builds_tables_without_site_terms(tmp_path):
    root = tmp_path / "one"
    synthesise(root, seed=3, n_sites=1, records_per_site=200)
    study = load_study(root)
    tables, _ = _all_outputs(study)
    t30 = next(t for t in tables if t.id == "T30")
    assert catalog.is_available(t30)
    models = catalog.caseness_models(study).rows
    assert not models["site_adjusted"].any()  # one site: no site term to adjust for
    assert models["p_interaction"].isna().all()
    ds = build_displays(study)
    assert list(ds.hub.column_ids) == ["A"]


def test_all_missing_column_is_shown_as_missing_not_a_crash(tmp_path):
    root = tmp_path / "gap"
    synthesise(root, seed=5, n_sites=2, records_per_site=80)
    frame = pd.read_csv(root / "screening.csv", dtype=str, keep_default_na=False)
    frame["prepandemic_concern"] = ""
    frame.to_csv(root / "screening.csv", index=False)
    study = load_study(root)
    t8 = catalog.table("T8", study=study)
    rows = t8.data[t8.data["variable"] == "prepandemic_concern"]
    assert (rows["n"] == 0).all() and (rows["missing_pct"] == 100).all()
    t30 = catalog.table("T30", study=study)
    assert catalog.is_available(t30)
    concern = t30.display[t30.display.iloc[:, 0].astype(str).str.contains(r"\(vs\. no\)")]
    assert len(concern) == 2
    assert concern.apply(lambda r: r.astype(str).str.contains("Not computable|–").any(), axis=1).all()


def test_site_without_followup_keeps_its_screening_columns(tmp_path):
    root = tmp_path / "nofollow"
    synthesise(root, seed=9, n_sites=3, records_per_site=90)
    doc = yaml.safe_load((root / "study.yml").read_text())
    doc["sites"][2]["strands"]["followup"] = False
    (root / "study.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    follow = pd.read_csv(root / "followup.csv", dtype=str, keep_default_na=False)
    dropped = follow.loc[follow["site"] == "C", "record_id"]
    follow[follow["site"] != "C"].to_csv(root / "followup.csv", index=False)
    use = pd.read_csv(root / "service_use.csv", dtype=str, keep_default_na=False)
    use[~use["record_id"].isin(dropped)].to_csv(root / "service_use.csv", index=False)
    study = load_study(root)
    t11 = catalog.table("T11", study=study)
    assert not any(str(c).startswith("Site C") for c in t11.display.columns)
    t9 = catalog.table("T9", study=study)
    assert any(str(c).startswith("Site C") for c in t9.display.columns)
