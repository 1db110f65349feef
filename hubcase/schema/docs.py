"""The data-contract page (``docs/data-contract.md``), generated from :data:`CONTRACT`.

The schemas are the documentation: every row of the page comes from a
:class:`Column`, :class:`Key` or :class:`Scalar` description, and the measure
section from :mod:`hubcase.instruments`.  Regenerate the page with
``hubcase contract --out docs/data-contract.md``; a test checks it is current.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from hubcase.instruments import MEASURES, Measure
from hubcase.schema import CONTRACT
from hubcase.schema.core import (FALSE_TOKENS, NAN_TOKENS, TRUE_TOKENS, Column, Contract, DocumentSchema, Key, Mapping,
                                 Node, Scalar, Sequence, TableSchema, _bounds)

FIRST = ("study", "service_mapping")  # documents shown before the tables
COLUMN_HEADER = ("Column", "Type", "Unit", "Allowed values / range", "Required", "Blank allowed", "Meaning")
KEY_HEADER = ("Key", "Type", "Unit", "Allowed values / range", "Required", "Empty allowed", "Meaning")
_KIND_RANGE = {"boolean": "`true`, `false`", "date": "`YYYY-MM-DD`"}
_ITEM_OF = {item: m for m in MEASURES.values() for item in m.items}

INTRO = """\
A **study directory** holds the evidence of one multi-site evaluation: `study.yml` names the
sites, says which evidence strands (service mapping, screening, follow-up, costing, qualitative)
were collected at each, and sets the study-wide options; the other files hold the records of
each strand. `hubcase validate --study DIR` checks a directory against this contract and lists
every problem at once, as `file:location: message`. A file is needed only when a site collects
its strand; optional files are read when present."""

CSV_CONVENTIONS = """\
- UTF-8 text (a byte-order mark is accepted; Latin-1/Windows-1252 exports are refused).
- Comma-separated, with a header row; every row has as many fields as the header. Quote cells
  that contain commas, quotes or line breaks (`"..."`, with `""` for a quote inside).
- Column order does not matter; column names are case-sensitive. Unknown columns are reported
  as warnings and ignored.
- A blank cell means *missing*. Numbers are plain (`12000`, `0.5`: `.` as the decimal point, no
  currency symbols, `%` signs or thousands separators); missing-value codes ({nan_tokens}) and
  infinities are refused: leave the cell blank instead.
- Booleans are `true`/`false` ({extra_bool} are also accepted).
- Dates are `YYYY-MM-DD`.
- Lists are `;`-separated in one cell, e.g. `men;care_home`.
- Row numbers in messages are file line numbers, with the header as line 1."""

YAML_CONVENTIONS = """\
- UTF-8 text, loaded as safe YAML: tags that construct objects (`!!python/...`) are refused.
- No anchors or aliases (`&name`, `*name`, `<<:`), and no duplicate keys in a mapping.
- Months are `YYYY-MM`, dates `YYYY-MM-DD`.
- Key paths are dotted: `staffing.posts[].wte` is the `wte` key of every entry of the
  `posts` list inside `staffing`; `<key>` stands for a free-form key (its allowed keys are listed).
- *Required* means required whenever the enclosing mapping is present.
- Unknown keys are reported as warnings and ignored, except inside free-form mappings with a
  fixed list of allowed keys, where they are errors.
- `files:` in `study.yml` may move any file (keys are the file ids below; service-mapping files
  use `service_mapping.<site>`); paths are relative and must stay inside the study directory."""


def render_contract(contract: Contract = CONTRACT) -> str:
    """The Markdown text of the data-contract page."""
    parts = ["# Data contract", "",
             "<!-- Generated from hubcase/schema by `hubcase contract --out docs/data-contract.md`; "
             "do not edit by hand. -->", "", INTRO, "",
             "## File tree", "", "```text", *_tree(contract), "```", "",
             "## CSV conventions", "", CSV_CONVENTIONS.format(
                 extra_bool=_extra_bool_tokens(), nan_tokens=", ".join(f"`{t}`" for t in sorted(NAN_TOKENS))), "",
             "## YAML conventions", "", YAML_CONVENTIONS, "", "## Files", ""]
    for item in _ordered(contract):
        parts += _table_section(item) if isinstance(item, TableSchema) else _document_section(item)
    parts += _measures_section()
    return "\n".join(parts).rstrip("\n") + "\n"


def export_contract(*, out: Path | str | None = None) -> str:
    """Render the contract page; write it to ``out`` when given. Returns the text."""
    text = render_contract()
    if out is not None:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return text


# ------------------------------------------------------------------- page parts
def _ordered(contract: Contract) -> list[TableSchema | DocumentSchema]:
    first = [d for d in contract.documents if d.id in FIRST]
    rest = [d for d in contract.documents if d.id not in FIRST]
    return [*first, *contract.tables, *rest]


def _extra_bool_tokens() -> str:
    extra = sorted((TRUE_TOKENS | FALSE_TOKENS) - {"true", "false"})
    return ", ".join(f"`{t}`" for t in extra)


def needed_when(item: TableSchema | DocumentSchema) -> str:
    """When a file must be present, in words."""
    from hubcase.study import STRAND_FILES

    if item.id == "study":
        return "Required: always."
    if item.id == "service_mapping":
        return "Required: one file per site whose `strands.service_mapping` is true (*service mapping* strand)."
    strand = STRAND_FILES.get(item.id)
    if strand is not None and item.required:
        return (f"Required when any site collects the *{strand.replace('_', ' ')}* strand "
                f"(`strands.{strand}: true` in study.yml).")
    return "Optional: read when present."


def _tree(contract: Contract) -> list[str]:
    items = _ordered(contract)
    width = max(len(i.path) for i in items) + 6
    top = [i for i in items if "/" not in i.path]
    dirs: dict[str, list] = {}
    for i in items:
        if "/" in i.path:
            dirs.setdefault(i.path.split("/", 1)[0], []).append(i)
    lines = ["<study>/"]
    for i in top:
        lines.append(f"  {i.path:<{width}}{_tree_note(i)}")
    for name, members in dirs.items():
        lines.append(f"  {name}/")
        for i in members:
            lines.append(f"    {i.path.split('/', 1)[1]:<{width - 2}}{_tree_note(i)}")
    return lines


def _tree_note(item: TableSchema | DocumentSchema) -> str:
    from hubcase.study import STRAND_FILES

    if item.id == "study":
        return "always"
    if item.id == "service_mapping":
        return "service mapping strand"
    strand = STRAND_FILES.get(item.id)
    return f"{strand.replace('_', ' ')} strand" if strand and item.required else "optional"


def _heading(item: TableSchema | DocumentSchema) -> list[str]:
    return [f"### `{item.path}`: {item.title}", "", item.description, "",
            f"- File id: `{item.id}`", f"- {needed_when(item)}"]


def _table_section(schema: TableSchema) -> list[str]:
    lines = _heading(schema)
    if schema.key:
        lines.append(f"- Each row is identified by {' + '.join(f'`{k}`' for k in schema.key)}, "
                     "which must be unique.")
    rows = [_column_row(names, col, meaning) for names, col, meaning in column_groups(schema)]
    return [*lines, "", *_markdown_table(COLUMN_HEADER, rows), ""]


def _document_section(schema: DocumentSchema) -> list[str]:
    rows = [row for key in schema.root.keys for row in _key_rows(key, key.name)]
    return [*_heading(schema), "", *_markdown_table(KEY_HEADER, rows), ""]


def _measures_section() -> list[str]:
    lines = ["## Measures", "",
             "Screening measures are recorded item by item in `screening.csv`; hubcase derives totals, "
             "severity bands and caseness. A site records only the measures listed under its "
             "`measures` in study.yml. Severity grade places a band on the overall scale "
             "(0 = low, 1 = moderate, 2 = high).", ""]
    for m in MEASURES.values():
        lines += _measure_lines(m)
    return lines


def _measure_lines(m: Measure) -> list[str]:
    lines = [f"### {m.label} (`{m.id}`): {m.domain}", "",
             f"- Items ({len(m.items)}, each scored {m.item_range_text()}): "
             + ", ".join(f"`{i}`" for i in m.items)]
    if m.restricted_items:
        lines.append(f"- {', '.join(f'`{i}`' for i in m.restricted_items)} score only "
                     f"{', '.join(map(str, m.allowed_item_values or ()))}.")
    scored = "all items" if m.scored_items == m.items else ", ".join(f"`{i}`" for i in m.scored_items)
    lines += [f"- Total: 0–{m.total_max}, the sum of {scored}.", f"- Caseness: {m.caseness_label}.",
              f"- Reference: {m.reference}.", ""]
    by_algorithm = m.caseness_min_total is None
    rows = [(b.label, f"`{b.id}`", "by algorithm" if by_algorithm else f"{b.low}–{b.high}", str(b.grade))
            for b in m.bands]
    return [*lines, *_markdown_table(("Band", "Id", "Total", "Severity grade"), rows), ""]


# ------------------------------------------------------------------ table rows
def column_groups(schema: TableSchema) -> Iterator[tuple[list[str], Column, str]]:
    """(names, representative column, meaning) per row of a table's field list.

    Consecutive item columns of one measure with the same type, range and hint
    share one row, so the screening table stays readable.
    """
    group: list[Column] = []

    def flush():
        if group:
            yield [c.name for c in group], group[0], _group_meaning(group)

    for col in schema.columns:
        if group and _same_group(group[0], col):
            group.append(col)
            continue
        yield from flush()
        group = [col]
    yield from flush()


def _same_group(a: Column, b: Column) -> bool:
    ma, mb = _ITEM_OF.get(a.name), _ITEM_OF.get(b.name)
    same = (a.kind, a.range_text(), a.unit, a.hint, a.required, a.nullable) == \
           (b.kind, b.range_text(), b.unit, b.hint, b.required, b.nullable)
    return ma is not None and ma is mb and same


def _group_meaning(group: list[Column]) -> str:
    col = group[0]
    if len(group) == 1:
        return col.description
    measure = _ITEM_OF[col.name]
    rest = col.description.split(";", 1)[1].strip() if ";" in col.description else ""
    text = f"{measure.label} item scores ({len(group)} columns, listed under Measures)"
    text += f"; {rest}" if rest else ""
    return f"{text}. {col.hint[0].upper()}{col.hint[1:]}." if col.hint else text


def _column_row(names: list[str], col: Column, meaning: str) -> tuple[str, ...]:
    if len(names) > 2:
        name = f"`{names[0]}` … `{names[-1]}`"
    else:
        name = ", ".join(f"`{n}`" for n in names)
    kind = "list (`;`-separated)" if col.kind == "list" else col.kind
    rng = col.range_text() or _KIND_RANGE.get(col.kind, "")
    return (name, kind, col.unit or "", rng, _yes(col.required), _yes(col.nullable), meaning)


def _key_rows(key: Key, path: str) -> list[tuple[str, ...]]:
    meaning = key.description or key.node.description
    return _node_rows(key.node, path, key.required, meaning)


def _node_rows(node: Node, path: str, required: bool, meaning: str) -> list[tuple[str, ...]]:
    name, req = f"`{path}`", _yes(required)
    if isinstance(node, Scalar):
        return [(name, node.kind, node.unit or "", _scalar_range(node), req, _yes(node.nullable), meaning)]
    if isinstance(node, Sequence):
        size = _at_least(node.min_items)
        if isinstance(node.item, Scalar):
            item = node.item
            rng = "; ".join(x for x in (_scalar_range(item), size) if x)
            return [(name, f"list of {item.kind}", item.unit or "", rng, req, "no", meaning)]
        rows = [(name, "list of mappings", "", size, req, "no", meaning)]
        return rows + _node_rows(node.item, f"{path}[]", True, node.item.description)[1:]
    rows = [(name, "mapping", "", _mapping_range(node), req, "no", meaning)]
    for sub in node.keys:
        rows += _key_rows(sub, f"{path}.{sub.name}")
    if node.values is not None:
        rows += _node_rows(node.values, f"{path}.<key>", False, node.values.description)
    return rows


def _at_least(n: int) -> str:
    return "" if not n else f"at least {n} {'entry' if n == 1 else 'entries'}"


def _mapping_range(node: Mapping) -> str:
    if node.values is None:
        return ""
    if node.value_keys is None:
        return "`<key>`: any key"
    return "`<key>` one of " + ", ".join(f"`{k}`" for k in node.value_keys)


def _scalar_range(node: Scalar) -> str:
    if node.allowed is not None:
        return ", ".join(f"`{a}`" for a in node.allowed)
    if node.minimum is not None or node.maximum is not None:
        return _bounds(node)
    if node.pattern is not None:
        return f"matches `{node.pattern}`"
    if node.kind == "date":
        return "`YYYY-MM` or `YYYY-MM-DD`"
    return "`true`, `false`" if node.kind == "boolean" else ""


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _markdown_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    def cells(row):
        return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |"

    return [cells(header), "|" + "|".join("---" for _ in header) + "|", *(cells(r) for r in rows)]
