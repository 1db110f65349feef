"""The authored qualitative strand of the synthetic study and its generator.

Counts are recomputed here with pandas from the generated CSVs, independently of the generator.
"""
from __future__ import annotations

import io

import pandas as pd
import pytest
import yaml

from hubcase.errors import HubcaseError
from hubcase.synth.qualitative import CONTENT, generate_qualitative

SITES = ["A", "B", "C", "D"]
QUAL_SITES = ["A", "B", "D"]
SUBGROUPS = ["ethnic_minority", "men", "care_home", "emergency_services"]
MINORITY = {"black_african", "black_caribbean", "other_black", "chinese", "indian", "bangladeshi", "pakistani",
            "other_asian", "white_asian", "white_black_caribbean", "white_black_african", "other_mixed", "other"}


def _split(cell: str) -> set[str]:
    return {t for t in cell.split(";") if t}


def _has(cells: pd.Series, item: str) -> pd.Series:
    return cells.map(lambda cell: item in _split(cell))


def _nodes(chain: str) -> list[str]:
    return [n.strip() for n in chain.split(">")] if chain else []


def _frames(files: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(io.StringIO(files[f"qualitative/{name}"]), dtype=str, keep_default_na=False)

    return read("participants.csv"), read("excerpts.csv")


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return generate_qualitative(SITES, qualitative_sites=QUAL_SITES, seed=1)


@pytest.fixture(scope="module")
def people(files) -> pd.DataFrame:
    return _frames(files)[0]


@pytest.fixture(scope="module")
def quotes(files, people) -> pd.DataFrame:
    """Publishable excerpts joined to their participant's group, site and subgroup tags."""
    excerpts = _frames(files)[1]
    joined = excerpts.merge(people[["participant_id", "group", "site", "subgroups"]], on="participant_id",
                            how="left", suffixes=("", "_participant"), validate="many_to_one")
    return joined[joined["identifiable"] == "false"]


@pytest.fixture(scope="module")
def codebook(files) -> dict:
    return yaml.safe_load(files["qualitative/codebook.yml"])


@pytest.fixture(scope="module")
def codes(codebook) -> list[str]:
    return [s["id"] for c in codebook["constructs"] for s in c["subconstructs"]]


def test_default_study_returns_authored_files_byte_for_byte(files):
    expected = {f"qualitative/{p.name}": p.read_text(encoding="utf-8")
                for p in CONTENT.iterdir() if p.suffix in (".yml", ".csv")}
    assert files == expected


def test_codebook_has_sixteen_subconstructs_in_table_22_order(codes):
    assert codes == ["differentiation", "communal_specification", "individual_specification", "internalisation",
                     "initiation", "enrolment", "legitimation", "activation",
                     "interactional_workability", "relational_integration", "skillset_workability",
                     "contextual_integration",
                     "systematisation", "communal_appraisal", "individual_appraisal", "reconfiguration"]


def test_theme_codes_exist_in_the_codebook(codebook, codes):
    assert {c for t in codebook["themes"] for c in t["codes"]} <= set(codes)


def test_participants_are_63_with_the_published_group_totals(people):
    assert people["participant_id"].is_unique
    assert people["group"].value_counts().to_dict() == {
        "non_hub_keyworker": 20, "hub_client": 19, "hub_staff": 14, "wider_stakeholder": 10}


def test_interviews_ran_at_sites_a_b_and_d_only(people):
    assert set(people["site"]) == {"A", "B", "D"}


def test_keyworker_demographics_match_table_19(people):
    keyworkers = people[people["group"].isin(["hub_client", "non_hub_keyworker"])]
    def per_group(mask: pd.Series) -> dict[str, int]:
        return keyworkers.loc[mask, "group"].value_counts().to_dict()

    assert per_group(keyworkers["gender"] == "man") == {"hub_client": 8, "non_hub_keyworker": 8}
    assert per_group(keyworkers["ethnicity"] != "white_british") == {"hub_client": 5, "non_hub_keyworker": 7}
    assert per_group(keyworkers["clinical"] == "clinical") == {"hub_client": 10, "non_hub_keyworker": 10}


def test_staff_and_stakeholders_carry_occupation_only(people):
    others = people[people["group"].isin(["hub_staff", "wider_stakeholder"])]
    assert (others[["clinical", "org_type", "gender", "ethnicity", "subgroups"]] == "").all().all()
    assert (others["occupation"] != "").all()


def test_subgroup_tags_follow_the_stated_rules(people):
    def expected(row) -> set[str]:
        tags = set()
        if row["ethnicity"] in MINORITY:
            tags.add("ethnic_minority")
        if row["gender"] == "man":
            tags.add("men")
        if row["org_type"] == "social_care":  # the two care-home keyworkers
            tags.add("care_home")
        if row["org_type"] in {"police", "fire", "ambulance"} or row["occupation"] == "Emergency medical technician":
            tags.add("emergency_services")
        return tags

    assert [_split(s) for s in people["subgroups"]] == [expected(r) for _, r in people.iterrows()]
    assert (people["restricted"] == "site").all()


def test_excerpt_codes_and_chain_nodes_are_in_the_codebook(quotes, codes):
    used = set().union(*map(_split, quotes["codes"]), *(set(_nodes(c)) for c in quotes["chain"]))
    assert used <= set(codes)


def test_chain_nodes_are_a_subset_of_codes(quotes):
    assert all(set(_nodes(chain)) <= _split(cell) for chain, cell in zip(quotes["chain"], quotes["codes"]))


def test_excerpts_reference_known_participants_and_themes(files, people, codebook):
    excerpts = _frames(files)[1]
    assert set(excerpts["participant_id"]) <= set(people["participant_id"])
    assert set().union(*map(_split, excerpts["themes"])) <= {t["id"] for t in codebook["themes"]}
    assert excerpts["excerpt_id"].is_unique
    assert 130 <= len(excerpts) <= 170


def test_three_or_four_excerpts_are_marked_identifiable(files):
    assert _frames(files)[1]["identifiable"].value_counts()["true"] in (3, 4)


def test_every_subconstruct_is_coded_in_three_excerpts(quotes, codes):
    counts = pd.Series([c for cell in quotes["codes"] for c in _split(cell)]).value_counts()
    assert counts.reindex(codes, fill_value=0).min() >= 3


def test_every_theme_has_two_excerpts(quotes, codebook):
    counts = pd.Series([t for cell in quotes["themes"] for t in _split(cell)]).value_counts()
    assert counts.reindex([t["id"] for t in codebook["themes"]], fill_value=0).min() >= 2


@pytest.mark.parametrize("site", QUAL_SITES)
@pytest.mark.parametrize("theme, valence", [("higher_need", None),
                                            ("clarity_of_offer", "enabler"), ("clarity_of_offer", "barrier"),
                                            ("beliefs_access", "enabler"), ("beliefs_access", "barrier")])
def test_each_site_has_two_excerpts_per_table_23_row(quotes, site, theme, valence):
    rows = quotes[(quotes["site"] == site) & _has(quotes["themes"], theme)]
    if valence:
        rows = rows[rows["valence"] == valence]
    assert len(rows) >= 2


@pytest.mark.parametrize("chain, theme", [
    ("differentiation > individual_specification > internalisation > enrolment", "clarity_of_offer"),
    ("differentiation > individual_specification > enrolment", "clarity_of_offer"),
    ("individual_specification > communal_specification > internalisation > enrolment", "clarity_of_offer"),
    ("internalisation > initiation > enrolment", "beliefs_access"),
    ("internalisation > enrolment", "beliefs_access"),
    ("internalisation > initiation", "beliefs_access"),
    ("initiation > enrolment", "beliefs_access"),
])
def test_table_23_pathway_chains_are_present(quotes, chain, theme):
    assert ((quotes["chain"] == chain) & _has(quotes["themes"], theme)).any()


@pytest.mark.parametrize("subgroup", SUBGROUPS)
def test_each_subgroup_has_three_barrier_excerpts_from_tagged_participants(quotes, subgroup):
    tagged = _has(quotes["subgroups_participant"], subgroup) & _has(quotes["subgroups"], subgroup)
    assert (tagged & (quotes["valence"] == "barrier")).sum() >= 3


@pytest.mark.parametrize("subgroup, chain", [
    ("ethnic_minority", "legitimation > enrolment > skillset_workability > relational_integration"),
    ("ethnic_minority", "internalisation > enrolment > skillset_workability"),
    ("ethnic_minority", "enrolment"),
    ("men", "internalisation"),
    ("men", "enrolment"),
    ("care_home", "internalisation > enrolment"),
    ("care_home", "communal_specification"),
    ("emergency_services", "internalisation > enrolment"),
    ("emergency_services", "internalisation"),
])
def test_tables_24_and_25_chains_are_present(quotes, subgroup, chain):
    assert (_has(quotes["subgroups"], subgroup) & (quotes["chain"] == chain) & (quotes["valence"] == "barrier")).any()


def test_subgroup_barriers_come_from_hub_clients_and_non_users(quotes):
    barriers = quotes[(quotes["subgroups"] != "") & (quotes["valence"] == "barrier")]
    for subgroup in ("ethnic_minority", "men"):
        groups = set(barriers.loc[_has(barriers["subgroups"], subgroup), "group"])
        assert {"hub_client", "non_hub_keyworker"} <= groups


def test_staff_and_stakeholders_cover_operational_and_appraisal_work(quotes):
    staff = quotes[quotes["group"].isin(["hub_staff", "wider_stakeholder"])]
    covered = set().union(*map(_split, staff["codes"]))
    assert {"interactional_workability", "relational_integration", "skillset_workability",
            "contextual_integration", "systematisation", "communal_appraisal", "reconfiguration"} <= covered


def test_pathway_evidence_is_publishable_and_in_scope(files, quotes, codes):
    pathways = yaml.safe_load(files["qualitative/pathways.yml"])["pathways"]
    assert {p["subgroup"] for p in pathways} == set(SUBGROUPS)
    by_id = quotes.set_index("excerpt_id")
    for p in pathways:
        assert {n["code"] for n in p["nodes"]} <= set(codes)
        evidence = by_id.loc[p["evidence"]]  # KeyError if evidence is missing or identifiable
        assert _has(evidence["subgroups"], p["subgroup"]).all()
        if "participant_group" in p:
            assert (evidence["group"] == p["participant_group"]).all()


def test_generation_is_deterministic_for_a_seed():
    sites = [chr(ord("A") + i) for i in range(10)]
    first = generate_qualitative(sites, qualitative_sites=sites[3:], seed=7)
    assert first == generate_qualitative(sites, qualitative_sites=sites[3:], seed=7)


def test_ten_site_generation_keeps_integrity_and_covers_every_site(codes):
    sites = [f"S{i:02d}" for i in range(1, 11)]
    people, excerpts = _frames(generate_qualitative(sites, qualitative_sites=sites, seed=3))
    assert people["participant_id"].is_unique and excerpts["excerpt_id"].is_unique
    assert set(excerpts["participant_id"]) <= set(people["participant_id"])
    assert set(people["site"]) == set(sites)
    per_site = people["site"].value_counts()
    assert per_site.between(16, 25).all()
    assert set(people.merge(excerpts, on="participant_id")["site"]) == set(sites)
    assert set().union(*map(_split, excerpts["codes"])) <= set(codes)
    assert people["participant_id"].str.fullmatch(r"[A-Za-z][A-Za-z -]+ \d{2,4}").all()


def test_replication_keeps_the_authored_rows_and_continues_numbering(files):
    authored_people, authored_excerpts = _frames(files)
    people, excerpts = _frames(generate_qualitative(["A", "B", "D", "E"], qualitative_sites=["A", "B", "D", "E"],
                                                    seed=0))
    pd.testing.assert_frame_equal(people.head(63), authored_people)
    pd.testing.assert_frame_equal(excerpts.head(len(authored_excerpts)), authored_excerpts)
    new = people.iloc[63:]
    assert (new["site"] == "E").all()
    assert {"Hub client 20", "Hub staff 15"} <= set(new["participant_id"])
    assert excerpts["excerpt_id"].iloc[len(authored_excerpts)] == f"EX{len(authored_excerpts) + 1:03d}"


def test_unknown_qualitative_site_is_reported_by_name():
    with pytest.raises(HubcaseError, match="Z"):
        generate_qualitative(SITES, qualitative_sites=["A", "Z"], seed=0)
