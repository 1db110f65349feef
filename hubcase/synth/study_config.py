"""study.yml of a synthetic study."""
from __future__ import annotations

import yaml

from hubcase.synth.sites import BASE_OPENED, SiteProfile

MINORITY = ["black_african", "black_caribbean", "other_black", "chinese", "indian", "bangladeshi", "pakistani",
            "other_asian", "white_asian", "white_black_caribbean", "white_black_african", "other_mixed", "other"]

SUBGROUPS = [
    {"id": "ethnic_minority", "label": "Keyworkers from ethnic minority communities", "kind": "demographic",
     "records": {"field": "ethnicity", "in": MINORITY},
     "benchmarks": [
         {"population": "NHS staff", "share": 0.221, "source": "UK Government ethnicity facts and figures, 2021"},
         {"population": "Adult social care workforce", "share": 0.21, "source": "Skills for Care, 2021"}],
     "screening_association": {"outcome": "case_audit", "predictor": "ethnic_minority"}},
    {"id": "men", "label": "Keyworkers identifying as men", "kind": "demographic",
     "records": {"field": "gender", "equals": "man"},
     "benchmarks": [
         {"population": "NHS staff", "share": 0.23, "source": "NHS Employers, 2019"},
         {"population": "Adult social care workforce", "share": 0.18, "source": "Skills for Care, 2021"}],
     "screening_association": {"outcome": "case_audit", "predictor": "gender_man"}},
    {"id": "care_home", "label": "Care-home staff", "kind": "occupational",
     "records": {"field": "sector", "equals": "social_care"}},
    {"id": "emergency_services", "label": "Emergency services staff", "kind": "occupational",
     "records": {"field": "sector", "equals": "emergency_services"}},
]


def study_yaml(sites: list[SiteProfile], *, title: str | None = None) -> str:
    doc = {
        "title": title or "Resilience Hubs for health and social care keyworkers: a synthetic mixed-methods study",
        "short_title": "Resilience Hubs (synthetic)",
        "currency": "GBP",
        "price_year": 2021,
        "disclosure": {"min_cell_count": 5, "min_subgroup_interviews": 3},
        "sites": [{
            "id": s.id, "label": s.label, "measures": list(s.measures),
            "strands": {"service_mapping": True, "screening": True, "followup": True, "costing": True,
                        "qualitative": s.qualitative},
            "opened": BASE_OPENED[s.base],
        } for s in sites],
        "subgroups": SUBGROUPS,
        "economics": {"overtime_hours_per_week": 10.4, "contracted_hours_per_week": 37.5},
        "eq5d": {"value_set": "england_5l_devlin2018"},
    }
    header = ("# Synthetic study written by `hubcase synth`. Every record is invented; the figures are\n"
              "# calibrated to the published tables of the reference evaluation (see docs/calibration.md).\n")
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
