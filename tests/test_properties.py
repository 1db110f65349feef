"""Generated input never crashes the loaders or the validator (hypothesis).

Whatever the bytes of a CSV or YAML file, whatever records or YAML values reach the schema
functions, the result is data or a list of :class:`Problem` — never an unhandled exception.
A study that validates without errors also loads.  Examples are kept few (the validator reads
a whole study per example) and deadlines are off; the whole module runs in well under a minute.
``HUBCASE_HYPOTHESIS_SCALE=20`` multiplies the examples for a long local fuzzing run.
"""
from __future__ import annotations

import csv
import io
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hubcase.errors import ProblemList, StudyError
from hubcase.io import load_yaml, read_csv
from hubcase.schema import CONTRACT
from hubcase.schema.core import parse_table, validate_node
from hubcase.study import load_study, validate_study

FIXTURE = Path(__file__).parent / "fixtures" / "mini_study"
SCREENING = CONTRACT.table("screening")
SCALE = int(os.environ.get("HUBCASE_HYPOTHESIS_SCALE", "1"))  # e.g. 20 for a long local fuzzing run
FAST = settings(max_examples=100 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=30 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------ strategies
# Characters that mean something to CSV, YAML, Markdown or a terminal, plus any unicode.
SPECIAL = ",;\t|\"'\n\r\\&*!%@#:-?[]{}<>`$~=+ \x00\x0b\x0c\u2028\u00a0\ufeff\u202e"
cell_text = st.text(alphabet=st.one_of(st.sampled_from(SPECIAL), st.characters(blacklist_categories=("Cs",))),
                    max_size=30)
number_text = st.one_of(
    st.integers(min_value=-10**40, max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "NaN", "-inf", "Infinity", "1e309", "-0", "0x1F", "1_000", "£5", "12,000", "5%",
                     "1.5", " 3 ", "", "   ", "TRUE", "yes", "2021-02-30", "2999-01-01", "9999-99-99"]),
)


def scalar_values() -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
                     st.floats(allow_nan=True, allow_infinity=True), cell_text,
                     st.dates().map(str), st.sampled_from(["A", "B", "phq9", "GBP", "T26", "enabler", "in_scope"]))


yaml_values = st.recursive(
    scalar_values(),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.one_of(cell_text, st.integers(), st.booleans()), children,
                                               max_size=4)),
    max_leaves=25)


def csv_from_rows(rows: list[list[str]]) -> str:
    buf = io.StringIO()  # "\r\n": Python's writer quotes a cell only for characters of its line terminator
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


rows_strategy = st.integers(min_value=1, max_value=6).flatmap(
    lambda width: st.lists(st.lists(cell_text, min_size=width, max_size=width), min_size=1, max_size=8))


def _write(data: bytes) -> tuple[tempfile.TemporaryDirectory, Path]:
    tmp = tempfile.TemporaryDirectory()
    path = Path(tmp.name) / "file"
    path.write_bytes(data)
    return tmp, path


def _only_problems(problems: ProblemList) -> None:
    for p in problems.items:
        assert p.severity in ("error", "warning")
        assert isinstance(p.message, str) and p.message
        str(p).encode("utf-8")  # printable: the CLI writes it to a UTF-8 terminal


# ------------------------------------------------------------------ read_csv
@FAST
@given(st.binary(max_size=400))
def test_read_csv_of_any_bytes_returns_a_frame_or_problems(data):
    tmp, path = _write(data)
    with tmp:
        problems = ProblemList()
        frame = read_csv(path, "x.csv", problems)
    _only_problems(problems)
    assert (frame is None) == bool(problems.errors)


@FAST
@given(st.text(alphabet=st.sampled_from(SPECIAL + "abc123"), max_size=300))
def test_read_csv_of_punctuation_soup_returns_a_frame_or_problems(text):
    tmp, path = _write(text.encode("utf-8", "surrogatepass"))
    with tmp:
        problems = ProblemList()
        frame = read_csv(path, "x.csv", problems)
    _only_problems(problems)
    assert (frame is None) == bool(problems.errors)


@FAST
@given(rows_strategy)
def test_well_quoted_csv_reads_back_every_cell_stripped(rows):
    assume(any(c.strip() for c in rows[0]) and "\x00" not in "".join(map("".join, rows)))
    assume(not rows[0][0].startswith("\ufeff"))  # a leading BOM is the encoding's, not the cell's
    tmp, path = _write(csv_from_rows(rows).encode("utf-8"))
    with tmp:
        problems = ProblemList()
        frame = read_csv(path, "x.csv", problems)
    _only_problems(problems)
    if frame is None:  # e.g. a one-column header that looks ';'-separated
        assert problems.errors
        return
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    assert list(frame.columns) == [h.strip() for h in rows[0]]
    assert frame.to_numpy().tolist() == body
    assert list(frame.index) == sorted(frame.index) and (len(frame) == 0 or frame.index[0] >= 2)


# ------------------------------------------------------------------ load_yaml
@FAST
@given(yaml_values)
def test_plain_yaml_loads_as_yaml_safe_load_does_or_is_reported(value):
    text = yaml.safe_dump(value, allow_unicode=True)
    tmp, path = _write(text.encode("utf-8"))
    with tmp:
        problems = ProblemList()
        loaded = load_yaml(path, "x.yml", problems)
    _only_problems(problems)
    if value is None:
        assert loaded is None and problems.errors  # an empty document is reported, not taken as absent
    elif not problems.errors:  # (not `value` itself: PyYAML's emitter folds some line breaks, e.g. U+0085)
        assert _same(loaded, yaml.safe_load(text))


@FAST
@given(st.text(alphabet=st.sampled_from(SPECIAL + "abcxyz019 \n\n    !!python/object:os.system&a*a<<"),
               max_size=300))
def test_yaml_soup_gives_data_or_problems(text):
    tmp, path = _write(text.encode("utf-8"))
    with tmp:
        problems = ProblemList()
        loaded = load_yaml(path, "x.yml", problems)
    _only_problems(problems)
    assert (loaded is None) == bool(problems.errors)
    assert _plain(loaded), f"a non-plain object was built: {loaded!r}"


def _plain(value: Any) -> bool:
    """Only what study files hold: mappings, lists, text, numbers, booleans, null, dates."""
    import datetime

    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool, datetime.date))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


# ------------------------------------------------------------------ parse_table (screening records)
def _screening_cell(column) -> st.SearchStrategy[str]:
    valid: list[st.SearchStrategy[str]] = []
    if column.allowed:
        valid.append(st.sampled_from(column.allowed))
    if column.kind == "integer" and column.minimum is not None and column.maximum is not None:
        valid.append(st.integers(int(column.minimum), int(column.maximum)).map(str))
    if column.kind == "boolean":
        valid.append(st.sampled_from(["true", "false", "1", "0", "yes", "no"]))
    if column.kind == "date":
        valid.append(st.dates().map(str))
    return st.one_of(*valid, number_text, cell_text, st.just(""))


@st.composite
def screening_records(draw) -> pd.DataFrame:
    names = [c.name for c in SCREENING.columns]
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=12, unique=True))
    extra = draw(st.lists(cell_text.filter(lambda s: s.strip() and s.strip() not in names), max_size=2))
    header = chosen + extra + draw(st.lists(st.sampled_from(chosen), max_size=1))  # maybe a duplicated header
    n = draw(st.integers(min_value=0, max_value=6))
    columns = {c.name: c for c in SCREENING.columns}
    rows = [[draw(_screening_cell(columns[h]) if h in columns else cell_text) for h in header] for _ in range(n)]
    return pd.DataFrame(rows, columns=[h.strip() for h in header], dtype="object",
                        index=pd.Index(range(2, n + 2), dtype="int64"))


@FAST
@given(screening_records())
def test_parse_table_of_generated_screening_records_gives_typed_frame_or_problems(raw):
    problems = ProblemList()
    frame = parse_table(SCREENING, raw, "screening.csv", problems)
    _only_problems(problems)
    assert list(frame.columns) == list(SCREENING.names)
    assert list(frame.index) == list(raw.index)
    lines = {f"row {i}" for i in raw.index} | {"row 1"}
    assert all(p.location in lines or p.location.startswith("rows ") for p in problems.items)
    if not problems.errors:
        for col in SCREENING.columns:
            values = frame[col.name].dropna()
            if col.kind in ("integer", "number") and len(values):
                assert col.minimum is None or values.min() >= col.minimum
                assert col.maximum is None or values.max() <= col.maximum


# ------------------------------------------------------------------ validate_node (every YAML schema)
DOCUMENTS = {d.id: d for d in CONTRACT.documents}


def _valid_documents() -> dict[str, Any]:
    docs = {"study": yaml.safe_load((FIXTURE / "study.yml").read_text(encoding="utf-8")),
            "service_mapping": yaml.safe_load((FIXTURE / "service_mapping" / "A.yml").read_text(encoding="utf-8")),
            "codebook": yaml.safe_load((FIXTURE / "qualitative" / "codebook.yml").read_text(encoding="utf-8"))}
    synthetic = Path(__file__).parents[1] / "data" / "synthetic"
    docs["pathways"] = yaml.safe_load((synthetic / "qualitative" / "pathways.yml").read_text(encoding="utf-8"))
    docs["integration"] = yaml.safe_load((synthetic / "integration.yml").read_text(encoding="utf-8"))
    return docs


VALID = _valid_documents()


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, prefix + (i,))
    return out


def _replaced(doc: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {k: (_replaced(v, rest, new) if k == head else v) for k, v in doc.items()}
    return [(_replaced(v, rest, new) if i == head else v) for i, v in enumerate(doc)]


@st.composite
def mutated_document(draw) -> tuple[str, Any]:
    doc_id = draw(st.sampled_from(sorted(VALID)))
    doc = VALID[doc_id]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_paths(doc)))
        doc = _replaced(doc, path, draw(yaml_values))
    return doc_id, doc


@FAST
@given(mutated_document())
def test_validate_node_of_a_mutated_document_gives_problems_only(item):
    doc_id, doc = item
    problems = ProblemList()
    validate_node(DOCUMENTS[doc_id].root, doc, "", DOCUMENTS[doc_id].path, problems)
    _only_problems(problems)


@FAST
@given(st.sampled_from(sorted(DOCUMENTS)), yaml_values)
def test_validate_node_of_any_value_gives_problems_only(doc_id, value):
    problems = ProblemList()
    validate_node(DOCUMENTS[doc_id].root, value, "", DOCUMENTS[doc_id].path, problems)
    _only_problems(problems)
    if not isinstance(value, dict):
        assert problems.errors


def test_the_valid_documents_used_for_mutation_are_valid():
    for doc_id, doc in VALID.items():
        problems = ProblemList()
        validate_node(DOCUMENTS[doc_id].root, doc, "", DOCUMENTS[doc_id].path, problems)
        assert not problems.errors, (doc_id, [str(p) for p in problems.errors])


# ------------------------------------------------------------------ validate_study (whole studies)
CSV_FILES = [t.path for t in CONTRACT.tables if (FIXTURE / t.path).exists()]
YAML_FILES = {"study.yml": "study", "service_mapping/A.yml": "service_mapping",
              "qualitative/codebook.yml": "codebook"}


@st.composite
def broken_study_files(draw) -> dict[str, bytes]:
    """One to three files of the mini study rewritten: a CSV cell or a YAML node replaced."""
    changes: dict[str, bytes] = {}
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        if draw(st.booleans()):
            rel = draw(st.sampled_from(CSV_FILES))
            source = changes.get(rel, (FIXTURE / rel).read_bytes()).decode("utf-8", "replace")
            rows = list(csv.reader(io.StringIO(source, newline="")))
            r = draw(st.integers(min_value=0, max_value=len(rows) - 1))
            c = draw(st.integers(min_value=0, max_value=len(rows[r]) - 1))
            rows[r][c] = draw(st.one_of(number_text, cell_text))
            changes[rel] = csv_from_rows(rows).encode("utf-8", "surrogatepass")
        else:
            rel = draw(st.sampled_from(sorted(YAML_FILES)))
            doc = yaml.safe_load(changes.get(rel, (FIXTURE / rel).read_bytes()))
            doc = _replaced(doc, draw(st.sampled_from(_paths(doc))), draw(yaml_values))
            changes[rel] = yaml.safe_dump(doc, allow_unicode=True).encode("utf-8", "surrogatepass")
    return changes


@SLOW
@given(broken_study_files())
def test_validate_study_of_a_broken_study_gives_problems_and_a_clean_study_loads(changes):
    with tempfile.TemporaryDirectory() as tmp:
        study = Path(tmp) / "study"
        shutil.copytree(FIXTURE, study)
        for rel, data in changes.items():
            (study / rel).write_bytes(data)
        problems = validate_study(study)
        for p in problems:
            str(p).encode("utf-8")
        if not [p for p in problems if p.severity == "error"]:
            loaded = load_study(study)  # validate says yes -> load works
            assert loaded.site_ids
        else:
            with pytest.raises(StudyError):
                load_study(study)
