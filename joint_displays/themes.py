"""T26: the generalising-themes joint display, one row per integration theme.

Columns are the strands (service mapping, screening data, health economics —
service use and health status merged, as in the reference report — and
interviews) and the assessment of fit, derived from the evidence by the rule
in :mod:`joint_displays.fit`.
"""
from __future__ import annotations

from joint_displays.fit import rate_row
from joint_displays.model import NOT_ADDRESSED, OK, SUPPRESSED, Cell, JointDisplay, Row
from joint_displays.statistics import StudyEvidence

COLUMNS = (("service_mapping", "Service mapping"), ("screening", "Screening data"),
           ("health_economics", "Health economics"), ("interviews", "Interviews"))
MERGED = {"service_use": "health_economics"}
STATUS = {"not_addressed": NOT_ADDRESSED, "suppressed": SUPPRESSED}


def build_themes_display(ev: StudyEvidence) -> JointDisplay | None:
    specs = [r for r in (ev.study.integration or {}).get("rows", []) if r["display"] == "T26"]
    if not specs:
        return None
    rows = []
    for spec in specs:
        fit = rate_row(spec, "all", ev)
        cells: dict[str, Cell] = {}
        for a in fit.assessments:
            column = MERGED.get(a.strand, a.strand)
            cell_spec = spec["strands"].get(a.strand) or {}
            status = STATUS.get(a.outcome, OK)
            if status == NOT_ADDRESSED and "not_addressed" in cell_spec and "small" in str(cell_spec["not_addressed"]):
                status = SUPPRESSED
            text = "" if status != OK else (cell_spec.get("statement") or a.rationale)
            evidence = tuple(e for e in a.evidence if not e.startswith("EX"))
            excerpts = tuple(e for e in a.evidence if e.startswith("EX"))
            new = Cell(text, status, evidence + ((f"{len(excerpts)} excerpts",) if excerpts else ()))
            if column in cells and cells[column].status == OK:
                new = Cell(" ".join(filter(None, (cells[column].text, new.text))), OK,
                           cells[column].evidence + new.evidence)
            cells[column] = new
        for column, _ in COLUMNS:
            cells.setdefault(column, Cell(status=NOT_ADDRESSED))
        rows.append(Row(spec["id"], spec["label"], cells, fit=fit))
    notes = ("Assessment of fit (Fetters, Curry & Creswell 2013): confirmation — the strands support the same "
             "inference; expansion — they address complementary aspects; discordance — a strand contradicts the "
             "others. Ratings are derived from the evidence by hubcase's written rule; a researcher's declared "
             "rating is kept and any disagreement is marked.",
             "[Not addressed]: the strand is silent on the theme; [Not addressed due to small sample sizes]: "
             "suppressed under the disclosure rule.")
    return JointDisplay("T26", "Generalising themes joint display integrating key findings across study components",
                        COLUMNS, tuple(rows), notes, has_fit=True)
