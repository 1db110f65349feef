"""REFI-QDA import and export (issue 8).

The round trip runs on the synthetic study's qualitative strand (``generate_qualitative``) in a
study whose sites collected interviews only.  Vendor deviations are reproduced by hand-made
archives built below with ``zipfile``, independently of hubcase's exporter.  The ATLAS.ti exports
and the published XSD are read from ../shared/fixtures/refi-qda (skipped when absent).
"""
from __future__ import annotations

import hashlib
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hubcase.refi import QdaImportError, RefiError, export_qda, import_qda, import_qdc, read_qda
from hubcase.refi import cli as refi_cli
from hubcase.refi import reader as refi_reader
from hubcase.refi.common import PROJECT_NS, schema_path
from hubcase.refi.exporter import validate_xml
from hubcase.synth.qualitative import CONTENT, generate_qualitative
from hubcase.synth.study_config import SUBGROUPS

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "refi-qda"
needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"REFI-QDA fixtures not found at {FIXTURES}")
QUAL = "qualitative"


# ----------------------------------------------------------------------------- studies
def write_study(root: Path, *, corpus: bool, codebook: bool = True, sites=("A", "B")) -> Path:
    """A study whose sites collected interviews only; ``corpus`` adds the synthetic interviews."""
    strands = {"service_mapping": False, "screening": False, "followup": False, "costing": False, "qualitative": True}
    doc = {"title": "REFI test study", "currency": "GBP", "price_year": 2021, "disclosure": {"min_cell_count": 5},
           "sites": [{"id": s, "label": f"Site {s}", "measures": [], "strands": dict(strands)} for s in sites],
           "subgroups": SUBGROUPS}
    root.mkdir(parents=True, exist_ok=True)
    (root / "study.yml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    (root / QUAL).mkdir(exist_ok=True)
    if codebook:
        (root / QUAL / "codebook.yml").write_text((CONTENT / "codebook.yml").read_text(encoding="utf-8"), encoding="utf-8")
    if corpus:
        files = generate_qualitative(list(sites), qualitative_sites=list(sites), seed=1)
        for name in ("participants.csv", "excerpts.csv"):
            (root / QUAL / name).write_text(files[f"{QUAL}/{name}"], encoding="utf-8")
    return root


def frame(root: Path, name: str) -> pd.DataFrame:
    out = pd.read_csv(root / QUAL / name, dtype=str, keep_default_na=False)
    return out.sort_values(out.columns[0]).reset_index(drop=True)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    return write_study(tmp_path_factory.mktemp("synthetic") / "study", corpus=True)


@pytest.fixture(scope="module")
def exported(synthetic, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "hubs.qdpx"
    export_qda(study=synthetic, out=out)
    return out


# ------------------------------------------------------------------- hand-made projects
def gid(key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, key)).upper()


TEXT = ("Interviewer: how did you hear about it?\n"
        "P: It was clear from the leaflet that the Hub was separate from work.\n"
        "P: So I signed up that evening, and nobody at work needed to know.\n")
QUOTES = ("It was clear from the leaflet that the Hub was separate from work.",
          "So I signed up that evening, and nobody at work needed to know.")
CODES = f"""<CodeBook><Codes>
  <Code guid="{gid('c:diff')}" name="Differentiation" isCodable="true"/>
  <Code guid="{gid('c:enrol')}" name="Coherence: Enrolment" isCodable="true"/>
  <Code guid="{gid('c:valence')}" name="Valence" isCodable="false">
    <Code guid="{gid('c:enabler')}" name="enabler" isCodable="true"/></Code>
  <Code guid="{gid('c:other')}" name="Lunch breaks" isCodable="true"/>
</Codes></CodeBook>"""


def selection(n: int, start: int, end: int, codes: tuple[str, ...], name: str | None) -> str:
    named = f' name="{name}"' if name is not None else ""
    codings = "".join(f'<Coding guid="{gid(f"k:{n}:{c}")}"><CodeRef targetGUID="{gid(c)}"/></Coding>' for c in codes)
    return (f'<PlainTextSelection guid="{gid(f"s:{n}")}"{named} startPosition="{start}" '
            f'endPosition="{end}">{codings}</PlainTextSelection>')


def selections_for(text: str, *, names: bool = True, codes=("c:diff", "c:enabler")) -> str:
    out = []
    for n, quote in enumerate(QUOTES):
        start = text.index(quote.replace("\n", "\r\n") if "\r\n" in text else quote)
        out.append(selection(n, start, start + len(quote), codes if n == 0 else ("c:enrol", "c:other"),
                             quote if names else None))
    return "".join(out)


def project_xml(*, sources: str, cases: str | None = None, extra: str = "", attrs: str = 'name="hand-made"',
                variables: str | None = None) -> str:
    if variables is None:
        variables = (f'<Variables><Variable guid="{gid("v:group")}" name="Participant group" typeOfVariable="Text"/>'
                     f'<Variable guid="{gid("v:site")}" name="Site" typeOfVariable="Text"/>'
                     f'<Variable guid="{gid("v:clin")}" name="Clinical" typeOfVariable="Boolean"/></Variables>')
    if cases is None:
        cases = case("Hub client 01", site="A")
    return (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{PROJECT_NS}" {attrs}>{CODES}{variables}'
            f"<Cases>{cases}</Cases><Sources>{sources}</Sources>{extra}</Project>")


def case(name: str, *, site: str, source: str = "src:1") -> str:
    return (f'<Case guid="{gid("case:" + name)}" name="{name}">'
            f'<VariableValue><VariableRef targetGUID="{gid("v:group")}"/><TextValue>Hub client</TextValue></VariableValue>'
            f'<VariableValue><VariableRef targetGUID="{gid("v:site")}"/><TextValue>{site}</TextValue></VariableValue>'
            f'<VariableValue><VariableRef targetGUID="{gid("v:clin")}"/><BooleanValue>true</BooleanValue></VariableValue>'
            f'<SourceRef targetGUID="{gid(source)}"/></Case>')


def text_source(selections: str, *, path: str | None = None, inline: str | None = None) -> str:
    where = f' plainTextPath="{path}"' if path else ""
    content = f"<PlainTextContent>{inline}</PlainTextContent>" if inline is not None else ""
    return f'<TextSource guid="{gid("src:1")}" name="Interview 1"{where}>{content}{selections}</TextSource>'


def qdpx(path: Path, xml: str, *, qde: str = "project.qde", members: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(qde, xml.encode("utf-8"))
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    return path


def standard_qdpx(path: Path, *, folder: str = "sources/", qde: str = "project.qde") -> Path:
    name = f"{gid('src:1')}.txt"
    xml = project_xml(sources=text_source(selections_for(TEXT), path=f"internal://{name}"))
    return qdpx(path, xml, qde=qde, members={f"{folder}{name}": TEXT.encode("utf-8")})


@pytest.fixture
def study(tmp_path) -> Path:
    return write_study(tmp_path / "study", corpus=False)


# ------------------------------------------------------------------------ round trip
def test_round_trip_into_a_study_without_interviews_gives_the_same_participants_excerpts_and_codes(
        synthetic, exported, tmp_path):
    empty = write_study(tmp_path / "empty", corpus=False)
    report = import_qda(exported, study=empty)
    assert report.ok and report.unmapped_codes == () and report.skipped == ()
    pd.testing.assert_frame_equal(frame(empty, "participants.csv"), frame(synthetic, "participants.csv"))
    pd.testing.assert_frame_equal(frame(empty, "excerpts.csv"), frame(synthetic, "excerpts.csv"))


def test_round_trip_without_a_codebook_rebuilds_the_codebook_from_the_project(synthetic, exported, tmp_path):
    bare = write_study(tmp_path / "bare", corpus=False, codebook=False)
    import_qda(exported, study=bare)
    before = yaml.safe_load((synthetic / QUAL / "codebook.yml").read_text(encoding="utf-8"))
    after = yaml.safe_load((bare / QUAL / "codebook.yml").read_text(encoding="utf-8"))
    assert after == before
    pd.testing.assert_frame_equal(frame(bare, "excerpts.csv"), frame(synthetic, "excerpts.csv"))


def test_exporting_the_same_study_twice_gives_identical_files(synthetic, exported, tmp_path):
    again = tmp_path / "again.qdpx"
    export_qda(study=synthetic, out=again)
    assert again.read_bytes() == exported.read_bytes()


def test_exported_offsets_cut_exactly_each_selections_own_text(exported):
    with zipfile.ZipFile(exported) as zf:
        root = ET.fromstring(zf.read("project.qde"))
        ns = {"q": PROJECT_NS}
        checked = 0
        for source in root.iterfind("q:Sources/q:TextSource", ns):
            text = zf.read("sources/" + source.get("plainTextPath").removeprefix("internal://")).decode("utf-8")
            for sel in source.iterfind("q:PlainTextSelection", ns):
                assert text[int(sel.get("startPosition")):int(sel.get("endPosition"))] == sel.get("name")
                checked += 1
    assert checked == 145  # every excerpt of the synthetic corpus


def test_memos_survive_the_round_trip(synthetic, tmp_path):
    study = write_study(tmp_path / "with_memos", corpus=True)
    memos = pd.DataFrame([
        {"memo_id": "M1", "target_type": "excerpt", "target_id": "EX001", "kind": "note", "title": "Tone",
         "text": "Said with a laugh.", "author": "RA", "created": "2021-03-01T10:00:00Z"},
        {"memo_id": "M2", "target_type": "participant", "target_id": "Hub client 01", "kind": "description",
         "title": "", "text": "Interviewed by phone.", "author": "", "created": ""},
        {"memo_id": "M3", "target_type": "code", "target_id": "enrolment", "kind": "note", "title": "",
         "text": "Includes self-referral.", "author": "", "created": ""},
        {"memo_id": "M4", "target_type": "project", "target_id": "", "kind": "note", "title": "Plan",
         "text": "Second coder in May.", "author": "", "created": ""}])
    memos.to_csv(study / QUAL / "memos.csv", index=False)
    out = tmp_path / "memos.qdpx"
    assert export_qda(study=study, out=out).notes == 3
    empty = write_study(tmp_path / "empty", corpus=False)
    assert import_qda(out, study=empty).memos == 4
    pd.testing.assert_frame_equal(frame(empty, "memos.csv"), memos.sort_values("memo_id").reset_index(drop=True))


# ------------------------------------------------------------------------ XSD validation
@needs_fixtures
def test_bundled_project_schema_is_the_published_file():
    published = (FIXTURES / "Project-mrt2019.xsd").read_bytes()
    assert hashlib.sha256(schema_path("Project-mrt2019.xsd").read_bytes()).digest() == hashlib.sha256(published).digest()


@needs_fixtures
def test_exported_project_validates_against_the_published_xsd(exported):
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(FIXTURES / "Project-mrt2019.xsd"))
    with zipfile.ZipFile(exported) as zf:
        assert list(schema.iter_errors(ET.fromstring(zf.read("project.qde")))) == []


def test_validation_reports_a_code_without_iscodable():
    broken = f'<Project xmlns="{PROJECT_NS}" name="x"><CodeBook><Codes><Code guid="{gid("a")}" name="A"/></Codes></CodeBook></Project>'
    errors = validate_xml(broken.encode(), "qdpx")
    assert len(errors) == 1 and "isCodable" in errors[0]


def test_exported_codebook_validates_and_imports_to_the_same_constructs_and_themes(synthetic, tmp_path):
    out = tmp_path / "npt.qdc"
    export_qda(study=synthetic, out=out)
    assert validate_xml(out.read_bytes(), "qdc") == []
    bare = write_study(tmp_path / "bare", corpus=False, codebook=False)
    assert import_qdc(out, study=bare).codebook_codes == 16
    before = yaml.safe_load((synthetic / QUAL / "codebook.yml").read_text(encoding="utf-8"))
    after = yaml.safe_load((bare / QUAL / "codebook.yml").read_text(encoding="utf-8"))
    assert (after["constructs"], after["themes"]) == (before["constructs"], before["themes"])


# ------------------------------------------------------------------------ ATLAS.ti fixtures
@needs_fixtures
def test_atlas_target_codes_are_read_with_their_hierarchy():
    project = read_qda(FIXTURES / "target-atlas-project.qdpx")
    assert [c.path for c in project.codes] == [
        ("Commits",), ("Commits", "2022-05-10T02:05:59Z 19e4dce"), ("Commits", "2022-02-11T10:39:25Z cdbfd92")]
    assert project.origin.startswith("ATLAS.ti") and project.problems == ()


@needs_fixtures
def test_atlas_target_import_with_a_code_map_reports_the_unmapped_codes_and_writes_nothing(study, tmp_path):
    code_map = tmp_path / "map.yml"
    code_map.write_text('"2022-05-10T02:05:59Z 19e4dce": differentiation\n', encoding="utf-8")
    before = snapshot(study)
    with pytest.raises(QdaImportError, match="nothing to import") as caught:
        import_qda(FIXTURES / "target-atlas-project.qdpx", study=study, code_map=code_map)
    report = caught.value.report
    assert [(g, t.value, t.how) for g, _, t in report.mapped_codes] == [
        ("2D2466F0-D77F-4F8C-BDF9-628966B6B74D", "differentiation", "code map")]
    assert {(u.guid, u.name) for u in report.unmapped_codes} == {
        ("A182CD3A-D83C-4D8C-BC80-26D9103EC6D6", "Commits"),
        ("086AC733-7B1C-4749-A138-D7182F63A5C9", "2022-02-11T10:39:25Z cdbfd92")}
    assert snapshot(study) == before


@needs_fixtures
def test_atlas_blank_project_is_refused_in_a_dry_run(study):
    report = import_qda(FIXTURES / "blank-atlas-project.qdpx", study=study, dry_run=True)
    assert not report.ok and report.written == () and report.participants == 0


# ------------------------------------------------------------------------ deviations
def test_hand_made_project_imports_cases_variables_codes_and_valence(study, tmp_path):
    report = import_qda(standard_qdpx(tmp_path / "p.qdpx"), study=study)
    people, quotes = frame(study, "participants.csv"), frame(study, "excerpts.csv")
    assert people[["participant_id", "group", "site", "clinical"]].values.tolist() == [
        ["Hub client 01", "hub_client", "A", "clinical"]]
    # selection 0: Differentiation + Valence>enabler; selection 1: "Coherence: Enrolment" + an unmapped code
    assert quotes[["excerpt_id", "text", "codes", "valence"]].values.tolist() == [
        ["QDA001", QUOTES[0], "differentiation", "enabler"], ["QDA002", QUOTES[1], "enrolment", "neutral"]]
    assert [u.name for u in report.unmapped_codes] == ["Lunch breaks"] and report.unmapped_codes[0].codings == 1
    assert report.offset_basis == {"Interview 1": "as_stored"}


def test_project_xml_not_named_project_qde_is_read_with_a_warning(tmp_path):
    project = read_qda(standard_qdpx(tmp_path / "p.qdpx", qde="Trial.qde"))
    assert [s.text for s in project.sources[0].selections] == list(QUOTES)
    assert any("not named project.qde" in p.message for p in project.problems)


@pytest.mark.parametrize("folder", ["sources/", "Sources/", "", "nested/Sources/"])
def test_source_text_is_found_whatever_the_folder(tmp_path, folder):
    project = read_qda(standard_qdpx(tmp_path / "p.qdpx", folder=folder))
    assert [s.text for s in project.sources[0].selections] == list(QUOTES)


def test_inline_plain_text_content_is_used(tmp_path):
    project = read_qda(qdpx(tmp_path / "p.qdpx", project_xml(sources=text_source(selections_for(TEXT), inline=TEXT))))
    assert project.sources[0].text_origin == "inline"
    assert [s.text for s in project.sources[0].selections] == list(QUOTES)


@pytest.mark.parametrize("attr", ["targetGUID", "guid"])
def test_member_code_with_guid_or_target_guid_gives_the_theme_its_codes(tmp_path, attr):
    sets = (f'<Sets><Set guid="{gid("set")}" name="Clarity of the Hub offer"><Description>hubcase.theme: clarity_of_offer'
            f'</Description><MemberCode {attr}="{gid("c:diff")}"/></Set></Sets>')
    project = read_qda(qdpx(tmp_path / "p.qdpx", project_xml(sources=text_source("", inline=TEXT), extra=sets)))
    assert project.sets[0].codes == (gid("c:diff"),)
    qdc = (f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="{gid("c:diff")}" name="D" isCodable="true"/>'
           f'</Codes><Sets><Set guid="{gid("set")}" name="S"><MemberCode {attr}="{gid("c:diff")}"/></Set></Sets></CodeBook>')
    (tmp_path / "c.qdc").write_text(qdc, encoding="utf-8")
    assert read_qda(tmp_path / "c.qdc").sets[0].codes == (gid("c:diff"),)


def test_offsets_counted_with_crlf_on_lf_text_are_detected_and_reported(tmp_path):
    crlf = TEXT.replace("\n", "\r\n")
    name = f"{gid('src:1')}.txt"
    xml = project_xml(sources=text_source(selections_for(crlf), path=f"internal://{name}"))
    project = read_qda(qdpx(tmp_path / "p.qdpx", xml, members={f"sources/{name}": TEXT.encode()}))
    source = project.sources[0]
    assert source.basis == "crlf" and [s.text for s in source.selections] == list(QUOTES)
    assert all(s.verified for s in source.selections)
    assert any("CRLF line ends" in p.message for p in project.problems)


def test_offsets_counted_with_lf_on_crlf_text_are_detected(tmp_path):
    name = f"{gid('src:1')}.txt"
    xml = project_xml(sources=text_source(selections_for(TEXT), path=f"internal://{name}"))
    project = read_qda(qdpx(tmp_path / "p.qdpx", xml, members={f"sources/{name}": TEXT.replace("\n", "\r\n").encode()}))
    assert project.sources[0].basis == "lf" and [s.text for s in project.sources[0].selections] == list(QUOTES)


def test_a_selection_whose_name_differs_from_the_cut_text_is_reported(tmp_path):
    sels = selection(0, TEXT.index(QUOTES[0]), TEXT.index(QUOTES[0]) + len(QUOTES[0]), ("c:diff",), QUOTES[0])
    sels += selection(1, 0, 12, ("c:diff",), "Something else entirely, not at these offsets")
    project = read_qda(qdpx(tmp_path / "p.qdpx", project_xml(sources=text_source(sels, inline=TEXT))))
    assert [s.verified for s in project.sources[0].selections] == [True, False]
    assert any("does not match its name" in p.message for p in project.problems)


def test_missing_optional_attributes_are_tolerated(study, tmp_path):
    # no project name or origin, no isCodable, no typeOfVariable, no source or selection names, no users
    sels = selections_for(TEXT, names=False, codes=("c:diff",)).replace(gid("c:other"), gid("c:diff"))
    xml = (f'<Project xmlns="{PROJECT_NS}"><CodeBook><Codes><Code guid="{gid("c:diff")}" name="Differentiation"/>'
           f'<Code guid="{gid("c:enrol")}" name="enrolment"/></Codes></CodeBook>'
           f'<Variables><Variable guid="{gid("v:group")}" name="group"/><Variable guid="{gid("v:site")}" name="site"/>'
           f"</Variables><Cases>{case('Hub client 07', site='B')}</Cases>"
           f'<Sources><TextSource guid="{gid("src:1")}"><PlainTextContent>{TEXT}</PlainTextContent>{sels}'
           "</TextSource></Sources></Project>")
    project = read_qda(qdpx(tmp_path / "p.qdpx", xml))
    assert [s.verified for s in project.sources[0].selections] == [None, None]  # nothing to compare with
    assert [c.codable for c in project.codes] == [True, True]
    report = import_qda(tmp_path / "p.qdpx", study=study)
    assert report.ok and report.excerpts == 2
    assert frame(study, "participants.csv")[["participant_id", "group", "site"]].values.tolist() == [
        ["Hub client 07", "hub_client", "B"]]


def test_a_case_with_an_unknown_site_writes_nothing(tmp_path):
    study = write_study(tmp_path / "study", corpus=True)
    before = snapshot(study)
    xml = project_xml(sources=text_source(selections_for(TEXT), inline=TEXT), cases=case("Hub client 01", site="Z"))
    with pytest.raises(QdaImportError) as caught:
        import_qda(qdpx(tmp_path / "p.qdpx", xml), study=study)
    messages = [str(p) for p in caught.value.problems]
    assert any("'Z' is not a site declared in study.yml" in m and gid("case:Hub client 01") in m for m in messages)
    assert snapshot(study) == before


def test_a_dry_run_writes_nothing_even_when_the_import_would_validate(study, tmp_path):
    before = snapshot(study)
    report = import_qda(standard_qdpx(tmp_path / "p.qdpx"), study=study, dry_run=True)
    assert report.ok and report.written == () and snapshot(study) == before


def test_a_selection_outside_any_case_is_skipped_and_named(study, tmp_path):
    xml = project_xml(sources=text_source(selections_for(TEXT), inline=TEXT), cases=case("Hub client 01", site="A",
                                                                                          source="src:other"))
    report = import_qda(qdpx(tmp_path / "p.qdpx", xml), study=study, dry_run=True)
    assert len(report.skipped) == 2 and gid("s:0") in report.skipped[0].location


# ------------------------------------------------------------------------ code maps
def test_a_code_map_by_guid_overrides_the_name_and_can_set_a_theme(study, tmp_path):
    code_map = tmp_path / "map.yml"
    code_map.write_text(f'"{{{gid("c:other")}}}": theme:clarity_of_offer\nDifferentiation: internalisation\n',
                        encoding="utf-8")
    report = import_qda(standard_qdpx(tmp_path / "p.qdpx"), study=study, code_map=code_map, dry_run=True)
    targets = {name: (t.kind, t.value) for _, name, t in report.mapped_codes}
    assert targets["Lunch breaks"] == ("theme", "clarity_of_offer")
    assert targets["Differentiation"] == ("code", "internalisation")
    assert report.unmapped_codes == ()


def test_a_code_map_target_that_is_not_in_the_codebook_is_an_error(study, tmp_path):
    code_map = tmp_path / "map.yml"
    code_map.write_text("Lunch breaks: coffee\n", encoding="utf-8")
    report = import_qda(standard_qdpx(tmp_path / "p.qdpx"), study=study, code_map=code_map, dry_run=True)
    assert [p.location for p in report.errors] == ["Lunch breaks"]


# ------------------------------------------------------------------------ safety
def test_a_doctype_is_refused_before_parsing(tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            f'<Project xmlns="{PROJECT_NS}" name="&lol2;"/>')
    with pytest.raises(RefiError, match="DOCTYPE/ENTITY"):
        read_qda(qdpx(tmp_path / "bomb.qdpx", bomb))


def test_a_member_larger_than_the_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(refi_reader, "MAX_SOURCE_BYTES", 10)
    with pytest.raises(RefiError, match="larger than"):
        read_qda(standard_qdpx(tmp_path / "p.qdpx"))


def test_an_archive_with_two_project_files_and_no_project_qde_is_refused(tmp_path):
    path = tmp_path / "two.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.qde", project_xml(sources=""))
        zf.writestr("b.qde", project_xml(sources=""))
    with pytest.raises(RefiError, match="exactly one .qde"):
        read_qda(path)


# ------------------------------------------------------------------------ CLI
class Recorder:
    def __init__(self, result):
        self.calls, self.result = [], result

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return self.result


def _parse(command, argv):
    import argparse

    parser = argparse.ArgumentParser()
    runner = command(parser)
    return runner, vars(parser.parse_args(argv))


def test_cli_import_passes_file_study_code_map_and_dry_run(monkeypatch, tmp_path):
    from hubcase.refi.importer import ImportReport

    fake = Recorder(ImportReport(file=Path("p.qdpx"), study=Path("s"), dry_run=True))
    monkeypatch.setattr(refi_cli, "import_refi", fake)
    runner, args = _parse(refi_cli.import_qda_command, ["p.qdpx", "--study", "s", "--code-map", "m.yml", "--dry-run"])
    assert runner(**args) == 0
    assert fake.calls == [((Path("p.qdpx"),), {"study": Path("s"), "code_map": Path("m.yml"), "dry_run": True})]


def test_cli_export_passes_study_and_out(monkeypatch):
    from hubcase.refi.exporter import ExportReport

    fake = Recorder(ExportReport(out=Path("o.qdc"), kind="qdc", codes=3))
    monkeypatch.setattr(refi_cli, "export_qda", fake)
    runner, args = _parse(refi_cli.export_qda_command, ["--study", "s", "--out", "o.qdc"])
    assert runner(**args) == 0
    assert fake.calls == [((), {"study": Path("s"), "out": Path("o.qdc")})]


def test_a_codebook_that_drops_codes_the_excerpts_use_is_refused(tmp_path):
    study = write_study(tmp_path / "study", corpus=True)
    before = snapshot(study)
    qdc = (f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="{gid("k")}" name="Sense-making" '
           f'isCodable="false"><Code guid="{gid("d")}" name="Differentiation" isCodable="true"/></Code></Codes></CodeBook>')
    (tmp_path / "small.qdc").write_text(qdc, encoding="utf-8")
    with pytest.raises(QdaImportError, match="not in the codebook"):
        import_qdc(tmp_path / "small.qdc", study=study)
    assert snapshot(study) == before
