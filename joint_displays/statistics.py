"""Named statistics for the joint displays, read from the analyses' results.

Joint displays combine *results*: every value here is looked up in the tidy
``data`` of a :class:`TableResult` computed by ``analyses`` (never recomputed
from records), and carries the ID of that table as evidence.  A statistic is
evaluated in a *scope*: a site id, a subgroup id, or ``"all"`` (every site,
the analyses' Total column; "min"/"max" statistics range over the cases).
"""
from __future__ import annotations

from functools import cached_property
from typing import Any, Callable

import numpy as np
import pandas as pd

from analyses import eq5d, followup, hub_costs, screening, service_costs, service_mapping, subgroups
from analyses.result import TableResult
from hubcase.schema.core import split_list
from joint_displays.fit import Value

TOTAL = "Total"
EQ5D_DIMENSIONS = ("eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad")


def _tidy_lookup(data: pd.DataFrame, **where: Any) -> pd.DataFrame:
    mask = pd.Series(True, index=data.index)
    for col, val in where.items():
        mask &= data[col].astype("string") == str(val)
    return data[mask.fillna(False).astype(bool)]


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(v) else v


class StudyEvidence:
    """Statistics, excerpts and service-mapping fields of one study, for displays and fit rating.

    ``cases`` are the sites of the Hub-level display (those with every strand).
    Tables are computed once, on first use, and kept in ``tables``.
    """

    def __init__(self, study, *, cases: tuple[str, ...], tables: dict[str, TableResult] | None = None):
        self.study = study
        self.cases = cases
        self.tables: dict[str, TableResult] = dict(tables or {})
        self._stats: dict[str, Callable[[str], Value | None]] = {
            "band6_share": self._band6_share, "band6_share_min": lambda s: self._over_cases("band6_share", min),
            "share_3plus_domains": self._share_3plus, "su_any_share": lambda s: self._t11(s, "mh_support_any_yes"),
            "su_hub_share": lambda s: self._t11(s, "mh_support_hub_yes"),
            "su_employer_share": lambda s: self._t11(s, "mh_support_employer_yes"),
            "su_facilitated_share": lambda s: self._t11(s, "mh_support_nonhub_via_hub_yes"),
            "eq5d_mean": lambda s: self._t16b(s, "eq5d_index"), "eq_vas_mean": lambda s: self._t16b(s, "eq_vas"),
            "eq5d_norm_35_44": lambda s: self._norm("uk_3l_35_44"), "eq5d_norm_45_54": lambda s: self._norm("uk_3l_45_54"),
            "eq5d_hse": lambda s: self._norm("hse_2018_hsc"), "staff_cost_share": self._staff_share,
            "hub_related_cost_share": self._hub_related_share, "mh_cost_mean": lambda s: self._t61(s, "total__mh_total"),
            "wider_cost_mean": lambda s: self._t61(s, "total__wider_total"),
            "subgroup_share_max": lambda s: self._subgroup_share(s, max),
            "subgroup_share_min": lambda s: self._subgroup_share(s, min),
            "subgroup_benchmark": self._benchmark, "subgroups_below_benchmark": self._below_benchmark,
            "targeted_outreach_count": self._outreach_count,
        }

    # ------------------------------------------------------------------ tables
    def table(self, table_id: str, fn: Callable[..., TableResult], site: str | None = None) -> TableResult:
        key = table_id if site is None else f"{table_id}@{site}"
        if key not in self.tables:
            self.tables[key] = fn(study=self.study, site=site)
        return self.tables[key]

    def _column(self, scope: str) -> str | None:
        if scope == "all":
            return TOTAL
        return scope if scope in self.study.config.site_ids else None

    # -------------------------------------------------------------- statistics
    def statistic(self, name: str, scope: str) -> Value | None:
        if name.startswith("caseness."):
            return self._caseness(scope, name.split(".", 1)[1])
        if name.startswith("sector_share."):
            return self._t7(scope, name.split(".", 1)[1])
        if name.startswith("met_needs."):
            return self._met_needs(scope, name.split(".", 1)[1])
        if name.startswith("eq5d_no_problems."):
            return self._no_problems(scope, name.split(".", 1)[1])
        fn = self._stats.get(name)
        return fn(scope) if fn else None

    def _over_cases(self, name: str, agg) -> Value | None:
        values = [self.statistic(name, s) for s in self.cases]
        known = [v for v in values if v is not None and v.value is not None]
        if not known:
            return None
        return Value(agg(v.value for v in known), known[0].table, f"{agg.__name__} over {', '.join(self.cases)}")

    def _band6_share(self, scope: str) -> Value | None:
        data = self.table("T3", service_mapping.band6_share_table).data
        if scope == "all":
            sub = data[data["site"].isin(list(self.cases))]
            total = sub["total_wte"].sum()
            return Value(float(sub["senior_wte"].sum() / total), "T3", "pooled") if total else None
        row = data[data["site"] == scope]
        return Value(float(row["share_band6_plus"].iloc[0]), "T3") if len(row) else None

    def _screening_stat(self, table_id, fn, scope, variable, level) -> Value | None:
        col = self._column(scope)
        if col is None:
            return None
        rows = _tidy_lookup(self.table(table_id, fn).data, site=col, variable=variable, level=level)
        if rows.empty or not bool(rows["administered"].iloc[0]):
            return None
        pct = _num(rows["pct"].iloc[0])
        return None if pct is None else Value(pct / 100, table_id, n=int(rows["denom"].iloc[0]))

    def _caseness(self, scope: str, measure: str) -> Value | None:
        if measure == "ptsd":  # PCL-5 or ITQ, whichever the site used; not pooled across instruments
            if scope == "all":
                return None
            for m in ("pcl5", "itq"):
                v = self._screening_stat("T9", screening.caseness_table, scope, f"case_{m}", "yes")
                if v is not None:
                    return v
            return None
        return self._screening_stat("T9", screening.caseness_table, scope, f"case_{measure}", "yes")

    def _t7(self, scope: str, sector: str) -> Value | None:
        if sector == "icu_of_nhs":
            return self._screening_stat("T7", screening.occupation_table, scope, "nhs_icu", "yes")
        return self._screening_stat("T7", screening.occupation_table, scope, "sector", sector)

    def _share_3plus(self, scope: str) -> Value | None:
        col = self._column(scope)
        if col is None:
            return None
        rows = _tidy_lookup(self.table("T55", screening.domains_table).data, site=col, variable="n_domains_case")
        if rows.empty or not int(rows["denom"].iloc[0]):
            return None
        n = rows.loc[rows["level"].astype(int) >= 3, "n"].sum()
        return Value(float(n) / int(rows["denom"].iloc[0]), "T55", n=int(rows["denom"].iloc[0]))

    def _rcs(self, table_id, fn, scope, row, statistic, site_table=False) -> Value | None:
        col = self._column(scope)
        if col is None:
            return None
        data = self.table(table_id, fn).data
        hit = _tidy_lookup(data, row=row, column=col, statistic=statistic)
        return None if hit.empty or _num(hit["value"].iloc[0]) is None else Value(float(hit["value"].iloc[0]), table_id)

    def _t11(self, scope: str, row: str) -> Value | None:
        v = self._rcs("T11", followup.hub_contact_table, scope, row, "pct")
        return None if v is None else Value(v.value / 100, "T11")

    def _met_needs(self, scope: str, level: str) -> Value | None:
        v = self._rcs("T12", followup.satisfaction_table, scope, f"hub_met_needs_{level}", "pct")
        return None if v is None else Value(v.value / 100, "T12")

    def _t16b(self, scope: str, row: str) -> Value | None:
        return self._rcs("T16b", eq5d.eq5d_summary_table, scope, row, "mean")

    def _norm(self, norm_id: str) -> Value | None:
        data = self.table("T16b", eq5d.eq5d_summary_table).data
        hit = _tidy_lookup(data, row="eq5d_index", column=norm_id, statistic="mean")
        return None if hit.empty else Value(float(hit["value"].iloc[0]), "T16b")

    def _no_problems(self, scope: str, dim: str) -> Value | None:
        if scope != "all" and scope not in self.study.config.sites_with("followup"):
            return None
        site = None if scope == "all" else scope
        t = self.table("T16", eq5d.eq5d_levels_table, site)
        hit = _tidy_lookup(t.data, row=f"{dim}_no_problems", statistic="pct")
        return None if hit.empty or _num(hit["value"].iloc[0]) is None else Value(float(hit["value"].iloc[0]) / 100, "T16")

    def _staff_share(self, scope: str) -> Value | None:
        col = "pooled" if scope == "all" else scope
        hit = _tidy_lookup(self.table("T15", hub_costs.ongoing_costs_table).data, row="staff_share", column=col)
        return None if hit.empty else Value(float(hit["value"].iloc[0]), "T15")

    def _hub_related_share(self, scope: str) -> Value | None:
        if scope != "all":
            return None
        data = self.table("T18", service_costs.service_costs_table).data
        total = _tidy_lookup(data, row="total", column="total", statistic="mean")
        rest = _tidy_lookup(data, row="total", column="excl_delivered_or_accessed", statistic="mean")
        if total.empty or rest.empty or not float(total["value"].iloc[0]):
            return None
        t, r = float(total["value"].iloc[0]), float(rest["value"].iloc[0])
        return Value((t - r) / t, "T18")

    def t61_cell(self, scope: str, row: str) -> dict[str, float] | None:
        data = self.table("T61", service_costs.site_subgroup_costs_table).data
        hit = _tidy_lookup(data, row=row, column=scope)
        if hit.empty:
            return None
        return {r["statistic"]: float(r["value"]) for _, r in hit.iterrows()}

    def _t61(self, scope: str, row: str) -> Value | None:
        cell = self.t61_cell(scope, row)
        return None if not cell else Value(cell.get("mean"), "T61", n=int(cell.get("n", 0)))

    # --------------------------------------------------------------- subgroups
    @cached_property
    def _sg(self) -> pd.DataFrame:
        return self.table("T-SG", subgroups.subgroup_representation_table).data

    def _subgroup_share(self, scope: str, agg) -> Value | None:
        rows = self._sg[(self._sg["subgroup"] == scope) & self._sg["site"].isin(list(self.cases))]
        rows = rows[rows["denom"] > 0]
        if rows.empty:
            return None
        n = int(rows["n"].sum())  # fewer members than min_cell_count over the cases: not shown in any rationale
        return Value(float(agg(rows["share"])), "T-SG", f"{agg.__name__} over cases", n=n,
                     suppressed=0 < n < self.study.config.min_cell_count)

    def _benchmark(self, scope: str) -> Value | None:
        try:
            group = self.study.config.subgroup(scope)
        except KeyError:
            return None
        shares = [b["share"] for b in group.benchmarks]
        return Value(min(shares), "study.yml", "lowest workforce benchmark") if shares else None

    def _below_benchmark(self, scope: str) -> Value | None:
        below = [g.id for g in self.study.config.subgroups
                 if (b := self._benchmark(g.id)) is not None and (s := self._subgroup_share(g.id, max)) is not None
                 and s.value < b.value]
        with_benchmark = [g for g in self.study.config.subgroups if g.benchmarks]
        return Value(len(below), "T-SG", ", ".join(below)) if with_benchmark else None

    def _outreach_count(self, scope: str) -> Value | None:
        data = self.table("T-OUT", service_mapping.targeted_outreach_table).data
        data = data[data["site"].isin(list(self.cases))]
        if scope in self.study.config.site_ids:
            data = data[data["site"] == scope]
        elif scope != "all":
            data = data[data["target_group"] == scope]
        return Value(int(data[["site", "activity"]].drop_duplicates().shape[0]), "T-OUT")

    # ------------------------------------------------------------- qualitative
    @cached_property
    def excerpts(self) -> pd.DataFrame:
        from analyses.qualitative import coded_excerpts
        return coded_excerpts(study=self.study)

    def matching_excerpts(self, *, scope: str, codes=(), themes=(), valence=None) -> pd.DataFrame:
        ex = self.excerpts
        if scope in self.study.config.site_ids:
            ex = ex[ex["site"] == scope]
        elif scope != "all":
            ex = ex[ex["subgroup_list"].map(lambda tags: scope in tags)]
        else:
            ex = ex[ex["site"].isin(list(self.cases))]
        if codes:
            ex = ex[ex["code_list"].map(lambda c: bool(set(codes) & set(c)))]
        if themes:
            ex = ex[ex["theme_list"].map(lambda t: bool(set(themes) & set(t)))]
        if valence:
            ex = ex[ex["valence"] == valence]
        return ex

    def participants(self, *, scope, codes, themes, valence):
        ex = self.matching_excerpts(scope=scope, codes=codes, themes=themes, valence=valence)
        return set(ex["participant_id"]), tuple(ex["excerpt_id"])

    def mapping_fields(self, *, scope, fields):
        sites = [scope] if scope in self.study.config.site_ids else list(self.cases)
        missing = []
        for path in fields:
            absent = 0
            for s in sites:
                value: Any = self.study.service_maps.get(s, {})
                for part in path.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                absent += value in (None, "", [], {})
            if absent:  # counted, never named: the rationale may appear in subgroup displays
                missing.append(f"{path} (missing at {absent} of {len(sites)} sites)")
        return (not missing), (tuple(missing) if missing else tuple(fields))


def listed(cell: Any) -> list[str]:
    return split_list(cell)
