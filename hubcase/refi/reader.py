"""A tolerant, defensive reader of REFI-QDA projects (.qdpx, .qde) and codebooks (.qdc).

Only the standard library is used.  Safety: XML with a DOCTYPE or ENTITY declaration is refused
(no entity can then be defined, so no expansion bomb and no external entity); every archive
member is read through a size cap, whatever its header claims; nothing outside the archive is
opened and nothing is fetched.  Tolerated deviations, each recorded as a warning: an XML file
not named ``project.qde``; ``Sources/``, ``sources/`` or no folder (paths are resolved by
basename); inline ``<PlainTextContent>``; ``MemberCode`` with ``guid`` or ``targetGUID``;
offsets counted with CRLF (or LF) line ends (see :mod:`hubcase.refi.offsets`); missing optional
attributes; a missing or wrong namespace.
"""
from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path, PurePosixPath

from hubcase.errors import ProblemList
from hubcase.refi.common import CODEBOOK_NS, PROJECT_NS, RefiError, clean_guid
from hubcase.refi.model import Case, Code, CodeSet, Coding, Note, QdaProject, Selection, Source
from hubcase.refi.offsets import cut_source

MAX_FILE_BYTES = 2 * 1024**3
MAX_XML_BYTES = 64 * 1024**2
MAX_SOURCE_BYTES = 32 * 1024**2
MAX_TOTAL_BYTES = 1024**3
MAX_MEMBERS = 50_000
MAX_DEPTH = 64
_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_ENC = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


# ------------------------------------------------------------------------ container
def read_qda(path: Path | str) -> QdaProject:
    """Read a ``.qdpx`` archive, a bare ``.qde`` project or a ``.qdc`` codebook."""
    path = Path(path)
    if not path.is_file():
        raise RefiError(f"{path}: file not found (expected a REFI-QDA .qdpx, .qde or .qdc file)")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise RefiError(f"{path}: {path.stat().st_size / 1e9:.1f} GB is above the {MAX_FILE_BYTES / 1e9:.0f} GB limit")
    problems = ProblemList()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            return _read_archive(zf, path.name, problems)
    data = path.read_bytes()
    if len(data) > MAX_XML_BYTES:
        raise RefiError(f"{path.name}: XML is {len(data) / 1e6:.0f} MB, above the {MAX_XML_BYTES / 1e6:.0f} MB limit")
    return parse_xml(data, path.name, problems, members=None)


def _read_archive(zf: zipfile.ZipFile, label: str, problems: ProblemList) -> QdaProject:
    members = [i for i in zf.infolist() if not i.is_dir()]
    if len(members) > MAX_MEMBERS:
        raise RefiError(f"{label}: archive has {len(members)} members, above the {MAX_MEMBERS} limit")
    qde = [i for i in members if i.filename.lower().endswith(".qde")]
    root_named = [i for i in qde if i.filename.lower() == "project.qde"]
    if len(qde) == 1:
        chosen = qde[0]
    elif root_named:
        chosen = root_named[0]
        problems.warning(label, "", f"{len(qde)} .qde files in the archive; project.qde was read")
    else:
        found = ", ".join(i.filename for i in qde) or "none"
        raise RefiError(f"{label}: a .qdpx must hold exactly one .qde project file (found: {found}). "
                        "Hint: export the project again from the QDA tool as REFI-QDA project.")
    if chosen.filename != "project.qde":
        problems.warning(label, chosen.filename, "the project XML is not named project.qde (read it anyway)")
    reader = _Members(zf, members, label)
    data = reader.read(chosen, MAX_XML_BYTES)
    return parse_xml(data, f"{label}:{chosen.filename}", problems, members=reader)


class _Members:
    """Archive members, looked up by path or basename (case-insensitively), read with caps."""

    def __init__(self, zf: zipfile.ZipFile, members: list[zipfile.ZipInfo], label: str):
        self.zf, self.label, self.total = zf, label, 0
        self.by_path = {i.filename.lower(): i for i in members}
        self.by_base: dict[str, list[zipfile.ZipInfo]] = {}
        for i in members:
            self.by_base.setdefault(PurePosixPath(i.filename).name.lower(), []).append(i)

    def find(self, ref: str) -> tuple[zipfile.ZipInfo | None, str | None]:
        """Member for a plainTextPath (``internal://x.txt``, ``relative:///x.txt`` or a bare path)."""
        name = re.sub(r"^[a-z]+:/*", "", ref.strip(), flags=re.I).replace("\\", "/")
        for cand in (f"sources/{name}".lower(), name.lower()):
            if cand in self.by_path:
                return self.by_path[cand], None
        hits = self.by_base.get(PurePosixPath(name).name.lower(), [])
        if not hits:
            return None, None
        in_sources = [h for h in hits if h.filename.lower().startswith("sources/")]
        chosen = (in_sources or hits)[0]
        note = None if len(hits) == 1 else f"{len(hits)} archive members are named {PurePosixPath(name).name}"
        return chosen, note

    def read(self, info: zipfile.ZipInfo, limit: int) -> bytes:
        if info.flag_bits & 0x1:
            raise RefiError(f"{self.label}:{info.filename}: encrypted archive members are not supported")
        try:
            with self.zf.open(info) as fh:
                data = fh.read(limit + 1)
        except (zipfile.BadZipFile, NotImplementedError, OSError) as err:
            raise RefiError(f"{self.label}:{info.filename}: cannot be read ({err})") from err
        if len(data) > limit:
            raise RefiError(f"{self.label}:{info.filename}: larger than the {limit / 1e6:.0f} MB limit")
        self.total += len(data)
        if self.total > MAX_TOTAL_BYTES:
            raise RefiError(f"{self.label}: archive expands beyond {MAX_TOTAL_BYTES / 1e9:.0f} GB; refused")
        return data


# ------------------------------------------------------------------------ XML safety
def decode_xml(data: bytes, label: str) -> str:
    """Decode XML bytes (BOM or declared encoding, else UTF-8) and refuse DTDs."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            data, encoding = data[len(bom):], enc
            break
    else:
        m = _ENC.match(data[:200])
        encoding = m.group(1).decode("ascii") if m else "utf-8"
    try:
        text = data.decode(encoding)
    except (LookupError, UnicodeDecodeError) as err:
        raise RefiError(f"{label}: not readable as {encoding} ({err})") from err
    if re.search(r"<!\s*(DOCTYPE|ENTITY)", text, flags=re.I):
        raise RefiError(f"{label}: DOCTYPE/ENTITY declarations are not allowed in REFI-QDA files "
                        "(they permit entity-expansion attacks); remove the DTD and try again")
    return _DECL.sub("", text, count=1)


def _parse(text: str, label: str) -> ET.Element:
    try:
        return ET.fromstring(text)
    except ET.ParseError as err:
        raise RefiError(f"{label}: malformed XML ({err})") from err


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kids(el: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if el is None else [c for c in el if _local(c.tag) == name]


def _kid(el: ET.Element | None, name: str) -> ET.Element | None:
    return next(iter(_kids(el, name)), None)


def _text(el: ET.Element | None, name: str) -> str | None:
    k = _kid(el, name)
    return None if k is None or k.text is None else k.text


def _refs(el: ET.Element, name: str) -> tuple[str, ...]:
    return tuple(g for g in (clean_guid(r.get("targetGUID") or r.get("guid")) for r in _kids(el, name)) if g)


# ------------------------------------------------------------------------ parsing
def parse_xml(data: bytes, label: str, problems: ProblemList, members: _Members | None) -> QdaProject:
    root = _parse(decode_xml(data, label), label)
    ns, tag = (root.tag[1:].split("}", 1) if root.tag.startswith("{") else ("", root.tag))
    if tag not in ("Project", "CodeBook"):
        raise RefiError(f"{label}: root element is <{tag}>, expected <Project> (.qdpx/.qde) or <CodeBook> (.qdc)")
    expected = PROJECT_NS if tag == "Project" else CODEBOOK_NS
    if ns != expected:
        problems.warning(label, tag, f"namespace is {ns or 'missing'!r}, expected {expected!r} (read anyway)")
    p = _Parser(label, problems)
    book = root if tag == "CodeBook" else _kid(root, "CodeBook")
    codes = p.codes(_kid(book, "Codes"))
    sets = p.sets(_kid(root, "Sets") if tag == "Project" else _kid(book, "Sets"))
    if tag == "CodeBook":
        return QdaProject(file=label, kind="codebook", name=None, origin=root.get("origin"), description=None,
                          codes=codes, sets=sets, problems=tuple(problems.items))
    variables = {}
    for v in _kids(_kid(root, "Variables"), "Variable"):
        guid = p.guid(v, "Variable")
        if guid:
            variables[guid] = (v.get("name") or guid, v.get("typeOfVariable") or "Text")
    users = {g: (u.get("name") or u.get("id") or g) for u in _kids(_kid(root, "Users"), "User")
             if (g := clean_guid(u.get("guid")))}
    return QdaProject(
        file=label, kind="project", name=root.get("name"), origin=root.get("origin"),
        description=_text(root, "Description"), codes=codes, sets=sets, variables=variables,
        cases=tuple(c for c in (p.case(el) for el in _kids(_kid(root, "Cases"), "Case")) if c),
        sources=tuple(s for s in (p.source(el, members) for el in list(_kid(root, "Sources") or ())) if s),
        notes=tuple(n for n in (p.note(el, members) for el in _kids(_kid(root, "Notes"), "Note")) if n),
        project_notes=_refs(root, "NoteRef"), users=users, problems=tuple(problems.items))


class _Parser:
    def __init__(self, label: str, problems: ProblemList):
        self.label, self.problems = label, problems

    def warn(self, where: str, message: str) -> None:
        self.problems.warning(self.label, where, message)

    def guid(self, el: ET.Element, what: str) -> str | None:
        guid = clean_guid(el.get("guid"))
        if guid is None:
            self.warn(f"{what} {el.get('name') or ''}".strip(), f"guid {el.get('guid')!r} is missing or not a GUID; skipped")
        return guid

    def codes(self, codes_el: ET.Element | None) -> tuple[Code, ...]:
        out: list[Code] = []

        def walk(el: ET.Element, parent: str | None, path: tuple[str, ...], depth: int) -> None:
            if depth > MAX_DEPTH:
                raise RefiError(f"{self.label}: codes nested more than {MAX_DEPTH} levels deep")
            guid = self.guid(el, "Code")
            if guid is None:
                return
            name = el.get("name") or guid
            codable = (el.get("isCodable") or "true").strip().lower() in ("true", "1")
            here = (*path, name)
            out.append(Code(guid, name, _text(el, "Description"), codable, parent, here, _refs(el, "NoteRef")))
            for child in _kids(el, "Code"):
                walk(child, guid, here, depth + 1)

        for el in _kids(codes_el, "Code"):
            walk(el, None, (), 0)
        return tuple(out)

    def sets(self, sets_el: ET.Element | None) -> tuple[CodeSet, ...]:
        out = []
        for el in _kids(sets_el, "Set"):
            guid = self.guid(el, "Set")
            if guid:
                out.append(CodeSet(guid, el.get("name") or guid, _text(el, "Description"), _refs(el, "MemberCode")))
        return tuple(out)

    def values(self, el: ET.Element) -> dict[str, object]:
        out: dict[str, object] = {}
        for vv in _kids(el, "VariableValue"):
            ref = _refs(vv, "VariableRef")
            value = next(((_local(c.tag), c.text) for c in vv if _local(c.tag).endswith("Value")), None)
            if ref and value is not None:
                kind, text = value
                out[ref[0]] = (text or "").strip().lower() == "true" if kind == "BooleanValue" else (text or "").strip()
        return out

    def case(self, el: ET.Element) -> Case | None:
        guid = self.guid(el, "Case")
        if guid is None:
            return None
        return Case(guid, el.get("name"), _text(el, "Description"), self.values(el), _refs(el, "SourceRef"),
                    _refs(el, "SelectionRef"))

    def _content(self, el: ET.Element, members: _Members | None, where: str,
                 quiet: bool = False) -> tuple[str | None, str | None]:
        inline = _kid(el, "PlainTextContent")
        if inline is not None:
            return inline.text or "", "inline"
        path = el.get("plainTextPath")
        if not path:
            if not quiet:
                self.warn(where, "no plainTextPath or PlainTextContent; its selections cannot be cut")
            return None, None
        info, note = members.find(path) if members else (None, None)
        if info is None:
            self.warn(where, f"plain text {path!r} is not in the archive (external or missing); selections skipped")
            return None, None
        if note:
            self.warn(where, f"{note}; read {info.filename}")
        data = members.read(info, MAX_SOURCE_BYTES)
        for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
            if data.startswith(bom):
                data = data[len(bom):]
                break
        else:
            enc = "utf-8"
        try:
            return data.decode(enc), info.filename
        except UnicodeDecodeError as err:
            self.warn(where, f"{info.filename} is not UTF-8 text ({err}); selections skipped")
            return None, None

    def source(self, el: ET.Element, members: _Members | None) -> Source | None:
        kind = _local(el.tag)
        guid = self.guid(el, kind)
        if guid is None:
            return None
        where = f"{kind} {el.get('name') or guid}"
        values, notes = self.values(el), _refs(el, "NoteRef")
        if kind != "TextSource":
            self.warn(where, f"{kind} sources are not imported (hubcase imports plain-text selections only)")
            return Source(guid, el.get("name"), kind, _text(el, "Description"), None, (), 0, values, notes)
        raw = [self.selection(s) for s in _kids(el, "PlainTextSelection")]
        text, origin = self._content(el, members, where)
        selections = tuple(s for s in raw if s)
        basis = None
        if text is not None:
            selections, basis, messages = cut_source(text, selections)
            for m in messages:
                self.warn(where, m)
        return Source(guid, el.get("name"), kind, _text(el, "Description"), origin, selections,
                      len(_kids(el, "Coding")), values, notes, basis)

    def selection(self, el: ET.Element) -> Selection | None:
        guid = self.guid(el, "PlainTextSelection")
        if guid is None:
            return None
        try:
            start, end = int(el.get("startPosition", "")), int(el.get("endPosition", ""))
        except ValueError:
            self.warn(f"PlainTextSelection {guid}", "startPosition/endPosition missing or not whole numbers; skipped")
            return None
        codings = tuple(Coding(clean_guid(c.get("guid")), next(iter(_refs(c, "CodeRef")), None),
                               clean_guid(c.get("creatingUser")), c.get("creationDateTime"), _refs(c, "NoteRef"))
                        for c in _kids(el, "Coding"))
        return Selection(guid, el.get("name"), start, end, _text(el, "Description"), codings, _refs(el, "NoteRef"),
                         clean_guid(el.get("creatingUser")), el.get("creationDateTime"))

    def note(self, el: ET.Element, members: _Members | None) -> Note | None:
        guid = self.guid(el, "Note")
        if guid is None:
            return None
        text, _ = self._content(el, members, f"Note {el.get('name') or guid}", quiet=True)
        return Note(guid, el.get("name"), text or "", _text(el, "Description"), clean_guid(el.get("creatingUser")),
                    el.get("creationDateTime"))
