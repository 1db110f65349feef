"""Site-adjusted single-predictor models: logistic, proportional-odds and linear.

Each model is ``outcome ~ predictor + site`` (no site term with one site) on numpy design
matrices (logistic: statsmodels ``Logit``; linear: the normal equations, checked against
statsmodels ``OLS`` in the tests), plus the site-interaction test against
``outcome ~ predictor * site``: a likelihood-ratio test for the logistic and ordinal models, an
F-test for the linear model, with df = the rank gained by the interaction columns
((k − 1)(S − 1) unless some site lacks a predictor level).

Logistic CIs are profile-likelihood intervals: the bounds where twice the drop of the profile
log-likelihood (the other coefficients refitted, the term held fixed through an offset) equals
the χ²₁ 95% point, found with :func:`scipy.optimize.brentq`.  Linear CIs are t-based.  The
proportional-odds model is in :mod:`analyses.ordinal`.  A model or level that cannot be
estimated (too few participants, separation, non-convergence) is returned with
``computable=False`` and the reason, never raised.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import statsmodels.api as sm
from scipy import optimize, special, stats
from statsmodels.tools.sm_exceptions import (ConvergenceWarning, HessianInversionWarning,
                                             PerfectSeparationError, PerfectSeparationWarning)

LEVEL = 0.95
MIN_GROUP_N = 5
"""A binary predictor level with fewer participants than this is 'not computable due to small numbers'."""
MAX_ABS_COEF = 15.0
"""A log-odds coefficient beyond this means the fit ran off towards separation."""
FIT_ERRORS = (np.linalg.LinAlgError, PerfectSeparationError, ValueError, FloatingPointError)


@dataclass(frozen=True)
class TermEstimate:
    """One predictor coefficient: estimate on the linear-predictor scale, its CI and p."""

    name: str
    coef: float
    ci_low: float
    ci_high: float
    p: float


@dataclass(frozen=True)
class ModelFit:
    """A fitted model (or the reason it could not be fitted) and the interaction test."""

    computable: bool
    reason: str = ""
    n: int = 0
    n_sites: int = 0
    site_adjusted: bool = True
    terms: tuple[TermEstimate, ...] = ()
    llf: float = np.nan
    p_interaction: float = np.nan
    interaction_df: int = 0
    interaction_stat: float = np.nan
    interaction_reason: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    term_reasons: tuple[tuple[str, str], ...] = ()

    def reason_for(self, name: str) -> str:
        """Why term ``name`` has no estimate ('' if it has one)."""
        if any(t.name == name for t in self.terms):
            return ""
        return dict(self.term_reasons).get(name) or self.reason or "not computable"


# ------------------------------------------------------------------------ design matrices
def _independent(X: np.ndarray, tol: float = 1e-8) -> np.ndarray:
    """Indices of the columns that add rank, taken in order (incremental Gram–Schmidt)."""
    basis: list[np.ndarray] = []
    keep = []
    for j in range(X.shape[1]):
        x = X[:, j]
        norm = np.linalg.norm(x)
        if norm == 0:
            continue
        r = x.copy()
        for _ in range(2):  # re-orthogonalise once for numerical stability
            for q in basis:
                r -= q * (q @ r)
        if np.linalg.norm(r) > tol * norm:
            basis.append(r / np.linalg.norm(r))
            keep.append(j)
    return np.asarray(keep, dtype=int)


def site_dummies(site: np.ndarray) -> tuple[np.ndarray, list[str]]:
    levels = sorted(set(site.tolist()))
    cols = [(site == s).astype(float) for s in levels[1:]]
    return (np.column_stack(cols) if cols else np.empty((len(site), 0))), [f"site[{s}]" for s in levels[1:]]


def design(P: np.ndarray, names: Sequence[str], site: np.ndarray | None, *, interaction: bool = False,
           constant: bool = True) -> tuple[np.ndarray, list[str]]:
    """``[1, P, site dummies, P × site dummies]`` with columns that add no rank removed."""
    n = P.shape[0]
    blocks, labels = [P], list(names)
    if constant:
        blocks.insert(0, np.ones((n, 1)))
        labels.insert(0, "const")
    if site is not None:
        S, snames = site_dummies(site)
        blocks.append(S)
        labels += snames
        if interaction:
            for j, name in enumerate(names):
                blocks.append(P[:, [j]] * S)
                labels += [f"{name}:{s}" for s in snames]
    X = np.column_stack(blocks)
    keep = _independent(X)
    return X[:, keep], [labels[i] for i in keep]


def sparse_terms(y: np.ndarray, P: np.ndarray, names: Sequence[str], *, binary_outcome: bool,
                 min_n: int = MIN_GROUP_N) -> dict[str, str]:
    """0/1 predictor columns that cannot be estimated, with the reason.

    A level with fewer than ``min_n`` participants is 'not computable due to small numbers'; with
    a binary outcome, a level whose participants are all cases or all non-cases is separated.
    """
    reasons = {}
    for j, name in enumerate(names):
        col = P[:, j]
        if not np.isin(col, (0.0, 1.0)).all():
            continue
        ones = int(col.sum())
        if ones == len(col):
            reasons[name] = f"no variation: every participant analysed is in {name}"
        elif ones < min_n:
            reasons[name] = f"not computable due to small numbers ({ones} participant{'s' if ones != 1 else ''})"
        elif binary_outcome:
            cases = int(y[col == 1].sum())
            if cases in (0, ones):
                reasons[name] = (f"not computable: {'none' if cases == 0 else 'all'} of the {ones} participants "
                                 "met caseness (separation)")
    return reasons


@dataclass(frozen=True)
class Prepared:
    """Model inputs after removing inestimable levels (and their participants)."""

    y: np.ndarray
    P: np.ndarray
    names: tuple[str, ...]
    site: np.ndarray | None
    n_sites: int
    term_reasons: tuple[tuple[str, str], ...]

    @property
    def base(self) -> dict:
        return {"n": len(self.y), "n_sites": max(self.n_sites, 1), "term_reasons": self.term_reasons}


def prepare(y: np.ndarray, P: np.ndarray, names: Sequence[str], site: np.ndarray | None, *,
            binary_outcome: bool, min_n: int = MIN_GROUP_N) -> Prepared:
    """Drop inestimable 0/1 levels; their participants leave the model (e.g. the man-vs-woman
    model is fitted without the few who identified in another way, as in the report's Table 32)."""
    reasons = sparse_terms(y, P, names, binary_outcome=binary_outcome, min_n=min_n)
    drop = [j for j, nm in enumerate(names) if nm in reasons]
    keep_rows = ~(P[:, drop] == 1).any(axis=1) if drop else np.ones(len(y), dtype=bool)
    cols = [j for j in range(len(names)) if j not in drop]
    site = None if site is None else site[keep_rows]
    n_sites = 0 if site is None else len(set(site.tolist()))
    return Prepared(y[keep_rows], P[keep_rows][:, cols], tuple(names[j] for j in cols),
                    site if n_sites > 1 else None, n_sites, tuple(reasons.items()))


def run_fit(fn):
    """Run ``fn`` recording warnings; return (result or None, problem text)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="ignore"):
            try:
                result = fn()
            except FIT_ERRORS as err:
                return None, f"model failed ({type(err).__name__}: {err})"
    for w in caught:
        if issubclass(w.category, PerfectSeparationWarning):
            return result, "perfect or quasi-perfect separation"
        if issubclass(w.category, (ConvergenceWarning, HessianInversionWarning)):
            return result, "the model did not converge"
    return result, ""


def fit_problem(result, k: int, log_scale: bool) -> str:
    params = np.asarray(result.params)[:k]
    bse = np.asarray(result.bse)[:k]
    if not np.all(np.isfinite(params)) or not np.all(np.isfinite(bse)):
        return "the model did not converge (non-finite estimates)"
    if log_scale and np.any(np.abs(params) > MAX_ABS_COEF):
        return "the model did not converge (estimates diverge: separation)"
    return ""


# ----------------------------------------------------------------------------- logistic
def _logit(y, X, offset=None, start=None):
    model = sm.Logit(y, X, offset=offset, check_rank=False)  # design() already dropped dependent columns
    return model.fit(disp=0, method="newton", maxiter=100, start_params=start)


def constrained_llf(y: np.ndarray, X: np.ndarray, offset: np.ndarray, start: np.ndarray,
                    tol: float = 1e-10, maxiter: int = 50) -> tuple[float, np.ndarray]:
    """Maximised logit log-likelihood of ``y ~ X`` with a fixed ``offset`` (Newton, step halving).

    This is the fit statsmodels does for ``Logit(y, X, offset=offset)``, written out so that the
    many refits of a profile are cheap; a test checks it against statsmodels.
    """
    def loglik(eta):
        return float(np.sum(y * eta - np.logaddexp(0.0, eta)))

    beta = np.asarray(start, dtype=float).copy()
    eta = offset + X @ beta
    value = loglik(eta)
    for _ in range(maxiter):
        p = special.expit(eta)
        grad = X.T @ (y - p)
        hess = (X * (p * (1.0 - p))[:, None]).T @ X
        step = np.linalg.solve(hess + 1e-12 * np.eye(len(beta)), grad)
        for _ in range(30):  # step halving keeps every iteration an ascent
            new_beta = beta + step
            new_eta = offset + X @ new_beta
            candidate = loglik(new_eta)
            if candidate >= value - 1e-12:
                break
            step /= 2.0
        if candidate < value - 1e-12:  # no ascent direction left: at the maximum numerically
            break
        gain = candidate - value
        beta, eta, value = new_beta, new_eta, candidate
        if abs(gain) < tol:
            break
    return value, beta


def profile_bounds(y: np.ndarray, X: np.ndarray, j: int, result, level: float = LEVEL) -> tuple[float, float]:
    """Profile-likelihood CI of coefficient ``j`` of a fitted logit (log-odds scale).

    The bound is where ``2 × (llf_hat − profile llf) = χ²₁(level)``; it is bracketed around the
    Wald bound and found with Brent's method.  An unbounded side (the profile never drops far
    enough, as near separation) is returned as ±inf.
    """
    b_hat, se = float(result.params[j]), max(float(result.bse[j]), 1e-6)
    target = float(result.llf) - stats.chi2.ppf(level, 1) / 2.0
    others = np.delete(np.arange(X.shape[1]), j)
    Xr, xj = X[:, others], X[:, j]
    warm = {"beta": np.asarray(result.params, dtype=float)[others]}

    def drop(b: float) -> float:
        value, warm["beta"] = constrained_llf(y, Xr, b * xj, warm["beta"])
        return value - target

    def bound(direction: int) -> float:
        z = stats.norm.ppf(0.5 + level / 2)
        inner = b_hat
        for k in (0.8 * z, 1.25 * z, 2.5 * z, 5 * z, 10 * z, 20 * z):
            edge = b_hat + direction * k * se
            if drop(edge) < 0:
                lo, hi = sorted((inner, edge))
                return optimize.brentq(drop, lo, hi, xtol=1e-7, rtol=1e-7)
            inner = edge
        return direction * np.inf
    with np.errstate(all="ignore"):
        return bound(-1), bound(+1)


def logit_model(y: np.ndarray, P: np.ndarray, names: Sequence[str], site: np.ndarray | None, *,
                ci: str = "profile", min_n: int = MIN_GROUP_N) -> ModelFit:
    """``y ~ P + site`` by maximum likelihood, with the site-interaction LRT."""
    d = prepare(y, P, names, site, binary_outcome=True, min_n=min_n)
    base = {**d.base, "site_adjusted": d.site is not None}
    if not d.names:
        return ModelFit(False, dict(d.term_reasons).get(names[0], "not computable"), **base)
    X, labels = design(d.P, d.names, d.site)
    if any(name not in labels for name in d.names):
        return ModelFit(False, "not computable: the predictor is collinear with site (or does not vary)", **base)
    result, problem = run_fit(lambda: _logit(d.y, X))
    problem = problem or (fit_problem(result, len(labels), True) if result is not None else "model failed")
    if problem:
        return ModelFit(False, f"not computable: {problem}", **base)
    terms = []
    for name in d.names:
        j = labels.index(name)
        if ci == "profile":
            lo, hi = profile_bounds(d.y, X, j, result)
        else:
            lo, hi = (float(v) for v in result.conf_int(alpha=1 - LEVEL)[j])
        terms.append(TermEstimate(name, float(result.params[j]), lo, hi, float(result.pvalues[j])))
    inter = lrt(lambda Xf: _logit(d.y, Xf), result, d, X.shape[1])
    return ModelFit(True, "", terms=tuple(terms), llf=float(result.llf), **base, **inter)


def lrt(fit_full, main, d: Prepared, rank_main: int, drop_constant: bool = False) -> dict:
    """Likelihood-ratio test of ``main`` against the predictor × site model ``fit_full(X)``.

    If the interaction model shows separation (sparse site × level cells), the test still uses
    its maximised likelihood (as R's ``anova`` would) and says so in ``notes``.
    """
    if d.site is None:
        return {"interaction_reason": "one site only: no site interaction"}
    Xf, _ = design(d.P, d.names, d.site, interaction=True)
    Xf = Xf[:, 1:] if drop_constant else Xf  # ordinal models: thresholds replace the constant
    df = Xf.shape[1] - rank_main
    if df <= 0:
        return {"interaction_reason": "no predictor level is observed at more than one site"}
    full, problem = run_fit(lambda: fit_full(Xf))
    if full is None or not np.isfinite(full.llf):
        return {"interaction_reason": f"interaction model not computable ({problem or 'failed'})"}
    stat = max(2.0 * (float(full.llf) - float(main.llf)), 0.0)
    notes = (f"interaction model: {problem}; the likelihood-ratio test uses its maximised likelihood",) if problem else ()
    return {"p_interaction": float(stats.chi2.sf(stat, df)), "interaction_df": int(df),
            "interaction_stat": stat, "notes": notes}


# ---------------------------------------------------------------------------------- linear
@dataclass(frozen=True)
class LeastSquares:
    """An OLS fit: coefficients, standard errors, residual sum of squares and df."""

    params: np.ndarray
    bse: np.ndarray
    ssr: float
    df_resid: int

    def t_interval(self, j: int, level: float = LEVEL) -> tuple[float, float, float]:
        """(lower, upper, two-sided p) for coefficient ``j`` from the t distribution."""
        t = stats.t.ppf(0.5 + level / 2, self.df_resid)
        b, se = float(self.params[j]), float(self.bse[j])
        p = float(2 * stats.t.sf(abs(b / se), self.df_resid)) if se > 0 else np.nan
        return b - t * se, b + t * se, p


def least_squares(y: np.ndarray, X: np.ndarray) -> LeastSquares:
    """OLS by the normal equations (``X`` has full column rank: :func:`design` ensures it).

    Same numbers as ``statsmodels.OLS`` (a test checks them) without an SVD of the tall design
    matrix, which multi-threaded LAPACK makes slow on a busy machine (~200 fits per study).
    """
    xtx_inv = np.linalg.inv(X.T @ X)
    params = xtx_inv @ (X.T @ y)
    resid = y - X @ params
    df_resid = len(y) - X.shape[1]
    ssr = float(resid @ resid)
    bse = np.sqrt(np.diag(xtx_inv) * ssr / df_resid)
    return LeastSquares(params, bse, ssr, df_resid)


def ols_model(y: np.ndarray, P: np.ndarray, names: Sequence[str], site: np.ndarray | None) -> ModelFit:
    """``y ~ P + site`` by least squares (t-based CIs) with the interaction F-test."""
    d = prepare(y, P, names, site, binary_outcome=False, min_n=1)
    base = {**d.base, "site_adjusted": d.site is not None}
    if not d.names:
        return ModelFit(False, dict(d.term_reasons).get(names[0], "not computable"), **base)
    X, labels = design(d.P, d.names, d.site)
    if any(name not in labels for name in d.names) or len(d.y) <= X.shape[1]:
        return ModelFit(False, "not computable: too few participants for the model", **base)
    fit = least_squares(d.y, X)
    terms = tuple(TermEstimate(nm, float(fit.params[labels.index(nm)]), *fit.t_interval(labels.index(nm)))
                  for nm in d.names)
    return ModelFit(True, "", terms=terms, **base, **_f_test(d, X, fit))


def _f_test(d: Prepared, X: np.ndarray, main: LeastSquares) -> dict:
    """F-test of the predictor × site columns (the ANOVA comparison of the two models)."""
    if d.site is None:
        return {"interaction_reason": "one site only: no site interaction"}
    Xf, _ = design(d.P, d.names, d.site, interaction=True)
    df_num = Xf.shape[1] - X.shape[1]
    if df_num <= 0:
        return {"interaction_reason": "no predictor level is observed at more than one site"}
    if len(d.y) <= Xf.shape[1]:
        return {"interaction_reason": "too few participants for the interaction model"}
    full = least_squares(d.y, Xf)
    f = ((main.ssr - full.ssr) / df_num) / (full.ssr / full.df_resid)
    return {"p_interaction": float(stats.f.sf(f, df_num, full.df_resid)), "interaction_df": int(df_num),
            "interaction_stat": float(f)}
