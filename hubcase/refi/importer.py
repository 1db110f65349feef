"""Import a REFI-QDA project or codebook into a study's qualitative inputs.

``import_qda`` turns cases into ``participants.csv``, coded text selections into
``excerpts.csv`` and memos into ``memos.csv``, replacing the three files; ``import_qdc``
replaces ``codebook.yml``.  Either writes nothing unless the study validates with the new files.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import yaml

from hubcase.errors import Problem, ProblemList
from hubcase.io import load_yaml
from hubcase.refi.codebook import codebook_from_project
from hubcase.refi.common import MEMOS, QdaImportError, RefiError, split_trailer
from hubcase.refi.mapping import (
    CodeResolver, Target, Unmapped, link_selections, participant_row, read_code_map, resolve_codes,
)
from hubcase.refi.memos import memo_rows
from hubcase.refi.model import QdaProject, Selection, Source
from hubcase.refi.reader import read_qda
from hubcase.refi.staging import csv_text, replace_files, study_files, validate_with
from hubcase.schema import CONTRACT

PARTICIPANTS, EXCERPTS = CONTRACT.table("participants"), CONTRACT.table("excerpts")
EXCERPT_ID = re.compile(r"[A-Za-z0-9_.-]{1,40}")


@dataclass(frozen=True)
class ImportReport:
    """What an import found, mapped, skipped and wrote (``written`` is empty when nothing was)."""

    file: Path
    study: Path
    dry_run: bool
    written: tuple[Path, ...] = ()
    participants: int = 0
    excerpts: int = 0
    codings: int = 0
    memos: int = 0
    codebook_codes: int = 0
    mapped_codes: tuple[tuple[str, str, Target], ...] = ()     # (GUID, name, target)
    unmapped_codes: tuple[Unmapped, ...] = ()
    skipped: tuple[Problem, ...] = ()
    offset_basis: Mapping[str, str] = field(default_factory=dict)  # source name -> as_stored/crlf/lf
    remarks: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_text(self, *, limit: int = 20) -> str:
        """Plain-text summary for the command line."""
        if self.written:
            head = f"Imported {self.file.name} into {self.study}"
        else:
            head = f"{'Dry run' if self.dry_run else 'Refused'}: {self.file.name} -> {self.study}; nothing written"
        lines = [head, f"  participants {self.participants}, excerpts {self.excerpts}, codings {self.codings}, "
                       f"memos {self.memos}" + (f", codebook codes {self.codebook_codes}" if self.codebook_codes else "")]
        bases: dict[str, list[str]] = {}
        for source, basis in self.offset_basis.items():
            bases.setdefault(basis, []).append(source)
        if bases:
            lines.append("  offsets: " + "; ".join(
                f"{b.replace('_', ' ')} ({len(v)} sources" + (f": {', '.join(v[:5])})" if b != "as_stored" else ")")
                for b, v in bases.items()))
        if self.mapped_codes:
            hows: dict[str, int] = {}
            for _, _, target in self.mapped_codes:
                hows[target.how] = hows.get(target.how, 0) + 1
            lines.append(f"  codes mapped: {len(self.mapped_codes)} ("
                         + ", ".join(f"{n} by {how}" for how, n in hows.items()) + ")")
        sections = [
            (f"Unmapped codes ({len(self.unmapped_codes)}); their codings are not imported:",
             [f"{u.guid}  {u.path}  ({u.codings} codings){'  - ' + u.hint if u.hint else ''}"
              for u in self.unmapped_codes]),
            (f"Selections not imported ({len(self.skipped)}):", [str(p) for p in self.skipped]),
            ("Remarks:", list(self.remarks)),
            (f"Warnings ({sum(p.severity == 'warning' for p in self.problems)}):",
             [str(p) for p in self.problems if p.severity == "warning"]),
            (f"Errors ({len(self.errors)}):", [str(p) for p in self.errors]),
            ("Written:", [str(p) for p in self.written]),
        ]
        for title, items in sections:
            if items:
                lines.append(title)
                lines += [f"  {item}" for item in items[:limit]]
                if len(items) > limit:
                    lines.append(f"  ... and {len(items) - limit} more")
        return "\n".join(lines)


def _load_code_map(code_map: Path | None, resolver: CodeResolver, problems: ProblemList) -> dict[str, Target]:
    if code_map is None:
        return {}
    raw = load_yaml(Path(code_map), str(code_map), problems)
    return read_code_map(raw, str(code_map), resolver, problems)


def _existing_codebook(study: Path, rel: str, problems: ProblemList) -> dict[str, Any] | None:
    path = study / rel
    if not path.exists():
        return None
    doc = load_yaml(path, rel, problems)
    if not isinstance(doc, dict) or not isinstance(doc.get("constructs"), list):
        problems.error(rel, "", "the study codebook cannot be read; fix it or remove it to take the project's")
        return None
    return doc


def _dump_codebook(doc: Mapping[str, Any], origin: str) -> str:
    return (f"# Written by hubcase from the REFI-QDA file {origin}.\n"
            + yaml.safe_dump(dict(doc), sort_keys=False, allow_unicode=True, width=100))


class _Excerpts:
    """Builds excerpt rows from the project's selections."""

    def __init__(self, project: QdaProject, targets: Mapping[str, Target], link: Mapping[str, Any]):
        self.project, self.targets, self.link = project, targets, link
        self.rows: list[dict[str, str]] = []
        self.origin: list[str] = []
        self.excerpt_of: dict[str, str] = {}
        self.skipped = ProblemList()
        self.codings = 0
        self.defaulted_valence = 0

    def skip(self, source: Source, sel: Selection, why: str) -> None:
        name = f" ({sel.name[:40]!r})" if sel.name else ""
        self.skipped.warning(self.project.file, f"PlainTextSelection {sel.guid}{name} in {source.name}", why)

    def add(self, source: Source, sel: Selection) -> None:
        text = (sel.text or "").strip()
        if sel.text is None:
            return self.skip(source, sel, "its text could not be cut from the source; not imported")
        if not text:
            return self.skip(source, sel, "the selection is empty; not imported")
        case = self.link.get(sel.guid)
        if case is None:
            return self.skip(source, sel, "not linked to any case (participant); not imported")
        got: dict[str, list[str]] = {k: [] for k in ("code", "theme", "subgroup", "valence", "identifiable")}
        for coding in sel.codings:
            target = self.targets.get(coding.code or "")
            if target is not None and target.kind in got:
                got[target.kind].append(target.value or "")
                self.codings += 1
        if not got["code"]:
            return self.skip(source, sel, "no coding maps to a sub-construct of the codebook; not imported")
        _, meta = split_trailer(sel.description)
        valences = list(dict.fromkeys(got["valence"]))
        if not valences:
            self.defaulted_valence += 1
        self.rows.append({
            "excerpt_id": meta.get("excerpt_id", ""), "participant_id": (case.name or "").strip(), "text": text,
            "codes": ";".join(dict.fromkeys(got["code"])), "chain": meta.get("chain", ""),
            "valence": valences[0] if len(valences) == 1 else ("mixed" if valences else "neutral"),
            "themes": ";".join(dict.fromkeys(got["theme"])), "subgroups": ";".join(dict.fromkeys(got["subgroup"])),
            "identifiable": "true" if got["identifiable"] else "false"})
        self.origin.append(f"selection {sel.guid} in {source.name}")
        self.excerpt_of[sel.guid] = ""

    def number(self) -> None:
        """Keep hubcase excerpt ids that are valid and unique; number the rest QDA001, QDA002..."""
        used, n = set(), 0
        for row in self.rows:
            eid = row["excerpt_id"]
            if not EXCERPT_ID.fullmatch(eid) or eid in used:
                row["excerpt_id"] = ""
            used.add(row["excerpt_id"])
        for row in self.rows:
            while not row["excerpt_id"]:
                n += 1
                if f"QDA{n:03d}" not in used:
                    row["excerpt_id"] = f"QDA{n:03d}"
                    used.add(row["excerpt_id"])
        for guid, row in zip(list(self.excerpt_of), self.rows):
            self.excerpt_of[guid] = row["excerpt_id"]


def _annotate(problems: list[Problem], origins: Mapping[str, Mapping[int, str]]) -> list[Problem]:
    """Name the QDA element behind 'row N' of a generated file."""
    out = []
    for p in problems:
        m = re.fullmatch(r"row (\d+)", p.location)
        where = origins.get(p.file, {}).get(int(m.group(1))) if m else None
        out.append(replace(p, message=f"{p.message} [from {where}]") if where else p)
    return out


def _finish(report: ImportReport, new_files: Mapping[str, str], study: Path, problems: ProblemList,
            origins: Mapping[str, Mapping[int, str]]) -> ImportReport:
    if not problems.errors:
        blocking, others = validate_with(study, new_files)
        for p in _annotate(blocking, origins):
            problems.items.append(p)
        problems.items.extend(replace(p, severity="warning", message=f"(not caused by the import) {p.message}")
                              if p.severity == "error" else p for p in others)
    report = replace(report, problems=tuple(problems.items))
    if report.dry_run:
        return report
    if not report.ok:
        raise QdaImportError(report.errors + [Problem(str(study), "", "nothing was written")], report)
    return replace(report, written=tuple(replace_files(study, new_files)))


def import_qda(qdpx: Path | str, *, study: Path | str, code_map: Path | str | None = None,
               dry_run: bool = False) -> ImportReport:
    """Replace the study's participants, excerpts and memos with those of a REFI-QDA project.

    Raises :class:`QdaImportError` (with ``.report``) and writes nothing when the result would not
    validate; with ``dry_run`` the report is returned and nothing is written either way.
    """
    qdpx, study = Path(qdpx), Path(study)
    problems = ProblemList()
    raw_study, paths = study_files(study, problems)
    project = read_qda(qdpx)
    if project.kind != "project":
        raise RefiError(f"{qdpx.name}: is a codebook (.qdc); import it with import_qdc / `hubcase import-qda "
                        "FILE.qdc`, which replaces the codebook")
    problems.items.extend(project.problems)
    report = ImportReport(file=qdpx, study=study, dry_run=dry_run)
    if raw_study is None or problems.errors:
        return _finish(report, {}, study, problems, {})
    new_files: dict[str, str] = {}
    codebook = _existing_codebook(study, paths["codebook"], problems)
    if codebook is None and not problems.errors:
        codebook = codebook_from_project(project, problems)
        new_files[paths["codebook"]] = _dump_codebook(codebook, qdpx.name)
    if codebook is None:
        return _finish(report, {}, study, problems, {})
    resolver = CodeResolver(codebook, [g for g in raw_study.get("subgroups") or () if isinstance(g, dict)])
    targets, unmapped = resolve_codes(project, resolver, _load_code_map(code_map, resolver, problems),
                                      str(code_map or ""), problems)
    cases, link = link_selections(project, problems)
    unknown_vars: set[str] = set()
    people = [participant_row(c, project, problems, unknown_vars) for c in cases]
    excerpts = _Excerpts(project, targets, link)
    for source in project.sources:
        for sel in source.selections:
            excerpts.add(source, sel)
    excerpts.number()
    if not excerpts.rows:
        problems.error(qdpx.name, "", "nothing to import: no text selection is linked to a case and coded with a "
                       "code that maps to the codebook (see the unmapped codes and skipped selections)")
    case_of_source = {s.guid: c for s in project.sources for c in cases if s.guid in c.sources}
    memos = memo_rows(project, excerpt_of=excerpts.excerpt_of, case_of_source=case_of_source, targets=targets)
    people_csv, people_lines = csv_text(PARTICIPANTS.names, people)
    excerpts_csv, excerpt_lines = csv_text(EXCERPTS.names, excerpts.rows)
    new_files.update({paths["participants"]: people_csv, paths["excerpts"]: excerpts_csv,
                      paths["memos"]: csv_text(MEMOS.names, memos)[0]})
    remarks = []
    if excerpts.defaulted_valence:
        remarks.append(f"{excerpts.defaulted_valence} excerpts have no valence coding (Valence > enabler, barrier, "
                       "mixed, neutral); set to neutral")
    if excerpts.rows:
        remarks.append(f"{sum(r['identifiable'] == 'true' for r in excerpts.rows)} excerpts are coded Identifiable; "
                       "every other excerpt may be quoted in outputs, so check before publishing")
    report = replace(
        report, participants=len(people), excerpts=len(excerpts.rows), codings=excerpts.codings, memos=len(memos),
        codebook_codes=sum(len(c["subconstructs"]) for c in codebook["constructs"]) if paths["codebook"] in new_files else 0,
        mapped_codes=tuple((g, project.code(g).name, t) for g, t in targets.items() if t.kind != "ignore"),
        unmapped_codes=tuple(unmapped), skipped=tuple(excerpts.skipped.items),
        offset_basis={(s.name or s.guid): s.basis for s in project.sources if s.basis}, remarks=tuple(remarks))
    origins = {paths["participants"]: dict(zip(people_lines, (f"case {c.guid}" for c in cases))),
               paths["excerpts"]: dict(zip(excerpt_lines, excerpts.origin))}
    return _finish(report, new_files, study, problems, origins)


def import_qdc(qdc: Path | str, *, study: Path | str, dry_run: bool = False) -> ImportReport:
    """Replace the study codebook with a REFI-QDA codebook (top-level codes = constructs, sets = themes)."""
    qdc, study = Path(qdc), Path(study)
    problems = ProblemList()
    raw_study, paths = study_files(study, problems)
    project = read_qda(qdc)
    problems.items.extend(project.problems)
    report = ImportReport(file=qdc, study=study, dry_run=dry_run)
    if raw_study is None or problems.errors:
        return _finish(report, {}, study, problems, {})
    existing = _existing_codebook(study, paths["codebook"], ProblemList())
    doc = codebook_from_project(project, problems, existing=existing)
    if not doc["constructs"]:
        problems.error(qdc.name, "Codes", "no construct found: the codebook needs top-level codes with child "
                       "codes (construct > sub-construct)")
    n_codes = sum(len(c["subconstructs"]) for c in doc["constructs"])
    report = replace(report, codebook_codes=n_codes)
    return _finish(report, {paths["codebook"]: _dump_codebook(doc, qdc.name)}, study, problems, {})


def import_refi(file: Path | str, *, study: Path | str, code_map: Path | str | None = None,
                dry_run: bool = False) -> ImportReport:
    """:func:`import_qdc` for a ``.qdc`` codebook, :func:`import_qda` for a project."""
    if Path(file).suffix.lower() == ".qdc":
        if code_map is not None:
            raise RefiError(f"{Path(file).name}: --code-map applies to projects, not to a .qdc codebook")
        return import_qdc(file, study=study, dry_run=dry_run)
    return import_qda(file, study=study, code_map=code_map, dry_run=dry_run)
