"""Core joint-display behaviour on the embedded study: cases, T26 ratings, a flip, disclosure."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hubcase.study import load_study
from joint_displays.build import build_displays
from joint_displays.markdown import display_markdown

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def displays():
    study = load_study(ROOT / "data/synthetic")
    return study, build_displays(study)


def test_hub_display_columns_are_the_sites_with_every_strand(displays):
    _, ds = displays
    assert ds.hub.column_ids == ("A", "B", "D")  # Site C has no interviews


def test_t26_reproduces_three_expansion_ratings_from_the_evidence(displays):
    _, ds = displays
    assert [(r.id, r.fit.derived, r.fit.disagrees) for r in ds.themes.rows] == [
        ("staffing_use", "expansion", False), ("uptake", "expansion", False),
        ("under_representation", "expansion", False)]


def test_caseness_cell_equals_an_independent_count(displays):
    study, ds = displays
    scr = pd.read_csv(ROOT / "data/synthetic/screening.csv")
    items = [f"phq9_{i:02d}" for i in range(1, 10)]
    at_b = scr[scr["site"] == "B"].dropna(subset=items)
    expected = round(100 * (at_b[items].sum(axis=1) >= 10).mean())
    cell = next(r for r in ds.hub.rows if r.id == "phq9").cells["B"]
    assert cell.text == f"{expected}%" and "T9" in cell.evidence


def _flipped_study(tmp_path: Path) -> Path:
    root = tmp_path / "study"
    shutil.copytree(ROOT / "data/synthetic", root)
    path = root / "service_mapping" / "B.yml"
    doc = yaml.safe_load(path.read_text())
    for post in doc["staffing"]["posts"]:  # make Site B's workforce junior: Band 6+ share falls below 0.6
        if post["afc_band"] in ("6", "7", "8a", "8b", "8c", "8d", "9"):
            post["wte"] = round(post["wte"] * 0.2, 2)
    doc["staffing"]["reported_total_wte"] = round(sum(p["wte"] for p in doc["staffing"]["posts"]), 2)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return root


def test_changing_a_sites_staffing_flips_its_ratings_and_warns(tmp_path):
    study = load_study(_flipped_study(tmp_path))
    ds = build_displays(study)
    staffing = next(r for r in ds.themes.rows if r.id == "staffing_use")
    assert staffing.fit.derived == "discordance" and staffing.fit.declared == "expansion"
    assert staffing.fit.disagrees and "declared" in staffing.fit.shown
    assert any("staffing_use" in w and "discordance" in w for w in ds.warnings)
    need = next(r for r in ds.hub.rows if r.id == "need_and_staffing")
    assert need.fits["B"].derived == "discordance" and need.fits["A"].derived == "expansion"


def test_subgroup_displays_name_no_site_and_no_participant(displays):
    study, ds = displays
    people = list(study.participants["participant_id"])
    for d in (ds.demographic, ds.occupational):
        text = d.to_frame().to_string() + display_markdown(d)
        for label in ("Site A", "Site B", "Site C", "Site D", *people):
            assert label not in text, (d.id, label)


def test_identifiable_excerpts_never_appear(displays):
    study, ds = displays
    secret = study.excerpts.loc[study.excerpts["identifiable"].astype(bool), "excerpt_id"]
    shown = set(ds.evidence_frame()["evidence"].str.split(";").explode()) | set(ds.appendix.data["excerpt_id"])
    assert not shown & set(secret)


def test_per_site_view_has_one_column_with_that_sites_ratings(displays):
    _, ds = displays
    view = ds.hub.column("D")
    assert view.column_ids == ("D",)
    need = next(r for r in view.rows if r.id == "need_and_staffing")
    assert need.fit is not None and need.fit is ds.hub.rows[[r.id for r in ds.hub.rows].index(
        "need_and_staffing")].fits["D"]
