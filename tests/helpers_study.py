"""Build a tiny study directory in a test's ``tmp_path`` and load it.

``make_study(tmp_path, screening=frame, sites=[{"id": "A", "measures": ["phq9"]}])`` writes
``study.yml`` and ``screening.csv`` (required screening columns the frame lacks are written
blank) and returns ``load_study`` of it.  Strands other than screening are off unless a site
dict says otherwise.  Extra files go in by table or document id (``followup=frame``,
``integration={...}``) or by relative path through ``extra_files={"notes.txt": "..."}``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hubcase.schema import CONTRACT
from hubcase.study import Study, load_study

STRANDS = ("service_mapping", "screening", "followup", "costing", "qualitative")


def site_entry(site: dict[str, Any]) -> dict[str, Any]:
    """A full study.yml site entry from a short dict (id and measures are enough)."""
    strands = {s: s == "screening" for s in STRANDS}
    strands.update(site.get("strands") or {})
    entry = {"id": str(site["id"]), "label": site.get("label", f"Site {site['id']}"),
             "measures": list(site.get("measures", [])), "strands": strands}
    if site.get("opened"):
        entry["opened"] = site["opened"]
    return entry


def study_document(sites: list[dict[str, Any]], **config: Any) -> dict[str, Any]:
    doc = {"title": "Test study", "currency": "GBP", "price_year": 2021,
           "disclosure": {"min_cell_count": 1}, "sites": [site_entry(s) for s in sites]}
    doc.update(config)
    return doc


def _cell(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame.astype(object).map(_cell)
    text.to_csv(path, index=False)


def complete_screening(screening: pd.DataFrame) -> pd.DataFrame:
    """``screening`` with every required column of the contract (blank where absent)."""
    out = screening.copy()
    schema = CONTRACT.table("screening")
    for col in schema.columns:
        if col.required and col.name not in out.columns:
            out[col.name] = None
    if "record_id" not in screening.columns:
        out["record_id"] = [f"r{i:04d}" for i in range(1, len(out) + 1)]
    return out


def make_study(tmp_path: Path, *, screening: pd.DataFrame, sites: list[dict[str, Any]],
               config: dict[str, Any] | None = None, extra_files: dict[str, str] | None = None,
               **files: Any) -> Study:
    """Write a study directory under ``tmp_path/study`` and load it."""
    root = Path(tmp_path) / "study"
    root.mkdir(parents=True, exist_ok=True)
    (root / "study.yml").write_text(yaml.safe_dump(study_document(sites, **(config or {})), sort_keys=False))
    write_csv(root / "screening.csv", complete_screening(screening))
    for key, value in files.items():
        table = next((t for t in CONTRACT.tables if t.id == key), None)
        if table is not None:
            write_csv(root / table.path, value)
            continue
        doc = next((d for d in CONTRACT.documents if d.id == key), None)
        if doc is None:
            raise KeyError(f"make_study: {key!r} is not a table or document id of the contract")
        path = root / doc.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(value, sort_keys=False))
    for rel, text in (extra_files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return load_study(root)
