"""Hostile input: every kind of study file, broken the way exports, editors and attackers break it.

Each case copies the valid two-site study in ``tests/fixtures/mini_study``, breaks one file (with a
payload from ``tests/hostile/`` or a transformation of the fixture's own file) and checks that

* ``validate_study`` reports an error naming the file, the location (``row N`` = file line with
  the header as line 1, a dotted YAML key path, or ``line N`` of a YAML file) and the field, and
  ``hubcase validate`` prints that line and exits 1, without a traceback;
* ``hubcase build`` exits 1 with the same line on stderr, without a traceback, and leaves the
  previous build output byte for byte as it was (and no staging folder beside it).

Cases already in ``tests/test_validate.py`` (alias bomb and python tag in study.yml, ``../`` in
``files:``, ragged followup row, semicolon unit costs, Latin-1 participants, NaN/inf in followup
and unit costs, PHQ-9/WSAS/AUDIT ranges, unknown screening site, ...) are not repeated.  The
100 MB excerpts file is generated at test time and must be refused from its size alone.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hubcase.cli import main
from hubcase.study import validate_study

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "mini_study"
HOSTILE = HERE / "hostile"
ROOT = HERE.parent


# ------------------------------------------------------------------ how files are broken
def _path(study: Path, file: str) -> Path:
    return study / file


def set_cell(file: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """Set one CSV cell; ``row`` is the file line (header = 1)."""
    def make(study: Path) -> None:
        path = _path(study, file)
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        rows[row - 1][rows[0].index(column)] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    return make


def replace(file: str, old: str, new: str) -> Callable[[Path], None]:
    def make(study: Path) -> None:
        path = _path(study, file)
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} should occur once in {file}"
        path.write_text(text.replace(old, new), encoding="utf-8", newline="")
    return make


def append(file: str, text: str) -> Callable[[Path], None]:
    def make(study: Path) -> None:
        path = _path(study, file)
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8", newline="")
    return make


def write(file: str, data: bytes | str) -> Callable[[Path], None]:
    def make(study: Path) -> None:
        path = _path(study, file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return make


def payload(file: str, name: str) -> Callable[[Path], None]:
    """Replace (or add) ``file`` with ``tests/hostile/<name>``."""
    return write(file, (HOSTILE / name).read_bytes())


def transform(file: str, change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def make(study: Path) -> None:
        path = _path(study, file)
        path.write_bytes(change(path.read_bytes()))
    return make


def redelimit(file: str, delimiter: str) -> Callable[[Path], None]:
    def make(study: Path) -> None:
        path = _path(study, file)
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")
    return make


def duplicate_column(file: str, column: str, *, bom: bool = False) -> Callable[[Path], None]:
    """Repeat ``column`` at the end of every row (optionally after a UTF-8 byte-order mark)."""
    def make(study: Path) -> None:
        path = _path(study, file)
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        at = rows[0].index(column)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([r + [r[at]] for r in rows])
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return make


def cut_after(file: str, marker: str) -> Callable[[Path], None]:
    """Truncate ``file`` just after ``marker`` (a download or copy that stopped half-way)."""
    def change(data: bytes) -> bytes:
        at = data.index(marker.encode("utf-8"))
        return data[: at + len(marker)]
    return transform(file, change)


def outside_link(file: str, *, override: str | None = None) -> Callable[[Path], None]:
    """Make ``file`` (or, with ``override``, a ``files:`` entry) a symbolic link to a copy outside."""
    def make(study: Path) -> None:
        target = study.parent / ("outside-" + Path(file).name)
        shutil.copy(study / file, target)
        link = study / (override or file)
        if link.exists():
            link.unlink()
        os.symlink(target, link)
        if override:
            key = {"qualitative/excerpts.csv": "excerpts"}.get(file, Path(file).stem)
            (study / "study.yml").write_text((study / "study.yml").read_text(encoding="utf-8")
                                             + f"files:\n  {key}: {override}\n", encoding="utf-8")
    return make


def drop_site_b(study: Path) -> None:
    """Remove site B from study.yml; its records stay in every file."""
    path = study / "study.yml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == "- id: B")
    end = next(i for i in range(start, len(lines)) if lines[i].strip().startswith("opened:"))
    path.write_text("".join(lines[:start] + lines[end + 1:]), encoding="utf-8")


def remove(file: str) -> Callable[[Path], None]:
    def make(study: Path) -> None:
        (study / file).unlink()
    return make


def both(*makers: Callable[[Path], None]) -> Callable[[Path], None]:
    def make(study: Path) -> None:
        for m in makers:
            m(study)
    return make


# ------------------------------------------------------------------ the corpus
@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[Path], None]
    file: str
    location: str
    fragments: tuple[str, ...]


def case(id: str, make, file: str, location: str, *fragments: str) -> Case:
    return Case(id, make, file, location, fragments)


TAG_REFUSED = "is not allowed (study files are plain YAML"
EXCERPTS, PARTICIPANTS = "qualitative/excerpts.csv", "qualitative/participants.csv"
CODEBOOK, PATHWAYS = "qualitative/codebook.yml", "qualitative/pathways.yml"

CASES = [
    # screening.csv
    case("screening_truncated_mid_row", transform("screening.csv", lambda d: d[:-40]),
         "screening.csv", "row 9", "fields but the header has 53", "truncated file"),
    case("screening_tab_delimited", redelimit("screening.csv", "\t"),
         "screening.csv", "row 1", "'\\t'-separated", "comma-separated"),
    case("screening_bom_and_duplicated_first_header", duplicate_column("screening.csv", "record_id", bom=True),
         "screening.csv", "row 1", "column record_id appears more than once in the header"),
    case("screening_bom_only", write("screening.csv", b"\xef\xbb\xbf\r\n"),
         "screening.csv", "row 1", "header row is missing"),
    case("screening_date_in_the_future", set_cell("screening.csv", 4, "screen_date", "2999-02-03"),
         "screening.csv", "row 4", "column screen_date:", "'2999-02-03' is in the future", "today is"),
    case("screening_impossible_date", set_cell("screening.csv", 5, "screen_date", "2021-02-30"),
         "screening.csv", "row 5", "column screen_date:", "'2021-02-30' is not a date (YYYY-MM-DD)"),
    case("screening_infinite_age", set_cell("screening.csv", 6, "age", "inf"),
         "screening.csv", "row 6", "column age:", "'inf' is not a finite number"),
    case("screening_huge_integer_age", set_cell("screening.csv", 2, "age", "9" * 40),
         "screening.csv", "row 2", "column age:", "is outside 18–100"),
    case("screening_negative_gad7_item", set_cell("screening.csv", 7, "gad7_03", "-1"),
         "screening.csv", "row 7", "column gad7_03:", "'-1' is outside 0–3", "GAD-7 items score 0–3"),
    case("screening_fractional_phq9_item", set_cell("screening.csv", 3, "phq9_02", "1.5"),
         "screening.csv", "row 3", "column phq9_02:", "'1.5' is not a whole number"),
    # followup.csv
    case("followup_site_not_in_study_yml", set_cell("followup.csv", 2, "site", "Z"),
         "followup.csv", "row 2", "column site:", "'Z' is not a site declared in study.yml", "declared: A, B"),
    case("followup_eq5d_level_out_of_range", set_cell("followup.csv", 3, "eq5d_mo", "6"),
         "followup.csv", "row 3", "column eq5d_mo:", "'6' is outside 1–5"),
    case("followup_negative_nan", set_cell("followup.csv", 4, "eq_vas", "-nan"),
         "followup.csv", "row 4", "column eq_vas:", "'-nan' is not a number", "leave the cell blank"),
    case("followup_truncated_inside_quotes", append("followup.csv", 'R007,B,"6'),
         "followup.csv", "row 5", "malformed CSV", "unexpected end of data"),
    # service_use.csv
    case("service_use_infinite_quantity", set_cell("service_use.csv", 3, "quantity", "Infinity"),
         "service_use.csv", "row 3", "column quantity:", "'Infinity' is not a finite number"),
    case("service_use_duplicated_header", duplicate_column("service_use.csv", "quantity"),
         "service_use.csv", "row 1", "column quantity appears more than once in the header"),
    case("service_use_negative_quantity", set_cell("service_use.csv", 5, "quantity", "-1"),
         "service_use.csv", "row 5", "column quantity:", "'-1' is outside 0–1000"),
    case("service_use_empty_file", write("service_use.csv", b""),
         "service_use.csv", "", "file is empty"),
    # costing/*.csv
    case("unit_costs_latin1_pound_sign", payload("costing/unit_costs.csv", "unit_costs_latin1.csv"),
         "costing/unit_costs.csv", "row 5", "byte 0xa3 is not valid UTF-8", "save the file as UTF-8"),
    case("hub_costs_site_not_in_study_yml", set_cell("costing/hub_costs.csv", 5, "site", "C"),
         "costing/hub_costs.csv", "row 5", "column site:", "'C' is not a site declared in study.yml"),
    case("hub_activity_share_above_one", set_cell("costing/hub_activity.csv", 3, "individual_share_high", "1.5"),
         "costing/hub_activity.csv", "row 3", "column individual_share_high:", "'1.5' is outside 0–1"),
    case("staff_unit_costs_whitespace_only", write("costing/staff_unit_costs.csv", "  \n\n\t\n"),
         "costing/staff_unit_costs.csv", "", "file is empty"),
    case("hub_costs_overflowing_amount", set_cell("costing/hub_costs.csv", 2, "amount", "1e309"),
         "costing/hub_costs.csv", "row 2", "column amount:", "'1e309' is not a finite number"),
    # qualitative/participants.csv
    case("participants_site_not_in_study_yml", drop_site_b,
         PARTICIPANTS, "row 3", "column site:", "'B' is not a site declared in study.yml (declared: A)"),
    case("participants_utf16", payload(PARTICIPANTS, "participants_utf16.csv"),
         PARTICIPANTS, "row 1", "byte 0xff is not valid UTF-8"),
    case("participants_unknown_restricted_field", set_cell(PARTICIPANTS, 4, "restricted", "site;home_address"),
         PARTICIPANTS, "row 4", "column restricted:", "home_address not among"),
    # qualitative/excerpts.csv
    case("excerpts_windows_1252_apostrophe", payload(EXCERPTS, "excerpts_cp1252.csv"),
         EXCERPTS, "row 3", "byte 0x92 is not valid UTF-8", "Latin-1/Windows-1252"),
    case("excerpts_truncated_inside_quote", cut_after(EXCERPTS, '"[Name] on the unit'),
         EXCERPTS, "row 6", "malformed CSV", "unexpected end of data"),
    case("excerpts_identifiable_not_boolean", set_cell(EXCERPTS, 6, "identifiable", "maybe"),
         EXCERPTS, "row 6", "column identifiable:", "'maybe' is not true/false"),
    case("excerpts_nul_byte", replace(EXCERPTS, "to push me.", "to push me.\x00"),
         EXCERPTS, "", "NUL bytes"),
    # study.yml
    case("study_no_sites", replace("study.yml", "sites:\n  - id: A", "sites: []\nold_sites:\n  - id: A"),
         "study.yml", "sites", "expected at least 1 entries, got 0"),
    case("study_sites_key_missing", replace("study.yml", "sites:\n  - id: A", "site_list:\n  - id: A"),
         "study.yml", "sites", "required key is missing"),
    case("study_comment_only", write("study.yml", "# nothing but a comment\n"),
         "study.yml", "", "holds no YAML data"),
    case("study_files_absolute_path", append("study.yml", "files:\n  codebook: /etc/passwd\n"),
         "study.yml", "files.codebook", "'/etc/passwd' points outside the study directory"),
    case("study_files_symlink_out", outside_link(EXCERPTS, override="qualitative/quotes.csv"),
         "study.yml", "files.excerpts", "'qualitative/quotes.csv' points outside the study directory"),
    case("default_file_is_symlink_out", outside_link("followup.csv"),
         "followup.csv", "", "symbolic link to a file outside the study directory"),
    case("study_files_nul_in_path", append("study.yml", 'files:\n  screening: "screening\\0.csv"\n'),
         "study.yml", "files.screening", "is not a usable path", "embedded null byte"),
    case("study_files_service_mapping_outside", append("study.yml", "files:\n  service_mapping.A: ../../A.yml\n"),
         "study.yml", "files.service_mapping.A", "'../../A.yml' points outside the study directory"),
    case("study_value_set_outside", replace("study.yml", "value_set: england_5l_devlin2018",
                                            "value_set: ../../../etc/value_set.csv"),
         "study.yml", "eq5d.value_set", "points outside the study directory"),
    case("study_nan_hours", replace("study.yml", "overtime_hours_per_week: 10.4", "overtime_hours_per_week: .nan"),
         "study.yml", "economics.overtime_hours_per_week", "nan is not a finite number"),
    case("study_lone_surrogate", replace("study.yml", "short_title: Mini study", 'short_title: "Mini \\ud800"'),
         "study.yml", "line 3", "lone UTF-16 surrogate"),
    case("study_binary_tag", replace("study.yml", "short_title: Mini study", "short_title: !!binary TWluaQ=="),
         "study.yml", "line 3", "YAML tag 'binary'", TAG_REFUSED),
    case("study_deep_nesting", write("study.yml", "title: " + "[" * 50_000 + "]" * 50_000 + "\n"),
         "study.yml", "", "nesting is too deep"),
    case("study_above_yaml_size_limit", write("study.yml", "# padding\n" * 900_000),
         "study.yml", "", "above the 8 MB limit"),
    case("study_tab_indentation", replace("study.yml", "  min_cell_count: 3", "\tmin_cell_count: 3"),
         "study.yml", "line 7", "malformed YAML", "replace the tab characters"),
    # service_mapping/<site>.yml
    case("service_mapping_python_object_apply", payload("service_mapping/A.yml", "python_apply.yml"),
         "service_mapping/A.yml", "line 2", "YAML tag 'python/object/apply:os.system'", TAG_REFUSED),
    case("service_mapping_billion_laughs", payload("service_mapping/B.yml", "billion_laughs.yml"),
         "service_mapping/B.yml", "line 3", "aliases/anchors are not allowed"),
    case("service_mapping_set_tag", replace("service_mapping/B.yml", "  targeted: []", "  targeted: !!set {a, b}"),
         "service_mapping/B.yml", "line 32", "YAML tag 'set'", TAG_REFUSED),
    case("service_mapping_missing_for_a_site", remove("service_mapping/B.yml"),
         "service_mapping/B.yml", "", "file is missing", "site B collects the service_mapping strand"),
    case("service_mapping_site_of_another_file", replace("service_mapping/B.yml", "site: B", "site: A"),
         "service_mapping/B.yml", "site", "'A' does not match the file name (site B)"),
    # qualitative/codebook.yml
    case("codebook_python_name", payload(CODEBOOK, "python_name.yml"),
         CODEBOOK, "line 2", "YAML tag 'python/name:os.system'", TAG_REFUSED),
    case("codebook_null_document", write(CODEBOOK, "---\n~\n...\n"),
         CODEBOOK, "", "holds no YAML data"),
    case("codebook_duplicate_code", replace(CODEBOOK, "      - id: enrolment", "      - id: differentiation"),
         CODEBOOK, "constructs[1].subconstructs[0].id", "duplicate code 'differentiation'"),
    case("codebook_constructs_not_a_list",
         replace(CODEBOOK, "source: Written for the hubcase test fixture\nconstructs:\n", "constructs: 5\nold:\n"),
         CODEBOOK, "constructs", "expected a list, got a number"),
    # qualitative/pathways.yml (optional; added)
    case("pathways_omap_tag", payload(PATHWAYS, "omap_pathways.yml"),
         PATHWAYS, "line 2", "YAML tag 'omap'", TAG_REFUSED),
    case("pathways_unknown_excerpt", payload(PATHWAYS, "pathways_unknown_evidence.yml"),
         PATHWAYS, "pathways[0].evidence", "unknown excerpt 'EX99'"),
    case("pathways_billion_laughs", payload(PATHWAYS, "billion_laughs.yml"),
         PATHWAYS, "line 3", "aliases/anchors are not allowed"),
    # integration.yml (optional; added)
    case("integration_billion_laughs", payload("integration.yml", "billion_laughs.yml"),
         "integration.yml", "line 3", "aliases/anchors are not allowed"),
    case("integration_python_object_new", payload("integration.yml", "python_new.yml"),
         "integration.yml", "line 2", "YAML tag 'python/object/new:subprocess.Popen'", TAG_REFUSED),
    case("integration_infinite_test_value", payload("integration.yml", "integration_inf.yml"),
         "integration.yml", "rows[0].strands.screening.test.value", "inf is not a finite number"),
    case("integration_unhashable_key", payload("integration.yml", "unhashable_key.yml"),
         "integration.yml", "line 4", "malformed YAML", "unhashable key"),
    case("integration_plain_text", write("integration.yml", "just some words\n"),
         "integration.yml", "(top level)", "expected a mapping, got text"),
]
IDS = [c.id for c in CASES]
KINDS = {"screening.csv", "followup.csv", "service_use.csv", "costing/unit_costs.csv", "costing/hub_costs.csv",
         "costing/hub_activity.csv", "costing/staff_unit_costs.csv", PARTICIPANTS, EXCERPTS, "study.yml",
         "service_mapping/A.yml", "service_mapping/B.yml", CODEBOOK, PATHWAYS, "integration.yml"}


# ------------------------------------------------------------------ helpers
@pytest.fixture
def broken(request, tmp_path: Path) -> tuple[Path, Case]:
    """A copy of the mini study broken as the case says."""
    item: Case = request.param
    study = tmp_path / "study"
    shutil.copytree(FIXTURE, study)
    item.make(study)
    return study, item


def fake_previous_output(out: Path) -> None:
    """What an earlier successful build left: a manifest naming hubcase, a report, tables, figures."""
    (out / "report").mkdir(parents=True)
    (out / "tables").mkdir()
    (out / "sites" / "A").mkdir(parents=True)
    (out / "manifest.json").write_text(json.dumps({"generator": "hubcase", "built_at": "2021-01-01T00:00:00"}))
    (out / "report" / "index.html").write_text("<html><body>previous report</body></html>")
    (out / "sites" / "A" / "case-study.html").write_text("<html><body>previous case study</body></html>")
    (out / "tables" / "T6.csv").write_text("Characteristic,Total\nAge,42\n")


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 (files) or 'dir' for everything under ``root``."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        out[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def matching(problems, item: Case):
    return [p for p in problems if p.severity == "error" and p.file == item.file and p.location == item.location
            and all(f in p.message for f in item.fragments)]


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ the corpus itself
def test_corpus_has_at_least_thirty_cases_over_every_input_kind():
    assert len(CASES) >= 30
    assert len(set(IDS)) == len(IDS)
    assert {c.file for c in CASES} >= KINDS


# ------------------------------------------------------------------ each case: validate, then build
@pytest.mark.parametrize("broken", CASES, ids=IDS, indirect=True)
def test_validate_names_file_location_and_field_and_exits_1(broken, capsys):
    study, item = broken
    problems = validate_study(study)
    found = matching(problems, item)
    assert found, "expected an error at {}:{} mentioning {}; got:\n{}".format(
        item.file, item.location or "(whole file)", item.fragments, "\n".join(map(str, problems)))
    code, out, err = run_cli(["validate", "--study", str(study)], capsys)
    assert code == 1
    assert str(found[0]) in out.splitlines()
    assert "Traceback" not in out + err and "internal error" not in out + err


@pytest.mark.parametrize("broken", CASES, ids=IDS, indirect=True)
def test_build_exits_1_with_the_problem_and_leaves_the_previous_output_untouched(broken, tmp_path, capsys):
    study, item = broken
    out_dir = tmp_path / "out"
    fake_previous_output(out_dir)
    before, siblings = tree_digest(out_dir), sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run_cli(["build", "--study", str(study), "--out", str(out_dir), "--to", "html"], capsys)
    assert code == 1
    where = f"{item.file}:{item.location}: " if item.location else f"{item.file}: "
    assert any(where in line and all(f in line for f in item.fragments) for line in err.splitlines()), err
    assert "Traceback" not in out + err and "internal error" not in out + err
    assert tree_digest(out_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == siblings  # no staging or backup folder left


# ------------------------------------------------------------------ 100 MB of excerpts
HUGE_MB = 100


@pytest.fixture(scope="module")
def huge_study(tmp_path_factory) -> Path:
    """The mini study with a 100 MB excerpts.csv (real rows, written in 1 MiB blocks)."""
    study = tmp_path_factory.mktemp("huge") / "study"
    shutil.copytree(FIXTURE, study)
    rows = "".join(f'EX{i:06d},Hub client 01,"It was clear from the leaflet, so I signed up.",'
                   f"differentiation,,enabler,,,false\n" for i in range(12_000))
    block = rows.encode("utf-8")[: 1 << 20]
    block = block[: block.rindex(b"\n") + 1]
    with open(study / EXCERPTS, "ab") as fh:
        while fh.tell() < HUGE_MB * 2**20:
            fh.write(block)
        fh.truncate(HUGE_MB * 2**20)  # the last row is cut: the file must be refused before that matters
    return study


def test_100_mb_excerpts_are_refused_from_their_size_without_reading_them(huge_study):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        problems = validate_study(huge_study)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    seconds = time.perf_counter() - started
    errors = [str(p) for p in problems if p.severity == "error"]
    assert errors == [f"{EXCERPTS}: file is {(huge_study / EXCERPTS).stat().st_size / 2**20:.0f} MB, above the "
                      "64 MB limit of hubcase; hint: check that the right file is named (a huge file is usually "
                      "an export gone wrong)"]
    assert peak < 16 * 2**20, f"validating allocated {peak / 2**20:.0f} MB: the file was read"
    assert seconds < 5


@pytest.mark.parametrize("command", ["validate", "build"])
def test_100_mb_excerpts_fail_the_real_command_quickly(huge_study, tmp_path, command):
    argv = [sys.executable, "-m", "hubcase", command, "--study", str(huge_study)]
    if command == "build":
        fake_previous_output(tmp_path / "out")
        argv += ["--out", str(tmp_path / "out"), "--to", "html"]
    before = tree_digest(tmp_path)
    started = time.perf_counter()
    run = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 1
    assert "qualitative/excerpts.csv: file is 100 MB, above the 64 MB limit" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert time.perf_counter() - started < 30
    assert tree_digest(tmp_path) == before


# ------------------------------------------------------------------ a real process, not main()
@pytest.mark.parametrize("broken", [c for c in CASES if c.id in (
    "service_mapping_python_object_apply", "integration_billion_laughs", "study_lone_surrogate")],
    ids=lambda c: c.id, indirect=True)
def test_the_installed_command_exits_1_without_a_traceback(broken, tmp_path):
    study, item = broken
    expected = str(matching(validate_study(study), item)[0])
    for argv in (["validate", "--study", str(study)],
                 ["build", "--study", str(study), "--out", str(tmp_path / "out"), "--to", "html"]):
        run = subprocess.run([sys.executable, "-m", "hubcase", *argv], capture_output=True, text=True,
                             cwd=tmp_path, timeout=120)
        assert run.returncode == 1, run.stdout + run.stderr
        assert expected in run.stdout + run.stderr
        assert "Traceback" not in run.stdout + run.stderr
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "hubcase-yaml-executed").exists()
