"""``hubcase tables``: every catalogued table as CSV and every figure as PNG.

For each table ``<ID>.csv`` holds the display frame (the strings the report shows) and
``<ID>.data.csv`` the tidy numbers; each figure is ``<ID>.png`` at 200 dpi.  Text cells that
a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) get a leading ``'`` (OWASP "CSV injection"); numbers are written as numbers.
A table the study cannot support (e.g. no site used the measure) is skipped with a warning.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analyses import catalog
from analyses.result import FigureResult, TableResult
from hubcase.errors import AnalysisError
from hubcase.present import figure_png
from hubcase.study import Study, load_study

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class TablesResult:
    """What ``export_tables`` wrote: table IDs, figure IDs, the files, and warnings."""

    out: Path
    tables: tuple[str, ...]
    figures: tuple[str, ...]
    files: tuple[Path, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def as_text(self) -> str:
        lines = [f"warning: {w}" for w in self.warnings]
        lines.append(f"wrote {len(self.tables)} tables and {len(self.figures)} figures to {self.out}")
        return "\n".join(lines)


def neutralise(value: object) -> object:
    """Prefix a text cell that starts like a spreadsheet formula with ``'``; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with text cells and column names neutralised (numbers untouched)."""
    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map(neutralise, na_action="ignore")
    return out


def disclosed(result: TableResult) -> pd.DataFrame:
    """The tidy data as it may be published: where a row is flagged ``suppressed`` (a count below the
    study's ``min_cell_count``), the columns named by ``result.spec["suppress"]`` are blanked."""
    columns = [c for c in result.spec.get("suppress", ()) if c in result.data.columns]
    if not columns or "suppressed" not in result.data.columns:
        return result.data
    out = result.data.copy()
    hide = out["suppressed"].fillna(False).astype(bool).to_numpy()
    for col in columns:
        out[col] = out[col].astype("object").where(~hide, None)
    return out


def write_table(result: TableResult, out: Path) -> list[Path]:
    """Write ``<ID>.csv`` (display) and ``<ID>.data.csv`` (tidy, small counts blanked) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    display, data = out / f"{result.id}.csv", out / f"{result.id}.data.csv"
    safe_frame(result.display).to_csv(display, index=False, lineterminator="\n")
    safe_frame(disclosed(result)).to_csv(data, index=False, lineterminator="\n")
    return [display, data]


def write_figure(result: FigureResult, out: Path) -> Path:
    """Write ``<ID>.png`` at 200 dpi into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{result.id}.png"
    path.write_bytes(figure_png(result))
    return path


def export_study_tables(study: Study, *, tables_dir: Path, figures_dir: Path,
                        progress: Progress | None = None) -> TablesResult:
    """Compute every catalogued table and figure of a loaded study once and write them."""
    files: list[Path] = []
    written_tables: list[str] = []
    written_figures: list[str] = []
    warnings: list[str] = []
    for result in catalog.compute_tables(study):
        if not catalog.is_available(result):
            warnings.append(f"table {result.id} not written: {result.spec[catalog.UNAVAILABLE]}")
            continue
        files += write_table(result, tables_dir)
        written_tables.append(result.id)
    if progress:
        progress(f"wrote {len(written_tables)} tables")
    for item in catalog.entries("figures"):
        try:
            result = catalog.figure(item.id, study=study)
        except AnalysisError as err:
            warnings.append(f"figure {item.id} not written: {err}")
            continue
        files.append(write_figure(result, figures_dir))
        written_figures.append(result.id)
    if progress:
        progress(f"wrote {len(written_figures)} figures")
    return TablesResult(tables_dir, tuple(written_tables), tuple(written_figures), tuple(files), tuple(warnings))


def export_tables(*, study: Path | str, out: Path | str) -> TablesResult:
    """``hubcase tables``: load and validate ``study``; write tables and figures into ``out``.

    Tables and figures go side by side in ``out``.  Raises ``StudyError`` for an invalid study.
    """
    loaded = load_study(Path(study))
    out = Path(out)
    return export_study_tables(loaded, tables_dir=out, figures_dir=out)
