"""Write pandoc Markdown as self-contained HTML, and as PDF through Typst.

Both use the pandoc binary shipped by ``pypandoc_binary`` and the filter
``templates/hubcase.lua``.  HTML is standalone with every resource embedded (images become
data URIs, ``templates/report.css`` is inlined, maths is MathML, so nothing is fetched).  The
PDF route is the one Quarto uses for ``format: typst``: pandoc writes Typst with
``templates/report.typ``, and the ``typst`` package compiles it with its embedded fonts only,
so the PDF looks the same on every machine.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pypandoc
import typst

from hubcase.errors import RenderError

TEMPLATES = Path(__file__).parent / "templates"
CSS = TEMPLATES / "report.css"
TYPST_TEMPLATE = TEMPLATES / "report.typ"
LUA_FILTER = TEMPLATES / "hubcase.lua"
# '@name' in prose stays text: without a bibliography a citation would break the Typst build.
MARKDOWN = "markdown-citations"


def pandoc_version() -> str:
    """Version of the pandoc binary that pypandoc uses, e.g. ``3.9``."""
    return str(pypandoc.get_pandoc_version())


def markdown_to_html(
    markdown: str,
    out: Path,
    *,
    title: str,
    resource_dir: Path,
    toc: bool = True,
    number_sections: bool = False,
) -> list[str]:
    """Write ``markdown`` to ``out`` as one self-contained HTML file; returns pandoc's warnings.

    Relative image paths are looked up in ``resource_dir``.
    """
    args = [
        "--standalone",
        "--embed-resources",
        "--mathml",
        f"--css={CSS}",
        f"--resource-path={resource_dir}",
        f"--metadata=title={title}",
        "--metadata=lang=en-GB",
        f"--lua-filter={LUA_FILTER}",
        *_common_args(toc=toc, number_sections=number_sections),
    ]
    return _pandoc(markdown, "html5", out, args)


def markdown_to_typst(
    markdown: str,
    out: Path,
    *,
    title: str,
    footer: str = "",
    toc: bool = True,
    number_sections: bool = False,
) -> list[str]:
    """Write ``markdown`` as a Typst source file ``out``; returns pandoc's warnings.

    ``footer`` is printed on every page next to the page number (pandoc escapes it).
    Image paths stay as written, so ``out`` must sit in the folder they are relative to.
    """
    args = [
        "--standalone",
        f"--template={TYPST_TEMPLATE}",
        f"--metadata=title={title}",
        f"--metadata=provenance-footer={footer}",
        f"--lua-filter={LUA_FILTER}",
        *_common_args(toc=toc, number_sections=number_sections),
    ]
    return _pandoc(markdown, "typst", out, args)


def typst_to_pdf(source: Path, out: Path, *, root: Path) -> list[str]:
    """Compile the Typst file ``source`` to the PDF ``out``; returns Typst's warnings.

    Files outside ``root`` cannot be read by the document.
    """
    try:
        _, warnings = typst.compile_with_warnings(
            str(source), output=str(out), root=str(root), ignore_system_fonts=True
        )
    except typst.TypstError as err:
        raise RenderError(f"{source.name}: Typst could not compile the PDF: {_typst_message(err)}") from err
    return [f"typst: {_first_line(w)}" for w in warnings or []]


def markdown_to_pdf(
    markdown: str,
    out: Path,
    *,
    title: str,
    resource_dir: Path,
    footer: str = "",
    toc: bool = True,
    number_sections: bool = False,
) -> list[str]:
    """Markdown -> ``<resource_dir>/<out stem>.typ`` -> PDF ``out``; returns all warnings."""
    source = Path(resource_dir) / f"{Path(out).stem}.typ"
    warnings = markdown_to_typst(
        markdown, source, title=title, footer=footer, toc=toc, number_sections=number_sections
    )
    return warnings + typst_to_pdf(source, Path(out), root=Path(resource_dir))


def _common_args(*, toc: bool, number_sections: bool) -> list[str]:
    args = ["--wrap=none", *(["--toc", "--toc-depth=3"] if toc else [])]
    return args + (["--number-sections"] if number_sections else [])


def _pandoc(markdown: str, to: str, out: Path, args: list[str]) -> list[str]:
    """Run pandoc on ``markdown``; ``RenderError`` if it fails, its warnings otherwise."""
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with _captured_pandoc_log() as messages:
        try:
            pypandoc.convert_text(
                markdown, to, format=MARKDOWN, extra_args=args, outputfile=str(out), sandbox=False
            )
        except (RuntimeError, OSError) as err:
            raise RenderError(f"pandoc could not write {Path(out).name}: {_first_line(err)}") from err
    return [f"pandoc ({to}): {m}" for m in messages]


@contextmanager
def _captured_pandoc_log() -> Iterator[list[str]]:
    """Collect what pypandoc logs from pandoc's stderr (warnings) instead of printing it."""
    logger = logging.getLogger("pypandoc")
    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                messages.append(record.getMessage().strip())

    handler = _Collect()
    previous = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous


def _typst_message(err: typst.TypstError) -> str:
    """Typst's first error with its ``file:line:column`` and hints, without the code excerpt."""
    message = str(getattr(err, "message", "") or _first_line(err))
    where = re.search(r"┌─ (\S+)", str(getattr(err, "diagnostic", "") or ""))
    hints = [str(h) for h in getattr(err, "hints", None) or []]
    text = f"{message} (at {Path(where.group(1)).name})" if where else message
    return text + "".join(f"; hint: {h}" for h in hints)


def _first_line(err: object) -> str:
    """The message without pandoc's or Typst's long trailer."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
