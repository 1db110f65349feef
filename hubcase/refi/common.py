"""Names shared by the REFI-QDA reader, importer and exporter.

hubcase keeps a few fields REFI-QDA has no element for (code ids, excerpt ids, chains, theme
kinds) in *trailer lines* at the end of a ``<Description>``: ``hubcase.<key>: <value>``, one per
line.  QDA tools show them as part of the comment and carry them through an edit; the importer
strips them again, so the description the researcher sees in hubcase is unchanged.
"""
from __future__ import annotations

import re
import uuid
from importlib import resources
from pathlib import Path

from hubcase.checks import normalise_code
from hubcase.errors import HubcaseError, StudyError
from hubcase.schema.core import Column as C
from hubcase.schema.core import TableSchema

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
VALENCES = ("enabler", "barrier", "mixed", "neutral")

# Reserved top-level code groups: codings to their children set excerpt fields, not NPT codes.
GROUP_VALENCE, GROUP_THEMES, GROUP_SUBGROUPS, CODE_IDENTIFIABLE = "Valence", "Themes", "Subgroups", "Identifiable"
RESERVED_GROUPS = {normalise_code(g): g for g in (GROUP_VALENCE, GROUP_THEMES, GROUP_SUBGROUPS)}

# Case variable names hubcase recognises (normalised name -> participants.csv column).
VARIABLE_NAMES = {
    "group": "group", "participant_group": "group", "participant_type": "group",
    "site": "site", "site_id": "site", "hub": "site",
    "occupation": "occupation", "job_title": "occupation", "role": "occupation",
    "clinical": "clinical", "clinical_role": "clinical",
    "org_type": "org_type", "organisation_type": "org_type", "organization_type": "org_type",
    "employer_type": "org_type",
    "gender": "gender",
    "ethnicity": "ethnicity", "ethnic_group": "ethnicity",
    "subgroups": "subgroups", "subgroup": "subgroups",
    "restricted": "restricted",
}
PARTICIPANT_VARIABLES = ("group", "site", "occupation", "clinical", "org_type", "gender", "ethnicity",
                         "subgroups", "restricted")

_GUID_NS = uuid.UUID("6f1d3c2e-6b8a-5d52-9c61-2f1f3b0c9a77")
_GUID = re.compile(r"\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?")
_TRAILER = re.compile(r"^hubcase\.([a-z_]+):[ \t]?(.*)$")


class RefiError(HubcaseError):
    """A REFI-QDA file could not be read or written."""


class QdaImportError(StudyError):
    """An import was refused; nothing was written.  ``report`` says what was found."""

    def __init__(self, problems, report=None):
        super().__init__(problems)
        self.report = report


from hubcase.schema.tables import MEMOS  # noqa: E402  (the contract owns the schema)


def make_guid(kind: str, key: str) -> str:
    """Deterministic upper-case GUID for an exported element (same study -> same GUIDs)."""
    return str(uuid.uuid5(_GUID_NS, f"{kind}:{key}")).upper()


def clean_guid(value: str | None) -> str | None:
    """GUID without braces, upper-cased; None when ``value`` is not a GUID."""
    if value is None:
        return None
    m = _GUID.fullmatch(value.strip())
    return m.group(1).upper() if m else None


def split_trailer(description: str | None) -> tuple[str, dict[str, str]]:
    """Split a description into its free text and its ``hubcase.<key>: value`` lines."""
    if not description:
        return "", {}
    keep, meta = [], {}
    for line in description.replace("\r\n", "\n").split("\n"):
        m = _TRAILER.match(line.strip())
        if m:
            meta[m.group(1)] = m.group(2).strip()
        else:
            keep.append(line)
    return "\n".join(keep).strip(), meta


def join_trailer(text: str | None, meta: dict[str, str]) -> str:
    lines = [f"hubcase.{k}: {v}" for k, v in meta.items() if v not in (None, "")]
    body = (text or "").strip()
    return "\n".join(([body] if body else []) + lines)


def schema_path(name: str) -> Path:
    """Path of a bundled XSD (``Project-mrt2019.xsd`` or ``Codebook-mrt2019.xsd``)."""
    return Path(str(resources.files("hubcase") / "data" / "refi" / name))


def name_candidates(name: str) -> list[str]:
    """Normalised forms of a code name to try against the codebook.

    ``"Coherence: Differentiation"`` and ``"1.2 Differentiation"`` both yield ``differentiation``.
    """
    raw = name.strip()
    out = [normalise_code(raw)]
    for sep in ("::", ">", ":", "/", "\\", "|"):
        if sep in raw:
            out.append(normalise_code(raw.rsplit(sep, 1)[1]))
    stripped = re.sub(r"^[\d.]+\s+", "", raw)
    if stripped != raw:
        out.append(normalise_code(stripped))
    return [c for i, c in enumerate(out) if c and c not in out[:i]]
