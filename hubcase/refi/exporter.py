"""Export a study's codebook (.qdc) or its coded interviews (.qdpx) as REFI-QDA.

The project holds one plain-text source per participant, built by joining their excerpts with a
blank line, so every excerpt is a selection at exact offsets.  Valence, themes, excerpt
subgroups and the identifiable flag become codes in reserved groups; excerpt ids, chains and
code ids travel in ``hubcase.*`` trailer lines of descriptions.  GUIDs are derived from the
study's ids, so exporting the same study twice gives the same file.  Every export is validated
against the bundled REFI-QDA XSD before it is written.
"""
from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from hubcase.errors import ProblemList
from hubcase.io import read_csv
from hubcase.refi.common import CODEBOOK_NS, MEMOS, PROJECT_NS, RefiError, schema_path
from hubcase.refi.project import build_project, cell
from hubcase.refi.xmltree import Tree, code_tree, theme_sets
from hubcase.schema.core import parse_table

PROJECT_XSD, CODEBOOK_XSD = "Project-mrt2019.xsd", "Codebook-mrt2019.xsd"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ExportReport:
    out: Path
    kind: str              # "qdc" or "qdpx"
    codes: int
    participants: int = 0
    excerpts: int = 0
    codings: int = 0
    notes: int = 0
    schema: str = ""       # XSD the file was validated against

    def as_text(self) -> str:
        if self.kind == "qdc":
            return f"wrote {self.out}: codebook with {self.codes} codes (valid against {self.schema})"
        return (f"wrote {self.out}: {self.participants} participants, {self.excerpts} excerpts, "
                f"{self.codings} codings, {self.codes} codes, {self.notes} notes (valid against {self.schema})")


def _origin() -> str:
    try:
        return f"hubcase {version('hubcase')}"
    except PackageNotFoundError:
        return "hubcase"


@lru_cache(maxsize=2)
def _schema(name: str):
    try:
        import xmlschema
    except ImportError as err:
        raise RefiError("exporting REFI-QDA needs the xmlschema package to validate the file against the "
                        "REFI-QDA XSD. Hint: pip install xmlschema") from err
    return xmlschema.XMLSchema(str(schema_path(name)), allow="local")


def validate_xml(data: bytes, kind: str) -> list[str]:
    """Schema errors of an exported project (``kind='qdpx'``) or codebook (``'qdc'``); empty when valid."""
    name = CODEBOOK_XSD if kind == "qdc" else PROJECT_XSD
    root = ET.fromstring(data)
    return [f"{e.path}: {e.reason}" for e in _schema(name).iter_errors(root)]


def _write_atomic(out: Path, write) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".hubcase-tmp", dir=out.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _checked(data: bytes, kind: str) -> bytes:
    errors = validate_xml(data, kind)
    if errors:
        shown = "\n".join(f"  {e}" for e in errors[:10])
        raise RefiError(f"the exported {kind} does not validate against the REFI-QDA schema (a hubcase bug; "
                        f"please report it):\n{shown}")
    return data


def _memos(study) -> list[dict[str, str]]:
    path = Path(study.root) / MEMOS.path
    if not path.exists():
        return []
    problems = ProblemList()
    raw = read_csv(path, MEMOS.path, problems)
    frame = parse_table(MEMOS, raw, MEMOS.path, problems) if raw is not None else None
    if frame is None or problems.errors:
        raise RefiError("\n".join(str(p) for p in problems.errors) or f"{MEMOS.path}: cannot be read")
    return [{k: cell(v) for k, v in row.items()} for row in frame.to_dict("records")]


def export_qda(*, study: Path | str, out: Path | str) -> ExportReport:
    """Write the study's codebook as ``.qdc`` (when ``out`` ends with .qdc) or its interviews as ``.qdpx``."""
    from hubcase.study import load_study

    out = Path(out)
    loaded = load_study(study)
    if loaded.codebook is None:
        raise RefiError(f"{study}: the study has no qualitative/codebook.yml to export "
                        "(study.yml must list a site with the qualitative strand)")
    if out.suffix.lower() == ".qdc":
        t = Tree(CODEBOOK_NS)
        root = t.el(None, "CodeBook", {"origin": _origin()})
        subgroups = [{"id": g.id, "label": g.label} for g in loaded.config.subgroups]
        n = code_tree(t, root, loaded.codebook, subgroups)
        theme_sets(t, root, loaded.codebook, "guid")
        data = _checked(t.serialise(root), "qdc")
        _write_atomic(out, lambda p: p.write_bytes(data))
        return ExportReport(out=out, kind="qdc", codes=n, schema=CODEBOOK_XSD)
    built = build_project(loaded, _memos(loaded), _origin())
    data = _checked(Tree(PROJECT_NS).serialise(built.root), "qdpx")

    def write(path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(zipfile.ZipInfo("project.qde", _ZIP_TIME), data, zipfile.ZIP_DEFLATED)
            for name, text in built.sources.items():
                zf.writestr(zipfile.ZipInfo(f"sources/{name}", _ZIP_TIME), text.encode("utf-8"), zipfile.ZIP_DEFLATED)

    _write_atomic(out, write)
    return ExportReport(out=out, kind="qdpx", codes=built.codes, participants=built.participants,
                        excerpts=built.excerpts, codings=built.codings, notes=built.notes, schema=PROJECT_XSD)
