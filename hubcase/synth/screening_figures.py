"""The calibration targets as rows of ``data/reference/published_figures/screening.csv``.

One row per figure the synthetic screening data reproduce: ``table, row,
column, statistic, value, precision, source_note``; ``column`` is a site id or
``Total``; ``precision`` is the tolerance (|computed − value| ≤ precision, 0 for
counts).  Where the published tables disagree with themselves the value is the
derived count of spec B and ``source_note`` says so.
"""
from __future__ import annotations

import pandas as pd

from hubcase.instruments import MEASURES
from hubcase.schema.tables import COVID_IMPACTS, ETHNIC_GROUPS, ETHNICITIES
from hubcase.synth import screening_targets as T

COLUMNS = ("table", "row", "column", "statistic", "value", "precision", "source_note")
AGE_PRECISION = 0.05  # the printed one-decimal value is reproduced
SCORE_MEAN_PRECISION = 0.1
SCORE_SD_PRECISION = 0.1
FOLLOWUP_MEAN_PRECISION = 0.05
FOLLOWUP_SD_PRECISION = 0.2
NOTE = {
    "T6": "Table 6", "T7": "Table 7", "T8": "Table 8", "T9": "Table 9", "T29": "Table 9 overall severity "
    "(grades of Table 29)", "T55": "Table 55", "T10": "Table 10",
}


class _Rows(list):
    def add(self, table, row, column, statistic, value, precision=0, note=None):
        self.append((table, row, column, statistic, value, precision, note or NOTE[table]))

    def counts(self, table, row, per_site: dict[str, int], note=None, statistic="n"):
        for s in (s for s in T.SITES if s in per_site):
            self.add(table, row, s, statistic, per_site[s], 0, note)
        self.add(table, row, "Total", statistic, sum(per_site.values()), 0, note)


def _group(counts: dict[str, int], group: str) -> int:
    return sum(c for k, c in counts.items() if k and ETHNIC_GROUPS[k] == group)


def _table6(r: _Rows) -> None:
    for s in T.SITES:
        mean, sd, _ = T.AGE[s]
        r.add("T6", "age", s, "mean", mean, AGE_PRECISION)
        r.add("T6", "age", s, "sd", sd, AGE_PRECISION)
    r.add("T6", "age", "Total", "mean", T.AGE_TOTAL[0], AGE_PRECISION)
    r.add("T6", "age", "Total", "sd", T.AGE_TOTAL[1], AGE_PRECISION)
    r.counts("T6", "age_missing", {s: T.AGE[s][2] for s in T.SITES}, "Table 6 (B 3.0% missing)")
    note = "Table 6; White Irish folded into other_white (spec B §7.2)"
    for g in T.ETHNIC_GROUP_ROWS:
        r.counts("T6", f"ethnicity_{g}", {s: _group(T.ETHNICITY[s], g) for s in T.SITES}, note)
    r.counts("T6", "ethnicity_missing", {s: T.ETHNICITY[s][""] for s in T.SITES}, "derived: n − category sum")
    for g in ("woman", "man", "another_way"):
        r.counts("T6", f"gender_{g}", {s: T.GENDER[s][g] for s in T.SITES})
    r.counts("T6", "gender_missing", {s: T.GENDER[s][""] for s in T.SITES},
             "derived: n − category sum (B prints 0% missing but sums to 358; spec B §7.13)")
    for g in ("heterosexual", "another_way"):
        r.counts("T6", f"sexual_orientation_{g}", {s: T.SEXUAL_ORIENTATION[s][g] for s in T.SITES})
    r.counts("T6", "sexual_orientation_missing", {s: T.SEXUAL_ORIENTATION[s][""] for s in T.SITES},
             "derived: n − category sum (A prints 1.3% but 9/475 = 1.9%; spec B §7.13)")
    r.counts("T6", "disability_yes", {s: T.DISABILITY[s]["yes"] for s in T.SITES},
             "Table 6 (percentages of full n; total 195 is 9.9%, not the printed 10.9%)")
    r.counts("T6", "disability_missing", {s: T.DISABILITY[s][""] for s in T.SITES},
             "B 80.4% and D 67% missing (text l.961); A and C not reported: our choice")


def _table7(r: _Rows) -> None:
    for sector in ("nhs", "primary_care", "social_care", "emergency_services", "education", "vcse",
                   "local_authority", "other"):
        r.counts("T7", f"sector_{sector}", {s: T.SECTOR[s][sector] for s in T.SITES})
    r.counts("T7", "sector_missing", {s: T.SECTOR[s][""] for s in T.SITES},
             "derived: n − category sum (C prints 4% = 16 but sums to 385; spec B §7.14)")
    icu = {s: int(round(T.ICU_SHARE_OF_NHS[s] * T.SECTOR[s]["nhs"])) for s in T.SITES}
    r.counts("T7", "nhs_icu", icu, "derived: ICU/critical care incl. Nightingale = 30/12/10/18% of NHS "
             "(text l.963)")


def _table8(r: _Rows) -> None:
    for item in COVID_IMPACTS:
        r.counts("T8", item, {s: T.COVID[item][s][0] for s in T.SITES})
        r.counts("T8", item, {s: T.COVID[item][s][1] for s in T.SITES},
                 "derived non-missing n (spec B §4.3); printed totals 580/511/1021 exceed the site sums by 1",
                 statistic="n_valid")
    for level in ("yes", "unsure", "no"):
        note = "derived: n − yes − unsure (spec B §4.3)" if level == "no" else None
        if level == "yes":
            note = "Table 8 (printed total 754; site sum 751)"
        r.counts("T8", f"prepandemic_concern_{level}", {s: T.PREPANDEMIC[s][level] for s in T.SITES}, note)
    r.counts("T8", "prepandemic_concern", {s: T.N[s] - T.PREPANDEMIC[s][""] for s in T.SITES},
             "derived non-missing n (A: 468 from its percentages despite 0% printed)", statistic="n_valid")


def _band_rows(r: _Rows, m: str) -> None:
    sites = [s for s in T.SITES if s in T.BANDS[m]]
    bands = MEASURES[m].bands
    for i, band in enumerate(bands):
        if m == "pcl5" and i == 0 or m == "itq" and i == 0:
            continue
        note = "Table 9 (PTSD only; CPTSD takes precedence)" if m == "itq" and band.id == "ptsd" else None
        r.counts("T9", f"{m}_{band.id}", {s: T.BANDS[m][s][i] for s in sites}, note)
    grades = [b.grade for b in bands]
    case = {s: sum(c for c, g in zip(T.BANDS[m][s], grades) if g >= 1) for s in sites}
    r.counts("T9", f"{m}_caseness", case, "derived caseness count (spec B §4.4)")
    valid = {s: sum(T.BANDS[m][s]) for s in sites}
    r.counts("T9", m, valid, "derived non-missing n (spec B §4.4)", statistic="n_valid")
    if m == "itq":
        r.counts("T9", "itq_cptsd", {s: valid[s] - T.DSO_MISSING[s] for s in sites},
                 "derived: CPTSD status known (C 1.0%, D 1.6% missing)", statistic="n_valid")


def _table9(r: _Rows) -> None:
    for m in MEASURES:
        sites = [s for s in T.SITES if s in T.MOMENTS[m]]
        for s in sites:
            note = None
            if m == "gad7" and s == "C":
                note = "derived ≈ 11.5: printed 16 (5.5) conflicts with the bands and the total (spec B §7.16)"
            r.add("T9", f"{m}_total", s, "mean", T.MOMENTS[m][s][0], SCORE_MEAN_PRECISION, note)
            r.add("T9", f"{m}_total", s, "sd", T.MOMENTS[m][s][1], SCORE_SD_PRECISION, note)
        note = "Table 9 (ITQ score = sum of P1–P6)" if m == "itq" else None
        r.add("T9", f"{m}_total", "Total", "mean", T.MOMENTS_TOTAL[m][0], SCORE_MEAN_PRECISION, note)
        r.add("T9", f"{m}_total", "Total", "sd", T.MOMENTS_TOTAL[m][1], SCORE_SD_PRECISION, note)
        _band_rows(r, m)
    for i, level in enumerate(("low", "moderate", "high")):
        r.counts("T29", f"overall_severity_{level}", {s: T.SEVERITY[s][i] for s in T.SITES})
    r.counts("T29", "overall_severity", {s: sum(T.SEVERITY[s]) for s in T.SITES},
             "derived non-missing n (B and Total percentages printed over the full n; spec B §7.16)",
             statistic="n_valid")


def _table55(r: _Rows) -> None:
    for k in range(6):
        r.counts("T55", f"domains_{k}", {s: T.DOMAIN_COUNTS[s][k] for s in T.SITES})
    r.counts("T55", "domains", {s: sum(T.DOMAIN_COUNTS[s]) for s in T.SITES},
             "derived complete-case n (B prints 10.2% missing; 325/367 is 11.4%; spec B §7.18)",
             statistic="n_valid")


def _table10(r: _Rows) -> None:
    r.counts("T10", "consent_contact", T.CONSENT_CONTACT, "derived SUQ-eligible n: 900 split by response rates "
             "(spec B §0)")
    r.counts("T10", "respondents", T.FOLLOWUP, "Table 10 / text l.885")
    for s in T.SITES:
        note = "Table 10 (3%/4% missing at A/C cannot be: screening ages complete there)" if s in "AC" else None
        r.add("T10", "age", s, "mean", T.FOLLOWUP_AGE[s][0], FOLLOWUP_MEAN_PRECISION, note)
        r.add("T10", "age", s, "sd", T.FOLLOWUP_AGE[s][1], FOLLOWUP_SD_PRECISION, note)
    r.add("T10", "age", "Total", "mean", T.FOLLOWUP_AGE_TOTAL[0], 0.1)
    r.add("T10", "age", "Total", "sd", T.FOLLOWUP_AGE_TOTAL[1], 0.3)
    notes = {
        ("ethnicity", "A", "white_british"): "A: 75 categorised, but screening A has only 1 missing; the 77th is "
                                             "counted as White British",
        ("ethnicity", "A", ""): "A: 1 missing (printed 3%; screening A has 1 missing ethnicity)",
        ("gender", "A", "woman"): "A: categories sum to 75 with 0% missing and screening A has no missing "
                                  "gender; the 2 are counted as women",
        ("gender", "C", ""): "C: n − category sum (printed 0% missing)",
        ("gender", "D", "another_way"): "D: 3 (printed 2 (2.0); 3/147 = 2.0% and 128 + 16 + 3 = 147)",
    }
    for label, table in (("ethnicity", T.FOLLOWUP_ETHNICITY), ("gender", T.FOLLOWUP_GENDER),
                         ("sexual_orientation", T.FOLLOWUP_SEXUAL_ORIENTATION),
                         ("disability", T.FOLLOWUP_DISABILITY)):
        keys = list(ETHNICITIES) + [""] if label == "ethnicity" else \
            sorted({k for s in T.SITES for k in table[s]}, key=lambda k: (k == "", k))
        for key in keys:
            name = f"{label}_{key or 'missing'}"
            for s in T.SITES:
                r.add("T10", name, s, "n", table[s].get(key, 0), 0, notes.get((label, s, key)))
            r.add("T10", name, "Total", "n", sum(table[s].get(key, 0) for s in T.SITES), 0)


def calibration_rows() -> pd.DataFrame:
    rows = _Rows()
    _table6(rows)
    _table7(rows)
    _table8(rows)
    _table9(rows)
    _table55(rows)
    _table10(rows)
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).astype({"value": object, "precision": object})
    for col in ("value", "precision"):
        frame[col] = pd.Series([int(v) if float(v).is_integer() else float(v) for v in frame[col]], dtype=object)
    return frame


def calibration_csv() -> str:
    """The text of ``data/reference/published_figures/screening.csv``."""
    return calibration_rows().to_csv(index=False, lineterminator="\n")
