"""T24 (demographic) and T25 (occupational) subgroup cross-case displays.

No site is identified anywhere in these displays (see disclosure.py): outreach
is counted over sites, shares are shown as a range across the cases, quotes are
labelled by participant group only, and small counts are suppressed.
"""
from __future__ import annotations

from analyses.economics import fmt_p
from joint_displays.disclosure import GROUP_NOUNS, cap as _cap, naming_excerpts, subgroup_rules_note, suppress_count
from joint_displays.hub_level import fit_rows, quotes_for
from joint_displays.model import NOT_ADDRESSED, SUPPRESSED, Cell, JointDisplay, Row
from joint_displays.statistics import StudyEvidence

TITLES = {"demographic": ("T24", "Cross-case analysis of under-represented demographic groups"),
          "occupational": ("T25", "Cross-case analysis of under-represented occupational groups")}


def _outreach_cell(ev: StudyEvidence, group_id: str) -> Cell:
    data = ev.table("T-OUT", __import__("analyses.service_mapping", fromlist=["x"]).targeted_outreach_table).data
    data = data[(data["target_group"] == group_id) & data["site"].isin(list(ev.cases))]
    if data.empty:
        return Cell("No targeted outreach recorded", evidence=("T-OUT",))
    counts = data.groupby("activity")["site"].nunique()
    text = "; ".join(f"{act} ({n} {'site' if n == 1 else 'sites'})" for act, n in counts.items())
    return Cell(text, evidence=("T-OUT",))


def _training_cell(ev: StudyEvidence, group_id: str) -> Cell:
    found = [t["description"] for s in ev.cases for t in ev.study.service_maps[s]["training"]["subgroup_specific"]
             if t["subgroup"] == group_id]
    return Cell("; ".join(sorted(set(found))) if found else "No specific training recorded",
                evidence=("service_mapping:training",))


def _share_cell(ev: StudyEvidence, group) -> Cell:
    sg = ev.table("T-SG", __import__("analyses.subgroups", fromlist=["x"]).subgroup_representation_table).data
    rows = sg[(sg["subgroup"] == group.id) & sg["site"].isin(list(ev.cases)) & (sg["denom"] > 0)]
    if rows.empty:
        return Cell(status=NOT_ADDRESSED)
    k = ev.study.config.min_cell_count
    bench = "; ".join(f"{100 * b['share']:.0f}% of {b['population']}" for b in group.benchmarks)
    if 0 < rows["n"].sum() < k:  # a share of so few records would disclose them: show the count as <k only
        return Cell(f"Among Hub clients: <{k} screening records across {len(rows)} sites (shares not shown)"
                    + (f". Workforce: {bench}" if bench else ""), evidence=("T-SG",))
    small = rows["n"].between(1, k - 1).any()
    lo, hi = 100 * rows["share"].min(), 100 * rows["share"].max()
    span = f"{lo:.0f}–{hi:.0f}%" if round(lo) != round(hi) else f"{lo:.0f}%"
    text = f"Among Hub clients: {span} across {len(rows)} sites"
    if small:
        text += f" (some site counts below {k})"
    return Cell(text + (f". Workforce: {bench}" if bench else ""), evidence=("T-SG",))


def _association_cell(ev: StudyEvidence, group, models) -> Cell:
    assoc = group.screening_association
    if not assoc or models is None:
        return Cell(status=NOT_ADDRESSED)
    rows = models.rows
    hit = rows[(rows["outcome"] == assoc["outcome"]) & (rows["predictor"] == assoc["predictor"])]
    if hit.empty or not bool(hit["computable"].iloc[0]):
        return Cell(status=NOT_ADDRESSED)
    r = hit.iloc[0]
    direction = "increased" if r["or"] > 1 else "reduced"
    outcome = assoc["outcome"].removeprefix("case_").upper().replace("PHQ9", "PHQ-9").replace("GAD7", "GAD-7")
    table = {"case_phq9": "T30", "case_gad7": "T31", "case_pcl5": "T32", "case_itq": "T33", "case_audit": "T34",
             "case_wsas": "T35"}.get(assoc["outcome"], "T30-T35")
    text = (f"Belonging to the group is associated with {direction} odds of {outcome} caseness "
            f"(OR {r['or']:.2f}, 95% CI {r['ci_low']:.2f} to {r['ci_high']:.2f}, p {fmt_p(r['p'])})")
    return Cell(text, evidence=(table,))


def _pathway_text(ev: StudyEvidence, group_id: str) -> list[str]:
    out = []
    for pw in (ev.study.pathways or {}).get("pathways", []):
        if pw.get("subgroup") == group_id and pw["valence"] == "barrier":
            out.append(" → ".join(f"{n['label']} ({n['code'].replace('_', ' ')})" for n in pw["nodes"]))
    return out


def _costs_cell(ev: StudyEvidence, group_id: str) -> Cell:
    n = ev.t61_cell(group_id, "n")
    k = ev.study.config.min_cell_count
    if not n or n.get("n") != n.get("n") or n["n"] < k:
        return Cell(status=SUPPRESSED, evidence=("T61",))
    from analyses.economics import fmt_money_ci
    cell = ev.t61_cell(group_id, "total__mh_total")
    return Cell(f"Mean mental health care cost {fmt_money_ci(cell, ev.study.config.currency)}; "
                f"n = {suppress_count(int(n['n']), k)}", evidence=("T61",))


def build_subgroup_display(ev: StudyEvidence, kind: str, *, models=None, exclude_excerpts=frozenset(),
                           quotes_per_cell: int = 3) -> JointDisplay | None:
    groups = [g for g in ev.study.config.subgroups if g.kind == kind]
    if not groups:
        return None
    table_id, title = TITLES[kind]
    columns = tuple((g.id, g.label) for g in groups)
    k = ev.study.config.min_cell_count

    def label(r):
        return _cap(GROUP_NOUNS.get(r["group"], "a participant"))

    rows = [
        Row("outreach", "Targeted outreach by the Hubs", {g.id: _outreach_cell(ev, g.id) for g in groups},
            section="Service mapping"),
        Row("training", "Staff training", {g.id: _training_cell(ev, g.id) for g in groups}, section="Service mapping"),
        Row("representation", "Share of Hub clients vs the workforce",
            {g.id: _share_cell(ev, g) for g in groups}, section="Screening data"),
        Row("association", "Screening association", {g.id: _association_cell(ev, g, models) for g in groups},
            section="Screening data"),
        Row("costs", "Service use costs", {g.id: _costs_cell(ev, g.id) for g in groups}, section="Service use"),
    ]
    barrier_cells = {}
    notes = [subgroup_rules_note(k)]
    people_ids = list(ev.study.participants["participant_id"]) if "participants" in ev.study.tables else []
    exclude = set(exclude_excerpts) | naming_excerpts(ev.excerpts, ev.study.site_ids,
                                                      [s.label for s in ev.study.config.sites], people_ids)
    for g in groups:
        quotes = quotes_for(ev, scope=g.id, themes=(), valence="barrier", k=quotes_per_cell, chains=True,
                            label=label, exclude=exclude)
        paths = _pathway_text(ev, g.id)
        text = " ".join(f"Pathway: {p}." for p in paths)
        barrier_cells[g.id] = Cell(text, quotes=quotes) if (quotes or paths) else Cell(status=NOT_ADDRESSED)
        people = ev.study.participants["subgroups"].fillna("").str.split(";").map(
            lambda tags, gid=g.id: gid in [t.strip() for t in tags]).sum()
        if people < ev.study.config.min_subgroup_interviews:
            notes.append(f"{g.label}: fewer than {ev.study.config.min_subgroup_interviews} interviewees; "
                         "limited qualitative data for this group.")
    rows.append(Row("barriers", "Barriers to accessing support (NPT pathways)", barrier_cells,
                    section="Qualitative (NPT)"))
    rows += fit_rows(ev, table_id, [g.id for g in groups])
    return JointDisplay(table_id, title, columns, tuple(rows), tuple(notes))
