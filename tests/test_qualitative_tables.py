"""Qualitative strand (analyses.qualitative): T19–T22, coverage, chains, exemplars, enablers/barriers
and Figures 4/5 on a tiny hand-coded study, then on the authored corpus of hubcase/synth/content."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
import yaml
from helpers_study import make_study
from matplotlib.figure import Figure
from matplotlib.text import Annotation

from analyses import qualitative as q
from analyses.result import FigureResult
from hubcase.checks import parse_chain
from hubcase.errors import AnalysisError
from hubcase.synth.qualitative import CONTENT
from hubcase.synth.study_config import SUBGROUPS

CODEBOOK = {
    "framework": "NPT", "title": "Tiny coding frame",
    "constructs": [
        {"id": "sense_making", "label": "Sense-making", "description": "Making sense of the Hub.",
         "subconstructs": [
             {"id": "differentiation", "label": "Differentiation", "description": "Distinct from other support."},
             {"id": "internalisation", "label": "Internalisation", "description": "Valuing support."}]},
        {"id": "relational_work", "label": "Relational work", "description": "Committing to the Hub.",
         "subconstructs": [
             {"id": "enrolment", "label": "Enrolment", "description": "Signing up."},
             {"id": "legitimation", "label": "Legitimation", "description": "Seen as proper.",
              "aliases": ["legitimisation"]}]},
    ],
    "themes": [
        {"id": "clarity", "label": "Clarity of the offer", "kind": "cross_cutting",
         "codes": ["differentiation", "enrolment"]},
        {"id": "trust", "label": "Trust", "kind": "chapter", "codes": ["legitimation"]},
    ],
}


def person(pid, group, site, occupation, restricted="site", **fields):
    blank = dict.fromkeys(("clinical", "org_type", "gender", "ethnicity", "subgroups"))
    return {"participant_id": pid, "group": group, "site": site, "occupation": occupation,
            "restricted": restricted, **blank, **fields}


PARTICIPANTS = [
    person("Hub client 01", "hub_client", "A", "Nurse, ICU", clinical="clinical", org_type="nhs", gender="woman",
           ethnicity="white_british"),
    person("Hub client 02", "hub_client", "B", "Care assistant", "site;occupation;ethnicity", clinical="clinical",
           org_type="social_care", gender="man", ethnicity="pakistani", subgroups="men"),
    person("Hub client 10", "hub_client", "A", "Pharmacist", clinical="clinical", org_type="nhs", gender="woman"),
    person("Non-Hub keyworker 01", "non_hub_keyworker", "B", "Paramedic", clinical="clinical",
           org_type="ambulance", gender="man", ethnicity="other", subgroups="men"),
    person("Hub staff 01", "hub_staff", "A", "Clinical psychologist"),
    person("Wider stakeholder 01", "wider_stakeholder", "B", "Commissioner"),
]
SECRET = "Sister Jones on Ward 7 told everyone about my breakdown."


def excerpt(eid, pid, codes, chain, valence, themes="", text=None, identifiable=False):
    return {"excerpt_id": eid, "participant_id": pid, "text": text or f"Quote {eid}.", "codes": codes,
            "chain": chain, "valence": valence, "themes": themes, "subgroups": "", "identifiable": identifiable}


EXCERPTS = [
    excerpt("EX01", "Hub client 01", "differentiation;enrolment", "differentiation > enrolment", "enabler", "clarity"),
    excerpt("EX02", "Hub client 01", "differentiation;internalisation;enrolment",
            "differentiation > internalisation > enrolment", "enabler", "clarity"),
    excerpt("EX03", "Hub client 02", "internalisation;enrolment", "internalisation > enrolment", "barrier"),
    excerpt("EX04", "Non-Hub keyworker 01", "differentiation", None, "barrier", "clarity", text="Short one."),
    excerpt("EX05", "Non-Hub keyworker 01", "internalisation;enrolment", "internalisation > enrolment", "barrier"),
    excerpt("EX06", "Hub staff 01", "Legitimisation", None, "enabler", "trust"),  # alias, capitalised
    excerpt("EX07", "Hub client 01", "legitimation;enrolment", "legitimation > enrolment", "barrier", "trust",
            text=SECRET, identifiable=True),
    excerpt("EX08", "Hub client 10", "differentiation", None, "enabler", "clarity",
            text="A rather longer quote than EX04."),
    excerpt("EX09", "Non-Hub keyworker 01", "internalisation;enrolment", "internalisation → enrolment", "barrier"),
    excerpt("EX10", "Wider stakeholder 01", "differentiation;enrolment", "differentiation > enrolment", "mixed"),
]
MEN = {"id": "men", "label": "Men", "kind": "demographic", "records": {"field": "gender", "equals": "man"}}


def build(tmp_path, participants=PARTICIPANTS, excerpts=EXCERPTS, codebook=CODEBOOK, subgroups=(MEN,),
          qualitative_sites=("A", "B"), other_sites=("C",), extra_files=None):
    """Load a study with interviews at ``qualitative_sites`` only (no other strand collected)."""
    sites = [{"id": s, "measures": ["phq9"], "strands": {"screening": False, "qualitative": True}}
             for s in qualitative_sites]
    sites += [{"id": s, "measures": ["phq9"], "strands": {"screening": False}} for s in other_sites]
    files = {}
    if participants is not None:
        files = {"participants": pd.DataFrame(participants), "excerpts": pd.DataFrame(excerpts),
                 "codebook": codebook}
    return make_study(tmp_path, screening=pd.DataFrame(), sites=sites, config={"subgroups": list(subgroups)},
                      extra_files=extra_files, **files)


@pytest.fixture
def study(tmp_path):
    return build(tmp_path)


def rows(result) -> dict:
    """First display column -> the rest of the row."""
    return {r[0]: list(r[1:]) for r in result.display.itertuples(index=False)}


def every_cell(result) -> str:
    """Every display and data cell, header and note of a table, as one text."""
    cells = [str(v) for frame in (result.display, result.data) for v in frame.to_numpy().ravel()]
    return "\n".join(cells + [str(c) for c in result.display.columns] + list(result.notes))


# ----------------------------------------------------------------------------- T19–T21
def test_keyworker_table_lists_clients_then_non_hub_keyworkers(study):
    result = q.keyworker_participants_table(study=study)
    assert result.id == "T19"
    assert result.display["Participant"].tolist() == ["Hub client 01", "Hub client 02", "Hub client 10",
                                                      "Non-Hub keyworker 01"]
    assert dict(zip(result.data["group"].astype(str), result.data["n"])) == {"hub_client": 3, "non_hub_keyworker": 1}


def test_restricted_fields_are_withheld_beside_the_label(study):
    result = q.keyworker_participants_table(study=study)
    hc02 = rows(result)["Hub client 02"]  # restricted: site;occupation;ethnicity
    assert dict(zip(result.display.columns[1:], hc02)) == {
        "Occupation": "[withheld]", "Clinical": "clinical", "Org type": "social care", "Gender": "man",
        "Ethnicity": "[withheld]"}


def test_unrestricted_blank_field_shows_a_dash(study):
    result = q.keyworker_participants_table(study=study)
    assert rows(result)["Hub client 10"][-1] == "–"  # no ethnicity recorded, not restricted


def test_site_is_never_shown_beside_a_participant(study):
    for table in (q.keyworker_participants_table, q.hub_staff_table, q.stakeholders_table):
        result = table(study=study)
        assert "Site" not in result.display.columns
        assert "site" not in result.data.columns
        cells = set(result.display.astype(str).to_numpy().ravel())
        assert not cells & {"A", "B", "Site A", "Site B"}


def test_site_asked_for_as_a_field_is_withheld_even_if_not_restricted(study):
    unrestricted = replace(study, tables={**study.tables, "participants": study.participants.assign(restricted="")})
    result = q.participants_table(study=unrestricted, groups=("hub_staff",), table_id="X", title="x",
                                  fields=("occupation", "site"))
    assert result.display.to_dict("list") == {"Participant": ["Hub staff 01"],
                                              "Occupation": ["Clinical psychologist"], "Site": ["[withheld]"]}


def test_hub_staff_and_stakeholder_tables_show_occupation_only(study):
    staff, stakeholders = q.hub_staff_table(study=study), q.stakeholders_table(study=study)
    assert (staff.id, stakeholders.id) == ("T20", "T21")
    assert staff.display.to_dict("list") == {"Participant": ["Hub staff 01"], "Occupation": ["Clinical psychologist"]}
    assert stakeholders.display.to_dict("list") == {"Participant": ["Wider stakeholder 01"],
                                                    "Occupation": ["Commissioner"]}


def test_participants_are_ordered_by_label_number_not_text(tmp_path):
    people = [person(f"Hub client {n}", "hub_client", "A", "Nurse") for n in ("100", "20", "03")]
    study = build(tmp_path, participants=people,
                  excerpts=[excerpt("EX01", "Hub client 20", "differentiation", None, "enabler")])
    assert q.keyworker_participants_table(study=study).display["Participant"].tolist() == [
        "Hub client 03", "Hub client 20", "Hub client 100"]


# ----------------------------------------------------------------------------- T22
def test_codebook_table_has_one_row_per_code_and_names_each_construct_once(study):
    result = q.codebook_table(study=study)
    assert result.id == "T22"
    assert result.display["NPT construct"].tolist() == ["Sense-making", "", "Relational work", ""]
    assert result.display["Sub-construct"].tolist() == ["Differentiation", "Internalisation", "Enrolment",
                                                        "Legitimation"]
    assert result.display["Description"].iloc[3] == "Seen as proper."


# ----------------------------------------------------------------------------- identifiable excerpts
def test_identifiable_excerpts_never_appear_in_any_qualitative_table(study):
    for table in q.TABLES:
        text = every_cell(table(study=study))
        assert "EX07" not in text and SECRET not in text, table.__name__


def test_identifiable_excerpt_is_dropped_from_coded_excerpts(study):
    assert "EX07" not in set(q.coded_excerpts(study=study)["excerpt_id"])
    assert len(q.coded_excerpts(study=study)) == 9


# ----------------------------------------------------------------------------- T-QCOV
def coverage(result, code_label: str, column: str) -> str:
    return result.display.set_index("Sub-construct").loc[code_label, column]


def test_coverage_counts_distinct_participants_not_excerpts(study):
    result = q.coverage_table(study=study)
    # differentiation, Hub clients at A: Hub client 01 (EX01, EX02) once + Hub client 10 (EX08) = 2 (3 excerpts).
    assert coverage(result, "Differentiation", "Hub clients – Site A") == "2"
    # internalisation, non-Hub keyworkers at B: Non-Hub keyworker 01 (EX05, EX09) = 1.
    assert coverage(result, "Internalisation", "Non-Hub keyworkers – Site B") == "1"


def test_coverage_shows_silence_where_no_participant_was_coded(study):
    result = q.coverage_table(study=study)
    # Legitimation at A among Hub clients: only EX07, which is identifiable, so silence.
    assert coverage(result, "Legitimation", "Hub clients – Site A") == q.SILENT
    assert coverage(result, "Legitimation", "Hub staff – Site A") == "1"  # EX06, coded by alias
    assert coverage(result, "Enrolment", "Hub staff – Site A") == q.SILENT


def test_coverage_data_has_zero_rows_for_silent_cells(study):
    data = q.coverage_table(study=study).data
    assert len(data) == 4 * 4 * 2  # codes x groups x qualitative sites
    silent = data[(data["code"] == "legitimation") & (data["group"] == "hub_client") & (data["site"] == "A")]
    assert silent["participants"].tolist() == [0]


def test_coverage_columns_are_qualitative_sites_only(study):
    columns = q.coverage_table(study=study).display.columns
    assert not [c for c in columns if c.endswith("Site C")]  # C did not collect interviews
    assert len(columns) == 1 + 4 * 2


def test_coverage_for_one_site_has_one_column_per_group(study):
    result = q.coverage_table(study=study, site="B")
    assert list(result.display.columns) == ["Sub-construct", "Hub clients", "Non-Hub keyworkers", "Hub staff",
                                            "Wider stakeholders"]
    # enrolment at B: Hub client 02 (EX03); Non-Hub keyworker 01 (EX05, EX09); Wider stakeholder 01 (EX10).
    assert rows(result)["Enrolment"] == ["1", "1", q.SILENT, "1"]


# ----------------------------------------------------------------------------- T-QCHAIN
def test_chain_frequency_counts_excerpts_and_participants_per_pathway_and_valence(study):
    data = q.chain_frequency_table(study=study).data
    got = {(p, str(v)): (e, n) for p, v, e, n in data[["pathway", "valence", "excerpts", "participants"]]
           .itertuples(index=False)}
    assert got == {
        # EX03 (Hub client 02), EX05 and EX09 (both Non-Hub keyworker 01; EX09 written with an arrow)
        ("internalisation → enrolment", "barrier"): (3, 2),
        ("differentiation → enrolment", "enabler"): (1, 1),  # EX01
        ("differentiation → enrolment", "mixed"): (1, 1),  # EX10: same chain, other valence, own row
        ("differentiation → internalisation → enrolment", "enabler"): (1, 1),  # EX02
        # EX07 (legitimation > enrolment) is identifiable; EX04, EX06, EX08 have no chain
    }


def test_chain_frequency_lists_the_most_frequent_chain_first_with_code_labels(study):
    result = q.chain_frequency_table(study=study)
    assert result.display.iloc[0].tolist() == ["internalisation → enrolment", "barrier", "3", "2"]
    assert result.display["Pathway"].tolist()[1:] == [
        "differentiation → enrolment", "differentiation → enrolment",
        "differentiation → internalisation → enrolment"]


# ----------------------------------------------------------------------------- T-QEX
def test_exemplars_prefer_shared_codes_then_a_longer_chain(study):
    data = q.exemplars_table(study=study).data
    # Theme clarity (differentiation, enrolment): EX01 and EX02 share both codes; EX02's chain is longer.
    assert data.loc[data["theme"] == "clarity", "excerpt_id"].tolist() == ["EX02", "EX01"]


def test_exemplars_of_a_theme_never_include_an_identifiable_excerpt(study):
    data = q.exemplars_table(study=study).data
    assert data.loc[data["theme"] == "trust", "excerpt_id"].tolist() == ["EX06"]  # EX07 is identifiable


def test_exemplar_ties_break_on_text_length_then_excerpt_id(study):
    pool = q.coded_excerpts(study=study)
    pool = pool[pool["excerpt_id"].isin(["EX04", "EX08"])]
    # Both share one code and have no chain; EX08's text is longer.
    assert q.select_exemplars(pool, codes=["differentiation"], k=2)["excerpt_id"].tolist() == ["EX08", "EX04"]
    same = pool.assign(text="Same length.")
    assert q.select_exemplars(same, codes=["differentiation"], k=2)["excerpt_id"].tolist() == ["EX04", "EX08"]


def test_exemplar_choice_is_stable_to_row_order(study):
    pool = q.coded_excerpts(study=study)
    first = q.select_exemplars(pool, codes=["differentiation", "enrolment"], k=4)["excerpt_id"].tolist()
    for seed in range(5):
        shuffled = pool.sample(frac=1, random_state=seed)
        assert q.select_exemplars(shuffled, codes=["differentiation", "enrolment"], k=4)[
            "excerpt_id"].tolist() == first


def test_exemplars_table_is_the_same_when_the_excerpt_file_is_reordered(tmp_path):
    forward = q.exemplars_table(study=build(tmp_path / "f"))
    backward = q.exemplars_table(study=build(tmp_path / "b", excerpts=EXCERPTS[::-1],
                                             participants=PARTICIPANTS[::-1]))
    pd.testing.assert_frame_equal(forward.data, backward.data)


def test_exemplars_table_labels_quotes_by_participant_without_site(study):
    result = q.exemplars_table(study=study)
    assert list(result.display.columns) == ["Theme", "Excerpt", "Participant", "Quote", "Pathway"]
    first = result.display.iloc[0]
    assert first["Participant"] == "Hub client 01"  # EX02
    assert first["Pathway"] == "differentiation → internalisation → enrolment"
    assert result.display.loc[result.display["Excerpt"] == "EX06", "Pathway"].tolist() == ["–"]


# ----------------------------------------------------------------------------- T-QEB
def test_enablers_and_barriers_are_counted_per_code(study):
    data = q.enablers_barriers_table(study=study).data
    got = {c: (int(e), int(b)) for c, e, b in data[["code", "enabler", "barrier"]].itertuples(index=False)}
    assert got == {
        "differentiation": (3, 1),  # enabler EX01, EX02, EX08; barrier EX04 (EX10 is mixed)
        "internalisation": (1, 3),  # enabler EX02; barrier EX03, EX05, EX09
        "enrolment": (2, 3),  # enabler EX01, EX02; barrier EX03, EX05, EX09 (EX07 identifiable, EX10 mixed)
        "legitimation": (1, 0),  # enabler EX06 via the alias; EX07 identifiable
    }


def test_enablers_and_barriers_display_follows_the_codebook(study):
    result = q.enablers_barriers_table(study=study)
    assert result.display["Sub-construct"].tolist() == ["Differentiation", "Internalisation", "Enrolment",
                                                        "Legitimation"]
    shown = result.display.set_index("Sub-construct")
    assert shown.loc["Enrolment"].tolist() == ["Relational work", "2", "3"]


# ----------------------------------------------------------------------------- F4/F5
def test_pathway_edges_link_consecutive_chain_codes_of_one_valence(study):
    enabler = q.pathway_edges(study=study, valence="enabler")
    # EX01 differentiation>enrolment; EX02 differentiation>internalisation>enrolment.
    assert enabler.to_dict("records") == [
        {"source": "differentiation", "target": "enrolment", "excerpts": 1},
        {"source": "differentiation", "target": "internalisation", "excerpts": 1},
        {"source": "internalisation", "target": "enrolment", "excerpts": 1}]
    barrier = q.pathway_edges(study=study, valence="barrier")
    # EX03, EX05, EX09; EX07 (legitimation > enrolment) is identifiable.
    assert barrier.to_dict("records") == [{"source": "internalisation", "target": "enrolment", "excerpts": 3}]


def test_pathway_edges_of_a_valence_without_chains_are_empty(tmp_path):
    only_enablers = [e for e in EXCERPTS if e["valence"] != "barrier"]
    edges = q.pathway_edges(study=build(tmp_path, excerpts=only_enablers), valence="barrier")
    assert edges.empty and list(edges.columns) == ["source", "target", "excerpts"]


def test_pathway_figure_returns_figure_4_for_enablers_and_5_for_barriers(study):
    f4, f5 = q.pathway_figure(study=study, valence="enabler"), q.pathway_figure(study=study, valence="barrier")
    assert isinstance(f4, FigureResult) and isinstance(f4.figure, Figure)
    assert (f4.id, f5.id) == ("F4", "F5")
    pd.testing.assert_frame_equal(f5.data, q.pathway_edges(study=study, valence="barrier"))
    arrows = [t for t in f4.figure.axes[0].texts if isinstance(t, Annotation)]
    assert len(arrows) == 3  # one arrow per enabler edge


def test_pathway_figure_refuses_a_valence_without_a_figure(study):
    with pytest.raises(AnalysisError, match="'mixed'"):
        q.pathway_figure(study=study, valence="mixed")


# ----------------------------------------------------------------------------- the authored corpus
@pytest.fixture(scope="module")
def authored(tmp_path_factory):
    """hubcase/synth/content: service maps for A–D, interviews at A, B and D (C has qualitative false)."""
    sites, files = [], {}
    for s in "ABCD":
        text = (CONTENT / "service_mapping" / f"{s}.yml").read_text(encoding="utf-8")
        used = yaml.safe_load(text)["screening_measures"]
        sites.append({"id": s, "measures": [m for m, v in used.items() if v["used"] and m in
                                            ("phq9", "gad7", "pcl5", "itq", "audit", "wsas")],
                      "strands": {"screening": False, "service_mapping": True, "qualitative": s != "C"}})
        files[f"service_mapping/{s}.yml"] = text
    for name in ("codebook.yml", "participants.csv", "excerpts.csv", "pathways.yml"):
        files[f"qualitative/{name}"] = (CONTENT / name).read_text(encoding="utf-8")
    return make_study(tmp_path_factory.mktemp("authored"), screening=pd.DataFrame(), sites=sites,
                      config={"subgroups": SUBGROUPS}, extra_files=files)


@pytest.fixture(scope="module")
def raw():
    """The authored excerpts, publishable only, joined to participants, read independently of hubcase."""
    people = pd.read_csv(CONTENT / "participants.csv", dtype=str, keep_default_na=False)
    quotes = pd.read_csv(CONTENT / "excerpts.csv", dtype=str, keep_default_na=False)
    quotes = quotes[quotes["identifiable"] == "false"]
    return quotes.merge(people[["participant_id", "group", "site"]], on="participant_id", validate="many_to_one")


def test_authored_codebook_table_has_16_rows(authored):
    assert len(q.codebook_table(study=authored).display) == 16


def test_authored_coverage_has_a_row_for_every_code(authored):
    result = q.coverage_table(study=authored)
    codes = q.code_index(authored.codebook)["code"].tolist()
    assert len(codes) == 16
    assert result.display["Sub-construct"].tolist() == q.code_index(authored.codebook)["label"].tolist()
    assert sorted(result.data["code"].unique()) == sorted(codes)


def test_authored_coverage_has_columns_for_sites_a_b_and_d_only(authored):
    columns = q.coverage_table(study=authored).display.columns[1:]
    assert sorted({c.rsplit(" ", 1)[1] for c in columns}) == ["A", "B", "D"]
    assert len(columns) == 4 * 3


def test_authored_coverage_counts_equal_distinct_participants_per_code(authored, raw):
    data = q.coverage_table(study=authored).data
    long = raw.assign(code=raw["codes"].str.split(";")).explode("code")
    expected = long.groupby("code")["participant_id"].nunique()  # a participant sits in one group and site
    got = data.groupby("code")["participants"].sum()
    assert got.reindex(expected.index).tolist() == expected.tolist()


def test_authored_participant_tables_have_every_interviewee_once(authored):
    sizes = [len(t(study=authored).display) for t in (q.keyworker_participants_table, q.hub_staff_table,
                                                      q.stakeholders_table)]
    assert sizes == [39, 14, 10]  # 19 + 20 keyworkers; spec C §2.1


def test_authored_identifiable_excerpts_appear_in_no_table(authored):
    quotes = pd.read_csv(CONTENT / "excerpts.csv", dtype=str, keep_default_na=False)
    hidden = quotes[quotes["identifiable"] == "true"]
    assert len(hidden) > 0
    for table in q.TABLES:
        text = every_cell(table(study=authored))
        for eid, quote in zip(hidden["excerpt_id"], hidden["text"]):
            assert eid not in text and quote not in text, (table.__name__, eid)


def test_authored_enablers_and_barriers_total_the_coded_excerpts(authored, raw):
    data = q.enablers_barriers_table(study=authored).data
    long = raw.assign(code=raw["codes"].str.split(";")).explode("code")
    for valence in ("enabler", "barrier"):
        expected = long[long["valence"] == valence].groupby("code").size()
        assert data.set_index("code")[valence].reindex(expected.index).tolist() == expected.tolist(), valence
    assert len(data) == 16


def test_authored_chain_frequency_covers_every_chained_excerpt(authored, raw):
    data = q.chain_frequency_table(study=authored).data
    assert data["excerpts"].sum() == (raw["chain"] != "").sum()


def test_authored_pathway_edges_count_every_link_of_the_chains(authored, raw):
    for valence in ("enabler", "barrier"):
        links = sum(max(len(parse_chain(c)) - 1, 0) for c in raw.loc[raw["valence"] == valence, "chain"])
        assert q.pathway_edges(study=authored, valence=valence)["excerpts"].sum() == links


def test_authored_exemplars_are_two_per_theme(authored):
    data = q.exemplars_table(study=authored).data
    themes = [t["id"] for t in authored.codebook["themes"]]
    assert data.groupby("theme").size().reindex(themes).tolist() == [2] * len(themes)


def test_authored_figures_are_drawn_for_both_valences(authored):
    for valence, fid in (("enabler", "F4"), ("barrier", "F5")):
        result = q.pathway_figure(study=authored, valence=valence)
        assert result.id == fid and isinstance(result.figure, Figure) and not result.data.empty
