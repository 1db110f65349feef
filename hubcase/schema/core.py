"""A small schema language for the study's CSV tables and YAML documents.

One description drives three things: validation (``validate_*``), typed
loading (CSV text becomes pandas nullable dtypes) and the data-contract page
(:mod:`hubcase.schema.docs`).  Nothing here reads files; :mod:`hubcase.io`
does the I/O and hands text or parsed YAML to these functions.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np
import pandas as pd

from hubcase.errors import ProblemList

MAX_PROBLEMS_PER_COLUMN = 10
MAX_WHOLE_NUMBER = 2**53  # integers above this are not exact as floats and may not fit Int64
TRUE_TOKENS = {"true", "1", "yes"}
FALSE_TOKENS = {"false", "0", "no"}
KINDS = ("string", "integer", "number", "boolean", "category", "list", "date")
NAN_TOKENS = {"nan", "na", "n/a", "null", "none"}
NUMBER_FORMAT = r"[£$€%]|\d,\d"  # currency symbols, percent signs, thousands separators
NUMBER_FORMAT_HINT = ("; write plain numbers such as 12000 or 0.5, without currency symbols, % signs or "
                      "thousands separators")


@dataclass(frozen=True)
class Column:
    """One column of a CSV table.

    ``required`` means the column must be present in the header; ``nullable``
    means a blank cell is allowed.  ``allowed`` lists category (or list-item)
    values; ``minimum``/``maximum`` bound numbers; ``allowed_values`` restricts
    integers to a set (e.g. AUDIT items 9–10 score 0, 2 or 4).
    """

    name: str
    kind: str
    description: str
    required: bool = True
    nullable: bool = True
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    allowed_values: tuple[int, ...] | None = None
    unit: str | None = None
    unique: bool = False
    pattern: str | None = None
    hint: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    def range_text(self) -> str:
        if self.allowed is not None:
            return ", ".join(f"`{a}`" for a in self.allowed)
        if self.allowed_values is not None:
            return "one of " + ", ".join(str(v) for v in self.allowed_values)
        if self.minimum is not None or self.maximum is not None:
            lo = "" if self.minimum is None else _num(self.minimum)
            hi = "" if self.maximum is None else _num(self.maximum)
            return f"{lo}–{hi}" if lo and hi else (f"≥ {lo}" if lo else f"≤ {hi}")
        if self.pattern:
            return f"matches `{self.pattern}`"
        return ""


@dataclass(frozen=True)
class TableSchema:
    """A CSV file of the study directory."""

    id: str
    path: str
    title: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required: bool = True

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


# --------------------------------------------------------------------- YAML nodes
@dataclass(frozen=True)
class Scalar:
    kind: str
    description: str
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    unit: str | None = None
    nullable: bool = False
    pattern: str | None = None


@dataclass(frozen=True)
class Key:
    name: str
    node: "Node"
    required: bool = True
    description: str = ""


@dataclass(frozen=True)
class Mapping:
    description: str
    keys: tuple[Key, ...] = ()
    values: "Node | None" = None  # free-form keys (e.g. keyed by group id) with this node
    value_keys: tuple[str, ...] | None = None  # if set, free-form keys must come from this list


@dataclass(frozen=True)
class Sequence:
    item: "Node"
    description: str
    min_items: int = 0


Node = Union[Scalar, Mapping, Sequence]


@dataclass(frozen=True)
class DocumentSchema:
    """A YAML file of the study directory."""

    id: str
    path: str
    title: str
    description: str
    root: Mapping
    required: bool = True


# ------------------------------------------------------------------ CSV validation
def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _rows(mask: pd.Series) -> list[int]:
    """File line numbers of the True entries of ``mask`` (frames are indexed by file line)."""
    return [int(i) for i in mask.index[mask.to_numpy(dtype=bool)]]


def _report(problems: ProblemList, file: str, col: Column, rows: list[int],
            values: pd.Series, what: str) -> None:
    shown = rows[:MAX_PROBLEMS_PER_COLUMN]
    vals = values.to_numpy()
    for line, value in zip(shown, vals[: len(shown)]):
        msg = f"column {col.name}: {value!r} {what}" if value is not None else f"column {col.name}: {what}"
        if col.hint:
            msg += f" ({col.hint})"
        problems.error(file, f"row {line}", msg)
    if len(rows) > len(shown):
        problems.error(file, f"rows {rows[len(shown)]}–{rows[-1]}",
                       f"column {col.name}: {len(rows) - len(shown)} more rows with the same problem")


def parse_table(schema: TableSchema, raw: pd.DataFrame, file: str,
                problems: ProblemList) -> pd.DataFrame:
    """Type-check ``raw`` (all cells as strings, '' for blank; indexed by file line).

    Returns a typed frame with the schema's columns (absent optional columns
    are all-missing); every problem is added to ``problems``.
    """
    out: dict[str, pd.Series] = {}
    header = list(raw.columns)
    dupes = sorted({c for c in header if header.count(c) > 1})
    for name in dupes:
        problems.error(file, "row 1", f"column {name} appears more than once in the header")
    raw = raw.loc[:, ~raw.columns.duplicated()]
    known = set(schema.names)
    for extra in [c for c in raw.columns if c not in known]:
        problems.warning(file, "row 1", f"column {extra} is not part of the contract and is ignored")
    for col in schema.columns:
        if col.name not in raw.columns:
            if col.required:
                problems.error(file, "row 1", f"required column {col.name} is missing ({col.description})")
            out[col.name] = _empty(col, raw.index)
            continue
        out[col.name] = parse_column(col, raw[col.name], file, problems)
    frame = pd.DataFrame(out, index=raw.index)
    _check_keys(schema, frame, raw, file, problems)
    return frame


def _empty(col: Column, index: pd.Index) -> pd.Series:
    return _typed(col, pd.Series([pd.NA] * len(index), index=index, dtype="object"))


def _typed(col: Column, s: pd.Series) -> pd.Series:
    if col.kind == "integer":
        return s.astype("Int64")
    if col.kind == "number":
        return s.astype("Float64")
    if col.kind == "boolean":
        return s.astype("boolean")
    if col.kind == "category" and col.allowed is not None:
        return s.astype(pd.CategoricalDtype(list(col.allowed)))
    return s.astype("string")


def parse_column(col: Column, text: pd.Series, file: str, problems: ProblemList) -> pd.Series:
    text = text.astype("string").fillna("").str.strip()
    blank = text == ""
    if not col.nullable and blank.any():
        _report(problems, file, col, _rows(blank), pd.Series([None] * int(blank.sum())),
                "is blank but a value is required")
    present = ~blank
    if col.kind in ("integer", "number"):
        return _parse_numbers(col, text, present, file, problems)
    if col.kind == "boolean":
        low = text.str.lower()
        is_true, is_false = low.isin(TRUE_TOKENS), low.isin(FALSE_TOKENS)
        bad = present & ~is_true & ~is_false
        if bad.any():
            _report(problems, file, col, _rows(bad), text[bad], "is not true/false")
        vals = pd.Series(pd.NA, index=text.index, dtype="object")
        vals[is_true] = True
        vals[is_false] = False
        return _typed(col, vals)
    if col.kind == "category" and col.allowed is not None:
        bad = present & ~text.isin(col.allowed)
        if bad.any():
            _report(problems, file, col, _rows(bad), text[bad],
                    f"is not one of {', '.join(col.allowed)}")
        return _typed(col, text.where(present & ~bad, pd.NA).astype("object"))
    if col.kind == "list" and col.allowed is not None:
        for i, cell in text[present].items():
            wrong = [t for t in split_list(cell) if t not in col.allowed]
            if wrong:
                problems.error(file, f"row {int(i)}",
                               f"column {col.name}: {', '.join(wrong)} not among {', '.join(col.allowed)}")
    if col.kind == "date":
        parsed = pd.to_datetime(text.where(present), errors="coerce", format="%Y-%m-%d")
        bad = present & parsed.isna()
        if bad.any():
            _report(problems, file, col, _rows(bad), text[bad], "is not a date (YYYY-MM-DD)")
    if col.pattern is not None:
        bad = present & ~text.str.fullmatch(col.pattern).fillna(False)
        if bad.any():
            _report(problems, file, col, _rows(bad), text[bad], f"does not match {col.pattern}")
    return _typed(col, text.where(present, pd.NA).astype("object"))


def _parse_numbers(col: Column, text: pd.Series, present: pd.Series, file: str,
                   problems: ProblemList) -> pd.Series:
    values = pd.to_numeric(text.where(present), errors="coerce")
    nan_token = present & text.str.lower().str.lstrip("+-").isin(NAN_TOKENS)
    bad = present & values.isna() & ~nan_token
    if bad.any():
        formatted = text.str.contains(NUMBER_FORMAT, regex=True).fillna(False)
        what = "is not a whole number" if col.kind == "integer" else "is not a number"
        for rows, why in ((bad & formatted, NUMBER_FORMAT_HINT), (bad & ~formatted, "")):
            if rows.any():
                _report(problems, file, col, _rows(rows), text[rows], what + why)
    if nan_token.any():
        _report(problems, file, col, _rows(nan_token), text[nan_token],
                "is not a number; leave the cell blank for a missing value")
    infinite = present & ~bad & ~nan_token & ~np.isfinite(values.astype(float).fillna(0.0))
    if infinite.any():
        _report(problems, file, col, _rows(infinite), text[infinite], "is not a finite number")
    ok = present & ~bad & ~nan_token & ~infinite
    values = values.where(ok)
    if col.kind == "integer":
        frac = ok & (values.fillna(0) % 1 != 0)
        if frac.any():
            _report(problems, file, col, _rows(frac), text[frac], "is not a whole number")
            values = values.where(~frac)
    _check_bounds(col, values, text, file, problems)
    if col.kind == "integer":  # beyond what Int64 holds exactly: an error, and never cast (it would overflow)
        lo = -math.inf if col.minimum is None else col.minimum
        hi = math.inf if col.maximum is None else col.maximum
        huge = values.notna() & (values.astype(float).abs() > MAX_WHOLE_NUMBER)
        unreported = huge & (values >= lo) & (values <= hi)
        if unreported.any():
            _report(problems, file, col, _rows(unreported), text[unreported], "is too large for a whole number")
        values = values.where(~huge)
    return _typed(col, values.astype("object").where(values.notna(), pd.NA))


def _check_bounds(col: Column, values: pd.Series, text: pd.Series, file: str,
                  problems: ProblemList) -> None:
    rng = col.range_text()
    if col.minimum is not None or col.maximum is not None:
        lo = -math.inf if col.minimum is None else col.minimum
        hi = math.inf if col.maximum is None else col.maximum
        out = values.notna() & ((values < lo) | (values > hi))
        if out.any():
            _report(problems, file, col, _rows(out), text[out], f"is outside {rng}")
    if col.allowed_values is not None:
        in_range = values.notna() & (values >= (col.minimum if col.minimum is not None else -math.inf)) \
            & (values <= (col.maximum if col.maximum is not None else math.inf))
        out = in_range & ~values.isin(col.allowed_values)
        if out.any():
            _report(problems, file, col, _rows(out), text[out],
                    f"is not one of {', '.join(map(str, col.allowed_values))}")


def _check_keys(schema: TableSchema, frame: pd.DataFrame, raw: pd.DataFrame, file: str,
                problems: ProblemList) -> None:
    key = [k for k in schema.key if k in raw.columns]
    if not key or len(key) != len(schema.key):
        return
    sub = frame[key]
    dup = sub.duplicated(keep="first") & sub.notna().all(axis=1)
    for line, (_, row) in zip(_rows(dup)[:MAX_PROBLEMS_PER_COLUMN], sub[dup].iterrows()):
        first = int(sub.index[(sub == row).all(axis=1).to_numpy(dtype=bool)][0])
        what = ", ".join(f"{k} {row[k]!r}" for k in key)
        where = f"column {key[0]}" if len(key) == 1 else f"columns {', '.join(key)}"
        problems.error(file, f"row {line}", f"{where}: duplicate {what} (first seen on row {first})")


def split_list(cell: Any) -> list[str]:
    """Split a ``;``-separated list cell into stripped, non-empty tokens."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)) or cell is pd.NA:
        return []
    return [t.strip() for t in str(cell).split(";") if t.strip()]


# ----------------------------------------------------------------- YAML validation
_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def validate_node(node: Node, value: Any, path: str, file: str, problems: ProblemList) -> None:
    """Check a parsed YAML value against ``node``; problems are keyed by path."""
    where = path or "(top level)"
    if isinstance(node, Mapping):
        if not isinstance(value, dict):
            problems.error(file, where, f"expected a mapping, got {_tname(value)}")
            return
        known = {k.name: k for k in node.keys}
        for key in node.keys:
            sub = _join(path, key.name)
            if key.name not in value or (value[key.name] is None and key.required
                                          and not getattr(key.node, "nullable", False)):
                if key.required:
                    problems.error(file, sub, f"required key is missing ({key.description or _desc(key.node)})")
                continue
            if value[key.name] is None and getattr(key.node, "nullable", False):
                continue
            validate_node(key.node, value[key.name], sub, file, problems)
        for name in value:
            if name in known:
                continue
            if node.values is not None and (node.value_keys is None or str(name) in node.value_keys):
                validate_node(node.values, value[name], _join(path, str(name)), file, problems)
            elif node.values is not None:
                problems.error(file, _join(path, str(name)),
                               f"unknown key; expected one of {', '.join(node.value_keys or ())}")
            else:
                problems.warning(file, _join(path, str(name)), "unknown key is ignored")
        return
    if isinstance(node, Sequence):
        if not isinstance(value, list):
            problems.error(file, where, f"expected a list, got {_tname(value)}")
            return
        if len(value) < node.min_items:
            problems.error(file, where, f"expected at least {node.min_items} entries, got {len(value)}")
        for i, item in enumerate(value):
            validate_node(node.item, item, f"{path}[{i}]", file, problems)
        return
    _validate_scalar(node, value, where, file, problems)


def _validate_scalar(node: Scalar, value: Any, where: str, file: str, problems: ProblemList) -> None:
    if value is None:
        if not node.nullable:
            problems.error(file, where, "is empty but a value is required")
        return
    if node.kind == "date":
        if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", str(value)):
            problems.error(file, where, f"{value!r} is not a date (YYYY-MM or YYYY-MM-DD)")
        return
    if node.kind in ("category", "string"):
        if isinstance(value, (dict, list)):
            problems.error(file, where, f"expected text, got {_tname(value)}")
            return
        if node.allowed is not None and str(value) not in node.allowed:
            problems.error(file, where, f"{value!r} is not one of {', '.join(node.allowed)}")
        if node.pattern is not None and not re.fullmatch(node.pattern, str(value)):
            problems.error(file, where, f"{value!r} does not match {node.pattern}")
        return
    ok_types = _TYPES[node.kind]
    if isinstance(value, bool) and node.kind != "boolean" or not isinstance(value, ok_types):
        problems.error(file, where, f"{value!r} is not {'a' if node.kind != 'integer' else 'an'} {node.kind}")
        return
    if node.kind in ("integer", "number"):
        if not math.isfinite(float(value)):
            problems.error(file, where, f"{value!r} is not a finite number")
        elif node.minimum is not None and value < node.minimum or node.maximum is not None and value > node.maximum:
            problems.error(file, where, f"{value!r} is outside {_bounds(node)}")


def _bounds(node: Scalar) -> str:
    lo = "" if node.minimum is None else _num(node.minimum)
    hi = "" if node.maximum is None else _num(node.maximum)
    return f"{lo}–{hi}" if lo and hi else (f"≥ {lo}" if lo else f"≤ {hi}")


def _desc(node: Node) -> str:
    return node.description


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _tname(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false",
            int: "a number", float: "a number", type(None): "nothing"}.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Contract:
    """Every file of a study directory: the whole input contract."""

    tables: tuple[TableSchema, ...]
    documents: tuple[DocumentSchema, ...]
    notes: dict[str, str] = field(default_factory=dict)

    def table(self, table_id: str) -> TableSchema:
        return next(t for t in self.tables if t.id == table_id)

    def document(self, doc_id: str) -> DocumentSchema:
        return next(d for d in self.documents if d.id == doc_id)
