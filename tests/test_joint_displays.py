"""T23–T26 on the embedded synthetic study: cases, cell values against plain pandas, evidence links,
fit ratings reproduced and flipped, per-site views and the CSV/Markdown forms.

Expected numbers are computed here from the raw CSVs and YAMLs with plain pandas (never through
``analyses``), so a display cell that drifts from its source table fails.
"""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hubcase.study import load_study
from joint_displays.build import build_displays
from joint_displays.hub_level import hub_cases
from joint_displays.markdown import anchor, appendix_markdown, display_markdown
from joint_displays.model import NOT_ADDRESSED, NOT_COLLECTED, OK

SYNTHETIC = Path(__file__).resolve().parents[1] / "data" / "synthetic"
CASES = ("A", "B", "D")
SENIOR_BANDS = {"6", "7", "8a", "8b", "8c", "8d", "9"}
SECTORS = ("nhs", "primary_care", "social_care", "emergency_services", "education", "vcse", "local_authority",
           "other")


@pytest.fixture(scope="module")
def built():
    study = load_study(SYNTHETIC)
    return study, build_displays(study)


@pytest.fixture(scope="module")
def ds(built):
    return built[1]


@pytest.fixture(scope="module")
def screening():
    return pd.read_csv(SYNTHETIC / "screening.csv")


@pytest.fixture(scope="module")
def followup():
    return pd.read_csv(SYNTHETIC / "followup.csv")


@pytest.fixture(scope="module")
def excerpts():
    return pd.read_csv(SYNTHETIC / "qualitative" / "excerpts.csv")


@pytest.fixture(scope="module")
def participants():
    return pd.read_csv(SYNTHETIC / "qualitative" / "participants.csv")


def row(display, row_id):
    return next(r for r in display.rows if r.id == row_id)


def copy_study(tmp: Path) -> Path:
    root = tmp / "study"
    shutil.copytree(SYNTHETIC, root)
    return root


def edit_yaml(path: Path, edit) -> None:
    doc = yaml.safe_load(path.read_text())
    edit(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


def declare(root: Path, row_id: str, rating: str) -> None:
    def edit(doc):
        next(r for r in doc["rows"] if r["id"] == row_id)["declared_fit"] = rating
    edit_yaml(root / "integration.yml", edit)


# ------------------------------------------------------------------------------ cases

def test_hub_columns_are_the_sites_with_every_strand(ds):
    # Site C collected no interviews, so it is not a Hub-level case.
    assert ds.hub.columns == (("A", "Site A"), ("B", "Site B"), ("D", "Site D"))
    assert "not included: Site C" in ds.hub.notes[0]


def test_hub_columns_follow_the_study_when_another_site_lacks_a_strand(tmp_path):
    root = copy_study(tmp_path)

    def drop_costing_at_b(doc):
        next(s for s in doc["sites"] if s["id"] == "B")["strands"]["costing"] = False
    edit_yaml(root / "study.yml", drop_costing_at_b)
    study = load_study(root)
    assert hub_cases(study) == ("A", "D")
    hub = build_displays(study).hub
    assert hub.column_ids == ("A", "D")
    assert all(set(r.cells) <= {"A", "D"} for r in hub.rows)
    assert "not included: Site B, Site C" in hub.notes[0]


# ------------------------------------------------------------ T23 numbers vs plain pandas

def band6_text(site: str) -> str:
    posts = yaml.safe_load((SYNTHETIC / "service_mapping" / f"{site}.yml").read_text())["staffing"]["posts"]
    senior = sum(p["wte"] for p in posts if str(p["afc_band"]) in SENIOR_BANDS)
    return f"{100 * senior / sum(p['wte'] for p in posts):.2f}%"


@pytest.mark.parametrize("site", CASES)
def test_band6_cell_is_the_senior_share_of_posted_wte(ds, site):
    cell = row(ds.hub, "band6").cells[site]
    assert (cell.text, cell.evidence) == (band6_text(site), ("T3",))


@pytest.mark.parametrize("site", CASES)
@pytest.mark.parametrize("sector", SECTORS)
def test_sector_cell_is_the_share_of_the_site_sample_excluding_missing(ds, screening, site, sector):
    at = screening[screening["site"] == site]
    share = at["sector"].value_counts(normalize=True).get(sector, 0.0)  # value_counts drops missing
    expected = f"{100 * share:.1f}%"
    if sector == "nhs":
        expected = f"n = {len(at)}; {expected}"  # the NHS row also carries the site's screening total
    cell = row(ds.hub, f"sector_{sector}").cells[site]
    assert (cell.text, cell.evidence) == (expected, ("T7",))


@pytest.mark.parametrize("site", CASES)
def test_icu_and_other_nhs_cells_are_shares_of_nhs_staff_with_a_work_setting(ds, screening, site):
    nhs = screening[(screening["site"] == site) & (screening["sector"] == "nhs")]
    icu = nhs["work_setting"].dropna().isin(["icu_critical_care", "nightingale"]).mean()
    assert row(ds.hub, "icu").cells[site].text == f"({100 * icu:.0f}% of NHS)"
    assert row(ds.hub, "other_nhs").cells[site].text == f"({100 - 100 * icu:.0f}% of NHS)"
    assert row(ds.hub, "icu").cells[site].evidence == row(ds.hub, "other_nhs").cells[site].evidence == ("T7",)


CASENESS = {"phq9": ("phq9", 9, 10), "gad7": ("gad7", 7, 10), "wsas": ("wsas", 5, 11), "audit": ("audit", 10, 8)}


def caseness_text(screening, site, prefix, n_items, cut) -> str:
    items = [f"{prefix}_{i:02d}" for i in range(1, n_items + 1)]
    total = screening.loc[screening["site"] == site, items].sum(axis=1, skipna=False).dropna()
    return f"{100 * (total >= cut).mean():.0f}%"


@pytest.mark.parametrize(("site", "measure"), [(s, m) for s in CASES for m in CASENESS if (s, m) != ("B", "audit")])
def test_caseness_cell_is_the_share_at_or_above_the_cut_off(ds, screening, site, measure):
    cell = row(ds.hub, measure).cells[site]
    assert (cell.text, cell.evidence) == (caseness_text(screening, site, *CASENESS[measure]), ("T9",))


@pytest.mark.parametrize("site", ("A", "B"))
def test_ptsd_cell_names_the_instrument_and_uses_pcl5_at_or_above_31(ds, screening, site):
    cell = row(ds.hub, "ptsd").cells[site]
    assert cell.text == f"{caseness_text(screening, site, 'pcl5', 20, 31)} (PCL-5)"


def test_ptsd_cell_at_an_itq_site_says_itq(ds):
    assert row(ds.hub, "ptsd").cells["D"].text.endswith("(ITQ)")


def test_audit_at_site_b_is_a_dash_because_it_was_not_used(ds, screening):
    assert screening.loc[screening["site"] == "B", [f"audit_{i:02d}" for i in range(1, 11)]].isna().all().all()
    cell = row(ds.hub, "audit").cells["B"]
    assert cell.status == NOT_COLLECTED and cell.text == ""
    assert cell.shown == "–"
    assert ds.hub.to_frame().set_index("row").loc["Problematic alcohol use caseness (AUDIT)", "Site B"] == "–"


@pytest.mark.parametrize("site", CASES)
@pytest.mark.parametrize(("row_id", "column"), [("su_hub_share", "mh_support_hub"),
                                                ("su_employer_share", "mh_support_employer"),
                                                ("su_facilitated_share", "mh_support_nonhub_via_hub")])
def test_service_use_cell_is_the_share_of_those_accessing_support_via_any_route(ds, followup, site, row_id, column):
    via_any = followup[(followup["site"] == site) & (followup["mh_support_any"] == "yes")]
    expected = f"{100 * (via_any[column] == 'yes').mean():.1f}%"
    cell = row(ds.hub, row_id).cells[site]
    assert (cell.text, cell.evidence) == (expected, ("T11",))


@pytest.mark.parametrize("site", CASES)
def test_met_needs_cell_is_over_every_respondent_with_missing_on_its_own_line(ds, followup, site):
    shares = followup.loc[followup["site"] == site, "hub_met_needs"].fillna("missing").value_counts(normalize=True)
    labels = (("yes_fully", "Yes fully"), ("yes_partially", "Yes partially"), ("no", "No"), ("missing", "Missing"))
    expected = "; ".join(f"{lab} – {100 * shares.get(lvl, 0.0):.1f}%" for lvl, lab in labels)
    cell = row(ds.hub, "met_needs").cells[site]
    assert (cell.text, cell.evidence) == (expected, ("T12",))


@pytest.mark.parametrize("site", CASES)
def test_eq5d_no_problem_cell_is_the_share_at_level_one(ds, followup, site):
    at = followup[followup["site"] == site]
    dims = (("eq5d_mo", "Mobility"), ("eq5d_sc", "Self-care"), ("eq5d_ua", "Usual activities"),
            ("eq5d_pd", "Pain and discomfort"), ("eq5d_ad", "Anxiety and depression"))
    expected = "; ".join(f"{lab} – {100 * (at[d].dropna() == 1).mean():.0f}%" for d, lab in dims)
    cell = row(ds.hub, "eq5d_no_problems").cells[site]
    assert (cell.text, cell.evidence) == (expected, ("T16",))


@pytest.mark.parametrize("site", CASES)
def test_mean_eq_vas_cell(ds, followup, site):
    cell = row(ds.hub, "eq_vas_mean").cells[site]
    assert (cell.text, cell.evidence) == (f"{followup.loc[followup['site'] == site, 'eq_vas'].mean():.2f}", ("T16b",))


def test_every_number_in_t23_carries_a_table_id(ds):
    qualitative = {"q_need", "q_clarity_pos", "q_clarity_neg", "q_beliefs_pos", "q_beliefs_neg", "direct_therapy"}
    for r in ds.hub.rows:
        if r.id in qualitative or r.fits:
            continue
        for site, cell in r.cells.items():
            if cell.status == OK:
                assert cell.evidence and all(e.startswith("T") for e in cell.evidence), (r.id, site, cell.evidence)


def test_cost_cells_carry_their_table_and_n(ds):
    for site in CASES:
        cell = row(ds.hub, "cost_mh").cells[site]
        assert cell.evidence == ("T61",) and "n = " in cell.text and "£" in cell.text


def test_service_description_cell_points_at_the_sites_mapping_document(ds):
    for site in CASES:
        assert row(ds.hub, "direct_therapy").cells[site].evidence == (f"service_mapping/{site}.yml:onward_referral",)


# -------------------------------------------------------------------- qualitative cells

QUAL = {"q_need": ("higher_need", None), "q_clarity_pos": ("clarity_of_offer", "enabler"),
        "q_clarity_neg": ("clarity_of_offer", "barrier"), "q_beliefs_pos": ("beliefs_access", "enabler"),
        "q_beliefs_neg": ("beliefs_access", "barrier")}


@pytest.mark.parametrize("row_id", QUAL)
def test_qualitative_cells_list_publishable_excerpts_of_that_site_theme_and_valence(ds, excerpts, participants,
                                                                                     row_id):
    ex = excerpts.set_index("excerpt_id")
    site_of = participants.set_index("participant_id")["site"]
    theme, valence = QUAL[row_id]
    for site in CASES:
        cell = row(ds.hub, row_id).cells[site]
        assert cell.quotes, (row_id, site)
        for q in cell.quotes:
            source = ex.loc[q.excerpt_id]  # KeyError if the ID does not exist
            assert str(source["identifiable"]).lower() == "false"
            assert site_of[source["participant_id"]] == site
            assert theme in source["themes"].split(";")
            assert valence is None or source["valence"] == valence
            assert (q.label, q.text) == (source["participant_id"], source["text"])


def test_evidence_frame_lists_every_quote_id_of_t23(ds):
    ev = ds.hub.evidence_frame()
    listed = set(ev["evidence"].str.split(";").explode())
    shown = {q.excerpt_id for r in ds.hub.rows for c in r.cells.values() for q in c.quotes}
    assert shown and shown <= listed


def test_every_quote_links_to_an_anchor_in_the_evidence_appendix(ds):
    appendix = appendix_markdown(ds.appendix)
    for display in ds.displays:
        md = display_markdown(display)
        for q in (q for r in display.rows for c in r.cells.values() for q in c.quotes):
            assert f"(#{anchor(q.excerpt_id)})" in md
            assert f"{{#{anchor(q.excerpt_id)}}}" in appendix


def test_appendix_lists_hub_level_quotes_with_their_participant_labels(ds):
    data = ds.appendix.data.set_index("excerpt_id")
    for q in (q for r in ds.hub.rows for c in r.cells.values() for q in c.quotes):
        assert data.loc[q.excerpt_id, "label"] == q.label
        assert data.loc[q.excerpt_id, "shown_in"] == "Hub-level display"


# ------------------------------------------------------------------------ fit ratings

def test_t26_reproduces_the_three_expansion_ratings_from_the_evidence(ds):
    assert [(r.id, r.fit.derived, r.fit.declared) for r in ds.themes.rows] == [
        ("staffing_use", "expansion", "expansion"), ("uptake", "expansion", "expansion"),
        ("under_representation", "expansion", "expansion")]
    assert not any(r.fit.disagrees for r in ds.themes.rows)
    assert ds.warnings == ()


def test_t26_staffing_row_is_rated_from_each_strands_test(ds):
    fit = row(ds.themes, "staffing_use").fit
    assert [(a.strand, a.outcome) for a in fit.assessments] == [
        ("service_mapping", "supports"), ("screening", "complements"), ("health_economics", "complements"),
        ("interviews", "complements")]
    assert "band6_share_min" in fit.assessments[0].rationale and "holds" in fit.assessments[0].rationale


def test_t26_declared_silence_is_shown_as_not_addressed(ds):
    cell = row(ds.themes, "uptake").cells["screening"]
    assert cell.status == NOT_ADDRESSED and cell.shown == "[Not addressed]"


def test_t23_fit_rows_are_rated_per_site(ds):
    need = row(ds.hub, "need_and_staffing")
    assert set(need.fits) == set(CASES)
    assert {s: f.derived for s, f in need.fits.items()} == {s: "expansion" for s in CASES}
    assert {s: f.derived for s, f in row(ds.hub, "clarity_of_offer").fits.items()} == {
        s: "confirmation" for s in CASES}


@pytest.fixture(scope="module")
def junior_d(tmp_path_factory):
    """The synthetic study with Site D's Band 6+ posts cut to a fifth, so its senior share drops below 0.6.

    The T23 staffing row is declared 'expansion' so that a per-site disagreement can be seen.
    """
    root = copy_study(tmp_path_factory.mktemp("junior_d"))

    def cut(doc):
        for post in doc["staffing"]["posts"]:
            if str(post["afc_band"]) in SENIOR_BANDS:
                post["wte"] = round(post["wte"] * 0.2, 2)
        doc["staffing"]["reported_total_wte"] = round(sum(p["wte"] for p in doc["staffing"]["posts"]), 2)
    edit_yaml(root / "service_mapping" / "D.yml", cut)
    declare(root, "need_and_staffing", "expansion")
    return build_displays(load_study(root))


def test_junior_staffing_at_one_site_flips_the_t26_staffing_row_to_discordance(junior_d):
    fit = row(junior_d.themes, "staffing_use").fit
    assert fit.derived == "discordance" and fit.declared == "expansion" and fit.disagrees
    assert fit.rationale.startswith("service mapping contradict(s)")
    assert row(junior_d.themes, "uptake").fit.derived == "expansion"  # the other themes are untouched


def test_junior_staffing_flips_that_sites_t23_rating_only(junior_d):
    fits = row(junior_d.hub, "need_and_staffing").fits
    assert {s: f.derived for s, f in fits.items()} == {"A": "expansion", "B": "expansion", "D": "discordance"}


def test_flipped_declared_ratings_are_warned_for_the_row_and_scope_that_disagree(junior_d):
    assert [w.split(":")[0] for w in junior_d.warnings] == ["T23 row need_and_staffing (D)",
                                                            "T26 row staffing_use (all)"]
    assert all("declared fit 'expansion'" in w and "'discordance'" in w for w in junior_d.warnings)


def test_flipped_declared_rating_is_kept_and_marked_in_the_display(junior_d):
    frame = junior_d.themes.to_frame().set_index("row")
    assert frame.loc["Staffing and use of Hubs", "Assessment of fit"] == (
        "Expansion (declared; evidence gives discordance)")
    md = display_markdown(junior_d.themes)
    assert "declared rating differs from the evidence" in md
    assert list(junior_d.fit_frame().query("row == 'staffing_use'")["status"]) == ["declared, disagrees with derived"]


@pytest.fixture(scope="module")
def edited_interviews(tmp_path_factory):
    """The synthetic study with Site B's clarity-of-offer enabler excerpts flagged identifiable (so they may
    not count as evidence), the T23 clarity row declared 'confirmation', and a Site A excerpt shown in T23
    rewritten to carry a ``<script>`` tag."""
    root = copy_study(tmp_path_factory.mktemp("interviews"))
    path = root / "qualitative" / "excerpts.csv"
    ex = pd.read_csv(path, dtype=str, keep_default_na=False)
    site = pd.read_csv(root / "qualitative" / "participants.csv").set_index("participant_id")["site"]
    at_b = ex["participant_id"].map(site).eq("B")
    clarity_enabler = ex["themes"].str.split(";").map(lambda t: "clarity_of_offer" in t) & ex["valence"].eq("enabler")
    ex.loc[at_b & clarity_enabler, "identifiable"] = "true"
    first_a = ex.index[ex["participant_id"].map(site).eq("A") & clarity_enabler][0]
    ex.loc[first_a, "text"] = "I <script>alert('x')</script> registered the same day."
    ex.to_csv(path, index=False)
    declare(root, "clarity_of_offer", "confirmation")
    return build_displays(load_study(root))


def test_silencing_one_sites_interviews_leaves_its_rating_not_addressed(edited_interviews):
    fits = row(edited_interviews.hub, "clarity_of_offer").fits
    assert {s: f.derived for s, f in fits.items()} == {"A": "confirmation", "B": "not_addressed",
                                                       "D": "confirmation"}
    interviews = next(a for a in fits["B"].assessments if a.strand == "interviews")
    assert interviews.outcome == "not_addressed" and interviews.evidence == ()
    assert row(edited_interviews.hub, "q_clarity_pos").cells["B"].shown == "[Not addressed]"


def test_silenced_site_warns_that_its_declared_confirmation_is_not_borne_out(edited_interviews):
    assert [w.split(":")[0] for w in edited_interviews.warnings] == ["T23 row clarity_of_offer (B)"]
    assert "'not_addressed'" in edited_interviews.warnings[0]


def test_markdown_escapes_a_script_tag_in_an_excerpt(edited_interviews):
    cell = row(edited_interviews.hub, "q_clarity_pos").cells["A"]
    assert any("<script>" in q.text for q in cell.quotes)  # the tempting excerpt is really shown
    for md in (display_markdown(edited_interviews.hub), appendix_markdown(edited_interviews.appendix)):
        assert "<script>" not in md
        assert "\\<script\\>" in md


# ------------------------------------------------------------------ per-site view and forms

def test_per_site_view_has_one_column_and_that_sites_ratings(ds):
    view = ds.hub.column("B")
    assert view.columns == (("B", "Site B"),)
    assert [r.id for r in view.rows] == [r.id for r in ds.hub.rows]
    for full, one in zip(ds.hub.rows, view.rows):
        assert set(one.cells) == {"B"} and one.cells["B"] == full.cells["B"]
        assert one.fit is (full.fits["B"] if full.fits else None)
    assert list(view.to_frame().columns) == ["section", "row", "Site B", "Assessment of fit", "Rationale"]


def test_per_site_view_shows_that_sites_flipped_rating(junior_d):
    frame = junior_d.hub.column("D").to_frame().set_index("row")
    label = next(r.label for r in junior_d.hub.rows if r.id == "need_and_staffing")
    assert frame.loc[label, "Assessment of fit"] == "Expansion (declared; evidence gives discordance)"
    frame_a = junior_d.hub.column("A").to_frame().set_index("row")
    assert frame_a.loc[label, "Assessment of fit"] == "Expansion"


def test_t26_frame_has_the_strand_columns_and_the_fit_column(ds):
    frame = ds.themes.to_frame()
    assert list(frame.columns) == ["section", "row", "Service mapping", "Screening data", "Health economics",
                                   "Interviews", "Assessment of fit", "Rationale"]
    assert list(frame["Assessment of fit"]) == ["Expansion"] * 3
    assert frame["Rationale"].str.startswith("No strand contradicts").all()


def test_t26_csv_round_trips_with_the_fit_column(ds):
    frame = ds.themes.to_frame()
    back = pd.read_csv(io.StringIO(frame.to_csv(index=False)), keep_default_na=False)
    pd.testing.assert_frame_equal(back, frame)


def test_t26_markdown_has_the_fit_column_with_worded_classed_ratings(ds):
    md = display_markdown(ds.themes)
    header = md.splitlines()[0]
    assert "Assessment of fit" in header and "Rationale" in header
    assert md.count("[Expansion]{.fit-expansion}") == 3
    widths = {line.count(" | ") for line in md.splitlines() if line.startswith("| ") and "**" not in line}
    assert len(widths) == 1  # every row has the same number of cells


def test_t23_markdown_shows_per_site_ratings_in_the_site_columns(ds):
    md = display_markdown(ds.hub)
    line = next(ln for ln in md.splitlines() if ln.startswith("| Need and senior staffing"))
    assert line.count("[Expansion]{.fit-expansion}") == 3
