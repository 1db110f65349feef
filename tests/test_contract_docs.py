"""The data-contract page is generated from the schemas, and the schemas describe every field."""
from __future__ import annotations

from pathlib import Path

import pytest

from hubcase.instruments import MEASURES
from hubcase.schema import CONTRACT
from hubcase.schema.core import DocumentSchema, Key, Mapping, Scalar, Sequence
from hubcase.schema.docs import column_groups, render_contract

PAGE = Path(__file__).resolve().parents[1] / "docs" / "data-contract.md"


@pytest.fixture(scope="module")
def page() -> str:
    return render_contract()


def _walk(node, path):
    """(dotted path, Key or node) for every key and node below ``node``."""
    if isinstance(node, Mapping):
        yield path or "(root)", node
        for key in node.keys:
            sub = f"{path}.{key.name}" if path else key.name
            yield sub, key
            yield from _walk(key.node, sub)
        if node.values is not None:
            yield from _walk(node.values, f"{path}.<key>")
    elif isinstance(node, Sequence):
        yield path, node
        yield from _walk(node.item, f"{path}[]")
    else:
        yield path, node


def _undescribed(schema) -> list[str]:
    """Names of the columns, keys and nodes of ``schema`` without a description."""
    if hasattr(schema, "columns"):
        return [c.name for c in schema.columns if not c.description.strip()]
    missing = []
    for path, item in _walk(schema.root, ""):
        text = item.description or (item.node.description if isinstance(item, Key) else "")
        if not text.strip():
            missing.append(f"{path} ({type(item).__name__})")
    return missing


FILES = [pytest.param(s, id=s.path) for s in (*CONTRACT.tables, *CONTRACT.documents)]
TABLES = [pytest.param(t, id=t.path) for t in CONTRACT.tables]


def test_committed_page_matches_the_schemas():
    assert PAGE.exists(), "docs/data-contract.md is missing: run `hubcase contract --out docs/data-contract.md`"
    assert PAGE.read_text(encoding="utf-8") == render_contract(), (
        "docs/data-contract.md is out of date: run `hubcase contract --out docs/data-contract.md`")


@pytest.mark.parametrize("schema", FILES)
def test_every_column_key_and_scalar_has_a_description(schema):
    assert _undescribed(schema) == []


@pytest.mark.parametrize("schema", FILES)
def test_every_file_has_a_title_and_description(schema):
    assert schema.title.strip() and schema.description.strip()


def test_a_missing_description_is_found():
    doc = DocumentSchema("x", "x.yml", "X", "An example", Mapping("root", keys=(
        Key("a", Sequence(Mapping("", keys=(Key("b", Scalar("number", "")),)), "list")),)))
    assert _undescribed(doc) == ["a[] (Mapping)", "a[].b (Key)", "a[].b (Scalar)"]


@pytest.mark.parametrize("schema", TABLES)
def test_every_table_column_appears_on_the_page(schema, page):
    assert [c.name for c in schema.columns if f"`{c.name}`" not in page] == []


@pytest.mark.parametrize("doc", CONTRACT.documents, ids=lambda d: d.path)
def test_every_top_level_yaml_key_appears_on_the_page(doc, page):
    for key in doc.root.keys:
        assert f"| `{key.name}` |" in page


def test_nested_yaml_keys_are_shown_as_dotted_paths(page):
    assert "| `staffing.posts[].wte` | number | WTE | 0–100 | yes | no |" in page
    assert "| `eligibility.groups.<key>.status` | category |" in page
    assert "`<key>` one of `hsc_staff_18_plus`" in page


def test_item_columns_of_one_measure_share_a_row():
    screening = CONTRACT.table("screening")
    groups = {tuple(names): col for names, col, _ in column_groups(screening) if len(names) > 1}
    assert tuple(MEASURES["phq9"].items) in groups
    # AUDIT items 9 and 10 score 0, 2 or 4, so they get their own row
    assert ("audit_09", "audit_10") in groups
    assert tuple(MEASURES["audit"].items[:8]) in groups


def test_measures_section_lists_bands_and_caseness(page):
    assert "### PHQ-9 (`phq9`): depression" in page
    assert "- Caseness: at least moderate depression (total ≥ 10)." in page
    assert "| Moderately severe | `moderately_severe` | 15–19 | 1 |" in page
