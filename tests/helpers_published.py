"""Back-tests of analysis results against data/reference/published_figures (shared by strand tests)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hubcase.study import load_study

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = ROOT / "data" / "synthetic"
PUBLISHED = ROOT / "data" / "reference" / "published_figures"


def load_synthetic():
    if not (SYNTHETIC / "study.yml").is_file():
        pytest.skip("data/synthetic/ has not been generated yet")
    return load_study(SYNTHETIC)


def published_rows(table_id: str) -> pd.DataFrame:
    """Published figures of one table: columns table,row,column,statistic,value,precision,source_note."""
    files = sorted(PUBLISHED.glob("*.csv"))
    if not files:
        return pd.DataFrame(columns=["table", "row", "column", "statistic", "value", "precision", "source_note"])
    pub = pd.concat([pd.read_csv(f, dtype={"row": str, "column": str, "statistic": str}) for f in files])
    pub = pub[pub["table"] == table_id].copy()
    pub["value"] = pd.to_numeric(pub["value"], errors="coerce")
    pub["precision"] = pd.to_numeric(pub["precision"], errors="coerce").fillna(0.0)
    return pub


def assert_reproduces(res, pub: pd.DataFrame) -> None:
    """Every published (row, column, statistic) of ``res`` lies within its precision."""
    if pub.empty:
        pytest.skip(f"no published figures for {res.id} in data/reference/published_figures/")
    matched = pub.merge(res.data, on=["row", "column", "statistic"], suffixes=("_published", ""))
    assert len(matched), f"{res.id}: no published row matches a (row, column, statistic) of the result"
    off = matched[(matched["value"] - matched["value_published"]).abs() > matched["precision"] + 1e-9]
    assert off.empty, off[["row", "column", "statistic", "value_published", "value", "precision"]].to_string()
