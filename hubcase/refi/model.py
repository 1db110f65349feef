"""What the REFI-QDA reader returns: plain frozen records, GUIDs upper-case without braces."""
from __future__ import annotations

from dataclasses import dataclass, field

from hubcase.errors import Problem


@dataclass(frozen=True)
class Code:
    guid: str
    name: str
    description: str | None
    codable: bool
    parent: str | None          # GUID of the parent code
    path: tuple[str, ...]       # names from the top-level code down to this one
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Coding:
    guid: str | None
    code: str | None            # GUID of the code (CodeRef/@targetGUID)
    user: str | None
    created: str | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Selection:
    guid: str
    name: str | None
    start: int
    end: int
    description: str | None
    codings: tuple[Coding, ...]
    notes: tuple[str, ...]
    user: str | None
    created: str | None
    text: str | None = None     # cut from the source text
    basis: str | None = None    # as_stored, crlf or lf: how the offsets were counted
    verified: bool | None = None  # cut text equals the selection's name (None: nothing to compare)


@dataclass(frozen=True)
class Source:
    guid: str
    name: str | None
    kind: str                   # TextSource, PDFSource, ...
    description: str | None
    text_origin: str | None     # "inline", the archive member read, or None (text not found)
    selections: tuple[Selection, ...]
    whole_codings: int          # codings of the whole document (not imported)
    values: dict[str, object]   # variable GUID -> value
    notes: tuple[str, ...]
    basis: str | None = None


@dataclass(frozen=True)
class Case:
    guid: str
    name: str | None
    description: str | None
    values: dict[str, object]   # variable GUID -> value
    sources: tuple[str, ...]
    selections: tuple[str, ...]


@dataclass(frozen=True)
class Note:
    guid: str
    name: str | None
    text: str
    description: str | None
    user: str | None
    created: str | None


@dataclass(frozen=True)
class CodeSet:
    guid: str
    name: str
    description: str | None
    codes: tuple[str, ...]


@dataclass(frozen=True)
class QdaProject:
    """Everything hubcase uses from a project or codebook, plus the reader's warnings."""

    file: str
    kind: str                   # "project" or "codebook"
    name: str | None
    origin: str | None
    description: str | None
    codes: tuple[Code, ...]
    sets: tuple[CodeSet, ...]
    variables: dict[str, tuple[str, str]] = field(default_factory=dict)  # GUID -> (name, type)
    cases: tuple[Case, ...] = ()
    sources: tuple[Source, ...] = ()
    notes: tuple[Note, ...] = ()
    project_notes: tuple[str, ...] = ()
    users: dict[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def code(self, guid: str) -> Code | None:
        return next((c for c in self.codes if c.guid == guid), None)
