"""The Quarto route of ``hubcase build --renderer quarto`` (used by ``auto`` when ``quarto`` is on PATH).

hubcase executes the notebooks itself (nbclient, parameters injected after the cell tagged
``parameters``, one work directory per notebook) and hands Quarto the *executed* notebook:

    quarto render <work>/<name>.ipynb --to html  --no-execute --output <name>.html
    quarto render <work>/<name>.ipynb --to typst --no-execute --output <name>.pdf

This is the split design of Quarto's own docs (``.ipynb`` files are rendered from their
stored outputs when not executed).  It sidesteps the known problems of running Quarto per
parameter set in one project: freeze ignoring ``-P`` values, shared ``*_files`` directories
and races between parallel renders.  Each work directory gets a small ``_quarto.yml`` holding
the repository's ``format`` options, so the output looks like ``quarto render`` of the
project.  Interactive users can still run ``quarto render report/case_study.ipynb -P site:B``
directly (see ``_quarto.yml``).  Not exercised by the test suite (no Quarto in CI); the
command lines are unit-tested.
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
import yaml

from hubcase.errors import RenderError
from hubcase.render.convert import provenance_markdown

PROJECT_FILE = Path(__file__).resolve().parents[2] / "_quarto.yml"
FORMATS = {"html": "html", "pdf": "typst"}


def available() -> bool:
    """True when a ``quarto`` executable is on PATH."""
    return shutil.which("quarto") is not None


def version() -> str | None:
    """``quarto --version`` output, or ``None`` without Quarto."""
    if not available():
        return None
    done = subprocess.run(["quarto", "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def render_command(notebook: Path, *, to: str, output: str) -> list[str]:
    """The Quarto command line rendering an executed ``notebook`` to ``to`` (html or typst)."""
    return ["quarto", "render", notebook.name, "--to", to, "--no-execute", "--output", output]


def project_config(source: Path = PROJECT_FILE) -> dict[str, Any]:
    """The work directory's ``_quarto.yml``: the repository's formats, no execution, no render list."""
    config = yaml.safe_load(source.read_text(encoding="utf-8")) if source.is_file() else {}
    formats = dict(config.get("format") or {})
    html = dict(formats.get("html") or {})
    html.pop("css", None)  # a path relative to the repository; the built-in CSS is not needed here
    return {"project": {"type": "default"}, "execute": {"enabled": False, "echo": False},
            "format": {"html": {**html, "embed-resources": True}, "typst": dict(formats.get("typst") or {})},
            "crossref": config.get("crossref") or {}}


def render_executed(nb: nbformat.NotebookNode, *, work: Path, html: Path | None, pdf: Path | None, title: str,
                    provenance: Mapping[str, Any]) -> list[str]:
    """Write ``nb`` (executed) into ``work/quarto`` with a title and provenance; render with Quarto."""
    folder = Path(work) / "quarto"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_quarto.yml").write_text(yaml.safe_dump(project_config(), sort_keys=False), encoding="utf-8")
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "raw" and "".join(c.source).lstrip().startswith("---"))]
    nb.cells.insert(0, nbformat.v4.new_raw_cell("---\n" + yaml.safe_dump({"title": title}) + "---"))
    nb.cells.append(nbformat.v4.new_markdown_cell(provenance_markdown(provenance)))
    source = folder / "document.ipynb"
    nbformat.write(nb, source)
    warnings: list[str] = []
    for target, kind in ((html, "html"), (pdf, "pdf")):
        if target is None:
            continue
        produced = folder / f"document{'.html' if kind == 'html' else '.pdf'}"
        warnings += _run(render_command(source, to=FORMATS[kind], output=produced.name), cwd=folder)
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(produced, target)
    return warnings


def _run(command: list[str], *, cwd: Path) -> list[str]:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as err:
        raise RenderError("quarto is not on PATH; hint: install Quarto or use --renderer builtin") from err
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise RenderError(f"{' '.join(command)} failed (exit {done.returncode}): " + " | ".join(tail))
    return [f"quarto: {line.strip()}" for line in done.stderr.splitlines() if "WARN" in line]
