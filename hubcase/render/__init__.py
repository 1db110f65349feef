"""hubcase's built-in renderer: a parameterised notebook to HTML and PDF without Quarto.

The steps, each callable alone::

    execute_notebook   (execute.py)  inject parameters, run with nbclient
    notebook_to_markdown (convert.py) outputs only, numbered tables and figures
    markdown_to_html   (writers.py)  pandoc, self-contained HTML
    markdown_to_pdf    (writers.py)  pandoc -> Typst -> PDF (the ``typst`` package)

``render_notebook`` runs them in order and returns a ``RenderResult``.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from hubcase.render.cells import cell_options, cell_tags, parse_cell_options
from hubcase.render.convert import (
    Labelled,
    MarkdownDocument,
    notebook_to_markdown,
    provenance_footer,
    provenance_markdown,
)
from hubcase.render.escape import md_cell
from hubcase.render.execute import execute_notebook
from hubcase.render.writers import markdown_to_html, markdown_to_pdf, pandoc_version

__all__ = [
    "Labelled",
    "MarkdownDocument",
    "RenderResult",
    "cell_options",
    "cell_tags",
    "execute_notebook",
    "markdown_to_html",
    "markdown_to_pdf",
    "md_cell",
    "notebook_to_markdown",
    "pandoc_version",
    "parse_cell_options",
    "render_notebook",
]


@dataclass(frozen=True)
class RenderResult:
    """What one render produced.

    ``tables``/``figures`` list the labelled cells in document order; ``warnings`` collects
    what did not stop the render (stderr output, missing captions, unknown parameters, pandoc
    and Typst warnings).  ``timings`` holds seconds per step: ``kernel_start``, ``execute``
    (includes kernel shutdown), ``convert``, ``html``, ``pdf`` (pandoc + Typst) and ``total``.
    """

    notebook: Path
    executed: Path
    markdown: Path
    html: Path | None
    pdf: Path | None
    tables: tuple[Labelled, ...]
    figures: tuple[Labelled, ...]
    warnings: tuple[str, ...]
    timings: Mapping[str, float]


def render_notebook(
    nb_path: Path | str,
    *,
    parameters: Mapping[str, Any],
    out_html: Path | None,
    out_pdf: Path | None,
    title: str,
    provenance: Mapping[str, Any],
    workdir: Path | str,
    cwd: Path | str | None = None,
    timeout: int = 600,
    kernel_name: str = "python3",
    toc: bool = True,
    number_sections: bool = False,
) -> RenderResult:
    """Execute ``nb_path`` with ``parameters`` and write it as HTML and/or PDF.

    ``workdir`` receives the executed notebook, the Markdown, the figures and the Typst
    source; use one per render so parallel renders never share files.  The kernel runs in
    ``cwd`` (default: the notebook's folder, as Quarto does).  ``provenance`` (study, inputs
    hash, version, build date, ...) is listed at the end of both outputs and shortened into
    the PDF page footer.  Raises ``hubcase.errors.RenderError`` on any failure.
    """
    nb_path, workdir = Path(nb_path).resolve(), Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    nb = execute_notebook(
        nb_path,
        parameters=parameters,
        cwd=Path(cwd) if cwd is not None else nb_path.parent,
        timeout=timeout,
        kernel_name=kernel_name,
    )
    run_info = nb.metadata.get("hubcase", {})
    timings: dict[str, float] = {
        "kernel_start": run_info.get("timings", {}).get("kernel_start_s", 0.0),
        "execute": run_info.get("timings", {}).get("execute_s", 0.0),
    }
    executed = workdir / f"{nb_path.stem}.executed.ipynb"
    nbformat.write(nb, executed)

    with _timer(timings, "convert"):
        doc = notebook_to_markdown(
            nb,
            image_dir=workdir / "figures",
            relative_to=workdir,
            name=nb_path.name,
            source_dir=nb_path.parent,
        )
        text = doc.text + "\n" + provenance_markdown(provenance)
        markdown = workdir / f"{nb_path.stem}.md"
        markdown.write_text(text, encoding="utf-8")

    warnings = [*run_info.get("warnings", []), *doc.warnings]
    options = {"title": title, "resource_dir": workdir, "toc": toc, "number_sections": number_sections}
    footer = provenance_footer(provenance)
    warnings += _write_outputs(text, out_html, out_pdf, footer=footer, timings=timings, options=options)
    timings["total"] = round(time.perf_counter() - started, 3)
    return RenderResult(
        notebook=nb_path,
        executed=executed,
        markdown=markdown,
        html=Path(out_html) if out_html is not None else None,
        pdf=Path(out_pdf) if out_pdf is not None else None,
        tables=doc.tables,
        figures=doc.figures,
        warnings=tuple(warnings),
        timings=timings,
    )


def _write_outputs(
    text: str,
    out_html: Path | None,
    out_pdf: Path | None,
    *,
    footer: str,
    timings: dict[str, float],
    options: dict[str, Any],
) -> list[str]:
    """Write the requested formats, timing each; returns their warnings."""
    warnings: list[str] = []
    if out_html is not None:
        with _timer(timings, "html"):
            warnings += markdown_to_html(text, Path(out_html), **options)
    if out_pdf is not None:
        with _timer(timings, "pdf"):
            warnings += markdown_to_pdf(text, Path(out_pdf), footer=footer, **options)
    return warnings


class _timer:
    """Context manager adding the elapsed seconds of a block to ``timings[key]``."""

    def __init__(self, timings: dict[str, float], key: str) -> None:
        self.timings, self.key = timings, key

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *_: object) -> None:
        self.timings[self.key] = round(time.perf_counter() - self.start, 3)
