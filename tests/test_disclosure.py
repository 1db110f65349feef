"""Disclosure control in the joint displays, on the synthetic study and on a study crafted to tempt the rules.

The crafted study adds a subgroup ("Tiny group") that matches two screening records, both at Site A, and one
interviewee (Non-Hub keyworker 05, who is quoted under Site D in T23). Its excerpts tempt every rule: one is
flagged identifiable, one names "Site A" in its text, one is the very excerpt T23 shows for that person, and
one is clean — only the clean one may appear, labelled by participant group.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hubcase.study import load_study
from joint_displays.build import build_displays
from joint_displays.disclosure import GROUP_NOUNS, cap, site_identifier_leaks, suppress_count
from joint_displays.markdown import appendix_markdown, display_markdown
from joint_displays.model import SUPPRESSED, Cell, JointDisplay, Quote, Row

SYNTHETIC = Path(__file__).resolve().parents[1] / "data" / "synthetic"
SITE_LABELS = ("Site A", "Site B", "Site C", "Site D")
GROUP_LABELS = {cap(n) for n in GROUP_NOUNS.values()}


@pytest.fixture(scope="module")
def synthetic():
    study = load_study(SYNTHETIC)
    return study, build_displays(study)


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    root = tmp_path_factory.mktemp("crafted") / "study"
    shutil.copytree(SYNTHETIC, root)
    scr = pd.read_csv(root / "screening.csv", dtype=str, keep_default_na=False)
    scr.loc[scr["ethnicity"] == "other_black", "ethnicity"] = "other"  # nobody else matches the tiny group
    two_at_a = scr.index[(scr["site"] == "A") & (scr["ethnicity"] == "white_british")][:2]
    scr.loc[two_at_a, "ethnicity"] = "other_black"
    scr.to_csv(root / "screening.csv", index=False)

    doc = yaml.safe_load((root / "study.yml").read_text())
    doc["subgroups"].append({"id": "tiny", "label": "Tiny group", "kind": "demographic",
                             "records": {"field": "ethnicity", "equals": "other_black"}})
    (root / "study.yml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))

    people = pd.read_csv(root / "qualitative" / "participants.csv", dtype=str, keep_default_na=False)
    who = people["participant_id"] == "Non-Hub keyworker 05"
    people.loc[who, "subgroups"] = people.loc[who, "subgroups"] + ";tiny"
    people.to_csv(root / "qualitative" / "participants.csv", index=False)

    ex = pd.read_csv(root / "qualitative" / "excerpts.csv", dtype=str, keep_default_na=False)
    ex.loc[ex["excerpt_id"] == "EX026", "subgroups"] = "tiny"  # shown under Site D in T23
    base = {"participant_id": "Non-Hub keyworker 05", "codes": "legitimation", "chain": "legitimation",
            "valence": "barrier", "themes": "under_representation", "subgroups": "tiny"}
    new = [{**base, "excerpt_id": "EX901", "identifiable": "false",
            "text": "Nobody in the leaflets looked like me, so I never felt the Hub was meant for me."},
           {**base, "excerpt_id": "EX902", "identifiable": "true",
            "text": "Being the only one of us in the whole department, everyone would know it was me."},
           {**base, "excerpt_id": "EX903", "identifiable": "false",
            "text": "The team at Site A never once came to our ward."}]
    pd.concat([ex, pd.DataFrame(new)]).to_csv(root / "qualitative" / "excerpts.csv", index=False)
    study = load_study(root)
    return study, build_displays(study)


def subgroup_displays(ds):
    return [d for d in (ds.demographic, ds.occupational) if d is not None]


def every_text(display) -> str:
    """Everything a reader or a CSV consumer of the display can see."""
    return "\n".join([display.title, *display.notes, display.to_frame().to_csv(index=False),
                      display.evidence_frame().to_csv(index=False), display.fit_frame().to_csv(index=False),
                      display_markdown(display)])


def names(needle: str, text: str) -> bool:
    """Whole-word, case-insensitive: "Site C" is named in "at site C." but not in "some site counts"."""
    return re.search(rf"\b{re.escape(needle)}\b", text, re.IGNORECASE) is not None


def quotes(display):
    return [q for r in display.rows for c in r.cells.values() for q in c.quotes]


def column(display, row_id, column_id) -> Cell:
    return next(r for r in display.rows if r.id == row_id).cells[column_id]


# ------------------------------------------------------------------------- the helpers

def test_suppress_count_shows_counts_below_k_as_less_than_k():
    assert [suppress_count(n, 5) for n in (0, 1, 4, 5, 28)] == ["0", "<5", "<5", "5", "28"]


def test_names_matches_whole_words_only():
    assert names("Site C", "seen at site C.") and not names("Site C", "some site counts below 5")


def test_site_identifier_leaks_finds_sites_and_numbered_participants_anywhere():
    display = JointDisplay("T24", "Title", (("men", "Men"),), (
        Row("r", "Outreach at Site B", {"men": Cell(quotes=(Quote("EX1", "Hub client 03", "fine"),))}),),
        notes=("Seen at hub D",))
    leaks = site_identifier_leaks(display, ("B", "D"), ("Site B", "Site D"), ("Hub client 03",))
    assert any("row r label" in w for w in leaks)
    assert any("note 0" in w for w in leaks)
    assert any("quote EX1" in w for w in leaks)


# ----------------------------------------------------------------- the synthetic study

@pytest.mark.parametrize("kind", ("demographic", "occupational"))
def test_subgroup_display_has_no_site_identifier_or_participant_label(synthetic, kind):
    study, ds = synthetic
    display = getattr(ds, kind)
    people = list(study.participants["participant_id"])
    assert site_identifier_leaks(display, study.site_ids, SITE_LABELS, people) == []
    text = every_text(display)
    for needle in (*SITE_LABELS, *people, *(f"{s}.yml" for s in study.site_ids)):
        assert not names(needle, text), (display.id, needle)


@pytest.mark.parametrize("kind", ("demographic", "occupational"))
def test_subgroup_quotes_are_labelled_by_participant_group_only(synthetic, kind):
    display = getattr(synthetic[1], kind)
    assert quotes(display)
    assert {q.label for q in quotes(display)} <= GROUP_LABELS


def test_subgroup_displays_state_the_rules_with_the_studys_threshold(synthetic):
    study, ds = synthetic
    k = study.config.min_cell_count
    for display in subgroup_displays(ds):
        assert f"counts below {k} are shown as <{k}" in display.notes[0]
        assert "no site is identified" in display.notes[0]


def test_identifiable_excerpts_appear_in_no_display_appendix_or_csv(synthetic):
    study, ds = synthetic
    hidden = study.excerpts[study.excerpts["identifiable"].fillna(False).astype(bool)]
    assert len(hidden) == 4
    outputs = [every_text(d) for d in ds.displays]
    outputs += [ds.appendix.data.to_csv(index=False), ds.appendix.display.to_csv(index=False),
                appendix_markdown(ds.appendix), ds.evidence_frame().to_csv(index=False)]
    for eid, text in zip(hidden["excerpt_id"], hidden["text"]):
        for out in outputs:
            assert not re.search(rf"\b{eid}\b", out), eid
            assert text not in out, eid


def test_an_excerpt_shown_in_t23_is_not_reused_in_t24_or_t25(synthetic):
    ds = synthetic[1]
    hub = {q.excerpt_id for q in quotes(ds.hub)}
    t24, t25 = ({q.excerpt_id for q in quotes(d)} for d in (ds.demographic, ds.occupational))
    assert hub and t24 and t25
    assert not hub & (t24 | t25)
    assert not t24 & t25


def test_appendix_lists_subgroup_excerpts_with_group_labels_only(synthetic):
    study, ds = synthetic
    data = ds.appendix.data
    sub_ids = {q.excerpt_id for d in subgroup_displays(ds) for q in quotes(d)}
    sub = data[data["excerpt_id"].isin(sub_ids)]
    assert set(sub["excerpt_id"]) == sub_ids
    assert set(sub["shown_in"]) == {"subgroup display"}
    assert set(sub["label"]) <= GROUP_LABELS
    rows_text = sub.to_csv(index=False)
    for person in study.participants["participant_id"]:
        assert person not in rows_text


def test_synthetic_build_raises_no_disclosure_warning(synthetic):
    assert not [w for w in synthetic[1].warnings if w.startswith("disclosure")]


# -------------------------------------------------------------------- the crafted study

def test_crafted_subgroup_matches_two_records_at_one_site(crafted):
    study, _ = crafted
    members = study.screening[study.config.subgroup("tiny").mask(study.screening)]
    assert list(members["site"]) == ["A", "A"]


def test_crafted_small_subgroup_share_is_shown_as_less_than_k_not_as_a_percentage(crafted):
    study, ds = crafted
    cell = column(ds.demographic, "representation", "tiny")
    assert cell.text == f"Among Hub clients: <{study.config.min_cell_count} screening records across 3 sites " \
                        "(shares not shown)"
    assert "%" not in cell.text


def test_crafted_small_subgroup_costs_are_suppressed(crafted):
    cell = column(crafted[1].demographic, "costs", "tiny")
    assert cell.status == SUPPRESSED
    assert cell.shown == "[Not addressed due to small sample sizes]"


def test_crafted_small_subgroup_share_is_suppressed_in_the_fit_rationale(crafted):
    ds = crafted[1]
    fit = next(r for r in ds.demographic.rows if r.id == "subgroup_reach").fits["tiny"]
    screening = next(a for a in fit.assessments if a.strand == "screening")
    assert screening.outcome == "suppressed"
    assert not re.search(r"\d\.\d", fit.rationale + screening.rationale)


def test_crafted_subgroup_with_one_interviewee_gets_a_limited_data_note(crafted):
    notes = crafted[1].demographic.notes
    assert "Tiny group: fewer than 3 interviewees; limited qualitative data for this group." in notes


def test_crafted_subgroup_shows_only_the_clean_excerpt_labelled_by_group(crafted):
    shown = column(crafted[1].demographic, "barriers", "tiny").quotes
    assert [(q.excerpt_id, q.label) for q in shown] == [("EX901", "A non-Hub keyworker")]


def test_crafted_identifiable_and_site_naming_excerpts_appear_nowhere_in_subgroup_outputs(crafted):
    ds = crafted[1]
    texts = [every_text(d) for d in subgroup_displays(ds)]
    sub_appendix = ds.appendix.data[ds.appendix.data["shown_in"] == "subgroup display"].to_csv(index=False)
    for out in (*texts, sub_appendix):
        assert "EX902" not in out and "everyone would know it was me" not in out
        assert "EX903" not in out and "Site A" not in out
    assert "EX902" not in ds.appendix.data["excerpt_id"].tolist()


def test_crafted_t23_excerpt_tagged_to_the_subgroup_stays_out_of_t24(crafted):
    ds = crafted[1]
    assert "EX026" in {q.excerpt_id for q in quotes(ds.hub)}
    assert "EX026" not in {q.excerpt_id for q in quotes(ds.demographic)}


def test_crafted_subgroup_display_has_no_site_identifier_or_participant_label(crafted):
    study, ds = crafted
    people = list(study.participants["participant_id"])
    for display in subgroup_displays(ds):
        assert site_identifier_leaks(display, study.site_ids, SITE_LABELS, people) == []
        text = every_text(display)
        for needle in (*SITE_LABELS, *people):
            assert not names(needle, text), (display.id, needle)
    assert not [w for w in ds.warnings if w.startswith("disclosure")]
