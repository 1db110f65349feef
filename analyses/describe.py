"""Building blocks of descriptive tables by site: column groups, tidy statistics, display.

A descriptive table is built in two steps, tableone-style: tidy statistics (one row per site
column × variable × level: ``n``, ``denom``, ``pct``, ``mean``, ``sd``, ``missing_pct``) and
then a display frame of strings laid out by a list of :class:`Row` specs.  Percentages
exclude missing values; ``missing_pct`` is the share of the column's records (at sites that
administered the item) with no value.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyses.result import fmt_mean_sd, fmt_n_pct
from hubcase.errors import AnalysisError

INDENT = "\u2003"  # em space: survives Markdown, HTML and Typst
NOT_USED = "–"
TOTAL = "Total"
DATA_COLUMNS = ("site", "variable", "level", "n", "denom", "pct", "mean", "sd", "missing_pct",
                "n_records", "administered")


@dataclass(frozen=True)
class Group:
    """One column of a by-site table: a site (or the total) and the records it covers."""

    key: str
    label: str
    mask: np.ndarray


@dataclass(frozen=True)
class Row:
    """One display row: ``kind`` is header, count, mean, missing or count_missing."""

    label: str
    variable: str = ""
    level: str = ""
    kind: str = "count"


def site_groups(study, records: pd.DataFrame, site: str | None) -> list[Group]:
    """Every site as a column plus the total (``site=None``), or one site beside the total."""
    ids = list(study.config.site_ids)
    if site is not None and site not in ids:
        raise AnalysisError(f"site {site!r} is not a site of this study (sites: {', '.join(ids)}); "
                            "hint: use a site id from study.yml or site=None for all sites.")
    sites = ids if site is None else [site]
    at = records["site"].astype("string")
    groups = []
    for sid in sites:
        mask = (at == sid).fillna(False).to_numpy(dtype=bool)
        groups.append(Group(sid, f"{study.config.site(sid).label} (n = {int(mask.sum())})", mask))
    groups.append(Group(TOTAL, f"Total (N = {len(records)})", np.ones(len(records), dtype=bool)))
    return groups


def yes_no(values: pd.Series) -> pd.Series:
    """A boolean column as 'yes'/'no' strings (missing stays missing)."""
    return values.astype("boolean").map({True: "yes", False: "no"}).astype("string")


def count_rows(values: pd.Series, groups: Sequence[Group], variable: str, levels: Iterable[str],
               administered: np.ndarray | None = None) -> list[dict]:
    """n (of non-missing) per level for each group; ``administered`` masks records asked."""
    text = values.astype("string").reset_index(drop=True)
    asked = np.ones(len(values), dtype=bool) if administered is None else administered
    levels = list(levels)
    rows = []
    for g in groups:
        sel = g.mask & asked
        v = text[sel]
        known = int(v.notna().sum())
        counts = v.value_counts()
        n_rec = int(sel.sum())
        missing = 100.0 * (n_rec - known) / n_rec if n_rec else np.nan
        for level in levels:
            n = int(counts.get(level, 0))
            rows.append({"site": g.key, "variable": variable, "level": level, "n": n, "denom": known,
                         "pct": 100.0 * n / known if known else np.nan, "mean": np.nan, "sd": np.nan,
                         "missing_pct": missing, "n_records": n_rec, "administered": bool(sel.any())})
    return rows


def mean_rows(values: pd.Series, groups: Sequence[Group], variable: str,
              administered: np.ndarray | None = None) -> list[dict]:
    """Mean and SD (ddof 1) of a numeric column per group (level ``mean``)."""
    x = values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    asked = np.ones(len(values), dtype=bool) if administered is None else administered
    rows = []
    for g in groups:
        v = x[g.mask & asked]
        known = v[~np.isnan(v)]
        n_rec = len(v)
        rows.append({"site": g.key, "variable": variable, "level": "mean", "n": len(known), "denom": len(known),
                     "pct": np.nan, "mean": float(known.mean()) if len(known) else np.nan,
                     "sd": float(known.std(ddof=1)) if len(known) > 1 else np.nan,
                     "missing_pct": 100.0 * (n_rec - len(known)) / n_rec if n_rec else np.nan,
                     "n_records": n_rec, "administered": bool(n_rec)})
    return rows


def tidy(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(DATA_COLUMNS))
    return frame.astype({"n": "Int64", "denom": "Int64", "n_records": "Int64", "administered": "boolean"})


def _cell(stat: Mapping | None, kind: str) -> str:
    if stat is None or not stat["administered"]:
        return NOT_USED
    if kind == "mean":
        return fmt_mean_sd(stat["mean"], stat["sd"])
    missing = NOT_USED if pd.isna(stat["missing_pct"]) else f"{stat['missing_pct']:.1f}% missing"
    if kind == "missing":
        return missing
    count = fmt_n_pct(stat["n"], stat["denom"])
    return f"{count}, {missing}" if kind == "count_missing" and count != NOT_USED else count


def display(data: pd.DataFrame, groups: Sequence[Group], rows: Sequence[Row], first: str = "") -> pd.DataFrame:
    """Lay out tidy ``data`` as strings: one display row per :class:`Row`, one column per group."""
    index = {(r["site"], r["variable"], r["level"]): r for r in data.to_dict("records")}
    by_variable: dict[tuple[str, str], Mapping] = {}
    for (site, variable, _), stat in index.items():
        by_variable.setdefault((site, variable), stat)
    out = []
    for row in rows:
        cells = {first: row.label}
        for g in groups:
            if row.kind == "header":
                cells[g.label] = ""
            elif row.kind == "missing":
                cells[g.label] = _cell(by_variable.get((g.key, row.variable)), "missing")
            else:
                cells[g.label] = _cell(index.get((g.key, row.variable, row.level)), row.kind)
        out.append(cells)
    return pd.DataFrame(out, columns=[first] + [g.label for g in groups])


def indent(label: str, depth: int = 1) -> str:
    return INDENT * depth + label
