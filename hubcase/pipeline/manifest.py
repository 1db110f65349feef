"""``OUT/manifest.json``: what a build read, how it ran and what it wrote.

Keys: ``generator`` ("hubcase", used to recognise an output folder that may be replaced),
``hubcase_version``, ``built_at``, ``study`` (path, title, every input with its SHA-256 and
the combined ``inputs_hash``), ``parameters``, ``renderer``, ``packages``, ``outputs`` (per
part: files, ``built_at``, ``inputs_hash`` — parts carried over from an earlier build keep
theirs), ``warnings``, and ``fit_ratings`` (every joint-display rating with its derived and
declared value and status, from ``JointDisplay.fit_frame()``).
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Mapping
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

GENERATOR = "hubcase"
PACKAGES = ("hubcase", "pandas", "numpy", "scipy", "statsmodels", "matplotlib", "nbformat", "nbclient", "ipykernel",
            "pypandoc_binary", "typst", "pyyaml", "tabulate")


def inputs_hash(hashes: Mapping[str, str]) -> str:
    """SHA-256 over ``"<path> <sha256>\\n"`` for every input, sorted by path."""
    text = "".join(f"{path} {digest}\n" for path, digest in sorted(hashes.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def hubcase_version() -> str:
    return package_version("hubcase") or "0+unknown"


def build_time() -> datetime:
    """Now (UTC), or ``SOURCE_DATE_EPOCH`` when set, for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(timezone.utc).replace(microsecond=0)


def provenance(study, *, built: datetime) -> dict[str, str]:
    """The provenance footer of every document: study, inputs hash, hubcase version, build date."""
    return {"study": study.config.title, "inputs_hash": inputs_hash(study.input_hashes),
            "hubcase_version": hubcase_version(), "build_date": built.strftime("%Y-%m-%d %H:%M UTC")}


def fit_ratings(study) -> dict[str, Any]:
    """Every fit rating of the joint displays (derived, declared, status), the displays' own
    warnings, or why there are none."""
    from analyses import catalog
    from hubcase.errors import AnalysisError

    try:
        displays = catalog.display_set(study)
    except AnalysisError as err:
        return {"available": False, "rows": [], "warnings": [], "reason": str(err)}
    rows = displays.fit_frame()
    records = json.loads(rows.to_json(orient="records")) if len(rows) else []
    return {"available": True, "rows": records, "warnings": list(displays.warnings)}


def previous(out: Path) -> dict[str, Any] | None:
    """The manifest of an earlier build in ``out`` (``None`` if there is none or it is unreadable)."""
    try:
        data = json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("generator") == GENERATOR else None


def manifest(study, *, parameters: Mapping[str, Any], renderer: Mapping[str, Any], outputs: Mapping[str, Any],
             warnings: list[str], built: datetime, timings: Mapping[str, float],
             fit: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "generator": GENERATOR,
        "hubcase_version": hubcase_version(),
        "built_at": built.isoformat(),
        "study": {"path": str(Path(study.root).resolve()), "title": study.config.title,
                  "inputs": [{"path": p, "sha256": h} for p, h in sorted(study.input_hashes.items())],
                  "inputs_hash": inputs_hash(study.input_hashes)},
        "parameters": dict(parameters),
        "renderer": dict(renderer),
        "packages": {name: package_version(name) for name in PACKAGES},
        "python": platform.python_version(),
        "outputs": dict(outputs),
        "warnings": list(warnings),
        "fit_ratings": dict(fit),
        "timings_s": dict(timings),
    }


def write(path: Path, data: Mapping[str, Any]) -> None:
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
