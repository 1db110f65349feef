"""Memos of a REFI-QDA project as rows of ``qualitative/memos.csv``.

Kept: every ``<Note>`` (attached through ``NoteRef`` to the project, a source, a selection, a
coding or a code; unattached notes belong to the project) and the free text of the
``<Description>`` of the project, cases, sources and selections (ATLAS.ti writes memos there).
"""
from __future__ import annotations

from typing import Mapping

from hubcase.refi.common import split_trailer
from hubcase.refi.mapping import Target
from hubcase.refi.model import Case, QdaProject


def memo_rows(project: QdaProject, *, excerpt_of: Mapping[str, str], case_of_source: Mapping[str, Case],
              targets: Mapping[str, Target]) -> list[dict[str, str]]:
    """Memo rows; ``excerpt_of`` maps imported selection GUIDs to excerpt ids."""
    attach: dict[str, tuple[str, str]] = {g: ("project", "") for g in project.project_notes}
    rows: list[dict[str, str]] = []

    def describe(guid: str, text: str | None, target: tuple[str, str]) -> None:
        body, meta = split_trailer(text)
        if body:
            rows.append({"memo_id": meta.get("memo_id") or f"desc-{guid}", "target_type": target[0],
                         "target_id": target[1], "kind": "description", "title": "", "text": body,
                         "author": "", "created": ""})

    def participant(source_guid: str) -> tuple[str, str]:
        case = case_of_source.get(source_guid)
        return ("participant", (case.name or "").strip()) if case is not None else ("project", "")

    for code in project.codes:
        target = targets.get(code.guid)
        where = ("code", target.value or "") if target is not None and target.kind == "code" else ("project", "")
        for g in code.notes:
            attach.setdefault(g, where)
    for source in project.sources:
        for g in source.notes:
            attach.setdefault(g, participant(source.guid))
        describe(source.guid, source.description, participant(source.guid))
        for sel in source.selections:
            where = ("excerpt", excerpt_of[sel.guid]) if sel.guid in excerpt_of else participant(source.guid)
            for g in (*sel.notes, *(n for c in sel.codings for n in c.notes)):
                attach.setdefault(g, where)
            describe(sel.guid, sel.description, where)
    for case in project.cases:
        describe(case.guid, case.description, ("participant", (case.name or "").strip()))
    describe("project", project.description, ("project", ""))
    for note in project.notes:
        body, meta = split_trailer(note.description)
        text = note.text.strip() or body
        if not text:
            continue
        target_type, target_id = attach.get(note.guid, ("project", ""))
        rows.append({"memo_id": meta.get("memo_id") or note.guid, "target_type": target_type,
                     "target_id": target_id, "kind": "note", "title": note.name or "", "text": text,
                     "author": project.users.get(note.user or "") or meta.get("author") or (note.user or ""), "created": note.created or ""})
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row["memo_id"] not in seen:
            seen.add(row["memo_id"])
            unique.append(row)
    return unique
