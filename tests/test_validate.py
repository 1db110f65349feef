"""Bad input is reported by file, location and field, and `hubcase validate` exits 1.

Every test copies the valid two-site study in ``tests/fixtures/mini_study`` to a
temporary directory, breaks one thing, and checks the exact problem: its file,
its location (``row N`` = file line with the header as line 1, or a dotted YAML
key path) and the field named in the message.  The same line must appear on
the standard output of ``hubcase validate --study DIR``, with exit status 1 and
no traceback.
"""
from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from hubcase.cli import main
from hubcase.errors import Problem
from hubcase.study import validate_study

FIXTURE = Path(__file__).parent / "fixtures" / "mini_study"


# ------------------------------------------------------------------- helpers
@pytest.fixture
def study(tmp_path: Path) -> Path:
    """A fresh copy of the valid mini study."""
    dest = tmp_path / "study"
    shutil.copytree(FIXTURE, dest)
    return dest


def set_cell(study: Path, file: str, row: int, column: str, value: str) -> None:
    """Set one CSV cell; ``row`` is the file line (header = 1)."""
    path = study / file
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    rows[row - 1][rows[0].index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def replace_text(study: Path, file: str, old: str, new: str) -> None:
    path = study / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8", newline="")


def run_validate(study: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["validate", "--study", str(study)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "internal error" not in out + err
    return code, out


@pytest.fixture
def expect_error(capsys):
    """Assert one error at ``file``/``location`` whose message contains every fragment."""

    def check(study: Path, file: str, location: str, *fragments: str) -> Problem:
        problems = validate_study(study)
        found = [p for p in problems if p.severity == "error" and p.file == file and p.location == location
                 and all(f in p.message for f in fragments)]
        assert found, "expected an error at {}:{} mentioning {}; got:\n{}".format(
            file, location, fragments, "\n".join(map(str, problems)))
        code, out = run_validate(study, capsys)
        assert code == 1
        assert str(found[0]) in out.splitlines()
        assert "not a valid study" in out.splitlines()[-1]
        return found[0]

    return check


# ------------------------------------------------------------------- valid input
def test_valid_fixture_has_no_problems():
    assert [str(p) for p in validate_study(FIXTURE)] == []


def test_valid_fixture_exits_0_and_prints_a_summary(capsys):
    code, out = run_validate(FIXTURE, capsys)
    assert code == 0
    assert "valid study (0 errors, 0 warnings)" in out
    assert "Study: Mini Resilience Hub study (test fixture)" in out
    assert "A (Site A): 5 screening records, 2 follow-up responses" in out
    assert "measures: PHQ-9, GAD-7, AUDIT, WSAS" in out
    assert "Qualitative: 4 participants, 5 excerpts" in out


def test_unknown_extra_column_is_a_warning_that_does_not_fail(study, capsys):
    text = (study / "screening.csv").read_text(encoding="utf-8").splitlines()
    lines = [text[0] + ",notes"] + [line + "," for line in text[1:]]
    (study / "screening.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = run_validate(study, capsys)
    assert code == 0
    assert "screening.csv:row 1: warning: column notes is not part of the contract and is ignored" in out
    assert "valid study (0 errors, 1 warning)" in out


def test_utf8_with_byte_order_mark_is_accepted(study):
    for file in ("screening.csv", "study.yml"):
        path = study / file
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert [str(p) for p in validate_study(study)] == []


# ------------------------------------------------------------------- files and formats
def test_missing_file_is_reported_with_the_strand_that_needs_it(study, expect_error):
    (study / "followup.csv").unlink()
    expect_error(study, "followup.csv", "", "file is missing", "followup strand", "sites A, B")


def test_missing_study_directory_is_reported(tmp_path, expect_error):
    expect_error(tmp_path / "nowhere", str(tmp_path / "nowhere"), "", "study directory does not exist")


def test_empty_file_is_reported(study, expect_error):
    (study / "costing" / "hub_activity.csv").write_text("", encoding="utf-8")
    expect_error(study, "costing/hub_activity.csv", "", "file is empty")


def test_malformed_yaml_is_reported_by_line(study, expect_error):
    replace_text(study, "study.yml", "currency: GBP", "currency: [GBP")  # line 4; noticed on line 5
    expect_error(study, "study.yml", "line 5", "malformed YAML", "flow sequence that starts on line 4")


def test_duplicate_yaml_key_is_reported_by_line(study, expect_error):
    replace_text(study, "study.yml", "price_year: 2021", "price_year: 2021\nprice_year: 2022")
    expect_error(study, "study.yml", "line 6", "duplicate key 'price_year' (first on line 5)")


def test_ragged_csv_row_is_reported_by_row(study, expect_error):
    replace_text(study, "followup.csv", "R006,B,5,", "R006,B,5,5,")
    expect_error(study, "followup.csv", "row 4", "has 27 fields but the header has 26")


def test_unclosed_quote_is_reported_as_malformed_csv(study, expect_error):
    replace_text(study, "qualitative/excerpts.csv", '"I never knew it existed, to be honest."',
                 '"I never knew it existed, to be honest.')
    expect_error(study, "qualitative/excerpts.csv", "row 5", "malformed CSV")


def test_semicolon_delimited_csv_is_reported(study, expect_error):
    path = study / "costing" / "unit_costs.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    expect_error(study, "costing/unit_costs.csv", "row 1", "';'-separated", "comma-separated")


def test_latin1_encoded_file_is_reported_by_row(study, expect_error):
    path = study / "qualitative" / "participants.csv"
    text = path.read_text(encoding="utf-8").replace("Care assistant", "Auxiliar de enfermería")
    path.write_bytes(text.encode("latin-1"))
    expect_error(study, "qualitative/participants.csv", "row 3", "byte 0xed is not valid UTF-8", "save the file as UTF-8")


def test_yaml_alias_bomb_is_refused(study, expect_error):
    bomb = "\n".join(["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
                     + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
                        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(8)])
    path = study / "study.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + bomb + "\n", encoding="utf-8")
    first_alias = text.count("\n") + 2  # the anchor line follows the file; the first alias is on the next
    expect_error(study, "study.yml", f"line {first_alias}", "aliases/anchors are not allowed")


def test_yaml_python_object_tag_is_refused(study, expect_error):
    replace_text(study, "study.yml", "title: Mini Resilience Hub study (test fixture)",
                 "title: !!python/object/apply:os.system ['echo pwned']")
    expect_error(study, "study.yml", "line 2", "tag", "python/object/apply:os.system", "not allowed")


def test_files_override_outside_the_study_directory_is_refused(study, expect_error):
    shutil.copy(study / "screening.csv", study.parent / "outside.csv")
    path = study / "study.yml"
    path.write_text(path.read_text(encoding="utf-8") + "files:\n  screening: ../outside.csv\n", encoding="utf-8")
    expect_error(study, "study.yml", "files.screening", "'../outside.csv' points outside the study directory")


# ------------------------------------------------------------------- columns and keys
def test_missing_required_column_is_reported_by_name(study, expect_error):
    path = study / "screening.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    at = rows[0].index("age")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([r[:at] + r[at + 1:] for r in rows])
    path.write_text(buf.getvalue(), encoding="utf-8")
    expect_error(study, "screening.csv", "row 1", "required column age is missing")


def test_missing_required_yaml_key_is_reported_by_path(study, expect_error):
    replace_text(study, "study.yml", "currency: GBP\n", "")
    expect_error(study, "study.yml", "currency", "required key is missing", "Currency code")


def test_missing_nested_yaml_key_is_reported_by_dotted_path(study, expect_error):
    replace_text(study, "service_mapping/A.yml", "  reported_total_wte: 3.0\n", "")
    expect_error(study, "service_mapping/A.yml", "staffing.reported_total_wte", "required key is missing")


def test_blank_required_cell_is_reported(study, expect_error):
    set_cell(study, "screening.csv", 5, "site", "")
    expect_error(study, "screening.csv", "row 5", "column site:", "blank but a value is required")


def test_text_in_a_number_column_is_reported(study, expect_error):
    set_cell(study, "costing/hub_activity.csv", 2, "keyworkers_individual", "many")
    expect_error(study, "costing/hub_activity.csv", "row 2", "column keyworkers_individual:", "'many' is not a whole number")


def test_text_where_yaml_needs_a_number_is_reported(study, expect_error):
    replace_text(study, "service_mapping/A.yml", "wte: 2.0", "wte: two")
    expect_error(study, "service_mapping/A.yml", "staffing.posts[0].wte", "'two' is not a number")


@pytest.mark.parametrize("token", ["NaN", "nan", "NA"])
def test_nan_in_a_number_column_is_reported_with_a_hint(study, expect_error, token):
    set_cell(study, "followup.csv", 2, "months_since_screening", token)
    expect_error(study, "followup.csv", "row 2", "column months_since_screening:", f"{token!r} is not a number",
                 "leave the cell blank for a missing value")


@pytest.mark.parametrize("token", ["inf", "-Infinity", "1e999"])
def test_infinity_in_a_number_column_is_reported(study, expect_error, token):
    set_cell(study, "costing/unit_costs.csv", 3, "unit_cost", token)
    expect_error(study, "costing/unit_costs.csv", "row 3", "column unit_cost:", f"{token!r} is not a finite number")


# ------------------------------------------------------------------- measure items
def test_phq9_item_of_4_is_out_of_range(study, expect_error):
    set_cell(study, "screening.csv", 3, "phq9_04", "4")
    expect_error(study, "screening.csv", "row 3", "column phq9_04:", "'4' is outside 0–3", "PHQ-9 items score 0–3")


def test_wsas_item_of_9_is_out_of_range(study, expect_error):
    set_cell(study, "screening.csv", 7, "wsas_02", "9")
    expect_error(study, "screening.csv", "row 7", "column wsas_02:", "'9' is outside 0–8", "WSAS items score 0–8")


def test_audit_item_9_of_3_is_not_an_allowed_score(study, expect_error):
    set_cell(study, "screening.csv", 2, "audit_09", "3")
    expect_error(study, "screening.csv", "row 2", "column audit_09:", "'3' is not one of 0, 2, 4",
                 "AUDIT items 9 and 10 score 0, 2 or 4")


def test_measure_recorded_at_a_site_that_did_not_use_it_is_reported(study, expect_error):
    set_cell(study, "screening.csv", 8, "audit_01", "1")
    expect_error(study, "screening.csv", "row 8", "column audit_01:", "AUDIT recorded at site B",
                 "sites[1].measures")


# ------------------------------------------------------------------- identifiers
def test_unknown_site_id_in_records_is_reported(study, expect_error):
    set_cell(study, "screening.csv", 4, "site", "C")
    expect_error(study, "screening.csv", "row 4", "column site:", "'C' is not a site declared in study.yml",
                 "A, B")


def test_duplicate_record_id_is_reported_with_first_row(study, expect_error):
    set_cell(study, "screening.csv", 4, "record_id", "R002")
    expect_error(study, "screening.csv", "row 4", "column record_id:", "'R002'", "first seen on row 3")


def test_duplicate_participant_id_is_reported(study, expect_error):
    set_cell(study, "qualitative/participants.csv", 4, "participant_id", "Hub client 01")
    expect_error(study, "qualitative/participants.csv", "row 4", "column participant_id:", "'Hub client 01'",
                 "first seen on row 2")


def test_duplicate_excerpt_id_is_reported(study, expect_error):
    set_cell(study, "qualitative/excerpts.csv", 6, "excerpt_id", "EX02")
    expect_error(study, "qualitative/excerpts.csv", "row 6", "column excerpt_id:", "'EX02'", "first seen on row 3")


def test_followup_record_without_screening_record_is_reported(study, expect_error):
    set_cell(study, "followup.csv", 4, "record_id", "R099")
    expect_error(study, "followup.csv", "row 4", "column record_id:", "'R099' has no screening record")


def test_excerpt_code_not_in_codebook_is_reported(study, expect_error):
    set_cell(study, "qualitative/excerpts.csv", 3, "codes", "internalisation;enrolement")
    expect_error(study, "qualitative/excerpts.csv", "row 3", "column codes:", "'enrolement' not in the codebook",
                 "did you mean 'enrolment'?")


def test_excerpt_with_unknown_participant_is_reported(study, expect_error):
    set_cell(study, "qualitative/excerpts.csv", 4, "participant_id", "Hub staff 09")
    expect_error(study, "qualitative/excerpts.csv", "row 4", "column participant_id:", "'Hub staff 09'",
                 "qualitative/participants.csv")


def test_unknown_npt_code_in_pathway_chain_is_reported(study, expect_error):
    set_cell(study, "qualitative/excerpts.csv", 2, "chain", "differentiation > coherence > enrolment")
    expect_error(study, "qualitative/excerpts.csv", "row 2", "column chain:", "unknown NPT code 'coherence'")


# ------------------------------------------------------------------- costing
def test_negative_wte_in_cost_lines_is_reported(study, expect_error):
    set_cell(study, "costing/hub_costs.csv", 3, "wte", "-2")
    expect_error(study, "costing/hub_costs.csv", "row 3", "column wte:", "'-2' is outside 0–100")


def test_negative_wte_in_service_mapping_is_reported(study, expect_error):
    replace_text(study, "service_mapping/B.yml", "wte: 1.0, staff_group", "wte: -1.0, staff_group")
    expect_error(study, "service_mapping/B.yml", "staffing.posts[0].wte", "-1.0 is outside 0–100")


def test_non_numeric_cost_amount_is_reported_with_a_hint(study, expect_error):
    set_cell(study, "costing/hub_costs.csv", 2, "amount", "£12,000")
    expect_error(study, "costing/hub_costs.csv", "row 2", "column amount:", "'£12,000' is not a number",
                 "without currency symbols", "thousands separators")


# ------------------------------------------------------------------- reporting
def test_unknown_files_key_is_a_warning_with_a_suggestion(study, capsys):
    path = study / "study.yml"
    path.write_text(path.read_text(encoding="utf-8") + "files:\n  screenig: screening.csv\n", encoding="utf-8")
    code, out = run_validate(study, capsys)
    assert code == 0
    assert "study.yml:files.screenig: warning: unknown file id is ignored; did you mean 'screening'?" in out


def test_problems_are_listed_by_file_with_rows_in_order(study, capsys):
    set_cell(study, "screening.csv", 6, "age", "7")
    set_cell(study, "screening.csv", 3, "site", "Z")  # R002: found by a later, cross-file check
    set_cell(study, "followup.csv", 2, "eq_vas", "101")
    code, out = run_validate(study, capsys)
    assert code == 1
    assert out.splitlines()[:4] == [
        "screening.csv:row 3: column site: 'Z' is not a site declared in study.yml (declared: A, B)",
        "screening.csv:row 6: column age: '7' is outside 18–100",
        "followup.csv:row 2: column eq_vas: '101' is outside 0–100",
        "followup.csv:row 3: column site: 'A' differs from the screening record's site 'Z'",
    ]
