"""Turn an executed notebook into pandoc Markdown, the way Quarto shows it with ``echo: false``.

* Markdown cells pass through; Quarto cross-references ``@tbl-x`` / ``@fig-x`` become
  ``[Table 3](#tbl-x)`` links, since pandoc here has no crossref filter.
* Code cells show outputs only (``echo: true`` shows the code too; ``include: false``,
  ``output: false`` and ``output: asis`` are honoured).  Per output the richest form wins:
  ``text/markdown`` as is, images written to files and referenced, ``text/html`` tables read
  into pandoc tables (by ``templates/hubcase.lua``), and ``text/plain`` only when nothing
  richer exists.
* A cell labelled ``tbl-…`` (with ``tbl-cap``) or ``fig-…`` (with ``fig-cap``) becomes a Div
  with that id holding a caption numbered by hubcase: "Table 3: …", "Figure 2: …".
"""
from __future__ import annotations

import base64
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from hubcase.errors import RenderError
from hubcase.render.cells import INJECTED_TAG, cell_options, cell_tags, strip_cell_options
from hubcase.render.escape import md_cell

KINDS = {"tbl": "Table", "fig": "Figure"}
LABEL = re.compile(r"^(tbl|fig)-[A-Za-z0-9_-]+$")
LINK = re.compile(r"\]\(#((?:tbl|fig)-[A-Za-z0-9_-]+)\)")
CROSSREF = re.compile(r"(?<![\w@\\])@((?:tbl|fig)-[A-Za-z0-9_-]*[A-Za-z0-9])")
LOCAL_IMAGE = re.compile(r"(!\[[^\]]*\]\()([^)\s]+)")
IMAGE_TYPES = {"image/png": ".png", "image/svg+xml": ".svg", "image/jpeg": ".jpg"}
PREFERENCE = ("text/markdown", "image/png", "image/svg+xml", "image/jpeg", "text/html", "text/plain")


@dataclass(frozen=True)
class Labelled:
    """A numbered, captioned table or figure found in the notebook."""

    label: str
    kind: str  # "Table" or "Figure"
    number: int
    caption: str
    cell_index: int

    @property
    def title(self) -> str:
        """The caption as printed: ``Table 3: Caseness by site``."""
        return f"{self.kind} {self.number}: {self.caption}".rstrip(": ")


@dataclass(frozen=True)
class MarkdownDocument:
    """The notebook as pandoc Markdown plus what was found while converting it."""

    text: str
    tables: tuple[Labelled, ...]
    figures: tuple[Labelled, ...]
    images: tuple[Path, ...]
    warnings: tuple[str, ...]


@dataclass
class _Context:
    """Mutable state of one conversion."""

    name: str
    image_dir: Path
    relative_to: Path
    labelled: dict[str, Labelled]
    source_dir: Path | None = None
    warnings: list[str] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)


def source_cells(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    """Cells with their index in the source notebook, leaving out the injected-parameters cell."""
    cells = [cell for cell in nb.cells if INJECTED_TAG not in cell_tags(cell)]
    return list(enumerate(cells))


def number_labelled_cells(nb: nbformat.NotebookNode, *, name: str) -> dict[str, Labelled]:
    """Number ``tbl-``/``fig-`` labelled cells in document order; ``RenderError`` on duplicates.

    ``cell_index`` counts cells of the source notebook (the injected cell is not counted).
    """
    found: dict[str, Labelled] = {}
    counts = {"Table": 0, "Figure": 0}
    for index, cell in source_cells(nb):
        options = cell_options(cell, where=f"{name}, cell index {index}")
        label = options.get("label")
        if label is None or options.get("include") is False or not LABEL.match(str(label)):
            continue
        label = str(label)
        if label in found:
            raise RenderError(
                f"{name}: label {label!r} is used by cell index {found[label].cell_index} and "
                f"cell index {index}; labels must be unique."
            )
        kind = KINDS[label.split("-", 1)[0]]
        counts[kind] += 1
        caption = str(options.get("tbl-cap" if kind == "Table" else "fig-cap") or "").strip()
        found[label] = Labelled(label, kind, counts[kind], caption, index)
    return found


def notebook_to_markdown(
    nb: nbformat.NotebookNode,
    *,
    image_dir: Path,
    relative_to: Path,
    name: str = "notebook",
    source_dir: Path | None = None,
) -> MarkdownDocument:
    """Convert an executed notebook to pandoc Markdown.

    Images are written to ``image_dir`` and referenced by paths relative to ``relative_to``
    (the folder the Markdown is rendered from).  Images that Markdown cells reference by a
    path relative to ``source_dir`` (the notebook's folder) are copied there too.
    """
    labelled = number_labelled_cells(nb, name=name)
    ctx = _Context(name, Path(image_dir), Path(relative_to), labelled, source_dir=source_dir)
    for item in ctx.labelled.values():
        if not item.caption:
            ctx.warnings.append(f"{name}, cell index {item.cell_index}: {item.label} has no caption.")
    parts = []
    for index, cell in source_cells(nb):
        if cell.cell_type == "markdown":
            text = resolve_crossrefs(cell.source, ctx.labelled, ctx.warnings, name=name)
            parts.append(_copy_local_images(text, ctx))
        elif cell.cell_type == "code":
            parts.extend(_code_cell(cell, index, ctx))
    items = list(ctx.labelled.values())
    return MarkdownDocument(
        text="\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n",
        tables=tuple(i for i in items if i.kind == "Table"),
        figures=tuple(i for i in items if i.kind == "Figure"),
        images=tuple(ctx.images),
        warnings=tuple(ctx.warnings),
    )


def resolve_crossrefs(
    text: str, labelled: Mapping[str, Labelled], warnings: list[str], *, name: str = "notebook"
) -> str:
    """Replace Quarto ``@tbl-x``/``@fig-x`` references by numbered links (unknown ones warn).

    Links written as ``[Table](#tbl-x)`` to a label that no cell has warn too (Typst will
    refuse them).
    """
    for target in LINK.findall(text):
        if target not in labelled:
            warnings.append(f"{name}: link to #{target} matches no labelled cell.")

    def replace(match: re.Match[str]) -> str:
        item = labelled.get(match.group(1))
        if item is None:
            warnings.append(f"{name}: cross-reference @{match.group(1)} matches no labelled cell.")
            return f"?\\@{match.group(1)}"
        return f"[{item.kind} {item.number}](#{item.label})"

    return CROSSREF.sub(replace, text)


def _copy_local_images(text: str, ctx: _Context) -> str:
    """Copy images a Markdown cell references relative to the notebook next to the document."""
    if ctx.source_dir is None:
        return text

    def replace(match: re.Match[str]) -> str:
        source = ctx.source_dir / match.group(2)
        if "://" in match.group(2) or match.group(2).startswith("data:") or not source.is_file():
            return match.group(0)
        ctx.image_dir.mkdir(parents=True, exist_ok=True)
        target = ctx.image_dir / f"md-{len(ctx.images) + 1}-{source.name}"
        shutil.copyfile(source, target)
        ctx.images.append(target)
        return match.group(1) + _reference(target, ctx)

    return LOCAL_IMAGE.sub(replace, text)


def _reference(path: Path, ctx: _Context) -> str:
    """How the Markdown refers to a file written next to it."""
    return path.relative_to(ctx.relative_to).as_posix() if path.is_relative_to(ctx.relative_to) else str(path)


def _code_cell(cell: nbformat.NotebookNode, index: int, ctx: _Context) -> list[str]:
    """Markdown blocks for one code cell: its outputs, wrapped when the cell is labelled."""
    options = cell_options(cell, where=f"{ctx.name}, cell index {index}")
    if options.get("include") is False:
        return []
    blocks = []
    if options.get("echo") is True:
        blocks.append(fence(strip_cell_options(cell.source), "python"))
    label = str(options.get("label", ""))
    item = ctx.labelled.get(label)
    if options.get("output") is not False:
        for number, output in enumerate(cell.get("outputs", []), start=1):
            stem = f"{label or f'cell{index}'}-{number}"
            asis = options.get("output") == "asis"
            text = _output(output, ctx, stem=stem, item=item, where=f"cell index {index}", asis=asis)
            if text:
                blocks.append(text)
    if item is None:
        return blocks
    return [_wrap(item, blocks, ctx)]


def _wrap(item: Labelled, blocks: list[str], ctx: _Context) -> str:
    """A Div with the label as id; tables carry their caption for hubcase.lua to attach."""
    if item.kind == "Figure":
        if not any("![" in block for block in blocks):
            ctx.warnings.append(f"{ctx.name}: {item.label} produced no image.")
            blocks = [*blocks, f"**{md_cell(item.title)}**"]
        body = "\n\n".join(blocks)
        return f"::::: {{#{item.label} .hubcase-figure}}\n{body}\n:::::"
    if not any(_looks_like_table(block) for block in blocks):
        ctx.warnings.append(f"{ctx.name}: {item.label} produced no table.")
    caption = f"::: hubcase-caption\n{item.kind} {item.number}: {item.caption}\n:::"
    body = "\n\n".join([caption, *blocks])
    return f"::::: {{#{item.label} .hubcase-table}}\n{body}\n:::::"


def _looks_like_table(block: str) -> bool:
    """Heuristic: a pipe or grid table in Markdown, or an HTML table."""
    return "<table" in block or any(line.lstrip().startswith(("|", "+-")) for line in block.splitlines())


def _output(
    output: nbformat.NotebookNode, ctx: _Context, *, stem: str, item: Labelled | None, where: str, asis: bool
) -> str | None:
    """Markdown for one output, or ``None`` when it is not shown.

    With Quarto's ``output: asis`` printed text is taken as Markdown, not shown as code.
    """
    kind = output.get("output_type")
    if kind == "stream":
        if output.get("name") == "stderr":
            ctx.warnings.append(f"{ctx.name}, {where}: stderr not shown: {output.text.strip()[:200]}")
            return None
        if not output.text.strip():
            return None
        return output.text if asis else fence(output.text.rstrip("\n"), "text")
    if kind == "error":
        ctx.warnings.append(f"{ctx.name}, {where}: {output.get('ename')}: {output.get('evalue')}")
        return None
    data = output.get("data", {})
    mime = next((m for m in PREFERENCE if m in data), None)
    if mime is None:
        ctx.warnings.append(f"{ctx.name}, {where}: output types {sorted(data)} cannot be shown.")
        return None
    return _rich(mime, _text(data[mime]), ctx, stem=stem, item=item, where=where)


def _rich(mime: str, value: str, ctx: _Context, *, stem: str, item: Labelled | None, where: str) -> str:
    """Markdown for a display_data/execute_result payload of type ``mime``."""
    if mime == "text/markdown":
        return value
    if mime in IMAGE_TYPES:
        return _image(mime, value, ctx, stem=stem, item=item)
    if mime == "text/html":
        if "<table" in value:
            return f"::: hubcase-html\n{fence(value, '{=html}')}\n:::"
        ctx.warnings.append(f"{ctx.name}, {where}: an HTML output without a table appears in HTML only.")
        return fence(value, "{=html}")
    return fence(value, "text")


def _image(mime: str, value: str, ctx: _Context, *, stem: str, item: Labelled | None) -> str:
    """Write the image next to the document and reference it, captioned if the cell is a figure."""
    ctx.image_dir.mkdir(parents=True, exist_ok=True)
    path = ctx.image_dir / f"{stem}{IMAGE_TYPES[mime]}"
    if mime == "image/svg+xml":
        path.write_text(value, encoding="utf-8")
    else:
        path.write_bytes(base64.b64decode(value))
    ctx.images.append(path)
    caption = item.title if item is not None and item.kind == "Figure" else ""
    target = _reference(path, ctx)
    if not caption:
        return f"![]({target})"
    return f"![{_caption_markdown(item)}]({target})"


def _caption_markdown(item: Labelled) -> str:
    """``Figure 2: caption`` for use inside ``![...]``: brackets in the caption are escaped."""
    caption = item.caption.replace("[", "\\[").replace("]", "\\]")
    return f"{item.kind} {item.number}: {caption}".rstrip(": ")


def _text(value: Any) -> str:
    """Output data may be a string or a list of lines."""
    return "".join(value) if isinstance(value, list) else str(value)


def fence(text: str, info: str = "") -> str:
    """A fenced code block that holds ``text`` safely (longer fence than any backtick run)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def provenance_markdown(provenance: Mapping[str, Any]) -> str:
    """A ``.provenance`` Div listing each provenance item (keys humanised, values literal)."""
    if not provenance:
        return ""
    rows = [f"- **{md_cell(_humanise(key))}:** {md_cell(value)}" for key, value in provenance.items()]
    return "::: provenance\n**Provenance**\n\n" + "\n".join(rows) + "\n:::\n"


def provenance_footer(provenance: Mapping[str, Any], *, limit: int = 16) -> str:
    """One line for the PDF page footer; long values (hashes) are shortened to ``limit`` chars."""
    values = [str(v) if len(str(v)) <= limit else str(v)[:limit] + "…" for v in provenance.values()]
    return " · ".join(f"{_humanise(k)}: {v}" for k, v in zip(provenance, values, strict=True))


def _humanise(key: Any) -> str:
    """``inputs_hash`` -> ``Inputs hash``."""
    text = str(key).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]
