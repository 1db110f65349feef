"""Service mapping (report chapter 3): Tables 1–5 and the targeted-outreach matrix.

Each function reads the per-site service-mapping documents of a loaded study
(``study.service_maps``) and returns a :class:`TableResult`.
"""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from analyses.result import TableResult
from hubcase.instruments import MEASURES

TICK = "✓"
SENIOR_BANDS = ("6", "7", "8a", "8b", "8c", "8d", "9")
BAND_ORDER = ("9", "8d", "8c", "8b", "8a", "7", "6", "5", "4/5", "4", "3", "2")  # Table 4 rows, senior first
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
ELIGIBILITY_LABELS = {
    "hsc_staff_18_plus": "Over 18 (health and care staff)",
    "hsc_staff_16_17": "16–17 years (health and care staff)",
    "family_members": "Family members",
    "ambulance": "Ambulance service",
    "police_fire": "Police/fire",
    "education": "Education",
    "third_sector": "3rd sector",
    "vcse": "VCSE",
}
POST_KEYS = ("role", "afc_band", "staff_group")
OTHER_SCREENING = {"demographic_occupational": "Demographic and occupational questions",
                   "smoking_drug_use": "Smoking/drug use",
                   "covid_impact": "Questions around the impact of COVID-19"}


def _maps(study, site: str | None) -> dict[str, Mapping[str, Any]]:
    maps = dict(study.service_maps)
    if site is not None:
        maps = {site: maps[site]} if site in maps else {}
    return maps


def _label(study, site_id: str) -> str:
    return study.config.site(site_id).label


def region_staff_table(*, study, site: str | None = None) -> TableResult:
    """T1: health and social care staff in each Hub's region."""
    maps = _maps(study, site)
    data = pd.DataFrame({"site": list(maps), "region_staff": [m["region_staff"] for m in maps.values()]})
    display = pd.DataFrame({
        "Site": [_label(study, s) for s in maps],
        "Health and social care staff in the region": [f"{m['region_staff']:,}" for m in maps.values()],
    })
    return TableResult("T1", "Number of health and social care staff in each Hub's region", data, display,
                       ("Excludes staff of private organisations, as recorded by the service mapping.",))


def _scope_cell(entry: Mapping[str, Any] | None) -> str:
    if entry is None:
        return "Not recorded"
    status = entry["status"]
    if status == "in_scope":
        return TICK
    if status == "not_in_scope":
        return "Not in scope"
    return f"{TICK} ({entry.get('condition') or 'conditional'})"


def groups_in_scope_table(*, study, site: str | None = None) -> TableResult:
    """T2: which groups each Hub accepts (site matrix)."""
    maps = _maps(study, site)
    rows = []
    for site_id, doc in maps.items():
        groups = doc["eligibility"]["groups"]
        for group in ELIGIBILITY_LABELS:
            entry = groups.get(group)
            rows.append({"site": site_id, "group": group, "status": entry["status"] if entry else None,
                         "condition": (entry or {}).get("condition")})
    data = pd.DataFrame(rows, columns=["site", "group", "status", "condition"])
    display = pd.DataFrame({"Group": list(ELIGIBILITY_LABELS.values())})
    for site_id, doc in maps.items():
        groups = doc["eligibility"]["groups"]
        display[_label(study, site_id)] = [_scope_cell(groups.get(g)) for g in ELIGIBILITY_LABELS]
    notes = tuple(f"{_label(study, s)}, definition of family members: "
                  f"{d['eligibility']['family_definition'].strip().rstrip('.')}."
                  for s, d in maps.items() if d["eligibility"].get("family_definition"))
    return TableResult("T2", "Groups in scope for Hub support at each site", data, display, notes)


def staffing_frame(study, site: str | None = None) -> pd.DataFrame:
    """One row per post: site, role, afc_band, wte, staff_group, role_code, senior."""
    rows = [{"site": s, **{k: p.get(k) for k in ("role", "afc_band", "wte", "staff_group", "role_code")}}
            for s, doc in _maps(study, site).items() for p in doc["staffing"]["posts"]]
    frame = pd.DataFrame(rows, columns=["site", "role", "afc_band", "wte", "staff_group", "role_code"])
    frame["wte"] = frame["wte"].astype(float)
    frame["senior"] = frame["afc_band"].astype(str).isin(SENIOR_BANDS)
    return frame


def band6_share_table(*, study, site: str | None = None) -> TableResult:
    """T3: share of staff WTE at Agenda-for-Change Band 6 or above, computed from the posts."""
    posts = staffing_frame(study, site)
    maps = _maps(study, site)
    rows = []
    for site_id in maps:
        p = posts[posts["site"] == site_id]
        total = p["wte"].sum()
        senior = p.loc[p["senior"], "wte"].sum()
        reported = maps[site_id]["staffing"].get("reported_pct_band6_plus")
        rows.append({"site": site_id, "senior_wte": senior, "total_wte": total,
                     "share_band6_plus": senior / total if total else float("nan"),
                     "reported_pct_band6_plus": reported})
    data = pd.DataFrame(rows, columns=["site", "senior_wte", "total_wte", "share_band6_plus",
                                       "reported_pct_band6_plus"])
    display = pd.DataFrame({
        "Site": [_label(study, s) for s in data["site"]],
        "Band 6+ WTE / total WTE": [f"{a:.2f} / {b:.2f}" for a, b in zip(data["senior_wte"], data["total_wte"])],
        "Band 6 or higher (computed)": [f"{100 * v:.2f}%" if v == v else "–" for v in data["share_band6_plus"]],
        "Band 6 or higher (as reported)": ["–" if pd.isna(r) else f"{r:.2f}%"
                                           for r in data["reported_pct_band6_plus"]],
    })
    return TableResult("T3", "Proportion of Hub staff at Band 6 or higher", data, display, _band6_notes(study, data))


def _band6_notes(study, data: pd.DataFrame) -> tuple[str, ...]:
    """The method note, plus a note naming sites whose reported share is 0.5 points or more off the posts."""
    notes = ["Computed as the WTE of posts at Band 6, 7, 8a–8d or 9 over the total WTE in post; "
             "Band 4/5 posts count below Band 6."]
    differ = [f"{_label(study, s)} ({100 * c:.2f}% computed, {r:.2f}% reported)"
              for s, c, r in zip(data["site"], data["share_band6_plus"], data["reported_pct_band6_plus"])
              if pd.notna(r) and pd.notna(c) and abs(100 * c - r) >= 0.5]
    if differ:
        notes.append("The reported share differs from the share computed from the posts at " + ", ".join(differ)
                     + "; the basis of the reported figure is not recorded (headcount or planned establishment?).")
    return tuple(notes)


def staffing_table(*, study, site: str | None = None) -> TableResult:
    """T4: staffing in post by role and band (WTE), most senior band first, with site totals."""
    posts = staffing_frame(study, site)
    sites = list(_maps(study, site))
    wide = posts.pivot_table(index=list(POST_KEYS), columns="site", values="wte", aggfunc="sum", sort=False)
    wide = wide.reindex(columns=sites)
    rank = [BAND_ORDER.index(b) if b in BAND_ORDER else len(BAND_ORDER)
            for b in wide.index.get_level_values("afc_band").astype(str)]
    wide = wide.iloc[sorted(range(len(rank)), key=rank.__getitem__)]  # stable: first appearance within a band
    codes = _role_codes(posts)
    display = pd.DataFrame({"Role": wide.index.get_level_values("role"),
                            "AfC band": wide.index.get_level_values("afc_band").astype(str),
                            "Staff group": wide.index.get_level_values("staff_group"),
                            "Role code": [codes.get(k, "") for k in wide.index]})
    for s in sites:
        display[_label(study, s)] = [("-" if pd.isna(v) else f"{v:g}") for v in wide[s]]
    totals = {"Role": "Total WTE", "AfC band": "", "Staff group": "", "Role code": "",
              **{_label(study, s): f"{posts.loc[posts['site'] == s, 'wte'].sum():g}" for s in sites}}
    display = pd.concat([display, pd.DataFrame([totals])], ignore_index=True)
    return TableResult("T4", "Hub staffing in post at the time of data collection (WTE)", posts, display,
                       ("'-' = no post of that role and band at the site.",))


def _role_codes(posts: pd.DataFrame) -> dict[tuple, str]:
    """(role, afc_band, staff_group) -> the first role code recorded for it at any site."""
    out: dict[tuple, str] = {}
    for row in posts.itertuples(index=False):
        key = (row.role, row.afc_band, row.staff_group)
        if key not in out and isinstance(row.role_code, str) and row.role_code:
            out[key] = row.role_code
    return out


def measures_table(*, study, site: str | None = None) -> TableResult:
    """T5: screening measures used at each Hub (from study.yml, with the mapping's extra items)."""
    sites = [s for s in study.config.sites if site is None or s.id == site]
    rows = []
    for s in sites:
        doc = study.service_maps.get(s.id, {})
        extra = doc.get("screening_measures", {}) if doc else {}
        for m in MEASURES:
            rows.append({"site": s.id, "item": m, "used": m in s.measures, "since": (extra.get(m) or {}).get("since")})
        for item in OTHER_SCREENING:
            entry = extra.get(item)
            rows.append({"site": s.id, "item": item, "used": None if entry is None else bool(entry["used"]),
                         "since": (entry or {}).get("since")})
    data = pd.DataFrame(rows, columns=["site", "item", "used", "since"])
    order = ["demographic_occupational", *MEASURES, "smoking_drug_use", "covid_impact"]
    labels = {**{m: v.label for m, v in MEASURES.items()}, **OTHER_SCREENING}
    display = pd.DataFrame({"Measure": [labels[i] for i in order]})
    for s in sites:
        sub = data[data["site"] == s.id].set_index("item")
        display[s.label] = [_used_cell(sub.loc[i, "used"], sub.loc[i, "since"]) for i in order]
    return TableResult("T5", "Screening measures used at each Hub", data, display,
                       ("'No' = not administered at the site; 'Not recorded' = the service mapping is silent.",))


def _used_cell(used, since) -> str:
    if used is None or (not isinstance(used, bool) and pd.isna(used)):
        return "Not recorded"
    if not used:
        return "No"
    return TICK if since is None or pd.isna(since) or not str(since) else f"{TICK} (since {_month(since)})"


def _month(value) -> str:
    """``"2021-09"`` (or a date in that month) -> ``"September 2021"``; anything else unchanged."""
    text = str(value)
    year, _, month = text[:7].partition("-")
    if len(text) >= 7 and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
        return f"{MONTHS[int(month) - 1]} {year}"
    return text


def outreach_frame(study, site: str | None = None) -> pd.DataFrame:
    """Tidy targeted outreach: site, activity, target_group (one row per target group)."""
    rows = [{"site": s, "activity": act["activity"], "target_group": g}
            for s, doc in _maps(study, site).items() for act in doc["outreach"]["targeted"]
            for g in act["target_groups"]]
    return pd.DataFrame(rows, columns=["site", "activity", "target_group"])


def targeted_outreach_table(*, study, site: str | None = None) -> TableResult:
    """T-OUT: targeted outreach matrix (activity × target group × site)."""
    data = outreach_frame(study, site)
    sites = list(_maps(study, site))
    labels = {g.id: g.label for g in study.config.subgroups}
    keys = data[["activity", "target_group"]].drop_duplicates()
    display = pd.DataFrame({
        "Activity": keys["activity"].tolist(),
        "Target group": [labels.get(g, g.replace("_", " ").capitalize()) for g in keys["target_group"]],
    })
    for s in sites:
        at = data[data["site"] == s]
        done = set(zip(at["activity"], at["target_group"]))
        display[_label(study, s)] = [TICK if k in done else "" for k in zip(keys["activity"], keys["target_group"])]
    return TableResult("T-OUT", "Targeted outreach to under-represented groups, by site", data,
                       display.reset_index(drop=True),
                       ("From the service-mapping documents (outreach.targeted).",))


TABLES = (region_staff_table, groups_in_scope_table, band6_share_table, staffing_table, measures_table,
          targeted_outreach_table)
