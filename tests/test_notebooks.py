"""Notebook hygiene: the report notebooks are thin, parameterised and listed in _quarto.yml.

Parsed, never executed (the end-to-end build runs them).  Quarto silently ignores ``-P`` when
no cell is tagged ``parameters`` and fails on a labelled parameters cell (quarto-cli #10097),
so both are checked here.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from analyses.catalog import CHAPTERS, entries
from hubcase.pipeline.build import ANCHORS, REPORT_NOTEBOOKS
from hubcase.render.cells import PARAMETERS_TAG, cell_options, cell_tags, strip_cell_options

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "report"
NOTEBOOKS = sorted(REPORT.glob("*.ipynb"))
DEFAULTS = {"study": "../data/synthetic"}
CASE_STUDY_DEFAULTS = {"study": "../data/synthetic", "site": "B"}
ALLOWED_MODULES = ("analyses", "joint_displays", "hubcase.present", "hubcase.study")
OUTPUT_CALL = re.compile(r'^show_\w+\((?:table|figure|joint_display)\("([^"]+)"')
HAND_TYPED_NUMBER = re.compile(r"(?<![\w.-])\d")


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _code(cell) -> str:
    return strip_cell_options(cell.source)


def _parameters_cells(nb) -> list:
    return [c for c in nb.cells if PARAMETERS_TAG in cell_tags(c)]


def _literal_assignments(source: str) -> dict:
    tree = ast.parse(source)
    return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)}


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request) -> tuple[Path, nbformat.NotebookNode]:
    return request.param, _read(request.param)


def test_report_folder_has_the_expected_notebooks():
    assert {p.stem for p in NOTEBOOKS} == {*REPORT_NOTEBOOKS, "case_study"}


def test_each_notebook_has_exactly_one_unlabelled_hidden_parameters_cell(notebook):
    path, nb = notebook
    cells = _parameters_cells(nb)
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged parameters"
    options = cell_options(cells[0])
    assert "label" not in options
    assert options.get("include") is False


def test_parameter_defaults_are_the_synthetic_study_and_site_b(notebook):
    path, nb = notebook
    expected = CASE_STUDY_DEFAULTS if path.stem == "case_study" else DEFAULTS
    assert _literal_assignments(_code(_parameters_cells(nb)[0])) == expected


def test_notebooks_are_committed_without_outputs_or_execution_counts(notebook):
    path, nb = notebook
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {index} has outputs"
            assert cell.execution_count is None, f"{path.name} cell {index} has an execution count"


def test_code_only_calls_analyses_joint_displays_present_and_study(notebook):
    path, nb = notebook
    allowed: set[str] = set()
    bound: set[str] = set()
    for index, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        tree = ast.parse(_code(cell))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                pytest.fail(f"{path.name} code cell {index}: 'import {node.names[0].name}' (use from-imports "
                            f"of {', '.join(ALLOWED_MODULES)})")
            if isinstance(node, ast.ImportFrom):
                assert node.module and node.module.startswith(ALLOWED_MODULES), (
                    f"{path.name} code cell {index}: imports from {node.module}")
                allowed.update(alias.asname or alias.name for alias in node.names)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                bound.update(t.id for t in node.targets if isinstance(t, ast.Name))
            if isinstance(node, ast.Call):
                root = node.func
                while isinstance(root, ast.Attribute):
                    root = root.value
                name = getattr(root, "id", None)
                assert name in allowed | bound, f"{path.name} code cell {index}: calls {ast.unparse(node.func)}"


def test_no_file_reading_or_hand_computation_in_code(notebook):
    path, nb = notebook
    source = "\n".join(_code(c) for c in nb.cells if c.cell_type == "code")
    for banned in ("read_csv", "read_excel", "open(", "Path(", "pd.", "np.", "plt.", ".groupby", ".mean("):
        assert banned not in source, f"{path.name}: {banned!r} in a code cell"
    tree = ast.parse(source)
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.BinOp)], f"{path.name}: arithmetic in a code cell"


def test_markdown_prose_has_no_hand_typed_numbers(notebook):
    path, nb = notebook
    for cell in (c for c in nb.cells if c.cell_type == "markdown"):
        prose = re.sub(r"<!--.*?-->|\{#[^}]*\}|\]\([^)]*\)|`[^`]*`", "", cell.source, flags=re.S)
        assert not HAND_TYPED_NUMBER.search(prose), f"{path.name}: a number in prose: {cell.source[:80]!r}"


def test_every_output_cell_has_a_label_matching_its_id_and_a_caption(notebook):
    path, nb = notebook
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        call = OUTPUT_CALL.match(_code(cell).strip())
        if call is None:
            continue
        options = cell_options(cell)
        output_id = call.group(1)
        kind = "fig" if output_id.startswith("F") else "tbl"
        assert str(options.get("label", "")).startswith(f"{kind}-{output_id.lower()}"), (path.name, output_id)
        assert str(options.get(f"{kind}-cap", "")).startswith(f"{output_id} — "), (path.name, output_id)


def _shown_ids(stem: str) -> list[str]:
    nb = _read(REPORT / f"{stem}.ipynb")
    found = [OUTPUT_CALL.match(_code(c).strip()) for c in nb.cells if c.cell_type == "code"]
    return [m.group(1) for m in found if m]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.id)
def test_each_chapter_notebook_shows_its_catalogue_outputs_in_order(chapter):
    shown = _shown_ids(chapter.notebook)
    assert [i for i in shown if not i.startswith("F")] == [e.id for e in chapter.tables]
    assert sorted(i for i in shown if i.startswith("F")) == sorted(e.id for e in chapter.figures)


def test_the_report_shows_every_catalogued_output_exactly_once():
    shown = [i for stem in REPORT_NOTEBOOKS for i in _shown_ids(stem)]
    assert sorted(shown) == sorted(e.id for e in (*entries("tables"), *entries("figures")))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.id)
def test_each_chapter_opens_with_a_heading_carrying_its_section_id(chapter):
    nb = _read(REPORT / f"{chapter.notebook}.ipynb")
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    assert first.source.startswith(f"# {chapter.title} {{#{ANCHORS[chapter.notebook]}}}")


def test_index_links_every_chapter_notebook():
    nb = _read(REPORT / "index.ipynb")
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for chapter in CHAPTERS:
        assert f"]({chapter.notebook}.ipynb)" in text


def test_quarto_project_renders_every_notebook_with_hidden_code_to_html_and_typst():
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    assert config["project"]["type"] == "default"
    assert sorted(config["project"]["render"]) == sorted(f"report/{p.name}" for p in NOTEBOOKS)
    assert all((ROOT / item).is_file() for item in config["project"]["render"])
    assert config["execute"]["echo"] is False
    assert config["execute"]["enabled"] is True  # committed without outputs: Quarto must execute them
    assert config["execute"].get("freeze", False) is False  # freeze ignores -P values
    assert {"html", "typst"} <= set(config["format"])
    assert (ROOT / config["format"]["html"]["css"]).is_file()
