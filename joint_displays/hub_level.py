"""T23: the Hub-level cross-case joint display.

Columns are the sites that have all five strands (derived from study.yml, not
hard-coded); every cell is computed from the strands' results and carries the
ID of the table it comes from; qualitative cells hold exemplar excerpts with
their NPT pathways.
"""
from __future__ import annotations

from typing import Callable

from analyses.qualitative import select_exemplars
from analyses.screening import SECTOR_LABELS
from joint_displays.fit import Value, rate_row
from joint_displays.model import NOT_COLLECTED, NOT_ADDRESSED, Cell, JointDisplay, Quote, Row
from joint_displays.statistics import StudyEvidence

STRANDS = ("service_mapping", "screening", "followup", "costing", "qualitative")
QUAL_ROWS = (
    ("q_need", "Higher level of need", ("higher_need",), None, False),
    ("q_clarity_pos", "Clarity of the offer (+): keyworkers who told the Hub apart from other support and knew "
     "how to reach it were more likely to value it and register", ("clarity_of_offer",), "enabler", True),
    ("q_clarity_neg", "Clarity of the offer (−): keyworkers who could not tell the Hub apart or did not know what "
     "it offered were less likely to value it or register", ("clarity_of_offer",), "barrier", True),
    ("q_beliefs_pos", "Beliefs about accessing support (+): keyworkers who valued support, and whose managers did, "
     "were more likely to access the Hub", ("beliefs_access",), "enabler", True),
    ("q_beliefs_neg", "Beliefs about accessing support (−): beliefs about the job role, workplace culture and "
     "unsupportive managers made registering less likely", ("beliefs_access",), "barrier", True),
)


def hub_cases(study) -> tuple[str, ...]:
    """Sites at which every evidence strand was collected (the Hub-level cases)."""
    return study.config.sites_with(*STRANDS)


def pct(v: Value | None, digits: int = 1) -> str | None:
    return None if v is None or v.value is None else f"{100 * v.value:.{digits}f}%"


def _stat_cell(ev: StudyEvidence, name: str, scope: str, fmt: Callable[[Value], str] = pct,
               missing: str = NOT_ADDRESSED) -> Cell:
    v = ev.statistic(name, scope)
    if v is None or v.value is None:
        return Cell(status=missing, evidence=())
    return Cell(fmt(v), evidence=(v.table,))


def _mapping_rows(ev: StudyEvidence, cases) -> list[Row]:
    rows = [Row("band6", "Proportion of senior Hub staff (Band 6+)",
                {s: _stat_cell(ev, "band6_share", s, lambda v: f"{100 * v.value:.2f}%") for s in cases},
                section="Service mapping – staffing")]
    cells = {}
    for s in cases:
        ref = ev.study.service_maps[s]["onward_referral"]
        share = ref.get("share_direct")
        text = ref["description"] + (f" (about {100 * share:.0f}% delivered directly by the Hub)" if share else "")
        cells[s] = Cell(text, evidence=(f"service_mapping/{s}.yml:onward_referral",))
    rows.append(Row("direct_therapy", "How therapy and formal psychological interventions are delivered", cells,
                    section="Service mapping – staffing"))
    return rows


def _screening_rows(ev: StudyEvidence, cases) -> list[Row]:
    sec = "Screening data: occupational group (% of site screening sample)"
    rows = []
    for sector, label in SECTOR_LABELS.items():
        cells = {s: _stat_cell(ev, f"sector_share.{sector}", s) for s in cases}
        if sector == "nhs":
            for s in cases:
                n = ev.study.screening["site"].eq(s).sum()
                cells[s] = Cell(f"n = {n}; {cells[s].text}", evidence=cells[s].evidence) if cells[s].text else cells[s]
        rows.append(Row(f"sector_{sector}", label, cells, section=sec))
        if sector == "nhs":
            icu = {s: _stat_cell(ev, "sector_share.icu_of_nhs", s, lambda v: f"({100 * v.value:.0f}% of NHS)")
                   for s in cases}
            rows.append(Row("icu", "ICU/critical care", icu, section=sec))
            other = {s: Cell(f"({100 - 100 * v.value:.0f}% of NHS)", evidence=(v.table,))
                     if (v := ev.statistic("sector_share.icu_of_nhs", s)) else Cell(status=NOT_ADDRESSED)
                     for s in cases}
            rows.append(Row("other_nhs", "Other NHS", other, section=sec))
    sec = "Mental health screening data (caseness, % excluding missing)"
    for mid, label in (("phq9", "Depression caseness (PHQ-9)"), ("gad7", "Anxiety caseness (GAD-7)"),
                       ("ptsd", "PTSD caseness (PCL-5 or ITQ)"), ("wsas", "Impairment in functioning caseness (WSAS)"),
                       ("audit", "Problematic alcohol use caseness (AUDIT)")):
        cells = {}
        for s in cases:
            cell = _stat_cell(ev, f"caseness.{mid}", s, lambda v: f"{100 * v.value:.0f}%", missing=NOT_COLLECTED)
            if mid == "ptsd" and cell.text:
                inst = "PCL-5" if "pcl5" in ev.study.config.site(s).measures else "ITQ"
                cell = Cell(f"{cell.text} ({inst})", evidence=cell.evidence)
            cells[s] = cell
        rows.append(Row(mid, label, cells, section=sec))
    return rows


MET_NEEDS = (("yes_fully", "Yes fully"), ("yes_partially", "Yes partially"), ("no", "No"), ("missing", "Missing"))


def _service_use_rows(ev: StudyEvidence, cases) -> list[Row]:
    sec = "Service use (% of those accessing support via any route)"
    rows = [Row(key, label, {s: _stat_cell(ev, key, s) for s in cases}, section=sec) for key, label in (
        ("su_hub_share", "Keyworkers accessing services delivered by the Hub"),
        ("su_facilitated_share", "Non-Hub support accessed by direct support of the Hub"),
        ("su_employer_share", "Keyworkers accessing services provided by their employer"))]
    cells = {}
    for s in cases:
        parts = [(lab, ev.statistic(f"met_needs.{lvl}", s)) for lvl, lab in MET_NEEDS]
        known = [(lab, v) for lab, v in parts if v is not None]
        cells[s] = (Cell("; ".join(f"{lab} – {100 * v.value:.1f}%" for lab, v in known), evidence=("T12",))
                    if known else Cell(status=NOT_ADDRESSED))
    rows.append(Row("met_needs", "Keyworkers who agreed that the Hub met their needs (% of respondents)", cells,
                    section=sec))
    return rows


def _money(ev: StudyEvidence, cell: dict | None) -> str | None:
    from analyses.economics import fmt_money_ci
    return None if not cell or cell.get("mean") is None else fmt_money_ci(cell, ev.study.config.currency)


def _cost_rows(ev: StudyEvidence, cases) -> list[Row]:
    sec = "Health and social care costs (complete costing data)"
    rows = []
    for rid, label, key in (("cost_mh", "Mean total mental health care cost (95% CI)", "total__mh_total"),
                            ("cost_wider", "Mean wider health and social care cost (95% CI)", "total__wider_total")):
        cells = {}
        for s in cases:
            cell = ev.t61_cell(s, key)
            n = ev.t61_cell(s, "n")
            text = _money(ev, cell)
            cells[s] = (Cell(f"{text}; n = {int(n['n'])}", evidence=("T61",)) if text and n and n.get("n") == n.get("n")
                        else Cell(status="suppressed" if cell is None and n else NOT_ADDRESSED, evidence=("T61",)))
        rows.append(Row(rid, label, cells, section=sec))
    return rows


def _health_rows(ev: StudyEvidence, cases) -> list[Row]:
    sec = "Health status (EQ-5D-5L)"
    dims = (("eq5d_mo", "Mobility"), ("eq5d_sc", "Self-care"), ("eq5d_ua", "Usual activities"),
            ("eq5d_pd", "Pain and discomfort"), ("eq5d_ad", "Anxiety and depression"))
    cells = {}
    for s in cases:
        parts = [(lab, ev.statistic(f"eq5d_no_problems.{d}", s)) for d, lab in dims]
        known = [f"{lab} – {100 * v.value:.0f}%" for lab, v in parts if v is not None]
        cells[s] = Cell("; ".join(known), evidence=("T16",)) if known else Cell(status=NOT_ADDRESSED)
    rows = [Row("eq5d_no_problems", "Keyworkers reporting no problems", cells, section=sec)]
    rows.append(Row("eq5d_mean", "Mean EQ-5D index", {s: _stat_cell(ev, "eq5d_mean", s, lambda v: f"{v.value:.3f}")
                                                      for s in cases}, section=sec))
    rows.append(Row("eq_vas_mean", "Mean EQ-VAS", {s: _stat_cell(ev, "eq_vas_mean", s, lambda v: f"{v.value:.2f}")
                                                   for s in cases}, section=sec))
    return rows


def quotes_for(ev: StudyEvidence, *, scope: str, themes, valence, k: int, chains: bool,
               label: Callable | None = None, exclude: set[str] = frozenset()) -> tuple[Quote, ...]:
    pool = ev.matching_excerpts(scope=scope, themes=themes, valence=valence)
    pool = pool[~pool["excerpt_id"].isin(list(exclude))]
    chosen = select_exemplars(pool, codes=None, k=k)
    labels = dict(zip(ev.excerpts["participant_id"], ev.excerpts["participant_id"]))
    return tuple(Quote(r["excerpt_id"], label(r) if label else labels[r["participant_id"]], r["text"],
                       " → ".join(c.replace("_", " ") for c in r["chain_list"]) if chains else "")
                 for _, r in chosen.iterrows())


def _qualitative_rows(ev: StudyEvidence, cases, k: int) -> list[Row]:
    rows = []
    for rid, label, themes, valence, chains in QUAL_ROWS:
        cells = {}
        for s in cases:
            quotes = quotes_for(ev, scope=s, themes=themes, valence=valence, k=k, chains=chains)
            cells[s] = Cell(quotes=quotes) if quotes else Cell(status=NOT_ADDRESSED)
        rows.append(Row(rid, label, cells, section="Qualitative (NPT)"))
    return rows


def fit_rows(ev: StudyEvidence, display_id: str, scopes) -> list[Row]:
    """Integration rows of ``display_id`` rated in each scope (column)."""
    rows = []
    for spec in (ev.study.integration or {}).get("rows", []):
        if spec["display"] != display_id:
            continue
        fits = {s: rate_row(spec, s, ev) for s in scopes}
        cells = {s: Cell(f"{f.shown}: {f.rationale}", evidence=tuple(e for a in f.assessments for e in a.evidence
                                                                   if not e.startswith("EX")))
                 for s, f in fits.items()}
        rows.append(Row(spec["id"], f"{spec['label']}: {spec['proposition']}", cells, section="Assessment of fit",
                        fits=fits))
    return rows


def build_hub_display(ev: StudyEvidence, *, quotes_per_cell: int = 2) -> JointDisplay:
    cases = ev.cases
    columns = tuple((s, ev.study.config.site(s).label) for s in cases)
    rows = (_mapping_rows(ev, cases) + _screening_rows(ev, cases) + _service_use_rows(ev, cases)
            + _cost_rows(ev, cases) + _health_rows(ev, cases) + _qualitative_rows(ev, cases, quotes_per_cell)
            + fit_rows(ev, "T23", cases))
    excluded = [s.label for s in ev.study.config.sites if s.id not in cases]
    notes = ["Cases: the sites at which every strand (service mapping, screening, follow-up, costing, interviews) "
             "was collected" + (f"; not included: {', '.join(excluded)}." if excluded else "."),
             "Service-use and cost figures come from the follow-up questionnaire, answered by a minority of those "
             "screened; where few responded they are imprecise.",
             "PTSD caseness is measured with PCL-5 at some sites and the ITQ at others; the two are not directly "
             "comparable. '–': the measure was not used at the site.",
             "Every number carries the ID of the table it comes from (see the evidence columns of the CSV); quotes "
             "link to the evidence appendix."]
    return JointDisplay("T23", "Cross-case analysis of mixed-methods data at Hub level", columns, tuple(rows),
                        tuple(notes))
