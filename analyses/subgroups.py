"""Representation of the study's subgroups among Hub clients (screening records) by site.

The share of a subgroup at a site is computed over the records whose defining
fields are recorded (missing gender or ethnicity is not counted as "not in the
group"); workforce benchmark shares from study.yml sit beside it.
"""
from __future__ import annotations

import pandas as pd

from analyses.result import TableResult, fmt_n_pct


def _known(records: pd.DataFrame, subgroup) -> pd.Series:
    conditions = subgroup.records.get("all") or [subgroup.records]
    known = pd.Series(True, index=records.index)
    for cond in conditions:
        known &= records[cond["field"]].notna().to_numpy()
    return known


def subgroup_representation_table(*, study, site: str | None = None) -> TableResult:
    """T-SG: subgroup share of Hub clients per site (and overall) beside workforce benchmarks."""
    records = study.screening
    sites = [s for s in study.config.site_ids if site is None or s == site]
    rows = []
    for group in study.config.subgroups:
        member = group.mask(records)
        known = _known(records, group)
        for scope in [*sites, "Total"]:
            at = known if scope == "Total" else known & (records["site"] == scope).fillna(False).to_numpy()
            n, denom = int((member & at).sum()), int(at.sum())
            rows.append({"subgroup": group.id, "site": scope, "n": n, "denom": denom,
                         "share": n / denom if denom else float("nan")})
    k = study.config.min_cell_count
    data = pd.DataFrame(rows, columns=["subgroup", "site", "n", "denom", "share"])
    data["suppressed"] = (data["n"] > 0) & (data["n"] < k)  # the exported CSV blanks n and share there
    labels = {s: study.config.site(s).label for s in sites}
    display_rows = []
    for group in study.config.subgroups:
        sub = data[data["subgroup"] == group.id].set_index("site")
        line = {"Subgroup": group.label}
        for scope in [*sites, "Total"]:
            n, denom = sub.loc[scope, "n"], sub.loc[scope, "denom"]
            line[labels.get(scope, "Total")] = f"<{k}" if sub.loc[scope, "suppressed"] else fmt_n_pct(n, denom)
        line["Workforce benchmark"] = "; ".join(
            f"{100 * b['share']:.0f}% of {b['population']}" for b in group.benchmarks) or "–"
        display_rows.append(line)
    notes = ["Shares are of screening records with the defining field recorded.",
             f"Counts below {k} are shown as <{k}, without a share (study.yml disclosure.min_cell_count).",
             *[f"{g.label}: {b['source']}." for g in study.config.subgroups for b in g.benchmarks]]
    return TableResult("T-SG", "Subgroups among Hub clients by site, with workforce benchmarks", data,
                       pd.DataFrame(display_rows), tuple(dict.fromkeys(notes)), spec={"suppress": ("n", "share")})
