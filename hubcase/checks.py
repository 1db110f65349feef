"""Checks that span files: ids that must match, measures per site, codes in the codebook."""
from __future__ import annotations

from datetime import date
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from hubcase.errors import ProblemList
from hubcase.instruments import MEASURES
from hubcase.schema import CONTRACT
from hubcase.schema.core import split_list

MAX_ROWS = 10


def _rows(problems: ProblemList, file: str, mask: pd.Series, message) -> None:
    """Report each True row of ``mask`` (index = file line) with ``message(line)``."""
    lines = [int(i) for i in mask.index[mask.to_numpy(dtype=bool)]]
    for line in lines[:MAX_ROWS]:
        problems.error(file, f"row {line}", message(line))
    if len(lines) > MAX_ROWS:
        problems.error(file, f"rows {lines[MAX_ROWS]}–{lines[-1]}", f"{len(lines) - MAX_ROWS} more rows like row {lines[0]}")


def did_you_mean(value: Any, options: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` when ``value`` is close to one of ``options``, else ``""``."""
    close = get_close_matches(str(value), sorted(set(map(str, options))), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def _label(table_id: str) -> str:
    return CONTRACT.table(table_id).path


def cross_checks(state: dict[str, Any], problems: ProblemList) -> None:
    config = state["config"]
    t = state["tables"]
    _check_config(config, problems)
    _check_value_set(config, state.get("root"), problems)
    sites = set(config.site_ids)
    for table_id in ("screening", "followup", "hub_costs", "hub_activity", "participants"):
        if table_id in t:
            frame = t[table_id]
            unknown = frame["site"].notna() & ~frame["site"].isin(sites)
            _rows(problems, _label(table_id), unknown, lambda ln, f=frame: (
                f"column site: {f.loc[ln, 'site']!r} is not a site declared in study.yml "
                f"(declared: {', '.join(sorted(sites))}){did_you_mean(f.loc[ln, 'site'], sites)}"))
    if "screening" in t:
        _check_screening(config, t["screening"], problems)
    if "followup" in t:
        _check_followup(t["followup"], t.get("screening"), problems)
    if "service_use" in t:
        _check_service_use(t["service_use"], t.get("followup"), t.get("unit_costs"), problems)
    if "hub_costs" in t:
        _check_costs(t["hub_costs"], t.get("staff_unit_costs"), problems)
    if "hub_activity" in t:
        act = t["hub_activity"]
        bad = act["individual_share_low"] > act["individual_share_high"]
        _rows(problems, _label("hub_activity"), bad.fillna(False),
              lambda ln: "individual_share_low is above individual_share_high")
    _check_service_maps(config, state["maps"], problems)
    codes = _check_codebook(state.get("codebook"), problems)
    subgroup_ids = {g.id for g in config.subgroups}
    if "participants" in t:
        _check_list_ids(t["participants"], "subgroups", subgroup_ids, "subgroup", _label("participants"), problems)
    if "excerpts" in t and codes is not None:
        _check_excerpts(t["excerpts"], t.get("participants"), codes, state.get("codebook"), subgroup_ids, problems)
    if state.get("pathways") and codes is not None:
        _check_pathways(state["pathways"], codes, t.get("excerpts"), subgroup_ids, problems)


def _check_config(config, problems: ProblemList) -> None:
    seen: set[str] = set()
    for i, site in enumerate(config.sites):
        if site.id in seen:
            problems.error("study.yml", f"sites[{i}].id", f"duplicate site id {site.id!r}")
        seen.add(site.id)
    fields = set(CONTRACT.table("screening").names)
    ids: set[str] = set()
    for i, group in enumerate(config.subgroups):
        if group.id in ids:
            problems.error("study.yml", f"subgroups[{i}].id", f"duplicate subgroup id {group.id!r}")
        ids.add(group.id)
        conditions = group.records.get("all") or [group.records]
        for j, cond in enumerate(conditions):
            where = f"subgroups[{i}].records" + (f".all[{j}]" if "all" in group.records else "")
            if "field" not in cond:
                problems.error("study.yml", where, "needs `field` with `in` or `equals`, or `all:`")
            elif cond["field"] not in fields:
                problems.error("study.yml", f"{where}.field", f"{cond['field']!r} is not a screening.csv column")
            elif "in" not in cond and "equals" not in cond:
                problems.error("study.yml", where, "needs `in:` or `equals:`")


def _check_screening(config, frame: pd.DataFrame, problems: ProblemList) -> None:
    label = _label("screening")
    _check_not_future(frame, "screen_date", label, problems)
    for index, site in enumerate(config.sites):
        at = (frame["site"] == site.id).fillna(False).astype(bool)
        if not at.any():
            if site.has("screening"):
                problems.warning(label, "", f"no records for site {site.id}, which study.yml says collected screening")
            continue
        if not site.has("screening"):
            problems.error(label, f"row {int(frame.index[at.to_numpy(dtype=bool)][0])}",
                           f"site {site.id} has records but study.yml says screening was not collected there")
        for measure in MEASURES.values():
            if measure.id in site.measures:
                continue
            items = [c for c in measure.items if c in frame.columns]
            used = at & frame[items].notna().any(axis=1)
            if used.any():
                lines = [int(i) for i in frame.index[used.to_numpy(dtype=bool)]]
                filled = [c for c in items if frame.loc[lines[0], c] is not pd.NA]
                more = f"; {len(lines) - 1} more rows of site {site.id} do the same" if len(lines) > 1 else ""
                problems.error(label, f"row {lines[0]}", (
                    f"column {filled[0]}: {measure.label} recorded at site {site.id}, but site {site.id} "
                    f"did not use {measure.label} (sites[{index}].measures in study.yml lists "
                    f"{', '.join(site.measures)}){more}"))


def _check_not_future(frame: pd.DataFrame, column: str, label: str, problems: ProblemList,
                      today: date | None = None) -> None:
    """Dates after ``today`` (default: the day of the check) are errors: nobody was screened tomorrow."""
    today = today or date.today()
    when = pd.to_datetime(frame[column], errors="coerce", format="%Y-%m-%d")
    future = (when > pd.Timestamp(today)).fillna(False).astype(bool)
    _rows(problems, label, future, lambda ln: (
        f"column {column}: {frame.loc[ln, column]!r} is in the future (today is {today:%Y-%m-%d}); "
        "hint: check the year and the day/month order"))


def _check_value_set(config, root: Path | None, problems: ProblemList) -> None:
    """``eq5d.value_set`` naming a CSV must name one inside the study directory (built-in ids are checked
    when the value set is loaded)."""
    spec = config.eq5d_value_set
    if root is None or not (spec.endswith(".csv") or "/" in spec or "\\" in spec):
        return
    base = Path(root).resolve()
    try:
        path = (base / spec).resolve()
        inside, exists = path.is_relative_to(base), path.is_file()
    except (OSError, ValueError, RuntimeError) as err:
        problems.error("study.yml", "eq5d.value_set", f"{spec[:80]!r} is not a usable path ({err})")
        return
    if not inside:
        problems.error("study.yml", "eq5d.value_set", f"{spec!r} points outside the study directory; "
                       "hint: copy the CSV into the study directory")
    elif not exists:
        problems.error("study.yml", "eq5d.value_set", f"{spec!r}: file is missing (a value-set CSV with "
                       "columns state,value, relative to the study directory)")


def _check_followup(frame, screening, problems: ProblemList) -> None:
    label = _label("followup")
    if screening is None:
        return
    site_of = dict(zip(screening["record_id"], screening["site"]))
    orphan = frame["record_id"].notna() & ~frame["record_id"].isin(list(site_of))
    _rows(problems, label, orphan, lambda ln: (
        f"column record_id: {frame.loc[ln, 'record_id']!r} has no screening record in screening.csv"))
    mismatch = ~orphan & (frame["record_id"].map(site_of).astype("string") != frame["site"]).fillna(False)
    _rows(problems, label, mismatch, lambda ln: (
        f"column site: {frame.loc[ln, 'site']!r} differs from the screening record's site "
        f"{site_of.get(frame.loc[ln, 'record_id'])!r}"))


def _check_service_use(frame, followup, unit_costs, problems: ProblemList) -> None:
    label = _label("service_use")
    if followup is not None:
        orphan = frame["record_id"].notna() & ~frame["record_id"].isin(list(followup["record_id"]))
        _rows(problems, label, orphan, lambda ln: (
            f"column record_id: {frame.loc[ln, 'record_id']!r} is not a respondent in followup.csv"))
    if unit_costs is not None:
        unknown = frame["service_type"].notna() & ~frame["service_type"].isin(list(unit_costs["service_type"]))
        _rows(problems, label, unknown, lambda ln: (
            f"column service_type: {frame.loc[ln, 'service_type']!r} has no unit cost in costing/unit_costs.csv"))
    no_status = (frame["section"] == "mental_health").fillna(False) & frame["status"].isna()
    _rows(problems, label, no_status, lambda ln: "column status: blank, but mental health items need a status")


def _check_costs(frame, staff_costs, problems: ProblemList) -> None:
    label = _label("hub_costs")
    neither = frame["amount"].isna() & (frame["wte"].isna() | frame["afc_band"].isna())
    _rows(problems, label, neither, lambda ln: "needs an amount, or a wte with an afc_band")
    both = frame["amount"].notna() & frame["wte"].notna()
    _rows(problems, label, both, lambda ln: "has both an amount and a wte; give one")
    if staff_costs is not None:
        bands = set(staff_costs["afc_band"].dropna())
        unknown = frame["afc_band"].notna() & ~frame["afc_band"].isin(list(bands))
        _rows(problems, label, unknown, lambda ln: (
            f"column afc_band: {frame.loc[ln, 'afc_band']!r} has no unit cost in costing/staff_unit_costs.csv"))


def _check_service_maps(config, maps: dict, problems: ProblemList) -> None:
    for site_id, doc in maps.items():
        if doc is None:
            continue
        label = f"service_mapping/{site_id}.yml"
        if str(doc["site"]) != site_id:
            problems.error(label, "site", f"{doc['site']!r} does not match the file name (site {site_id})")
        used = {m for m, v in doc["screening_measures"].items() if v.get("used") and m in MEASURES}
        declared = set(config.site(site_id).measures)
        if used != declared:
            problems.warning(label, "screening_measures", (
                f"measures {sorted(used)} differ from study.yml ({sorted(declared)}); study.yml is used"))
        total = sum(p["wte"] for p in doc["staffing"]["posts"])
        if abs(total - doc["staffing"]["reported_total_wte"]) > 0.01:
            problems.warning(label, "staffing.reported_total_wte", (
                f"posts sum to {total:.2f} WTE but {doc['staffing']['reported_total_wte']} is reported"))


def _codes_of(codebook) -> dict[str, str]:
    """Map every code id and alias (lower-case, spaces as underscores) to its code id."""
    out: dict[str, str] = {}
    for construct in codebook["constructs"]:
        for sub in construct["subconstructs"]:
            out[sub["id"]] = sub["id"]
            for alias in sub.get("aliases") or ():
                out[normalise_code(alias)] = sub["id"]
    return out


def normalise_code(token: str) -> str:
    return "_".join(str(token).strip().lower().replace("-", " ").split())


def _check_codebook(codebook, problems: ProblemList) -> dict[str, str] | None:
    if codebook is None:
        return None
    label = _label_doc("codebook")
    seen: set[str] = set()
    for i, construct in enumerate(codebook["constructs"]):
        for j, sub in enumerate(construct["subconstructs"]):
            if sub["id"] in seen:
                problems.error(label, f"constructs[{i}].subconstructs[{j}].id", f"duplicate code {sub['id']!r}")
            seen.add(sub["id"])
    codes = _codes_of(codebook)
    for i, theme in enumerate(codebook.get("themes") or ()):
        for code in theme["codes"]:
            if code not in codes:
                problems.error(label, f"themes[{i}].codes", f"{code!r} is not a code of the codebook")
    return codes


def _label_doc(doc_id: str) -> str:
    return CONTRACT.document(doc_id).path


def parse_chain(chain: Any) -> list[str]:
    """Split a pathway chain ``a > b > c`` (tolerating '→' and stray parentheses)."""
    if chain is None or chain is pd.NA or (isinstance(chain, float) and chain != chain):
        return []
    text = str(chain).replace("→", ">").strip().strip("()")
    return [normalise_code(node) for node in text.split(">") if node.strip()]


def _check_list_ids(frame, column, known: set[str], what: str, label: str, problems: ProblemList) -> None:
    for line, cell in frame[column].dropna().items():
        wrong = [x for x in split_list(cell) if x not in known]
        if wrong:
            problems.error(label, f"row {line}", f"column {column}: unknown {what} {', '.join(map(repr, wrong))}")


def _check_excerpts(frame, participants, codes, codebook, subgroups, problems: ProblemList) -> None:
    label = _label("excerpts")
    if participants is not None:
        known = list(participants["participant_id"].dropna())
        orphan = frame["participant_id"].notna() & ~frame["participant_id"].isin(known)
        _rows(problems, label, orphan, lambda ln: (
            f"column participant_id: {frame.loc[ln, 'participant_id']!r} is not in qualitative/participants.csv"
            + did_you_mean(frame.loc[ln, "participant_id"], known)))
    themes = {t["id"] for t in codebook.get("themes") or ()}
    for line, row in frame.iterrows():
        cell_codes = [normalise_code(c) for c in split_list(row["codes"])]
        wrong = [c for c in cell_codes if c not in codes]
        if wrong:
            problems.error(label, f"row {line}", f"column codes: {', '.join(map(repr, wrong))} not in the codebook"
                           + did_you_mean(wrong[0], codes))
        chain = parse_chain(row["chain"])
        bad_nodes = [c for c in chain if c not in codes]
        if bad_nodes:
            problems.error(label, f"row {line}", f"column chain: unknown NPT code {', '.join(map(repr, bad_nodes))} "
                           f"(not in qualitative/codebook.yml){did_you_mean(bad_nodes[0], codes)}")
        resolved = {codes.get(c) for c in cell_codes}
        extra = [c for c in chain if c in codes and codes[c] not in resolved]
        if extra:
            problems.warning(label, f"row {line}", f"column chain: {', '.join(extra)} not listed in codes")
    _check_list_ids(frame, "themes", themes, "theme", label, problems)
    _check_list_ids(frame, "subgroups", subgroups, "subgroup", label, problems)


def _check_pathways(doc, codes, excerpts, subgroups, problems: ProblemList) -> None:
    label = _label_doc("pathways")
    known_excerpts: Iterable[str] = set(excerpts["excerpt_id"]) if excerpts is not None else set()
    for i, pw in enumerate(doc["pathways"]):
        for j, node in enumerate(pw["nodes"]):
            if normalise_code(node["code"]) not in codes:
                problems.error(label, f"pathways[{i}].nodes[{j}].code", f"unknown NPT code {node['code']!r} "
                               f"(not in qualitative/codebook.yml){did_you_mean(node['code'], codes)}")
        if pw.get("subgroup") and pw["subgroup"] not in subgroups:
            problems.error(label, f"pathways[{i}].subgroup", f"unknown subgroup {pw['subgroup']!r}")
        for ex in pw.get("evidence") or ():
            if ex not in known_excerpts:
                problems.error(label, f"pathways[{i}].evidence", f"unknown excerpt {ex!r}")
