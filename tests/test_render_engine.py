"""The built-in renderer: parameterised notebook -> HTML and PDF without Quarto."""
from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from pypdf import PdfReader

from hubcase.errors import RenderError
from hubcase.render import Labelled, markdown_to_html, markdown_to_pdf, parse_cell_options, render_notebook
from hubcase.render.escape import md_cell
from hubcase.render.execute import execute_notebook, inject_parameters

PROVENANCE = {
    "study": "demo-study",
    "inputs_hash": "sha256:" + "ab" * 32,
    "version": "0.1.0",
    "build_date": "2025-01-31",
}

MARKDOWN_TABLE = """from IPython.display import Markdown
Markdown(f"| name | value |\\n|---|---:|\\n| injected x | {x} |")"""

FIGURE = """#| label: fig-demo
#| fig-cap: Demo figure
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([1, 2, x])
plt.show()"""

DATAFRAME = """#| label: tbl-demo
#| tbl-cap: Demo table
import pandas as pd
pd.DataFrame({"site": ["North", "South"], "uniquecolumnname": [11, 22]})"""


MARKDOWN_LABELLED = """#| label: tbl-sites
#| tbl-cap: Sites as *Markdown*
from IPython.display import Markdown
Markdown("| site | n |\\n|---|---:|\\n| North | 11 |")"""


TINY_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def write_notebook(folder: Path, cells: list, name: str = "demo.ipynb") -> Path:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / name
    nbformat.write(nb, path)
    return path


def parameters_cell(source: str = "x = 1") -> nbformat.NotebookNode:
    return new_code_cell(source, metadata={"tags": ["parameters"]})


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("render")
    (folder / "logo.png").write_bytes(base64.b64decode(TINY_PNG))
    path = write_notebook(
        folder,
        [
            parameters_cell(),
            new_markdown_cell("# Results\n\nSee @tbl-demo and @fig-demo.\n\n![](logo.png)"),
            new_code_cell(MARKDOWN_TABLE),
            new_code_cell(FIGURE),
            new_code_cell(DATAFRAME),
            new_code_cell(MARKDOWN_LABELLED),
        ],
    )
    result = render_notebook(
        path,
        parameters={"x": 5},
        out_html=folder / "out" / "demo.html",
        out_pdf=folder / "out" / "demo.pdf",
        title="Demo report",
        provenance=PROVENANCE,
        workdir=folder / "work",
    )
    html = result.html.read_text(encoding="utf-8")
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(result.pdf).pages)
    return result, html, pdf_text


def test_injected_parameter_value_reaches_the_output(rendered):
    result, html, pdf_text = rendered
    # the default is x = 1; the injected 5 must win, in the executed notebook and both outputs
    assert "| injected x | 5 |" in result.markdown.read_text(encoding="utf-8")
    assert ">5</td>" in html
    assert "injected x 5" in pdf_text


def test_injected_cell_follows_parameters_cell_and_is_tagged(rendered):
    result, _, _ = rendered
    nb = nbformat.read(result.executed, as_version=4)
    assert nb.cells[1].metadata["tags"] == ["injected-parameters"]
    assert "x = 5" in nb.cells[1].source


def test_labelled_table_gets_id_and_numbered_caption_in_html(rendered):
    _, html, _ = rendered
    assert 'id="tbl-demo"' in html
    assert "Table 1: Demo table" in html


def test_markdown_table_output_gets_its_caption_inside_the_table(rendered):
    _, html, pdf_text = rendered
    caption = "<caption>Table 2: Sites as <em>Markdown</em></caption>"
    assert f'<div id="tbl-sites" class="hubcase-table">\n<table>\n{caption}' in html
    assert "Table 2: Sites as Markdown" in pdf_text


def test_crossreference_links_to_the_table_and_figure(rendered):
    _, html, _ = rendered
    assert '<a href="#tbl-demo">Table 1</a>' in html
    assert '<a href="#fig-demo">Figure 1</a>' in html


def test_figure_is_embedded_as_data_uri_with_caption(rendered):
    _, html, _ = rendered
    assert 'id="fig-demo"' in html
    # pandoc puts role/aria-label before src when it embeds the image
    assert re.search(r'<img [^>]*src="data:image/png;base64,', html)
    assert "Figure 1: Demo figure" in html


def test_image_beside_the_notebook_is_copied_and_embedded(rendered):
    result, html, _ = rendered
    assert (result.markdown.parent / "figures" / "md-1-logo.png").is_file()
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', html)) == 2


def test_dataframe_is_a_table_not_a_pre_repr(rendered):
    _, html, _ = rendered
    assert "<pre" not in html
    assert "<td>North</td>" in html
    assert "<th>uniquecolumnname</th>" in html


def test_pdf_has_caption_provenance_and_page_numbers(rendered):
    result, _, pdf_text = rendered
    assert result.pdf.read_bytes()[:4] == b"%PDF"
    assert len(PdfReader(result.pdf).pages) >= 1
    assert "Table 1: Demo table" in pdf_text
    assert "Figure 1: Demo figure" in pdf_text
    assert "Page 1 of" in pdf_text
    assert "demo-study" in pdf_text


def test_provenance_block_is_in_html(rendered):
    _, html, _ = rendered
    assert '<div class="provenance">' in html
    assert "sha256:" + "ab" * 32 in html
    assert "2025-01-31" in html


def test_result_lists_tables_figures_and_timings(rendered):
    result, _, _ = rendered
    assert result.tables == (
        Labelled("tbl-demo", "Table", 1, "Demo table", 4),
        Labelled("tbl-sites", "Table", 2, "Sites as *Markdown*", 5),
    )
    assert [f.label for f in result.figures] == ["fig-demo"]
    assert result.warnings == ()
    assert {"kernel_start", "execute", "convert", "html", "pdf", "total"} <= set(result.timings)


def _kernel_children() -> list[int]:
    """Live kernel processes started by this test process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and stat[0] != "Z" and b"ipykernel" in cmdline:
            found.append(int(entry.name))
    return found


def test_failing_cell_names_notebook_cell_and_label(tmp_path):
    path = write_notebook(
        tmp_path,
        [
            parameters_cell(),
            new_markdown_cell("text"),
            new_code_cell("#| label: tbl-broken\n#| tbl-cap: Broken\n1 / 0"),
        ],
        name="broken.ipynb",
    )
    with pytest.raises(RenderError) as caught:
        execute_notebook(path, parameters={"x": 2}, cwd=tmp_path)
    message = str(caught.value)
    # cell index 2 of the source notebook (the injected cell is not counted)
    assert message == "broken.ipynb, cell index 2 (label: tbl-broken): ZeroDivisionError: division by zero"
    assert _kernel_children() == []


def test_kernel_is_shut_down_after_a_successful_render(rendered):
    assert _kernel_children() == []


def test_cell_timeout_is_reported_and_kernel_stopped(tmp_path):
    path = write_notebook(tmp_path, [parameters_cell(), new_code_cell("import time\ntime.sleep(60)")])
    expected = "demo.ipynb, cell index 1 (no label): the cell did not finish within 2 s"
    with pytest.raises(RenderError, match=re.escape(expected)):
        execute_notebook(path, parameters={}, cwd=tmp_path, timeout=2)
    assert _kernel_children() == []


def test_printed_text_is_markdown_with_output_asis(tmp_path):
    from hubcase.render import notebook_to_markdown

    cell = new_code_cell("#| output: asis\nprint('**bold**')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="**bold**\n")]
    doc = notebook_to_markdown(new_notebook(cells=[cell]), image_dir=tmp_path, relative_to=tmp_path)
    assert doc.text == "**bold**\n"


def test_notebook_without_parameters_cell_is_rejected(tmp_path):
    path = write_notebook(tmp_path, [new_code_cell("x = 1")])
    with pytest.raises(RenderError, match="no cell is tagged 'parameters'"):
        execute_notebook(path, parameters={"x": 2}, cwd=tmp_path)


def test_notebook_with_two_parameters_cells_is_rejected(tmp_path):
    path = write_notebook(tmp_path, [parameters_cell(), parameters_cell("y = 2")])
    with pytest.raises(RenderError, match=re.escape("2 cells are tagged 'parameters' (cell indexes 0, 1)")):
        execute_notebook(path, parameters={"x": 2}, cwd=tmp_path)


def test_quarto_style_parameters_tag_is_recognised():
    cells = [new_code_cell("#| tags: [parameters]\nsite = 'A'"), new_code_cell("print(site)")]
    nb = new_notebook(cells=cells)
    index, warnings = inject_parameters(nb, {"site": "B"}, name="nb.ipynb")
    assert index == 0 and warnings == []
    assert nb.cells[1].source.endswith("site = 'B'\n")


def test_parameter_without_default_warns():
    nb = new_notebook(cells=[parameters_cell("site = 'A'")])
    _, warnings = inject_parameters(nb, {"stie": "B"}, name="nb.ipynb")
    assert warnings == ["nb.ipynb: parameter 'stie' has no default in the parameters cell (defaults: site)."]


def test_paths_are_injected_as_strings_and_objects_are_refused():
    nb = new_notebook(cells=[parameters_cell("study = None")])
    inject_parameters(nb, {"study": Path("/data/study")}, name="nb.ipynb")
    assert "study = '/data/study'" in nb.cells[1].source
    with pytest.raises(RenderError, match=r"'study' = .* is not a Python literal"):
        inject_parameters(new_notebook(cells=[parameters_cell()]), {"study": object()}, name="nb.ipynb")


def test_cell_options_are_read_from_leading_hash_pipe_lines():
    source = '#| label: tbl-x\n#| tbl-cap: "Caseness: by site"\n#| echo: false\nx = 1\n#| not: an option'
    expected = {"label": "tbl-x", "tbl-cap": "Caseness: by site", "echo": False}
    assert parse_cell_options(source) == expected


def test_md_cell_escapes_markdown_specials_and_line_breaks():
    assert md_cell("a|b") == "a\\|b"
    assert md_cell("*x* #1 $5 @ref") == "\\*x\\* \\#1 \\$5 \\@ref"
    assert md_cell("<b>\nnext") == "\\<b\\> next"
    assert md_cell(None) == ""


SPECIAL = "<script>alert(1)</script> # $5 and $6 *not bold* a|b [link](x) @cite ~sub~ ^sup^ {x} \\ _u_"


def _special_table() -> str:
    return f"| text | n |\n|---|---:|\n| {md_cell(SPECIAL)} | 1 |\n"


def test_special_characters_in_a_cell_are_literal_in_html(tmp_path):
    out = tmp_path / "special.html"
    markdown_to_html(_special_table(), out, title="Special", resource_dir=tmp_path)
    html = out.read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; # $5 and $6 *not bold* a|b [link](x) @cite" in html
    assert "~sub~ ^sup^ {x} \\ _u_" in html
    assert html.count("<td") == 2  # the escaped '|' did not split the cell


def test_special_characters_in_a_cell_are_literal_in_pdf(tmp_path):
    out = tmp_path / "special.pdf"
    markdown_to_pdf(_special_table(), out, title="Special", resource_dir=tmp_path)
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(out).pages).split())
    # pypdf reads a little extra space after ']' from the PDF's glyph positions
    assert "<script>alert(1)</script> # $5 and $6 *not bold* a|b [link]" in text
    assert "(x) @cite ~sub~ ^sup^ {x} \\ _u_" in text


def test_wide_table_with_image_and_headings_compiles_with_page_numbers(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3))  # wider than the page at 200 dpi: must be scaled
    ax.plot([0, 1])
    fig.savefig(tmp_path / "wide.png", dpi=200)
    plt.close(fig)
    long = md_cell("a long free-text answer that must wrap inside its cell " * 4)
    header = "| " + " | ".join(f"column {i}" for i in range(1, 7)) + " |"
    row = "| " + " | ".join([long] * 6) + " |"
    body = "\n".join([header, "|" + "---|" * 6, *[row] * 12])
    markdown = (
        "# Heading one\n\n## Heading two\n\n::::: {#tbl-wide .hubcase-table}\n::: hubcase-caption\n"
        f"Table 1: Six wide columns\n:::\n\n{body}\n:::::\n\n![Figure 1: A wide figure](wide.png)\n"
    )
    out = tmp_path / "wide.pdf"
    warnings = markdown_to_pdf(markdown, out, title="Wide", resource_dir=tmp_path, footer="Study: demo")
    reader = PdfReader(out)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert warnings == []
    assert "Table 1: Six wide columns" in text and "Figure 1: A wide figure" in text
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in text
