"""How REFI-QDA codes, cases and variables map onto the study's codebook and participants."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from hubcase.checks import normalise_code
from hubcase.errors import ProblemList
from hubcase.refi.common import (
    CODE_IDENTIFIABLE, GROUP_SUBGROUPS, GROUP_THEMES, GROUP_VALENCE, RESERVED_GROUPS, VALENCES, VARIABLE_NAMES,
    clean_guid, name_candidates, split_trailer,
)
from hubcase.refi.model import Case, Code, QdaProject

TARGET_KINDS = ("code", "theme", "subgroup", "valence", "identifiable", "ignore")


@dataclass(frozen=True)
class Target:
    """What codings to one QDA code become: an NPT code, a theme, a subgroup, a valence, a flag."""

    kind: str
    value: str | None
    how: str          # "code map", "hubcase id", "name", "group"


@dataclass(frozen=True)
class Unmapped:
    guid: str
    name: str
    path: str
    codings: int
    hint: str = ""


def codebook_index(codebook: Mapping[str, Any]) -> dict[str, str]:
    """Normalised id, label or alias -> sub-construct id."""
    out: dict[str, str] = {}
    for construct in codebook["constructs"]:
        for sub in construct["subconstructs"]:
            for token in (sub["id"], sub["label"], *(sub.get("aliases") or ())):
                out.setdefault(normalise_code(token), sub["id"])
    return out


def _index(items, label_key: str = "label") -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        out.setdefault(normalise_code(item["id"]), item["id"])
        out.setdefault(normalise_code(item[label_key]), item["id"])
    return out


class CodeResolver:
    """Resolves each QDA code to a :class:`Target` (code map first, then ids, groups and names)."""

    def __init__(self, codebook: Mapping[str, Any], subgroups: list[Mapping[str, Any]]):
        self.codes = codebook_index(codebook)
        self.constructs = _index(codebook["constructs"])
        self.themes = _index(codebook.get("themes") or ())
        self.subgroups = _index(subgroups)

    def parse(self, text: Any) -> Target | None:
        """A code-map value: a sub-construct id, ``theme:<id>``, ``subgroup:<id>``, ``valence:<v>``,
        ``identifiable`` or ``ignore`` (or empty).  None when it names nothing known."""
        if text is None or str(text).strip() in ("", "ignore"):
            return Target("ignore", None, "code map")
        kind, _, value = str(text).strip().partition(":")
        if not value:
            kind, value = ("identifiable", "true") if normalise_code(kind) == "identifiable" else ("code", kind)
        return self._lookup(kind.strip().lower(), value.strip(), "code map")

    def _lookup(self, kind: str, value: str, how: str) -> Target | None:
        key = normalise_code(value)
        table = {"code": self.codes, "theme": self.themes, "subgroup": self.subgroups,
                 "valence": {v: v for v in VALENCES}, "identifiable": {"true": "true"}}.get(kind)
        if table is None or key not in table:
            return None
        return Target(kind, table[key], how)

    def resolve(self, code: Code, parent: Code | None, mapped: Target | None) -> Target | None:
        if mapped is not None:
            return mapped
        _, meta = split_trailer(code.description)
        for kind in ("code", "theme", "subgroup", "valence"):
            if kind in meta and (hit := self._lookup(kind, meta[kind], "hubcase id")):
                return hit
        if meta.get("flag") == "identifiable":
            return Target("identifiable", "true", "hubcase id")
        group = RESERVED_GROUPS.get(normalise_code(parent.name)) if parent and parent.parent is None else None
        kind = {GROUP_VALENCE: "valence", GROUP_THEMES: "theme", GROUP_SUBGROUPS: "subgroup"}.get(group or "")
        for cand in name_candidates(code.name):
            if kind and (hit := self._lookup(kind, cand, "group")):
                return hit
        if code.parent is None and normalise_code(code.name) in RESERVED_GROUPS:
            return Target("ignore", None, "group")
        for cand in name_candidates(code.name):
            if cand in self.codes:
                return Target("code", self.codes[cand], "name")
        for cand in name_candidates(code.name):
            if cand in VALENCES:
                return Target("valence", cand, "name")
            if cand == normalise_code(CODE_IDENTIFIABLE):
                return Target("identifiable", "true", "name")
        return None

    def hint(self, code: Code) -> str:
        if any(c in self.constructs for c in name_candidates(code.name)):
            return "a construct-level code; map it to one of the construct's sub-constructs with --code-map"
        if not code.codable:
            return "not codable (a grouping code)"
        return ""


def read_code_map(raw: Any, label: str, resolver: CodeResolver, problems: ProblemList) -> dict[str, Target]:
    """Validate a parsed code-map YAML: ``code name or GUID: target``; keys are normalised."""
    out: dict[str, Target] = {}
    if raw is None:
        return out
    if not isinstance(raw, dict):
        problems.error(label, "(top level)", "expected a mapping `code name or GUID: sub-construct id`")
        return out
    for key, value in raw.items():
        target = resolver.parse(value)
        if target is None:
            problems.error(label, str(key), f"{value!r} is not a sub-construct id or alias of the codebook, nor "
                           "theme:<id>, subgroup:<id>, valence:<enabler|barrier|mixed|neutral>, identifiable or ignore")
            continue
        out[clean_guid(str(key)) or normalise_code(str(key))] = target
    return out


def resolve_codes(project: QdaProject, resolver: CodeResolver, code_map: dict[str, Target],
                  label: str, problems: ProblemList) -> tuple[dict[str, Target], list[Unmapped]]:
    """Target of every code GUID that maps; the codes that do not, with their number of codings."""
    used: dict[str, int] = {}
    for source in project.sources:
        for sel in source.selections:
            for coding in sel.codings:
                used[coding.code or ""] = used.get(coding.code or "", 0) + 1
    by_guid = {c.guid: c for c in project.codes}
    seen_keys: set[str] = set()
    targets, unmapped = {}, []
    for code in project.codes:
        keys = [code.guid, normalise_code(code.name)]
        mapped = next((code_map[k] for k in keys if k in code_map), None)
        seen_keys.update(k for k in keys if k in code_map)
        target = resolver.resolve(code, by_guid.get(code.parent or ""), mapped)
        if target is not None:
            targets[code.guid] = target
        elif code.codable or used.get(code.guid):
            unmapped.append(Unmapped(code.guid, code.name, " > ".join(code.path), used.get(code.guid, 0),
                                     resolver.hint(code)))
    for key in set(code_map) - seen_keys:
        problems.warning(label, "code map", f"entry {key!r} matches no code of the project")
    for guid, n in used.items():
        if guid not in by_guid:
            problems.warning(project.file, "Coding", f"{n} codings refer to code {guid or '(none)'}, "
                             "which is not in the project's codebook")
    return targets, unmapped


# ------------------------------------------------------------------ cases -> participants
def _category(value: Any, yes: str, no: str) -> str:
    if isinstance(value, bool):
        return yes if value else no
    token = normalise_code(str(value))
    return {"yes": yes, "true": yes, "no": no, "false": no}.get(token, token)


def participant_field(column: str, value: Any) -> str:
    """A case variable's value as participants.csv spells it."""
    if value is None or str(value).strip() == "":
        return ""
    if column == "clinical":
        return _category(value, "clinical", "non_clinical")
    if column in ("group", "org_type", "gender", "ethnicity"):
        return normalise_code(str(value))
    if column in ("subgroups", "restricted"):
        return ";".join(normalise_code(t) for t in re.split(r"[;,]", str(value)) if t.strip())
    return str(value).strip()


def participant_row(case: Case, project: QdaProject, problems: ProblemList, unknown: set[str]) -> dict[str, str]:
    row = {"participant_id": (case.name or "").strip()}
    for var_guid, value in case.values.items():
        name = project.variables.get(var_guid, (None, None))[0]
        column = VARIABLE_NAMES.get(normalise_code(name or ""))
        if column is None:
            if (name or var_guid) not in unknown:
                unknown.add(name or var_guid)
                problems.warning(project.file, f"Variable {name or var_guid}",
                                 "not a participant field hubcase knows; ignored (see docs/refi-qda.md)")
            continue
        row[column] = participant_field(column, value)
    return row


def link_selections(project: QdaProject, problems: ProblemList) -> tuple[list[Case], dict[str, Case]]:
    """Participants' cases, and selection GUID -> case (by SelectionRef, SourceRef, then source variables)."""
    cases = list(project.cases)
    by_selection: dict[str, Case] = {}
    by_source: dict[str, Case] = {}
    for case in cases:
        for sel in case.selections:
            by_selection.setdefault(sel, case)
        for src in case.sources:
            if src in by_source and by_source[src] is not case:
                problems.warning(project.file, f"Case {case.name}", f"source {src} already belongs to case "
                                 f"{by_source[src].name}; its unreferenced selections go to that case")
            by_source.setdefault(src, case)
    names = {(c.name or "").strip(): c for c in cases}
    for source in project.sources:
        if source.guid in by_source:
            continue
        if (source.name or "").strip() in names:
            by_source[source.guid] = names[(source.name or "").strip()]
        elif source.values:  # document variables (MAXQDA): the document is the participant
            pseudo = Case(source.guid, source.name, None, source.values, (source.guid,), ())
            cases.append(pseudo)
            by_source[source.guid] = pseudo
    out = {}
    for source in project.sources:
        for sel in source.selections:
            case = by_selection.get(sel.guid) or by_source.get(source.guid)
            if case is not None:
                out[sel.guid] = case
    return cases, out
