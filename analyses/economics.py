"""Health economics (report chapter 5): shared statistics and money formatting.

The tables live in three modules, one per evidence strand:

- :mod:`analyses.hub_costs`: costing Hub support — Tables 14, 15, 58/59;
- :mod:`analyses.service_costs`: service use and its costs — Tables 17, 18, 61 and the
  regression and completeness tables T18b, T18c;
- :mod:`analyses.eq5d`: health status — Table 16, T16b, T16c and Figure 2.

This module holds what they share: means with t-based 95% CIs (the report's intervals are
symmetric and match mean ± t(0.975, n−1)·SD/√n, spec A §2.10), money display, and an
ordinary-least-squares coefficient table whose design matrix is built explicitly (so a term
with no variation is dropped and reported rather than failing).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import stats

CI_NOTE = ("95% CIs: mean ± t(0.975, n − 1) × SD/√n (t-based normal-theory interval, SD with ddof = 1); "
           "no bootstrap.")


def mean_ci(values, level: float = 0.95) -> dict[str, float]:
    """n, mean, SD (ddof 1), SE and the t-based CI of the non-missing ``values``."""
    v = pd.Series(values, dtype="Float64").dropna().to_numpy(dtype=float)
    n = len(v)
    out = {"n": float(n), "mean": np.nan, "sd": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    if n == 0:
        return out
    out["mean"] = float(v.mean())
    if n < 2:
        return out
    sd = float(v.std(ddof=1))
    se = sd / np.sqrt(n)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    out.update(sd=sd, se=se, ci_low=out["mean"] - half, ci_high=out["mean"] + half)
    return out


def one_sample_t(values, reference: float) -> dict[str, float]:
    """Two-sided one-sample t-test of the mean of ``values`` against ``reference``."""
    v = pd.Series(values, dtype="Float64").dropna().to_numpy(dtype=float)
    if len(v) < 2 or np.std(v) == 0:
        return {"t": np.nan, "df": float(max(len(v) - 1, 0)), "p": np.nan}
    res = stats.ttest_1samp(v, reference)
    return {"t": float(res.statistic), "df": float(len(v) - 1), "p": float(res.pvalue)}


def tidy(wide: pd.DataFrame, *, row: str, column, statistics: list[str], keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """Long form ``row, column, statistic, value`` (plus ``keep`` columns) of a wide frame of statistics.

    ``row`` and (when a column name) ``column`` name columns of ``wide``; a plain string ``column``
    is used as the column key of every row (e.g. ``"Total"``).
    """
    base = pd.DataFrame({"row": wide[row].astype(str).to_numpy(),
                         "column": (wide[column].astype(str).to_numpy() if column in wide.columns
                                    else [column] * len(wide))})
    for k in keep:
        base[k] = wide[k].to_numpy()
    parts = [base.assign(statistic=st, value=pd.to_numeric(wide[st], errors="coerce").astype(float).to_numpy())
             for st in statistics]
    out = pd.concat(parts, ignore_index=True) if parts else base.assign(statistic=[], value=[])
    return out[["row", "column", "statistic", "value", *keep]]


def currency_prefix(currency: str) -> str:
    """``£`` for GBP; otherwise the currency code and a space (``EUR 12``)."""
    return "£" if currency == "GBP" else f"{currency} "


def fmt_money(x: float, currency: str, digits: int = 0) -> str:
    if x is None or pd.isna(x):
        return "–"
    sign = "−" if x < 0 else ""
    return f"{sign}{currency_prefix(currency)}{abs(x):,.{digits}f}"


def fmt_money_ci(s: Mapping[str, float], currency: str) -> str:
    """``£204 (£141 to £268)``; a lower bound below 1 as ``< £1``; no spread as ``£0 (NA)``."""
    if pd.isna(s["mean"]):
        return "–"
    mean = fmt_money(s["mean"], currency)
    if pd.isna(s["ci_low"]) or s["sd"] == 0:
        return f"{mean} (NA)"
    low = f"< {currency_prefix(currency)}1" if s["ci_low"] < 1 else fmt_money(s["ci_low"], currency)
    return f"{mean} ({low} to {fmt_money(s['ci_high'], currency)})"


def fmt_p(p: float) -> str:
    if p is None or pd.isna(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


# ---------------------------------------------------------------- OLS

@dataclass(frozen=True)
class Term:
    """A predictor: ``numeric`` (as is), ``binary`` (true/yes = 1) or ``categorical`` (dummies vs reference).

    Categorical levels are ordered by ``level_labels``, else by the column's categories, else
    alphabetically; ``reference`` defaults to the first level present.
    """

    column: str
    label: str
    kind: str = "numeric"
    reference: str | None = None
    level_labels: Mapping[str, str] = field(default_factory=dict)


def _binary(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.BooleanDtype) or series.dtype == bool:
        return series.astype("Float64")
    text = series.astype("string").str.lower()
    return text.map({"yes": 1.0, "true": 1.0, "no": 0.0, "false": 0.0}).astype("Float64")


def design_matrix(frame: pd.DataFrame, outcome: str, terms: list[Term]) -> tuple[pd.Series, pd.DataFrame, list[dict],
                                                                                 list[str]]:
    """Complete cases of ``outcome`` and ``terms``: y, X (with const), column info, notes on dropped terms."""
    cols, orders = {"__y": frame[outcome].astype("Float64")}, {}
    for t in terms:
        s = frame[t.column]
        cols[t.column] = _binary(s) if t.kind == "binary" else (
            s.astype("string") if t.kind == "categorical" else s.astype("Float64"))
        if t.kind == "categorical":
            cats = list(s.cat.categories) if isinstance(s.dtype, pd.CategoricalDtype) else []
            orders[t.column] = [str(c) for c in (list(t.level_labels) or cats)]
    d = pd.DataFrame(cols).dropna()
    X, info, notes = pd.DataFrame({"const": np.ones(len(d))}, index=d.index), [], []
    for t in terms:
        if t.kind != "categorical":
            X[t.column] = d[t.column].astype(float)
            info.append({"term": t.column, "label": t.label, "variable": t.column})
            continue
        order = orders[t.column]
        present = sorted(d[t.column].unique(), key=lambda v: (order.index(v) if v in order else len(order), v))
        ref = t.reference if t.reference is not None else (present[0] if present else None)
        if ref not in present:
            notes.append(f"{t.label}: reference level {ref!r} absent among complete cases; term dropped.")
            continue
        for level in [lv for lv in present if lv != ref]:
            name = f"{t.column}[{level}]"
            X[name] = (d[t.column] == level).astype(float)
            lab = f"{t.label}: {t.level_labels.get(level, level)} (vs {t.level_labels.get(ref, ref)})"
            info.append({"term": name, "label": lab, "variable": t.column})
    return d["__y"].astype(float), X, info, notes


def _independent(X: pd.DataFrame, info: list[dict]) -> tuple[pd.DataFrame, list[dict], list[str]]:
    """Drop columns that add no rank (constant or collinear), keeping earlier terms first."""
    keep, notes = ["const"], []
    for c in X.columns[1:]:
        trial = X[keep + [c]].to_numpy()
        if np.linalg.matrix_rank(trial) > len(keep):
            keep.append(c)
        else:
            label = next(i["label"] for i in info if i["term"] == c)
            notes.append(f"{label}: no independent variation among complete cases; dropped.")
    return X[keep], [i for i in info if i["term"] in keep], notes


def fit_ols(frame: pd.DataFrame, outcome: str, terms: list[Term]) -> dict:
    """OLS of ``outcome`` on ``terms`` (complete cases). Returns coefficients, n, adjusted R² and notes."""
    import statsmodels.api as sm

    y, X, info, notes = design_matrix(frame, outcome, terms)
    X, info, more = _independent(X, info)
    notes += more
    n, k = X.shape
    empty = pd.DataFrame(columns=["term", "label", "variable", "coef", "se", "ci_low", "ci_high", "p"])
    if n <= k:
        return {"coefs": empty, "n": n, "adj_r2": np.nan, "r2": np.nan,
                "notes": notes + [f"not computable: {n} complete cases for {k} parameters"]}
    res = sm.OLS(y.to_numpy(), X.to_numpy()).fit()
    ci = res.conf_int()
    rows = [{**i, "coef": res.params[j], "se": res.bse[j], "ci_low": ci[j, 0], "ci_high": ci[j, 1],
             "p": res.pvalues[j]} for j, i in enumerate([{"term": "const", "label": "Intercept",
                                                          "variable": "const"}, *info])]
    return {"coefs": pd.DataFrame(rows), "n": n, "adj_r2": float(res.rsquared_adj), "r2": float(res.rsquared),
            "notes": notes}


def fmt_coef_ci(row, digits: int = 2) -> str:
    if pd.isna(row["coef"]):
        return "–"
    return f"{row['coef']:.{digits}f} ({row['ci_low']:.{digits}f} to {row['ci_high']:.{digits}f})"
