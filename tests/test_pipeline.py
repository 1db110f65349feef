"""The catalogue, the table export, the report merge, the Quarto command lines and the CLI wiring.

Fast tests with inline data; the real build is in ``test_build_e2e.py``.
"""
from __future__ import annotations

import gc
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analyses import catalog
from analyses.result import TableResult
from hubcase import cli
from hubcase.errors import AnalysisError, BuildError
from hubcase.pipeline import build as build_module
from hubcase.pipeline import jobs, manifest, quarto, tables


class _Study:
    """Stands in for a loaded study where only identity matters (the memo)."""


# ------------------------------------------------------------------ catalogue
def test_catalogue_ids_are_unique_and_every_entry_is_callable():
    ids = [e.id for e in (*catalog.entries("tables"), *catalog.entries("figures"))]
    assert len(ids) == len(set(ids))
    assert all(callable(e.fn) for e in (*catalog.entries("tables"), *catalog.entries("figures")))


def test_caseness_models_are_fitted_once_for_all_their_tables(monkeypatch):
    calls = []
    monkeypatch.setattr(catalog, "fit_caseness_models", lambda *, study: calls.append(study) or "models")
    monkeypatch.setattr(catalog, "caseness_model_table",
                        lambda models, *, outcome: TableResult(outcome, models, pd.DataFrame(), pd.DataFrame()))
    study = _Study()
    assert catalog.table("T30", study=study).id == "case_phq9"
    assert catalog.table("T31", study=study).id == "case_gad7"
    assert catalog.table("T30", study=study) is catalog.table("T30", study=study)
    assert len(calls) == 1


def test_the_memo_is_dropped_with_the_study(monkeypatch):
    monkeypatch.setattr(catalog, "fit_caseness_models", lambda *, study: "models")
    study = _Study()
    catalog.caseness_models(study)
    key = id(study)
    assert key in catalog._MEMO
    del study
    gc.collect()
    assert key not in catalog._MEMO


def test_a_table_the_study_cannot_support_becomes_a_placeholder_with_the_reason(monkeypatch):
    def unavailable(_study):
        raise AnalysisError("no integration.yml")

    monkeypatch.setattr(catalog, "display_set", unavailable)
    result = catalog.table("T23", study=_Study())
    assert not catalog.is_available(result)
    assert result.spec[catalog.UNAVAILABLE] == "no integration.yml"
    assert "no integration.yml" in result.display.iloc[0, 0]


def test_an_unknown_id_names_the_known_ones():
    with pytest.raises(KeyError, match="'T999' is not in the catalogue .*T1, T2"):
        catalog.entry("T999")


# ------------------------------------------------------------------ CSV export
@pytest.mark.parametrize("cell", ["=1+1", "+44", "-", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_starts_like_a_formula_gets_a_quote(cell):
    assert tables.neutralise(cell) == "'" + cell


def test_other_text_and_numbers_are_unchanged():
    frame = pd.DataFrame({"text": ["plain", "12 (3.4)"], "value": [-0.5, 2.0]})
    safe = tables.safe_frame(frame)
    assert safe["text"].tolist() == ["plain", "12 (3.4)"]
    assert safe["value"].tolist() == [-0.5, 2.0]


def test_write_table_writes_display_and_tidy_csv(tmp_path):
    result = TableResult("T9", "x", pd.DataFrame({"n": [-1]}), pd.DataFrame({"-col": ["=cmd", "ok"]}))
    written = tables.write_table(result, tmp_path)
    assert [p.name for p in written] == ["T9.csv", "T9.data.csv"]
    assert (tmp_path / "T9.csv").read_text(encoding="utf-8") == "'-col\n'=cmd\nok\n"
    assert (tmp_path / "T9.data.csv").read_text(encoding="utf-8") == "n\n-1\n"


# ------------------------------------------------------------------ the combined report
def _notebook(*cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=list(cells))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"  # every chapter numbers its cells the same way
    return nb


def test_merge_keeps_content_drops_parameters_and_links_chapters_to_sections():
    index = _notebook(nbformat.v4.new_raw_cell("---\ntitle: Index\n---"),
                      nbformat.v4.new_code_cell("study = 'x'", metadata={"tags": ["parameters"]}),
                      nbformat.v4.new_markdown_cell("See [Service mapping](01_service_mapping.ipynb)."))
    chapter = _notebook(nbformat.v4.new_code_cell("study = 'x'", metadata={"tags": ["parameters"]}),
                        nbformat.v4.new_code_cell("study = '/abs'", metadata={"tags": ["injected-parameters"]}),
                        nbformat.v4.new_markdown_cell("# Service mapping {#sec-service-mapping}"))
    merged = jobs.merge_notebooks([index, chapter], anchors={"01_service_mapping": "sec-service-mapping"},
                                  title='A "quoted" title')
    assert [c.cell_type for c in merged.cells] == ["raw", "markdown", "markdown"]
    assert merged.cells[0].source == '---\ntitle: "A \\"quoted\\" title"\n---'
    assert merged.cells[1].source == "See [Service mapping](#sec-service-mapping)."
    assert len({c["id"] for c in merged.cells}) == len(merged.cells)
    nbformat.validate(merged)


# ------------------------------------------------------------------ Quarto route
def test_quarto_renders_the_executed_notebook_without_executing_it():
    assert quarto.render_command(Path("/w/document.ipynb"), to="typst", output="document.pdf") == [
        "quarto", "render", "document.ipynb", "--to", "typst", "--no-execute", "--output", "document.pdf"]


def test_quarto_work_project_keeps_the_formats_and_never_executes(tmp_path):
    source = tmp_path / "_quarto.yml"
    source.write_text("project: {type: default, render: [a.ipynb]}\nexecute: {enabled: true}\n"
                      "format: {html: {toc: true, css: x.css}, typst: {toc: true}}\n", encoding="utf-8")
    config = quarto.project_config(source)
    assert config["execute"]["enabled"] is False and "render" not in config["project"]
    assert config["format"]["html"] == {"toc": True, "embed-resources": True}


def test_render_executed_runs_quarto_once_per_format_and_moves_the_outputs(tmp_path, monkeypatch):
    commands = []

    def fake_run(command, *, cwd, **_):
        commands.append(command)
        (Path(cwd) / command[-1]).write_text("rendered", encoding="utf-8")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(quarto.subprocess, "run", fake_run)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Hello")])
    html, pdf = tmp_path / "out" / "a.html", tmp_path / "out" / "a.pdf"
    quarto.render_executed(nb, work=tmp_path / "work", html=html, pdf=pdf, title="T", provenance={"study": "S"})
    assert [c[4] for c in commands] == ["html", "typst"]
    assert html.read_text(encoding="utf-8") == "rendered" and pdf.is_file()
    written = nbformat.read(tmp_path / "work" / "quarto" / "document.ipynb", as_version=4)
    assert written.cells[0].source.startswith("---\ntitle: T")
    assert "Provenance" in written.cells[-1].source


# ------------------------------------------------------------------ build helpers
def test_inputs_hash_ignores_order_and_changes_with_any_input():
    a = manifest.inputs_hash({"b.csv": "2", "a.csv": "1"})
    assert a == manifest.inputs_hash({"a.csv": "1", "b.csv": "2"})
    assert a != manifest.inputs_hash({"a.csv": "1", "b.csv": "3"})


@pytest.mark.parametrize(("to", "expected"), [("pdf", ("pdf",)), (["pdf", "html"], ("html", "pdf"))])
def test_formats_are_put_in_a_fixed_order(to, expected):
    assert build_module._formats(to) == expected


def test_unknown_format_is_refused():
    with pytest.raises(BuildError, match="--to docx: expected html, pdf"):
        build_module._formats("docx")


def test_replacing_the_output_restores_it_when_the_second_rename_fails(tmp_path, monkeypatch):
    out, staging = tmp_path / "out", tmp_path / "staging"
    out.mkdir()
    (out / "old.txt").write_text("old", encoding="utf-8")
    staging.mkdir()
    real, calls = build_module.os.rename, []

    def flaky(src, dst):
        calls.append(src)
        if len(calls) == 2:
            raise OSError("disk full")
        real(src, dst)

    monkeypatch.setattr(build_module.os, "rename", flaky)
    with pytest.raises(OSError):
        build_module._replace(staging, out)
    assert (out / "old.txt").read_text(encoding="utf-8") == "old"


# ------------------------------------------------------------------ CLI wiring
class Recorder:
    def __init__(self, result):
        self.calls, self.result = [], result

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return self.result


def test_build_command_passes_its_options_as_keywords(monkeypatch):
    fake = Recorder(build_module.BuildResult(Path("o"), "builtin", ("B",), False, (), 1.0))
    monkeypatch.setattr(cli, "build", fake)
    argv = ["build", "--study", "s", "--site", "B", "C", "--to", "pdf", "--out", "o", "--renderer", "builtin",
            "--jobs", "2"]
    assert cli.main(argv) == 0
    assert fake.calls == [{"study": Path("s"), "site": ["B", "C"], "to": ("pdf",), "out": Path("o"),
                           "renderer": "builtin", "jobs": 2}]


def test_build_command_leaves_defaults_to_the_pipeline_function(monkeypatch):
    fake = Recorder(build_module.BuildResult(Path("o"), "builtin", (), True, (), 1.0))
    monkeypatch.setattr(cli, "build", fake)
    assert cli.main(["build"]) == 0
    assert fake.calls == [{}]


@pytest.mark.parametrize("argv", [["build", "--jobs", "0"], ["build", "--to", "docx"], ["build", "--renderer", "x"]])
def test_build_command_rejects_bad_options_with_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2


def test_tables_command_passes_study_and_out(monkeypatch):
    fake = Recorder(tables.TablesResult(Path("o"), ("T1",), (), ()))
    monkeypatch.setattr(cli, "export_tables", fake)
    assert cli.main(["tables", "--study", "s", "--out", "o"]) == 0
    assert fake.calls == [{"study": Path("s"), "out": Path("o")}]


def test_a_display_the_study_cannot_support_is_a_placeholder_for_the_notebook(monkeypatch):
    def unavailable(_study):
        raise AnalysisError("no qualitative strand")

    monkeypatch.setattr(catalog, "display_set", unavailable)
    shown = catalog.joint_display("T24", study=_Study())
    assert isinstance(shown, TableResult) and shown.spec[catalog.UNAVAILABLE] == "no qualitative strand"
