"""Write imported files only if the study still validates with them.

The new files are written into a scratch copy of the study (unchanged files are hard links, or
copies across devices), ``validate_study`` runs on the copy, and only when no error is caused
by the import are the files moved into the study, each with an atomic ``os.replace``.
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Mapping

from hubcase.errors import Problem, ProblemList
from hubcase.io import load_yaml
from hubcase.schema import CONTRACT
from hubcase.refi.common import MEMOS

FILE_KEYS = {"participants": CONTRACT.table("participants").path, "excerpts": CONTRACT.table("excerpts").path,
             "codebook": CONTRACT.document("codebook").path, "memos": MEMOS.path,
             "pathways": CONTRACT.document("pathways").path}


def study_files(study: Path, problems: ProblemList) -> tuple[dict | None, dict[str, str]]:
    """study.yml (parsed) and the relative path of each qualitative file (``files:`` overrides applied)."""
    raw = load_yaml(study / "study.yml", "study.yml", problems)
    overrides = (raw or {}).get("files") if isinstance(raw, dict) else None
    overrides = overrides if isinstance(overrides, dict) else {}
    paths = {key: str(overrides.get(key, rel)) for key, rel in FILE_KEYS.items()}
    for key, rel in paths.items():
        resolved = (study / rel).resolve()
        if not resolved.is_relative_to(study.resolve()):
            problems.error("study.yml", f"files.{key}", f"{rel!r} points outside the study directory")
    return (raw if isinstance(raw, dict) else None), paths


def csv_text(columns: Iterable[str], rows: list[Mapping[str, str]]) -> tuple[str, list[int]]:
    """CSV text and the file line on which each row starts (quoted cells may span lines)."""
    columns = list(columns)

    def line(values: Mapping[str, str] | None) -> str:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        if values is None:
            writer.writeheader()
        else:
            writer.writerow({k: ("" if v is None else v) for k, v in values.items()})
        return buf.getvalue()

    parts, starts, at = [line(None)], [], 2
    for row in rows:
        parts.append(line(row))
        starts.append(at)
        at += parts[-1].count("\n")
    return "".join(parts), starts


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def validate_with(study: Path, new_files: Mapping[str, str]) -> tuple[list[Problem], list[Problem]]:
    """(blocking errors, other problems) of the study with ``new_files`` (relative path -> text) in place."""
    from hubcase.study import validate_study

    before = {str(p) for p in validate_study(study) if p.severity == "error"}
    with tempfile.TemporaryDirectory(prefix="hubcase-import-") as tmp:
        copy = Path(tmp) / "study"
        shutil.copytree(study, copy, copy_function=_link_or_copy, ignore=shutil.ignore_patterns(".git"))
        for rel, text in new_files.items():
            target = copy / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)  # never write through a hard link into the real study
            target.write_text(text, encoding="utf-8", newline="")
        after = validate_study(copy)
    written = set(new_files) | {"study.yml"}
    blocking = [p for p in after if p.severity == "error" and (p.file in written or str(p) not in before)]
    others = [p for p in after if p not in blocking]
    return blocking, others


def replace_files(study: Path, new_files: Mapping[str, str]) -> list[Path]:
    """Write every file beside its target first, then move each into place with ``os.replace``."""
    staged: list[tuple[Path, Path]] = []
    try:
        for rel, text in new_files.items():
            target = study / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".hubcase-tmp", dir=target.parent)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            staged.append((Path(tmp), target))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    return [target for _, target in staged]
