"""Build every joint display of a study, the evidence appendix and the fit report."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analyses.result import TableResult
from joint_displays.disclosure import GROUP_NOUNS, cap as _cap, site_identifier_leaks
from joint_displays.fit import fit_warnings
from joint_displays.hub_level import build_hub_display, hub_cases
from joint_displays.model import JointDisplay
from joint_displays.statistics import StudyEvidence
from joint_displays.subgroups import build_subgroup_display
from joint_displays.themes import build_themes_display


@dataclass(frozen=True)
class DisplaySet:
    """T23–T26 of one study (a display is None when the study has nothing to put in it)."""

    hub: JointDisplay | None
    demographic: JointDisplay | None
    occupational: JointDisplay | None
    themes: JointDisplay | None
    appendix: TableResult
    warnings: tuple[str, ...]

    @property
    def displays(self) -> tuple[JointDisplay, ...]:
        return tuple(d for d in (self.hub, self.demographic, self.occupational, self.themes) if d is not None)

    def get(self, display_id: str) -> JointDisplay:
        for d in self.displays:
            if d.id == display_id:
                return d
        raise KeyError(display_id)

    def fit_frame(self) -> pd.DataFrame:
        frames = [d.fit_frame() for d in self.displays]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def evidence_frame(self) -> pd.DataFrame:
        frames = [d.evidence_frame() for d in self.displays]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _used_excerpts(display: JointDisplay | None) -> set[str]:
    if display is None:
        return set()
    return {q.excerpt_id for r in display.rows for c in r.cells.values() for q in c.quotes}


def evidence_appendix(ev: StudyEvidence, hub_ids: set[str], subgroup_ids: set[str]) -> TableResult:
    """T-EVID: every excerpt shown in a display, by ID, with label, codes and pathway.

    Excerpts shown in subgroup displays are listed with their participant group only and
    no codes that could be matched back to a Hub-level quote.
    """
    ex = ev.excerpts.set_index("excerpt_id")
    rows = []
    for eid in sorted(hub_ids | subgroup_ids):
        r = ex.loc[eid]
        anonymous = eid in subgroup_ids
        rows.append({"excerpt_id": eid, "label": _cap(GROUP_NOUNS.get(r["group"], "a participant"))
                     if anonymous else r["participant_id"], "text": r["text"],
                     "codes": "; ".join(c.replace("_", " ") for c in r["code_list"]),
                     "pathway": " → ".join(c.replace("_", " ") for c in r["chain_list"]),
                     "valence": r["valence"], "shown_in": "subgroup display" if anonymous else "Hub-level display"})
    data = pd.DataFrame(rows, columns=["excerpt_id", "label", "text", "codes", "pathway", "valence", "shown_in"])
    display = pd.DataFrame({"Excerpt": data["excerpt_id"], "Participant": data["label"], "Quote": data["text"],
                            "Codes": data["codes"], "Pathway": data["pathway"].replace("", "–")})
    return TableResult("T-EVID", "Evidence appendix: excerpts shown in the joint displays", data, display,
                       ("Excerpts flagged identifiable are never shown. Excerpts shown in subgroup displays are "
                        "labelled by participant group only.",))


def build_displays(study, *, tables: dict[str, TableResult] | None = None, models=None) -> DisplaySet:
    """Build T23–T26 from the study's analysis results (computed here if not given)."""
    if models is None and "screening" in study.tables:
        from analyses.screening_models import fit_caseness_models
        models = fit_caseness_models(study=study, ci="wald")
    cases = hub_cases(study)
    ev = StudyEvidence(study, cases=cases, tables=tables)
    hub = build_hub_display(ev) if cases else None
    hub_used = _used_excerpts(hub)
    demographic = build_subgroup_display(ev, "demographic", models=models, exclude_excerpts=hub_used)
    occupational = build_subgroup_display(ev, "occupational", models=models,
                                          exclude_excerpts=hub_used | _used_excerpts(demographic))
    themes = build_themes_display(ev)
    sub_used = _used_excerpts(demographic) | _used_excerpts(occupational)
    warnings: list[str] = []
    for d in (hub, demographic, occupational, themes):
        if d is None:
            continue
        for row in d.rows:
            for scope, fit in ([("all", row.fit)] if row.fit else []) + list(row.fits.items()):
                warnings += fit_warnings(d.id, row.id, scope, fit)
    labels = [s.label for s in study.config.sites]
    people = list(study.participants["participant_id"]) if "participants" in study.tables else []
    for d in (demographic, occupational):
        if d is not None:
            warnings += [f"disclosure: {leak}" for leak in site_identifier_leaks(d, study.site_ids, labels, people)]
    return DisplaySet(hub, demographic, occupational, themes, evidence_appendix(ev, hub_used, sub_used),
                      tuple(warnings))
