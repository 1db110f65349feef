"""Site profiles of synthetic studies.

The default study has the four calibrated sites A–D of the reference report.
Larger studies (``hubcase synth --sites N``) cycle through those four base
profiles, so site ``E`` behaves like ``A``, ``F`` like ``B`` and so on, with
record counts scaled to ``records_per_site``.
"""
from __future__ import annotations

import string
from dataclasses import dataclass

BASE_MEASURES = {
    "A": ("phq9", "gad7", "pcl5", "audit", "wsas"),
    "B": ("phq9", "gad7", "pcl5", "wsas"),
    "C": ("phq9", "gad7", "itq", "audit", "wsas"),
    "D": ("phq9", "gad7", "itq", "audit", "wsas"),
}
BASE_SCREENING_N = {"A": 475, "B": 367, "C": 400, "D": 731}
BASE_FOLLOWUP_N = {"A": 77, "B": 29, "C": 46, "D": 147}
BASE_QUALITATIVE = {"A": True, "B": True, "C": False, "D": True}
BASE_OPENED = {"A": "2020-12", "B": "2021-02", "C": "2020-11", "D": "2020-05"}


@dataclass(frozen=True)
class SiteProfile:
    """One synthetic site: its id, the calibrated site it imitates, and its sizes."""

    id: str
    base: str
    n_screening: int
    n_followup: int

    @property
    def measures(self) -> tuple[str, ...]:
        return BASE_MEASURES[self.base]

    @property
    def qualitative(self) -> bool:
        return BASE_QUALITATIVE[self.base]

    @property
    def label(self) -> str:
        return f"Site {self.id}"

    @property
    def calibrated(self) -> bool:
        """True for the four sites of the reference study at their published sizes."""
        return self.id == self.base and self.n_screening == BASE_SCREENING_N[self.base]


def site_ids(n: int) -> list[str]:
    if n <= 26:
        return list(string.ascii_uppercase[:n])
    return [f"S{i:02d}" for i in range(1, n + 1)]


def site_profiles(n_sites: int | None = None, records_per_site: int | None = None) -> list[SiteProfile]:
    """Profiles of the default study (no arguments) or of an ``n_sites`` study."""
    if n_sites is None and records_per_site is None:
        return [SiteProfile(b, b, BASE_SCREENING_N[b], BASE_FOLLOWUP_N[b]) for b in "ABCD"]
    n_sites = n_sites or 4
    out = []
    for i, sid in enumerate(site_ids(n_sites)):
        base = "ABCD"[i % 4]
        n = records_per_site or BASE_SCREENING_N[base]
        follow = max(2, round(n * BASE_FOLLOWUP_N[base] / BASE_SCREENING_N[base]))
        out.append(SiteProfile(sid, base, n, follow))
    return out
