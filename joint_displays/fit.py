"""Fit ratings derived from evidence (Fetters, Curry & Creswell 2013; O'Cathain et al. 2010).

The written rule
----------------
Each strand cell of an integration row is first *evaluated* in a scope (the
whole set of cases, one site, or one subgroup):

* a **quantitative** cell names a statistic and a test (``op`` against a
  constant or another statistic).  The statistic missing in the scope → the
  strand is *not addressed*.  The test holding → the strand *supports* the
  proposition (or *complements* it, when the cell says ``bears: complements``);
  the test failing → the strand *contradicts* it.
* a **qualitative** cell names codes and/or themes (optionally a valence) and a
  minimum number of participants.  Fewer distinct participants with matching
  (publishable) excerpts than the minimum → *not addressed* (silence, never
  counted as disagreement); otherwise it supports/complements as declared.
* a **service-mapping** cell names fields of the site documents; all present
  and non-empty in every case of the scope → supports/complements; otherwise
  not addressed.  It may also carry a statistic test, evaluated as above.
* ``not_addressed: reason`` declares silence; ``suppressed`` results (counts
  under the disclosure threshold) count as not addressed.

The row's rating then follows from the strands that address it:

* **discordance** if any strand contradicts the proposition;
* **confirmation** if at least two strands address it and all of them support
  the same inference;
* **expansion** if at least two strands address it, none contradicts, and at
  least one adds a complementary aspect;
* **not addressed** if fewer than two strands address it (no integration).

A declared rating is kept; if it differs from the derived one the row is
marked and a warning is raised in the build output.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol

from joint_displays.model import FitRating, StrandAssessment

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
}


@dataclass(frozen=True)
class Value:
    """A computed statistic in one scope, with the table it comes from."""

    value: Any
    table: str
    label: str = ""
    n: int | None = None
    suppressed: bool = False


class Evidence(Protocol):
    """What fit evaluation needs from the strands (see :mod:`joint_displays.statistics`)."""

    def statistic(self, name: str, scope: str) -> Value | None: ...

    def participants(self, *, scope: str, codes: tuple[str, ...], themes: tuple[str, ...],
                     valence: str | None) -> tuple[set[str], tuple[str, ...]]: ...

    def mapping_fields(self, *, scope: str, fields: tuple[str, ...]) -> tuple[bool, tuple[str, ...]]: ...


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def evaluate_cell(strand: str, cell: Mapping[str, Any], scope: str, evidence: Evidence) -> StrandAssessment:
    """Evaluate one strand of an integration row in ``scope``."""
    bears = cell.get("bears", "supports")
    if "not_addressed" in cell:
        return StrandAssessment(strand, "not_addressed", f"declared not addressed: {cell['not_addressed'] or 'silent'}")
    if cell.get("statistic"):
        return _evaluate_statistic(strand, cell, scope, evidence, bears)
    if cell.get("codes") or cell.get("themes"):
        need = int(cell.get("min_participants", 1))
        people, excerpts = evidence.participants(scope=scope, codes=tuple(cell.get("codes") or ()),
                                                 themes=tuple(cell.get("themes") or ()), valence=cell.get("valence"))
        what = "/".join(tuple(cell.get("themes") or ()) + tuple(cell.get("codes") or ()))
        if len(people) < need:
            return StrandAssessment(strand, "not_addressed",
                                    f"{len(people)} participant(s) coded {what}, fewer than the {need} required",
                                    excerpts)
        return StrandAssessment(strand, bears, f"{len(people)} participants coded {what} (≥ {need})", excerpts)
    if cell.get("fields"):
        ok, paths = evidence.mapping_fields(scope=scope, fields=tuple(cell["fields"]))
        if not ok:
            return StrandAssessment(strand, "not_addressed", "service-mapping fields not recorded: " + ", ".join(paths))
        return StrandAssessment(strand, bears, "service mapping records " + ", ".join(paths),
                                tuple(f"service_mapping:{p}" for p in paths))
    return StrandAssessment(strand, "not_addressed", "no statistic, codes or fields given")


def _evaluate_statistic(strand, cell, scope, evidence: Evidence, bears: str) -> StrandAssessment:
    stat = evidence.statistic(cell["statistic"], scope)
    if stat is None or stat.value is None:
        return StrandAssessment(strand, "not_addressed", f"{cell['statistic']} is not available for {scope}")
    if stat.suppressed:
        return StrandAssessment(strand, "suppressed", f"{cell['statistic']} suppressed (small numbers)", (stat.table,))
    test = cell.get("test")
    if not test:
        return StrandAssessment(strand, bears, f"{cell['statistic']} = {_fmt(stat.value)}", (stat.table,))
    if "statistic" in test:
        other = evidence.statistic(test["statistic"], scope)
        if other is None or other.value is None:
            return StrandAssessment(strand, "not_addressed", f"{test['statistic']} is not available for {scope}")
        target, target_txt, tables = other.value, f"{test['statistic']} = {_fmt(other.value)}", (stat.table, other.table)
    else:
        target, target_txt, tables = test["value"], _fmt(test["value"]), (stat.table,)
    holds = bool(OPS[test["op"]](stat.value, target))
    text = f"{cell['statistic']} = {_fmt(stat.value)} {test['op']} {target_txt}: {'holds' if holds else 'fails'}"
    return StrandAssessment(strand, bears if holds else "contradicts", text, tables)


def _names(strands) -> str:
    return ", ".join(s.replace("_", " ") for s in strands)


def derive_fit(assessments: tuple[StrandAssessment, ...]) -> tuple[str, str]:
    """Apply the written rule to evaluated strands; return (rating, rationale)."""
    addressing = [a for a in assessments if a.outcome in ("supports", "complements", "contradicts")]
    silent = [a.strand for a in assessments if a not in addressing]
    tail = f" Not addressed: {_names(silent)}." if silent else ""
    against = [a.strand for a in addressing if a.outcome == "contradicts"]
    if against:
        return "discordance", f"{_names(against)} contradict(s) the proposition.{tail}"
    if len(addressing) < 2:
        return "not_addressed", f"Fewer than two strands address the proposition.{tail}"
    complementary = [a.strand for a in addressing if a.outcome == "complements"]
    if not complementary:
        return "confirmation", f"{_names(a.strand for a in addressing)} support the same inference.{tail}"
    return "expansion", (f"No strand contradicts; {_names(complementary)} add(s) complementary aspects to "
                         f"{_names(a.strand for a in addressing if a.outcome == 'supports') or 'each other'}.{tail}")


def rate_row(row: Mapping[str, Any], scope: str, evidence: Evidence) -> FitRating:
    """Evaluate every strand of an integration row in ``scope`` and derive its rating."""
    assessments = tuple(evaluate_cell(strand, cell or {}, scope, evidence)
                        for strand, cell in (row.get("strands") or {}).items())
    rating, rationale = derive_fit(assessments)
    return FitRating(derived=rating, rationale=rationale, assessments=assessments,
                     declared=row.get("declared_fit"), declared_rationale=row.get("rationale"))


def fit_warnings(display_id: str, row_id: str, scope: str, fit: FitRating) -> list[str]:
    if not fit.disagrees:
        return []
    return [f"{display_id} row {row_id} ({scope}): declared fit '{fit.declared}' differs from the rating the "
            f"evidence gives, '{fit.derived}' — {fit.rationale}"]
