"""Presentation helpers: Markdown tables that pandoc reads back literally, 200 dpi figures, prose."""
from __future__ import annotations

import io

import pandas as pd
import pypandoc
import pytest
from matplotlib.figure import Figure
from PIL import Image

from analyses.result import FigureResult, TableResult
from hubcase import present


def _result(display: pd.DataFrame, notes: tuple[str, ...] = (), data: pd.DataFrame | None = None) -> TableResult:
    return TableResult("T0", "Test table", pd.DataFrame() if data is None else data, display, notes)


def _figure() -> FigureResult:
    fig = Figure(figsize=(3, 2))
    fig.subplots().plot([0, 1], [1, 0])
    return FigureResult("F0", "Test figure", fig, pd.DataFrame(), ("One note.",))


def test_markdown_table_escapes_cells_so_pandoc_shows_them_literally():
    frame = pd.DataFrame({"Quote": ["a|b *c* <script>x</script> [link](#y)"], "n": ["12 (3.4)"]})
    html = pypandoc.convert_text(present.markdown_table(frame), "html", format="markdown")
    assert "<td>a|b *c* &lt;script&gt;x&lt;/script&gt; [link](#y)</td>" in html
    assert "<em>" not in html and "<a " not in html


def test_missing_values_become_empty_cells():
    frame = pd.DataFrame({"a": [None, float("nan")], "b": ["x", pd.NA]})
    lines = present.markdown_table(frame).splitlines()
    assert lines[2] == "|  | x |" and lines[3] == "|  |  |"


def test_separator_dashes_grow_with_the_longest_cell_up_to_a_cap():
    frame = pd.DataFrame({"a": ["x"], "b": ["y" * 500]})
    separator = present.markdown_table(frame).splitlines()[1]
    narrow, wide = separator.strip("|").split("|")
    assert len(narrow) == 1 + present.PAD
    assert len(wide) == present.MAX_DASHES + present.PAD


def test_one_note_is_a_sentence_and_several_are_a_list():
    assert present.notes_markdown(["Only *one*."]) == "::: table-notes\nNote: Only \\*one\\*.\n:::"
    several = present.notes_markdown(["First.", "Second."])
    assert "Notes:\n\n- First.\n- Second." in several
    assert present.notes_markdown([]) == ""


def test_show_table_is_the_table_then_its_notes():
    shown = present.show_table(_result(pd.DataFrame({"a": ["1"]}), ("A note.",))).data
    table, notes = shown.split("\n\n", 1)
    assert table.startswith("| a |") and notes.startswith("::: table-notes")


def test_a_label_wraps_the_table_in_a_block_with_that_id():
    shown = present.show_table(_result(pd.DataFrame({"a": ["1"]})), label="tbl-extra").data
    assert shown.startswith("::: {#tbl-extra}\n| a |") and shown.endswith("\n:::")


def test_figures_are_png_at_200_dpi():
    png = present.figure_png(_figure())
    dpi = Image.open(io.BytesIO(png)).info["dpi"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert dpi == pytest.approx((200, 200), abs=0.1)


def test_show_figure_displays_the_image_then_the_notes(monkeypatch):
    shown = []
    monkeypatch.setattr(present, "display", shown.append)
    present.show_figure(_figure())
    assert [type(s).__name__ for s in shown] == ["Image", "Markdown"]
    assert "One note." in shown[1].data


def test_side_by_side_is_one_image_twice_as_wide(monkeypatch):
    shown = []
    monkeypatch.setattr(present, "display", shown.append)
    single = Image.open(io.BytesIO(present.figure_png(_figure()))).size
    present.show_side_by_side(_figure(), _figure(), titles=("Site B", "All sites"))
    combined = Image.open(io.BytesIO(shown[0].data)).size
    assert combined[0] > 1.8 * single[0]
    assert "One note." in shown[1].data  # the shared note appears once


@pytest.mark.parametrize(("n", "text"), [(0, "no sites"), (1, "one site"), (4, "four sites"), (1973, "1,973 sites")])
def test_count_spells_small_numbers(n, text):
    assert present.count(n, "site") == text


def test_list_and_joins_with_commas_and_and():
    assert present.list_and(["A", "B", "C"]) == "A, B and C"
    assert present.list_and(["A"]) == "A"


def test_caseness_sentence_gives_the_lowest_and_highest_caseness():
    # Two measures, all sites together: AUDIT 23.0% and PHQ-9 68.5%.
    data = pd.DataFrame({"site": ["Total", "Total", "A"], "variable": ["case_phq9", "case_audit", "case_phq9"],
                         "level": ["yes", "yes", "yes"], "pct": [68.51, 22.98, 90.0]})
    sentence = present.caseness_sentence(_result(pd.DataFrame(), data=data))
    assert sentence == ("Across all sites, the share of participants meeting a caseness threshold ranged from "
                        "23.0% (AUDIT) to 68.5% (PHQ-9).")


def test_sentences_are_empty_for_a_table_without_data():
    empty = _result(pd.DataFrame({"": ["Not available"]}))
    assert present.caseness_sentence(empty) == ""
    assert present.respondents_sentence(empty) == ""


def test_interviews_sentence_counts_each_group_and_keeps_hub_capitalised():
    t19 = _result(pd.DataFrame(), data=pd.DataFrame({"group": ["hub_client", "non_hub_keyworker"], "n": [19, 20]}))
    t21 = _result(pd.DataFrame(), data=pd.DataFrame({"group": ["wider_stakeholder"], "n": [10]}))
    assert present.interviews_sentence(t19, t21) == (
        "In all, 49 people were interviewed: 19 Hub clients, 20 non-Hub keyworkers and 10 wider stakeholders.")
