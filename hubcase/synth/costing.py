"""Costing strand of the synthetic study: Hub cost lines, activity and staff unit costs.

Calibrated sites get the hard-coded values of :mod:`hubcase.synth.costing_data`, solved so that
the report's cross-site aggregates (set-up mean and SD, staff share, keyworker counts, cost per
keyworker) come back out of the costing formulas. Staff lines are the Table 4 posts of the site's
service map, costed by band from ``staff_unit_costs.csv``. A non-calibrated site copies its base
site with money amounts, keyworker counts, capacities and budget multiplied by
:func:`~hubcase.synth.service_mapping.site_scale`; its posts (WTE) stay as in its service map.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from hubcase.errors import HubcaseError
from hubcase.schema import CONTRACT
from hubcase.synth.costing_data import (ACTIVITY, ONGOING_NON_STAFF, ROLE_CATEGORY, SETUP_LINES,
                                        STAFF_UNIT_COSTS, TEMPORARY_POSTS, UNIT_COST_SOURCE)
from hubcase.synth.service_mapping import base_map, site_scale
from hubcase.synth.sites import SiteProfile

COUNT_FIELDS = ("keyworkers_individual", "keyworkers_team", "capacity_individual", "capacity_team")


def generate_costing(sites: list[SiteProfile], *, seed: int) -> dict[str, str]:
    """Return ``costing/<file>.csv`` -> text for the study's sites.

    ``seed`` is accepted for the common generator signature; the costing has no random part.
    """
    del seed
    costs = [row for s in sites for row in hub_cost_rows(s)]
    activity = [activity_row(s) for s in sites]
    units = [{"afc_band": band, "annual_cost": cost, "annual_cost_full": full, "source": UNIT_COST_SOURCE}
             for band, cost, full in STAFF_UNIT_COSTS]
    return {
        "costing/hub_costs.csv": to_csv("hub_costs", costs),
        "costing/hub_activity.csv": to_csv("hub_activity", activity),
        "costing/staff_unit_costs.csv": to_csv("staff_unit_costs", units),
    }


def hub_cost_rows(site: SiteProfile) -> list[dict[str, Any]]:
    """Set-up lines, then ongoing staff lines (Table 4 posts, temporary posts), then non-staff lines."""
    factor = 1.0 if site.calibrated else site_scale(site.id)
    rows: list[dict[str, Any]] = []
    for i, (category, text, amount, estimated) in enumerate(SETUP_LINES.get(site.base, ()), start=1):
        rows.append(_line(site.id, f"setup_{i:02d}", "setup", category, text, amount=_scaled(amount, factor),
                          estimated=estimated))
    posts = [(p["role"], p["afc_band"], p["wte"], _category(p["role"], site), True)
             for p in base_map(site.base)["staffing"]["posts"]]
    posts += [(role, band, wte, category, False) for role, band, wte, category in TEMPORARY_POSTS.get(site.base, ())]
    for i, (role, band, wte, category, continuous) in enumerate(posts, start=1):
        rows.append(_line(site.id, f"staff_{i:02d}", "ongoing", category, role, wte=wte, afc_band=band,
                          continuous_funding=continuous, estimated=False))
    for i, (category, text, amount) in enumerate(ONGOING_NON_STAFF[site.base], start=1):
        rows.append(_line(site.id, f"ongoing_{i:02d}", "ongoing", category, text, amount=_scaled(amount, factor),
                          continuous_funding=True, estimated=False))
    return rows


def activity_row(site: SiteProfile) -> dict[str, Any]:
    """The site's hub_activity row (counts and budget scaled for a non-calibrated site)."""
    factor = 1.0 if site.calibrated else site_scale(site.id)
    base = ACTIVITY[site.base]
    row: dict[str, Any] = {"site": site.id, "setup_type": base_map(site.base)["setup_type"]}
    for name in (*COUNT_FIELDS, "individual_share_low", "individual_share_high", "budget"):
        value = base[name]
        scale = name in COUNT_FIELDS or name == "budget"
        row[name] = _scaled(value, factor) if scale and value is not None else value
    return row


def to_csv(table_id: str, rows: list[dict[str, Any]]) -> str:
    """CSV text with the contract's columns in order, ``\\n`` line ends and blank for None."""
    columns = CONTRACT.table(table_id).names
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buf.getvalue()


def _line(site: str, line_id: str, phase: str, category: str, description: str, **values: Any) -> dict[str, Any]:
    return {"site": site, "line_id": line_id, "phase": phase, "category": category,
            "description": description, **values}


def _category(role: str, site: SiteProfile) -> str:
    try:
        return ROLE_CATEGORY[role]
    except KeyError as err:
        raise HubcaseError(f"synth: role {role!r} of service map {site.base}.yml has no cost category. "
                           "Hint: add it to hubcase.synth.costing_data.ROLE_CATEGORY.") from err


def _scaled(value: int, factor: float) -> int:
    return value if factor == 1.0 else int(round(value * factor))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
