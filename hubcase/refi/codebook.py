"""A study codebook (``qualitative/codebook.yml``) built from a REFI-QDA code tree.

Top-level codes are constructs and their children sub-constructs; sets of codes are themes.
Ids come from ``hubcase.*`` trailer lines when the file was written by hubcase, else from the
names (lower-case, spaces as underscores).  The reserved groups Valence, Themes, Subgroups and
the Identifiable code are not constructs and are left out.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from hubcase.checks import normalise_code
from hubcase.errors import ProblemList
from hubcase.refi.common import CODE_IDENTIFIABLE, RESERVED_GROUPS, split_trailer
from hubcase.refi.model import QdaProject

DEFAULT_FRAMEWORK = "NPT"


def make_id(name: str, prefix: str = "code") -> str:
    """An id matching ``[a-z][a-z0-9_]{0,60}`` made from a code name."""
    token = re.sub(r"[^a-z0-9_]", "", normalise_code(name))[:60]
    return token if re.fullmatch(r"[a-z][a-z0-9_]{0,60}", token) else f"{prefix}_{token}"[:61].rstrip("_")


def codebook_from_project(project: QdaProject, problems: ProblemList, *,
                          existing: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The codebook document for ``project``'s codes and sets (title etc. kept from ``existing``)."""
    _, meta = split_trailer(project.description)
    children: dict[str | None, list] = {}
    for code in project.codes:
        children.setdefault(code.parent, []).append(code)
    constructs, sub_of_guid = [], {}
    for top in children.get(None, []):
        key = normalise_code(top.name)
        if key in RESERVED_GROUPS or key == normalise_code(CODE_IDENTIFIABLE):
            continue
        subs = children.get(top.guid, [])
        if not subs:
            problems.warning(project.file, f"Code {top.name}", "top-level code without child codes is not a "
                             "construct (constructs group sub-constructs); left out of the codebook")
            continue
        text, cmeta = split_trailer(top.description)
        construct = {"id": cmeta.get("construct") or make_id(top.name), "label": top.name}
        if cmeta.get("npt_label"):
            construct["npt_label"] = cmeta["npt_label"]
        construct["description"] = text or top.name
        construct["subconstructs"] = []
        for sub in subs:
            stext, smeta = split_trailer(sub.description)
            entry = {"id": smeta.get("code") or make_id(sub.name), "label": sub.name, "description": stext or sub.name,
                     "aliases": [a.strip() for a in smeta.get("aliases", "").split(";") if a.strip()]}
            construct["subconstructs"].append(entry)
            sub_of_guid[sub.guid] = entry["id"]
            deeper = children.get(sub.guid, [])
            if deeper:
                problems.warning(project.file, f"Code {' > '.join(sub.path)}",
                                 f"{len(deeper)} codes nested below a sub-construct are left out of the codebook "
                                 "(map their codings with --code-map)")
        constructs.append(construct)
    themes = []
    for s in project.sets:
        text, smeta = split_trailer(s.description)
        members = [sub_of_guid[g] for g in s.codes if g in sub_of_guid]
        if len(members) < len(s.codes):
            problems.warning(project.file, f"Set {s.name}", f"{len(s.codes) - len(members)} members are not "
                             "sub-constructs of the codebook; left out of the theme")
        kind = smeta.get("kind") if smeta.get("kind") in ("chapter", "cross_cutting") else "chapter"
        themes.append({"id": smeta.get("theme") or make_id(s.name, "theme"), "label": s.name, "kind": kind,
                       "codes": list(dict.fromkeys(members))})
    existing = existing or {}
    doc: dict[str, Any] = {
        "framework": meta.get("framework") or existing.get("framework") or DEFAULT_FRAMEWORK,
        "title": meta.get("codebook_title") or existing.get("title") or f"Codebook imported from {project.file}",
        "source": meta.get("codebook_source") or existing.get("source")
        or f"REFI-QDA import of {project.file} (origin: {project.origin or 'unknown'})",
        "constructs": constructs,
    }
    if themes:
        doc["themes"] = themes
    return doc
