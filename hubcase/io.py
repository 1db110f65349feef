"""Safe reading of the study's files.

CSV: UTF-8 (a byte-order mark is accepted), comma-separated, a header row,
every row with as many fields as the header.  YAML: safe loading only, no
aliases/anchors (they allow "billion laughs" bombs), no duplicate keys, no
tags that construct objects.  Every failure becomes a :class:`Problem` naming
the file and line; nothing here raises on bad input.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hubcase.errors import ProblemList

# Far above any real study (40 sites x 2,000 screening records is about 12 MB) and far below what
# would exhaust memory: a larger file is refused from its size alone, before a byte is read.
MAX_CSV_BYTES = 64 * 1024 * 1024
MAX_YAML_BYTES = 8 * 1024 * 1024
SIZE_HINT = "; hint: check that the right file is named (a huge file is usually an export gone wrong)"
csv.field_size_limit(16 * 1024 * 1024)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_text(path: Path, label: str, limit: int, problems: ProblemList) -> str | None:
    if not path.exists():
        problems.error(label, "", "file is missing")
        return None
    if not path.is_file():
        problems.error(label, "", "is not a regular file")
        return None
    size = path.stat().st_size
    if size > limit:
        problems.error(label, "", f"file is {size / 2**20:.0f} MB, above the {limit / 2**20:.0f} MB limit of "
                       f"hubcase{SIZE_HINT}")
        return None
    try:
        data = path.read_bytes()
    except OSError as err:
        problems.error(label, "", f"file cannot be read: {err.strerror or err}")
        return None
    if not data.strip():
        problems.error(label, "", "file is empty")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        problems.error(label, f"row {line}", f"byte 0x{data[err.start]:02x} is not valid UTF-8 "
                       "(save the file as UTF-8; Latin-1/Windows-1252 exports are not accepted)")
        return None


def read_csv(path: Path, label: str, problems: ProblemList) -> pd.DataFrame | None:
    """Read a CSV as stripped strings ('' for blank) or return None after recording why not."""
    text = _read_text(path, label, MAX_CSV_BYTES, problems)
    if text is None:
        return None
    if "\x00" in text:
        problems.error(label, "", "file contains NUL bytes; it is not a text CSV")
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    starts: list[int] = []  # file line on which each record starts (quoted cells may span lines)
    try:
        for row in reader:
            starts.append(_next_start(starts, reader.line_num, row))
            rows.append(row)
    except csv.Error as err:
        start = reader_line = reader.line_num
        if rows:
            start = min(reader_line, _last_line(starts, rows) + 1)
        seen = f" (noticed on line {reader_line}; check the quotes of this row)" if reader_line != start else ""
        problems.error(label, f"row {start}", f"malformed CSV: {err}{seen}")
        return None
    if not rows or not any(cell.strip() for cell in rows[0]):
        problems.error(label, "row 1", "header row is missing")
        return None
    header = [h.strip() for h in rows[0]]
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
        sep = next(s for s in (";", "\t", "|") if s in header[0])
        problems.error(label, "row 1", f"only one column found; the file looks {sep!r}-separated "
                       "(hubcase reads comma-separated files)")
        return None
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    line_of = [ln for ln, r in zip(starts[1:], rows[1:]) if any(c.strip() for c in r)]
    bad = [(ln, len(r)) for ln, r in zip(line_of, body) if len(r) != len(header)]
    for ln, n in bad[:10]:
        problems.error(label, f"row {ln}", f"has {n} fields but the header has {len(header)} "
                       "(truncated file or stray delimiter?)")
    if len(bad) > 10:
        problems.error(label, "", f"{len(bad) - 10} more rows with the wrong number of fields")
    if bad:
        return None
    # Frames are indexed by file line (header = line 1) so problems can name the row.
    return pd.DataFrame(body, columns=header, dtype="object", index=pd.Index(line_of, dtype="int64"))


def _next_start(starts: list[int], line_num: int, row: list[str]) -> int:
    """First file line of the record just read, ending on ``line_num``."""
    newlines = sum(cell.count("\n") for cell in row)
    return max(line_num - newlines, (starts[-1] + 1) if starts else 1)


def _last_line(starts: list[int], rows: list[list[str]]) -> int:
    """Last file line of the last record read."""
    return starts[-1] + sum(cell.count("\n") for cell in rows[-1])


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, duplicate keys, lone surrogates and tags building non-plain objects."""

    # SafeLoader still builds bytes, sets and ordered pairs from explicit tags (!!binary, !!set,
    # !!omap, !!pairs); study files hold mappings, lists and scalars only, so those tags are refused.
    yaml_constructors = {tag: fn for tag, fn in yaml.SafeLoader.yaml_constructors.items()
                         if tag not in {f"tag:yaml.org,2002:{t}" for t in ("binary", "set", "omap", "pairs")}}

    def construct_scalar(self, node):  # type: ignore[override]
        value = super().construct_scalar(node)
        if isinstance(value, str) and _SURROGATE.search(value):
            raise yaml.constructor.ConstructorError(
                None, None, "text holds a lone UTF-16 surrogate (an escape such as \\ud800), which is not "
                "valid Unicode", node.start_mark)
        return value

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases/anchors are not allowed in study files", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key; SafeLoader reports it below
                continue
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {first})", key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


_SURROGATE = re.compile("[\ud800-\udfff]")
_REFUSED = ("YAML aliases/anchors are not allowed", "duplicate key", "text holds a lone UTF-16 surrogate")


def load_yaml(path: Path, label: str, problems: ProblemList) -> Any | None:
    text = _read_text(path, label, MAX_YAML_BYTES, problems)
    if text is None:
        return None
    try:
        value = yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - _SafeLoader is a SafeLoader
    except yaml.YAMLError as err:
        problems.error(label, *_describe_yaml_error(err))
        return None
    except RecursionError:
        problems.error(label, "", "malformed YAML: nesting is too deep")
        return None
    if value is None:  # only comments, `~` or `null`: not a document (and None means "not read")
        problems.error(label, "", "file holds no YAML data (only comments or null); fill it in or remove it")
    return value


def _describe_yaml_error(err: yaml.YAMLError) -> tuple[str, str]:
    """(location, message) of a YAML error, in the study's terms."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    where = f"line {mark.line + 1}" if mark is not None else ""
    what = getattr(err, "problem", None) or str(err).splitlines()[0]
    if what.startswith(_REFUSED):
        return where, what
    tag = re.match(r"could not determine a constructor for the tag '(?:tag:yaml.org,2002:)?([^']*)'", what)
    if tag:
        return where, (f"YAML tag {tag.group(1)!r} is not allowed (study files are plain YAML: "
                       "mappings, lists, text, numbers, true/false)")
    context, context_mark = getattr(err, "context", None), getattr(err, "context_mark", None)
    if context and context_mark is not None and context_mark is not mark and context_mark.line != mark.line:
        what += f" ({context} that starts on line {context_mark.line + 1})"
    if "'\\t'" in what:
        what += " (YAML indents with spaces; replace the tab characters)"
    return where, f"malformed YAML: {what}"
