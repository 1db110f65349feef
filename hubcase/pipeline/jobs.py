"""The independent pieces of a build, each runnable in its own process.

A :class:`Job` is plain data (strings and paths), so it can be sent to a worker process;
:func:`run_job` does it and returns a :class:`JobResult`.  Kinds:

* ``chapter`` — execute one report notebook (``report/NN_*.ipynb``) into the work directory;
* ``site``    — execute ``report/case_study.ipynb`` for one site and write its HTML/PDF;
* ``tables``  — write every table CSV and figure PNG, and collect the joint displays' fit ratings.

The full report is not a job of its own: once every chapter has run,
:func:`write_report` joins the executed chapters into one notebook (so tables and figures
are numbered once, cross-references resolve across chapters, and there is one table of
contents) and writes it as HTML and PDF.
"""
from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from hubcase.pipeline import quarto
from hubcase.render import execute_notebook, markdown_to_html, markdown_to_pdf, notebook_to_markdown, render_notebook
from hubcase.render.cells import INJECTED_TAG, PARAMETERS_TAG, cell_tags
from hubcase.render.convert import provenance_footer, provenance_markdown

REPORT_DIR = Path(__file__).resolve().parents[2] / "report"
CASE_STUDY = "case_study"
NOTEBOOK_LINK = re.compile(r"\]\((\d\d_[A-Za-z0-9_]+)\.ipynb\)")


@dataclass(frozen=True)
class Job:
    """One unit of work: ``kind`` (chapter, site, tables), a ``name`` and its settings."""

    kind: str
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobResult:
    kind: str
    name: str
    files: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    info: Mapping[str, Any] = field(default_factory=dict)


def run_job(job: Job) -> JobResult:
    """Do ``job``; raises a :class:`~hubcase.errors.HubcaseError` when it fails."""
    started = time.perf_counter()
    runner = {"chapter": _chapter, "site": _site, "tables": _tables}[job.kind]
    result = runner(job)
    return JobResult(job.kind, job.name, result.files, result.warnings, round(time.perf_counter() - started, 2),
                     result.info)


def _chapter(job: Job) -> JobResult:
    """Execute a report notebook; the executed copy is ``<work>/chapters/<name>.ipynb``."""
    p = job.params
    nb = execute_notebook(REPORT_DIR / f"{job.name}.ipynb", parameters={"study": p["study"]}, cwd=REPORT_DIR)
    target = Path(p["work"]) / "chapters" / f"{job.name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return JobResult(job.kind, job.name, (str(target),), tuple(nb.metadata["hubcase"]["warnings"]))


def _site(job: Job) -> JobResult:
    """Render one site's case study as ``<out>/case-study.html`` and ``.pdf`` (as requested)."""
    p = job.params
    out, work = Path(p["out"]), Path(p["work"])
    out.mkdir(parents=True, exist_ok=True)
    html = out / "case-study.html" if "html" in p["to"] else None
    pdf = out / "case-study.pdf" if "pdf" in p["to"] else None
    parameters = {"study": p["study"], "site": job.name}
    notebook = REPORT_DIR / f"{CASE_STUDY}.ipynb"
    if p["renderer"] == "quarto":
        nb = execute_notebook(notebook, parameters=parameters, cwd=REPORT_DIR)
        warnings = quarto.render_executed(nb, work=work, html=html, pdf=pdf, title=p["title"],
                                          provenance=p["provenance"])
        warnings = [*nb.metadata["hubcase"]["warnings"], *warnings]
    else:
        result = render_notebook(notebook, parameters=parameters, out_html=html, out_pdf=pdf, title=p["title"],
                                 provenance=p["provenance"], workdir=work, cwd=REPORT_DIR, number_sections=True)
        warnings = list(result.warnings)
    files = tuple(str(f) for f in (html, pdf) if f is not None)
    return JobResult(job.kind, job.name, files, tuple(f"site {job.name}: {w}" for w in warnings))


def _tables(job: Job) -> JobResult:
    """Write ``<out>/tables/<ID>.csv`` (+ ``.data.csv``) and ``<out>/figures/<ID>.png``."""
    from hubcase.pipeline.tables import export_study_tables
    from hubcase.study import load_study

    from hubcase.pipeline.manifest import fit_ratings

    p = job.params
    study = load_study(Path(p["study"]))
    result = export_study_tables(study, tables_dir=Path(p["out"]) / "tables", figures_dir=Path(p["out"]) / "figures")
    fit = fit_ratings(study)  # the displays were built for T23–T26 above, so this is cheap
    warnings = (*result.warnings, *(f"joint displays: {w}" for w in fit["warnings"]))
    return JobResult(job.kind, job.name, tuple(str(f) for f in result.files), warnings,
                     info={"tables": list(result.tables), "figures": list(result.figures), "fit_ratings": fit})


# ------------------------------------------------------------------ the combined report
def merge_notebooks(notebooks: Sequence[nbformat.NotebookNode], *, anchors: Mapping[str, str],
                    title: str) -> nbformat.NotebookNode:
    """One notebook from executed report notebooks, in order.

    Parameters, injected-parameters and front-matter cells are dropped (one front matter with
    ``title`` is put first, for Quarto); links to a chapter notebook (``](01_x.ipynb)``)
    become links to its section (``](#sec-x)``) using ``anchors`` (stem -> section id).
    """
    cells = [nbformat.v4.new_raw_cell(f"---\ntitle: {_yaml_string(title)}\n---")]
    for nb in notebooks:
        for cell in nb.cells:
            tags = cell_tags(cell)
            if PARAMETERS_TAG in tags or INJECTED_TAG in tags or _is_front_matter(cell):
                continue
            copy = nbformat.from_dict(dict(cell))
            if copy.cell_type == "markdown":
                copy.source = _rewrite_links(copy.source, anchors)
            cells.append(copy)
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:03d}"
    metadata = {k: v for k, v in (notebooks[0].metadata if notebooks else {}).items() if k != "hubcase"}
    return nbformat.v4.new_notebook(cells=cells, metadata=metadata)


def _is_front_matter(cell) -> bool:
    return cell.cell_type == "raw" and "".join(cell.source).lstrip().startswith("---")


def _rewrite_links(source: str, anchors: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        anchor = anchors.get(match.group(1))
        return f"](#{anchor})" if anchor else match.group(0)

    return NOTEBOOK_LINK.sub(replace, "".join(source))


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_report(executed: Sequence[Path], *, anchors: Mapping[str, str], out: Path, work: Path,
                 to: Sequence[str], title: str, provenance: Mapping[str, Any], renderer: str) -> JobResult:
    """Join the executed chapters and write ``<out>/index.html`` and ``<out>/report.pdf``."""
    started = time.perf_counter()
    notebooks = [nbformat.read(path, as_version=4) for path in executed]
    merged = merge_notebooks(notebooks, anchors=anchors, title=title)
    work.mkdir(parents=True, exist_ok=True)
    nbformat.write(merged, work / "report.ipynb")
    out.mkdir(parents=True, exist_ok=True)
    html = out / "index.html" if "html" in to else None
    pdf = out / "report.pdf" if "pdf" in to else None
    if renderer == "quarto":
        warnings = quarto.render_executed(merged, work=work, html=html, pdf=pdf, title=title, provenance=provenance)
    else:
        warnings = _builtin_report(merged, work=work, html=html, pdf=pdf, title=title, provenance=provenance)
    files = tuple(str(f) for f in (html, pdf) if f is not None)
    return JobResult("report", "report", files, tuple(f"report: {w}" for w in warnings),
                     round(time.perf_counter() - started, 2))


def _builtin_report(merged, *, work: Path, html: Path | None, pdf: Path | None, title: str,
                    provenance: Mapping[str, Any]) -> list[str]:
    doc = notebook_to_markdown(merged, image_dir=work / "figures", relative_to=work, name="report",
                               source_dir=REPORT_DIR)
    text = doc.text + "\n" + provenance_markdown(provenance)
    (work / "report.md").write_text(text, encoding="utf-8")
    options = {"title": title, "resource_dir": work, "toc": True, "number_sections": True}
    warnings = list(doc.warnings)
    if html is not None:
        warnings += markdown_to_html(text, html, **options)
    if pdf is not None:
        warnings += markdown_to_pdf(text, pdf, footer=provenance_footer(provenance), **options)
    return warnings
