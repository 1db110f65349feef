"""Load a study directory into a validated, typed :class:`Study`.

``validate_study`` returns every problem found (errors and warnings);
``load_study`` raises :class:`StudyError` listing them when there are errors.
The record frames carry pandas nullable dtypes; analyses never re-parse files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import pandas as pd

from hubcase.errors import Problem, ProblemList, StudyError
from hubcase.instruments import MEASURES
from hubcase.io import load_yaml, read_csv, sha256
from hubcase.schema import CONTRACT
from hubcase.schema.core import TableSchema, parse_table, validate_node

STRAND_FILES = {  # table/document id -> strand that needs it
    "screening": "screening", "followup": "followup", "service_use": "followup",
    "unit_costs": "costing", "staff_unit_costs": "costing", "hub_costs": "costing", "hub_activity": "costing",
    "participants": "qualitative", "excerpts": "qualitative", "codebook": "qualitative",
}


@dataclass(frozen=True)
class Site:
    id: str
    label: str
    measures: tuple[str, ...]
    strands: Mapping[str, bool]
    opened: str | None = None

    def has(self, strand: str) -> bool:
        return bool(self.strands.get(strand, False))


@dataclass(frozen=True)
class Subgroup:
    id: str
    label: str
    kind: str
    records: Mapping[str, Any]
    benchmarks: tuple[Mapping[str, Any], ...] = ()
    screening_association: Mapping[str, str] | None = None

    def mask(self, records: pd.DataFrame) -> pd.Series:
        """Boolean Series: which records belong to the subgroup (missing field -> False)."""
        conditions = self.records.get("all") or [self.records]
        out = pd.Series(True, index=records.index)
        for cond in conditions:
            col = records[cond["field"]].astype("string")
            wanted = list(cond["in"]) if "in" in cond else [cond["equals"]]
            out &= col.isin([str(w) for w in wanted]).fillna(False).astype(bool)
        return out


@dataclass(frozen=True)
class StudyConfig:
    title: str
    short_title: str
    currency: str
    price_year: int
    min_cell_count: int
    min_subgroup_interviews: int
    sites: tuple[Site, ...]
    subgroups: tuple[Subgroup, ...]
    economics: Mapping[str, float]
    eq5d_value_set: str

    def site(self, site_id: str) -> Site:
        for s in self.sites:
            if s.id == site_id:
                return s
        raise KeyError(site_id)

    def subgroup(self, subgroup_id: str) -> Subgroup:
        for s in self.subgroups:
            if s.id == subgroup_id:
                return s
        raise KeyError(subgroup_id)

    @property
    def site_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sites)

    def sites_with(self, *strands: str) -> tuple[str, ...]:
        return tuple(s.id for s in self.sites if all(s.has(st) for st in strands))


@dataclass(frozen=True)
class Study:
    """A loaded study: configuration, typed record frames and documents."""

    root: Path
    config: StudyConfig
    tables: Mapping[str, pd.DataFrame]
    service_maps: Mapping[str, Mapping[str, Any]]
    codebook: Mapping[str, Any] | None
    pathways: Mapping[str, Any] | None
    integration: Mapping[str, Any] | None
    input_hashes: Mapping[str, str]
    warnings: tuple[Problem, ...] = field(default_factory=tuple)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = object.__getattribute__(self, "tables")
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @property
    def site_ids(self) -> tuple[str, ...]:
        return self.config.site_ids


DEFAULT_ECONOMICS = {"overtime_hours_per_week": 10.4, "contracted_hours_per_week": 37.5}


def _config(raw: Mapping[str, Any]) -> StudyConfig:
    sites = tuple(Site(id=str(s["id"]), label=s["label"], measures=tuple(s["measures"]),
                       strands=MappingProxyType(dict(s["strands"])), opened=s.get("opened"))
                  for s in raw["sites"])
    subgroups = tuple(Subgroup(id=g["id"], label=g["label"], kind=g["kind"], records=g["records"],
                               benchmarks=tuple(g.get("benchmarks") or ()),
                               screening_association=g.get("screening_association"))
                      for g in raw.get("subgroups") or ())
    disclosure = raw["disclosure"]
    return StudyConfig(
        title=raw["title"], short_title=raw.get("short_title") or raw["title"], currency=raw["currency"],
        price_year=int(raw["price_year"]), min_cell_count=int(disclosure["min_cell_count"]),
        min_subgroup_interviews=int(disclosure.get("min_subgroup_interviews", 3)), sites=sites,
        subgroups=subgroups, economics=MappingProxyType({**DEFAULT_ECONOMICS, **(raw.get("economics") or {})}),
        eq5d_value_set=(raw.get("eq5d") or {}).get("value_set", "england_5l_devlin2018"),
    )


def _inside(root: Path, rel: str) -> Path | None:
    path = (root / rel).resolve()
    try:
        path.relative_to(root.resolve())
    except ValueError:
        return None
    return path


class _Loader:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.problems = ProblemList()
        self.hashes: dict[str, str] = {}

    def path(self, rel: str, overrides: Mapping[str, str], key: str) -> tuple[Path | None, str]:
        given = key in overrides
        rel = overrides.get(key, rel)
        file, where = ("study.yml", f"files.{key}") if given else (rel, "")
        shown = repr(rel if len(rel) <= 80 else rel[:77] + "...")
        if not rel.strip():
            self.problems.error(file, where, "is empty; give a path relative to the study directory")
            return None, rel
        try:
            path = _inside(self.root, rel)
            if path is not None:
                path.exists()  # raises for a name too long, which resolve() lets through
        except (OSError, ValueError, RuntimeError) as err:  # NUL byte, name too long, symlink loop
            self.problems.error(file, where, f"{shown} is not a usable path ({err.__class__.__name__}: "
                                f"{getattr(err, 'strerror', None) or err})"[:300])
            return None, rel
        if path is None and given:
            self.problems.error(file, where, f"{shown} points outside the study directory")
        elif path is None:
            self.problems.error(file, where, "is a symbolic link to a file outside the study directory; "
                                "copy the file into the study directory instead")
        return path, rel

    def missing(self, path: Path, label: str, why: str) -> bool:
        """True (and an error naming ``why`` the file is needed) when ``path`` does not exist."""
        if path.exists():
            return False
        self.problems.error(label, "", f"file is missing; it is needed because {why}")
        return True

    def table(self, schema: TableSchema, overrides: Mapping[str, str], needed: bool,
              why: str = "") -> pd.DataFrame | None:
        path, label = self.path(schema.path, overrides, schema.id)
        if path is None:
            return None
        if not path.exists() and not needed:
            return None
        if why and self.missing(path, label, why):
            return None
        raw = read_csv(path, label, self.problems)
        if raw is None:
            return None
        self.hashes[label] = sha256(path)
        return parse_table(schema, raw, label, self.problems)

    def document(self, doc_id: str, rel: str, needed: bool, overrides: Mapping[str, str] | None = None,
                 why: str = "", key: str | None = None):
        """Load and validate one YAML document; ``key`` is its ``files:`` override key (default: its id)."""
        schema = CONTRACT.document(doc_id)
        path, label = self.path(rel, overrides or {}, key or doc_id)
        if path is None or (not path.exists() and not needed):
            return None
        if why and self.missing(path, label, why):
            return None
        before = len(self.problems.errors)
        value = load_yaml(path, label, self.problems)
        if value is None:
            return None
        self.hashes[label] = sha256(path)
        validate_node(schema.root, value, "", label, self.problems)
        return value if len(self.problems.errors) == before else None


def _read(root: Path) -> tuple[_Loader, dict[str, Any]]:
    ld = _Loader(root)
    state: dict[str, Any] = {"tables": {}, "maps": {}, "root": Path(root)}
    if not Path(root).is_dir():
        ld.problems.error(str(root), "", "study directory does not exist")
        return ld, state
    raw = ld.document("study", "study.yml", needed=True)
    if raw is None:
        return ld, state
    config = _config(raw)
    state["config"] = config
    overrides = {str(k): str(v) for k, v in (raw.get("files") or {}).items()}
    _check_overrides(overrides, ld.problems)
    collected = {st for s in config.sites for st, on in s.strands.items() if on}
    for schema in CONTRACT.tables:
        strand = STRAND_FILES.get(schema.id)
        frame = ld.table(schema, overrides, strand in collected, _needed_because(config, strand))
        if frame is not None:
            state["tables"][schema.id] = frame
    for site in config.sites:
        if site.has("service_mapping"):
            rel = f"service_mapping/{site.id}.yml"
            state["maps"][site.id] = ld.document(
                "service_mapping", rel, needed=True, overrides=overrides, key=f"service_mapping.{site.id}",
                why=f"site {site.id} collects the service_mapping strand (study.yml)")
    has_qual = "qualitative" in collected
    state["codebook"] = ld.document("codebook", "qualitative/codebook.yml", has_qual, overrides,
                                    why=_needed_because(config, "qualitative"))
    state["pathways"] = ld.document("pathways", "qualitative/pathways.yml", False, overrides)
    state["integration"] = ld.document("integration", "integration.yml", False, overrides)
    return ld, state


def _needed_because(config: StudyConfig, strand: str | None) -> str:
    """Why a strand's file is needed, e.g. "sites A, B collect the followup strand (study.yml)"."""
    users = [s.id for s in config.sites if strand is not None and s.has(strand)]
    if not users:
        return ""
    who = f"site {users[0]} collects" if len(users) == 1 else f"sites {', '.join(users)} collect"
    return f"{who} the {strand} strand (study.yml)"


def _check_overrides(overrides: Mapping[str, str], problems: ProblemList) -> None:
    """Warn about ``files:`` keys that name no file of the contract (a typo would be ignored)."""
    known = [t.id for t in CONTRACT.tables] + [d.id for d in CONTRACT.documents
                                              if d.id not in ("study", "service_mapping")]
    for key in overrides:
        if key in known or key.startswith("service_mapping."):
            continue
        close = get_close_matches(key, known, n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]!r}?" if close else f" (file ids: {', '.join(known)})"
        if key == "service_mapping":
            hint = "; move service-mapping files one site at a time with service_mapping.<site>"
        problems.warning("study.yml", f"files.{key}", f"unknown file id is ignored{hint}")


def validate_study(root: Path | str) -> list[Problem]:
    """Every problem of the study at ``root`` (errors and warnings), in file order."""
    from hubcase.checks import cross_checks

    ld, state = _read(Path(root))
    if "config" in state:
        cross_checks(state, ld.problems)
    return list(ld.problems.items)


def load_study(root: Path | str) -> Study:
    """Load and validate the study at ``root``; raise StudyError listing every error."""
    from hubcase.checks import cross_checks

    root = Path(root)
    ld, state = _read(root)
    if "config" in state:
        cross_checks(state, ld.problems)
    ld.problems.raise_if_errors()
    tables = {k: v.reset_index(drop=True) for k, v in state["tables"].items()}
    return Study(root=root, config=state["config"], tables=MappingProxyType(tables),
                 service_maps=MappingProxyType({k: v for k, v in state["maps"].items() if v is not None}),
                 codebook=state.get("codebook"), pathways=state.get("pathways"),
                 integration=state.get("integration"), input_hashes=MappingProxyType(dict(ld.hashes)),
                 warnings=tuple(ld.problems.warnings))


def measures_used(config: StudyConfig) -> dict[str, tuple[str, ...]]:
    """Site id -> measure ids used there (Table 5)."""
    return {s.id: tuple(m for m in MEASURES if m in s.measures) for s in config.sites}
