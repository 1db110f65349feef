"""Synthetic screening records calibrated to the reference report (spec B).

``generate_screening`` writes one row per record with the columns of
:data:`hubcase.schema.tables.SCREENING`, as text values ready for CSV
(``true``/``false``, category ids, blank = missing).  Calibrated sites (the
default study) reproduce the derived counts of Tables 6–9 and 55 exactly;
other sites use the base site's proportions apportioned to their size.  See
``docs/calibration-screening.md`` for what is exact and what is approximate.

``select_followup_respondents`` (from :mod:`hubcase.synth.screening_followup`)
picks the follow-up questionnaire respondents among consenting records.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from hubcase.instruments import MEASURES
from hubcase.schema.tables import COVID_IMPACTS, SCREENING
from hubcase.synth import screening_targets as T
from hubcase.synth.screening_followup import select_followup_respondents
from hubcase.synth.screening_items import audit_items, itq_items, simple_items
from hubcase.synth.screening_people import site_people
from hubcase.synth.screening_scales import ScalePlan, assign_bands, assign_totals, plan_scales, propensities
from hubcase.synth.sites import SiteProfile

__all__ = ["generate_screening", "select_followup_respondents"]

TEXT_FIELDS = ("gender", "ethnicity", "sexual_orientation", "disability", "sector", "work_setting",
               "clinical_role", "prepandemic_concern")


def generate_screening(sites: list[SiteProfile], *, seed: int) -> pd.DataFrame:
    """Screening records of every site, columns exactly ``SCREENING.names``.

    Site ``i`` draws from ``SeedSequence([seed, i])``, so a site's records depend
    only on the seed and its position; the same seed gives identical output.
    """
    frames = [_site_frame(p, np.random.default_rng(np.random.SeedSequence([seed, i])))
              for i, p in enumerate(sites)]
    if not frames:
        return pd.DataFrame(columns=list(SCREENING.names))
    frame = pd.concat(frames, ignore_index=True)
    numbers = ["age"] + [item for m in MEASURES.values() for item in m.items]
    frame[numbers] = frame[numbers].astype("Int64")
    return frame


def _availability(plan: ScalePlan, people: dict[str, np.ndarray], rng: np.random.Generator):
    """Masks: records with no scale data (B's referral-form clients), partial and complete records."""
    n = len(people["age"])
    none = np.zeros(n, dtype=bool)
    none[people["_missing_order"][: plan.n_no_scales]] = True
    partial = np.zeros(n, dtype=bool)
    partial[rng.choice(np.flatnonzero(~none), plan.n_partial, replace=False)] = True
    return none, partial, ~none & ~partial


def site_scales(profile: SiteProfile, people: dict[str, np.ndarray],
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Item columns (float, nan = blank) of one site's records."""
    plan = plan_scales(profile)
    lat = propensities(people, profile, rng)
    _, partial, complete = _availability(plan, people, rng)
    bands = assign_bands(plan, lat, complete, rng)
    for m, band in plan.partial_bands.items():
        bands[m][partial] = band
    n = len(complete)
    items: dict[str, np.ndarray] = {}
    for m in plan.measures:
        total = assign_totals(m, bands[m], lat[m], T.MOMENTS[m][profile.base], rng)
        has = np.flatnonzero(~np.isnan(total))
        t = total[has].astype(int)
        block = np.full((n, len(MEASURES[m].items)), np.nan)
        if m == "audit":
            block[has] = audit_items(t, rng)
        elif m == "itq":
            dx = bands[m][has]
            none = np.flatnonzero(dx == 0)
            dso_missing = np.zeros(len(has), dtype=bool)
            dso_missing[rng.choice(none, min(plan.n_dso_missing, len(none)), replace=False)] = True
            block[has] = itq_items(t, dx, dso_missing, rng)
        else:
            block[has] = simple_items(m, t, rng)
        items.update(zip(MEASURES[m].items, block.T))
    return items


def _site_frame(profile: SiteProfile, rng: np.random.Generator) -> pd.DataFrame:
    """One site's rows; numbers still float (nan = blank), text as objects (None = blank)."""
    people = site_people(profile, rng)
    items = site_scales(profile, people, rng)
    n = profile.n_screening
    order = rng.permutation(n)  # records numbered in screening-date order; contents shuffled
    width = max(4, len(str(n)))
    cols: dict[str, object] = {
        "record_id": np.array([f"{profile.id}{i:0{width}d}" for i in range(1, n + 1)], dtype=object),
        "site": np.full(n, profile.id, dtype=object),
        "screen_date": people["screen_date"],
        "consent_contact": np.where(people["consent_contact"][order], "true", "false").astype(object),
        "age": people["age"][order],
    }
    for name in TEXT_FIELDS:
        cols[name] = people[name][order]
    for name in COVID_IMPACTS:
        v = people[name][order]
        cols[name] = np.where(v == True, "true", np.where(v == False, "false", None)).astype(object)  # noqa: E712
    blank = np.full(n, np.nan)
    for m in MEASURES.values():
        for item in m.items:
            values = items.get(item)
            cols[item] = values[order] if values is not None else blank
    return pd.DataFrame(cols)[list(SCREENING.names)]
