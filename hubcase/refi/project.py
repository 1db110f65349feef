"""The ``project.qde`` of a .qdpx export, built from a loaded study."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd

from hubcase.refi.common import PARTICIPANT_VARIABLES, PROJECT_NS, clean_guid, make_guid
from hubcase.refi.mapping import codebook_index
from hubcase.refi.xmltree import Tree, code_guid, code_tree, target_guid, theme_sets
from hubcase.schema.core import split_list

SEPARATOR = "\n\n"
USER = make_guid("user", "hubcase")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


@dataclass(frozen=True)
class BuiltProject:
    root: ET.Element
    sources: dict[str, str]     # archive name under sources/ -> text
    codes: int
    participants: int
    excerpts: int
    codings: int
    notes: int


def cell(value: Any) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_true(value: Any) -> bool:
    return value is not None and value is not pd.NA and bool(value)


def note_guid(memo_id: str) -> str:
    return clean_guid(memo_id) or make_guid("note", memo_id)


class _Memos:
    """Memo rows sorted by where they go: descriptions of elements and notes referenced from them."""

    def __init__(self, rows: list[Mapping[str, str]]):
        self.rows = rows
        self.description: dict[tuple[str, str], Mapping[str, str]] = {}
        self.notes: dict[tuple[str, str], list[str]] = {}
        for row in rows:
            where = (row["target_type"], row["target_id"])
            if row["kind"] == "description" and row["target_type"] != "code" and where not in self.description:
                self.description[where] = row
            else:
                self.notes.setdefault(where, []).append(note_guid(row["memo_id"]))

    def text(self, target_type: str, target_id: str) -> tuple[str | None, dict[str, str]]:
        row = self.description.get((target_type, target_id))
        return (row["text"], {"memo_id": row["memo_id"]}) if row else (None, {})

    def refs(self, target_type: str, target_id: str) -> list[str]:
        return self.notes.get((target_type, target_id), [])

    def note_rows(self) -> list[Mapping[str, str]]:
        described = {id(r) for r in self.description.values()}
        return [r for r in self.rows if id(r) not in described]


def _selection(t: Tree, parent: ET.Element, row: Mapping[str, Any], start: int, index: Mapping[str, str],
               memos: _Memos) -> int:
    eid, text = cell(row["excerpt_id"]), cell(row["text"])
    sel = t.el(parent, "PlainTextSelection", {"guid": make_guid("selection", eid), "name": text,
                                              "startPosition": start, "endPosition": start + len(text),
                                              "creatingUser": USER})
    body, meta = memos.text("excerpt", eid)
    t.describe(sel, body, {"excerpt_id": eid, "chain": cell(row["chain"]), **meta})
    targets = [code_guid(index.get(c, c)) for c in split_list(cell(row["codes"]))]
    targets.append(target_guid("valence", cell(row["valence"]) or "neutral"))
    targets += [target_guid("theme", th) for th in split_list(cell(row["themes"]))]
    targets += [target_guid("subgroup", g) for g in split_list(cell(row["subgroups"]))]
    if _is_true(row["identifiable"]):
        targets.append(target_guid("identifiable", ""))
    targets = list(dict.fromkeys(targets))
    for g in targets:
        coding = t.el(sel, "Coding", {"guid": make_guid("coding", f"{eid}:{g}"), "creatingUser": USER})
        t.el(coding, "CodeRef", {"targetGUID": g})
    for g in memos.refs("excerpt", eid):
        t.el(sel, "NoteRef", {"targetGUID": g})
    return len(targets)


def _notes(t: Tree, root: ET.Element, rows: list[Mapping[str, str]]) -> None:
    if not rows:
        return
    notes = t.el(root, "Notes")
    for row in rows:
        note = t.el(notes, "Note", {"guid": note_guid(row["memo_id"]), "name": row["title"],
                                    "creationDateTime": row["created"] if _DATETIME.fullmatch(row["created"]) else None})
        t.describe(note, None, {"memo_id": row["memo_id"], "author": row["author"]})
        t.el(note, "PlainTextContent", text=row["text"])


def _participant(t: Tree, cases: ET.Element, sources: ET.Element, person: Mapping[str, Any], rows,
                 index: Mapping[str, str], memos: _Memos, texts: dict[str, str], orphans: list[str]) -> int:
    """The participant's case and, when they have excerpts, their source; returns the codings written."""
    pid = cell(person["participant_id"])
    case = t.el(cases, "Case", {"guid": make_guid("case", pid), "name": pid})
    body, meta = memos.text("participant", pid)
    t.describe(case, body, meta)
    for name in PARTICIPANT_VARIABLES:
        value = cell(person[name])
        if value:
            vv = t.el(case, "VariableValue")
            t.el(vv, "VariableRef", {"targetGUID": make_guid("variable", name)})
            t.el(vv, "TextValue", text=value)
    if rows is None or rows.empty:
        orphans.extend(memos.refs("participant", pid))
        return 0
    guid = make_guid("source", pid)
    t.el(case, "SourceRef", {"targetGUID": guid})
    source = t.el(sources, "TextSource", {"guid": guid, "name": pid, "plainTextPath": f"internal://{guid}.txt",
                                          "creatingUser": USER})
    parts, position, n_codings = [], 0, 0
    for row in rows.to_dict("records"):
        n_codings += _selection(t, source, row, position, index, memos)
        parts.append(cell(row["text"]))
        position += len(parts[-1]) + len(SEPARATOR)
    for g in memos.refs("participant", pid):
        t.el(source, "NoteRef", {"targetGUID": g})
    texts[f"{guid}.txt"] = SEPARATOR.join(parts)
    return n_codings


def build_project(study, memo_rows: list[Mapping[str, str]], origin: str) -> BuiltProject:
    """Project element and source texts for a loaded :class:`~hubcase.study.Study`."""
    t = Tree(PROJECT_NS)
    codebook = study.codebook
    memos = _Memos(memo_rows)
    subgroups = [{"id": g.id, "label": g.label} for g in study.config.subgroups]
    people = study.tables["participants"]
    quotes = study.tables["excerpts"]
    root = t.el(None, "Project", {"name": study.config.title, "origin": origin, "creatingUserGUID": USER})
    users = t.el(root, "Users")
    t.el(users, "User", {"guid": USER, "name": "hubcase"})
    notes_of = {code: memos.refs("code", code) for code in codebook_index(codebook).values()}
    n_codes = code_tree(t, t.el(root, "CodeBook"), codebook, subgroups, notes_of)
    variables = t.el(root, "Variables")
    for name in PARTICIPANT_VARIABLES:
        t.el(variables, "Variable", {"guid": make_guid("variable", name), "name": name, "typeOfVariable": "Text"})
    said = {pid: group for pid, group in quotes.groupby("participant_id", sort=False)}
    index = codebook_index(codebook)
    cases = t.el(root, "Cases") if len(people) else None
    sources_el = ET.Element("Sources")
    texts: dict[str, str] = {}
    n_codings = 0
    orphans: list[str] = []  # notes on participants without excerpts (no source to carry them)
    for person in people.to_dict("records"):
        n_codings += _participant(t, cases, sources_el, person, said.get(cell(person["participant_id"])), index,
                                  memos, texts, orphans)
    if len(sources_el):
        root.append(sources_el)
    note_rows = memos.note_rows()
    _notes(t, root, note_rows)
    theme_sets(t, root, codebook, "targetGUID")
    body, meta = memos.text("project", "")
    t.describe(root, body, {"framework": codebook.get("framework", ""), "codebook_title": codebook.get("title", ""),
                            "codebook_source": codebook.get("source", ""), **meta})
    for g in (*memos.refs("project", ""), *orphans):
        t.el(root, "NoteRef", {"targetGUID": g})
    return BuiltProject(root=root, sources=texts, codes=n_codes, participants=len(people), excerpts=len(quotes),
                        codings=n_codings, notes=len(note_rows))
