"""Building REFI-QDA XML: the code tree and theme sets shared by .qdc and .qdpx exports."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, Iterable, Mapping

from hubcase.refi.common import (
    CODE_IDENTIFIABLE, GROUP_SUBGROUPS, GROUP_THEMES, GROUP_VALENCE, VALENCES, join_trailer, make_guid,
)
from hubcase.refi.mapping import codebook_index

IDENTIFIABLE_TEXT = "Would identify the participant: never shown in any output"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot carry (control characters) replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


class Tree:
    """Element factory for one namespace; attributes that are None or '' are left out.

    Elements are built with local names and the root carries ``xmlns`` as an attribute:
    ElementTree cannot serialise a default namespace together with unqualified attributes.
    """

    def __init__(self, ns: str):
        self.ns = ns

    def el(self, parent: ET.Element | None, tag: str, attrs: Mapping[str, Any] | None = None,
           text: str | None = None) -> ET.Element:
        clean = {k: xml_safe(str(v)) for k, v in (attrs or {}).items() if v not in (None, "")}
        if parent is None:
            clean = {"xmlns": self.ns, **clean}
        node = ET.Element(tag, clean) if parent is None else ET.SubElement(parent, tag, clean)
        if text:
            node.text = xml_safe(text)
        return node

    def describe(self, parent: ET.Element, text: str | None, meta: Mapping[str, str] | None = None) -> None:
        body = join_trailer(text, dict(meta or {}))
        if body:
            self.el(parent, "Description", text=body)

    def serialise(self, root: ET.Element) -> bytes:
        ET.indent(root)
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def code_guid(code_id: str) -> str:
    return make_guid("code", code_id)


def target_guid(kind: str, key: str) -> str:
    """GUID of the reserved code for a valence, theme or subgroup value (or the identifiable flag)."""
    return make_guid("flag", "identifiable") if kind == "identifiable" else make_guid(kind, key)


def _code(t: Tree, parent: ET.Element, guid: str, name: str, codable: bool, text: str | None,
          meta: Mapping[str, str], notes: Iterable[str] = ()) -> ET.Element:
    node = t.el(parent, "Code", {"guid": guid, "name": name, "isCodable": "true" if codable else "false"})
    t.describe(node, text, meta)
    for g in notes:
        t.el(node, "NoteRef", {"targetGUID": g})
    return node


def code_tree(t: Tree, parent: ET.Element, codebook: Mapping[str, Any], subgroups: list[Mapping[str, str]],
              notes_of: Mapping[str, list[str]] | None = None) -> int:
    """``<Codes>``: constructs > sub-constructs, then Valence, Themes, Subgroups and Identifiable.

    Returns the number of codable codes written.  ``notes_of`` maps code ids to note GUIDs
    (project files only; a codebook's codes carry no NoteRef).
    """
    notes_of = notes_of or {}
    codes = t.el(parent, "Codes")
    n = 0
    for c in codebook["constructs"]:
        node = _code(t, codes, make_guid("construct", c["id"]), c["label"], False, c.get("description"),
                     {"construct": c["id"], "npt_label": c.get("npt_label") or ""})
        for sub in c["subconstructs"]:
            _code(t, node, code_guid(sub["id"]), sub["label"], True, sub.get("description"),
                  {"code": sub["id"], "aliases": "; ".join(sub.get("aliases") or ())}, notes_of.get(sub["id"], ()))
            n += 1
    groups = [(GROUP_VALENCE, "valence", [(v, v) for v in VALENCES]),
              (GROUP_THEMES, "theme", [(th["id"], th["label"]) for th in codebook.get("themes") or ()]),
              (GROUP_SUBGROUPS, "subgroup", [(g["id"], g["label"]) for g in subgroups])]
    for label, kind, members in groups:
        if not members:
            continue
        node = _code(t, codes, make_guid("group", kind), label, False,
                     f"Codings here set the excerpt's {kind}, not an NPT code", {})
        for key, name in members:
            _code(t, node, target_guid(kind, key), name, True, None, {kind: key})
            n += 1
    _code(t, codes, target_guid("identifiable", ""), CODE_IDENTIFIABLE, True, IDENTIFIABLE_TEXT,
          {"flag": "identifiable"})
    return n + 1


def theme_sets(t: Tree, parent: ET.Element, codebook: Mapping[str, Any], member_attr: str) -> None:
    """``<Sets>``: one set per theme whose members are its sub-constructs (``member_attr``: guid in a
    codebook, targetGUID in a project)."""
    themes = codebook.get("themes") or ()
    if not themes:
        return
    index = codebook_index(codebook)
    sets = t.el(parent, "Sets")
    for th in themes:
        node = t.el(sets, "Set", {"guid": make_guid("theme-set", th["id"]), "name": th["label"]})
        t.describe(node, None, {"theme": th["id"], "kind": th["kind"]})
        for code in dict.fromkeys(index.get(c, c) for c in th["codes"]):
            t.el(node, "MemberCode", {member_attr: code_guid(code)})
