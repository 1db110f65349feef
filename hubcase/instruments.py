"""The screening instruments: items, item ranges, severity bands and caseness.

This module is the single description of each measure.  The record schema
(item columns and their ranges), the scoring in :mod:`analyses.scoring` and the
data-contract page are all derived from it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    """A severity band: ``low <= total <= high`` has label ``label``.

    ``grade`` places the band on the overall-severity scale of Table 29
    (0 = low, 1 = moderate, 2 = high).
    """

    id: str
    label: str
    low: int
    high: int
    grade: int


@dataclass(frozen=True)
class Measure:
    """A screening questionnaire scored as the sum of its items."""

    id: str
    label: str
    domain: str
    items: tuple[str, ...]
    item_min: int
    item_max: int
    bands: tuple[Band, ...]
    caseness_label: str
    caseness_min_total: int | None  # None: caseness by algorithm (ITQ)
    allowed_item_values: tuple[int, ...] | None = None  # per-item restriction, e.g. AUDIT 9-10
    restricted_items: tuple[str, ...] = ()
    reference: str = ""

    @property
    def total_max(self) -> int:
        return self.item_max * len(self.scored_items)

    @property
    def scored_items(self) -> tuple[str, ...]:
        """Items summed into the total (ITQ: the six PTSD symptom items)."""
        if self.id == "itq":
            return tuple(i for i in self.items if i.startswith("itq_p") and not i.startswith("itq_pfi"))
        return self.items

    def item_range_text(self) -> str:
        return f"{self.item_min}–{self.item_max}"


def _items(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}_{i:02d}" for i in range(1, n + 1))


PHQ9 = Measure(
    id="phq9", label="PHQ-9", domain="depression", items=_items("phq9", 9), item_min=0, item_max=3,
    bands=(Band("none", "None", 0, 4, 0), Band("mild", "Mild", 5, 9, 0),
           Band("moderate", "Moderate", 10, 14, 1), Band("moderately_severe", "Moderately severe", 15, 19, 1),
           Band("severe", "Severe", 20, 27, 2)),
    caseness_label="at least moderate depression (total ≥ 10)", caseness_min_total=10,
    reference="Kroenke, Spitzer & Williams 2001",
)
GAD7 = Measure(
    id="gad7", label="GAD-7", domain="anxiety", items=_items("gad7", 7), item_min=0, item_max=3,
    bands=(Band("none", "None", 0, 4, 0), Band("mild", "Mild", 5, 9, 0),
           Band("moderate", "Moderate", 10, 14, 1), Band("severe", "Severe", 15, 21, 2)),
    caseness_label="at least moderate anxiety (total ≥ 10)", caseness_min_total=10,
    reference="Spitzer et al. 2006",
)
PCL5 = Measure(
    id="pcl5", label="PCL-5", domain="ptsd", items=_items("pcl5", 20), item_min=0, item_max=4,
    bands=(Band("no_ptsd", "No PTSD", 0, 30, 0), Band("ptsd", "PTSD present", 31, 80, 2)),
    caseness_label="probable PTSD (total ≥ 31)", caseness_min_total=31,
    reference="Blevins et al. 2015",
)
ITQ_ITEMS = (
    tuple(f"itq_p{i}" for i in range(1, 7)) + tuple(f"itq_pfi{i}" for i in range(1, 4))
    + tuple(f"itq_c{i}" for i in range(1, 7)) + tuple(f"itq_cfi{i}" for i in range(1, 4))
)
ITQ = Measure(
    id="itq", label="ITQ", domain="ptsd", items=ITQ_ITEMS, item_min=0, item_max=4,
    bands=(Band("none", "No PTSD/CPTSD", 0, 24, 0), Band("ptsd", "PTSD present", 0, 24, 2),
           Band("cptsd", "CPTSD present", 0, 24, 2)),
    caseness_label="ICD-11 PTSD or CPTSD by the ITQ diagnostic algorithm", caseness_min_total=None,
    reference="Cloitre et al. 2018 (diagnostic algorithm; items endorsed at ≥ 2)",
)
AUDIT = Measure(
    id="audit", label="AUDIT", domain="alcohol", items=_items("audit", 10), item_min=0, item_max=4,
    bands=(Band("low_risk", "Low risk", 0, 7, 0), Band("hazardous", "Hazardous", 8, 15, 1),
           Band("harmful", "Harmful", 16, 19, 2), Band("possible_dependence", "Possible dependence", 20, 40, 2)),
    caseness_label="at least hazardous drinking (total ≥ 8)", caseness_min_total=8,
    allowed_item_values=(0, 2, 4), restricted_items=("audit_09", "audit_10"),
    reference="Saunders et al. 1993 (items 9 and 10 score 0, 2 or 4)",
)
WSAS = Measure(
    id="wsas", label="WSAS", domain="functioning", items=_items("wsas", 5), item_min=0, item_max=8,
    bands=(Band("subclinical", "Subclinical", 0, 10, 0), Band("significant", "Significant", 11, 20, 1),
           Band("moderately_severe_plus", "Moderately severe or worse", 21, 40, 2)),
    caseness_label="at least significant functional impairment (total ≥ 11)", caseness_min_total=11,
    reference="Mundt et al. 2002",
)

MEASURES: dict[str, Measure] = {m.id: m for m in (PHQ9, GAD7, PCL5, ITQ, AUDIT, WSAS)}
"""All measures, in the order of Table 9."""

DOMAINS: tuple[str, ...] = ("depression", "anxiety", "ptsd", "alcohol", "functioning")
"""The five caseness domains of Table 55 (PTSD by PCL-5 or ITQ)."""
