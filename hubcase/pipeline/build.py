"""``hubcase build``: the full report and every site's case study, in HTML and PDF.

Output (``OUT``)::

    report/index.html, report/report.pdf      the full report (index + five chapters, one document)
    sites/<ID>/case-study.html, .pdf          one case study per site
    tables/<ID>.csv, <ID>.data.csv            every table: as shown, and tidy
    figures/<ID>.png                          every figure, 200 dpi
    manifest.json                             inputs + SHA-256, parameters, versions, warnings, fit ratings

Steps: validate the study (invalid -> ``StudyError``, nothing written); run the jobs of
:mod:`hubcase.pipeline.jobs` (``jobs`` > 1: in that many worker processes); join the executed
chapters into the report; write the manifest.  Everything is written into a staging directory
beside ``OUT`` that replaces ``OUT`` only when all of it succeeded (two renames: OUT -> backup,
staging -> OUT), so a failed build leaves the previous output exactly as it was.

``site=[...]`` rebuilds only those sites' case studies: the rest of the previous output
(report, other sites, tables, figures) is carried over unchanged, and the manifest keeps each
part's own inputs hash, warning when a carried-over part was built from other inputs.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from analyses.catalog import CHAPTERS
from hubcase.errors import BuildError, HubcaseError
from hubcase.pipeline import jobs as J
from hubcase.pipeline import manifest as M
from hubcase.pipeline import quarto
from hubcase.render import pandoc_version
from hubcase.study import Study, load_study

FORMATS = ("html", "pdf")
RENDERERS = ("auto", "quarto", "builtin")
REPORT_NOTEBOOKS = ("index", *(c.notebook for c in CHAPTERS))
ANCHORS = {c.notebook: "sec-" + c.id.replace("_", "-") for c in CHAPTERS}
Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    out: Path
    renderer: str
    sites: tuple[str, ...]
    report_built: bool
    warnings: tuple[str, ...]
    seconds: float

    def as_text(self) -> str:
        parts = (["report"] if self.report_built else []) + [f"site {s}" for s in self.sites]
        return (f"built {', '.join(parts) or 'nothing'} into {self.out} with the {self.renderer} renderer "
                f"in {self.seconds:.1f} s ({len(self.warnings)} warnings; see manifest.json)")


def build(*, study: Path | str = Path("data/synthetic"), site: Sequence[str] | None = None,
          to: Sequence[str] = FORMATS, out: Path | str = Path("out"), renderer: str = "auto", jobs: int = 1,
          progress: Progress | None = None) -> BuildResult:
    """Build the report and case studies of ``study`` into ``out``; see the module docstring."""
    started = time.perf_counter()
    say = progress or _stderr(started)
    loaded = load_study(Path(study))
    say(f"validated {study} ({len(loaded.site_ids)} sites, {len(loaded.input_hashes)} input files)")
    sites = _sites(loaded, site)
    formats = _formats(to)
    used = _renderer(renderer)
    out = Path(out).resolve()
    _check_out(out, loaded)
    if jobs < 1:
        raise BuildError(f"--jobs must be at least 1, got {jobs}")
    built = M.build_time()
    plan = _Plan(loaded, out=out, sites=sites, full=site is None, to=formats, renderer=used, built=built)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    work = Path(tempfile.mkdtemp(prefix="hubcase-work-"))
    try:
        if not plan.full and out.exists():
            shutil.copytree(out, staging, dirs_exist_ok=True, copy_function=shutil.copy2)
        results = _run(plan, staging=staging, work=work, jobs=jobs, say=say)
        parameters = {"study": str(Path(study).resolve()), "site": list(site) if site else None, "to": list(formats),
                      "renderer": renderer, "jobs": jobs}
        warnings = _write_manifest(plan, results, staging=staging, parameters=parameters,
                                   seconds=time.perf_counter() - started)
        _replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seconds = round(time.perf_counter() - started, 1)
    say(f"done: {out} ({seconds} s)")
    return BuildResult(out, used, sites, plan.full, tuple(warnings), seconds)


# ------------------------------------------------------------------ checks
def _sites(study: Study, requested: Sequence[str] | None) -> tuple[str, ...]:
    if not requested:
        return study.site_ids
    unknown = [s for s in requested if s not in study.site_ids]
    if unknown:
        raise BuildError(f"--site {', '.join(unknown)}: not declared in study.yml "
                         f"(declared sites: {', '.join(study.site_ids)})")
    return tuple(dict.fromkeys(requested))


def _formats(to: Sequence[str] | str) -> tuple[str, ...]:
    items = [t.strip() for t in (to.split(",") if isinstance(to, str) else to) if t.strip()]
    bad = [t for t in items if t not in FORMATS]
    if bad or not items:
        raise BuildError(f"--to {','.join(items) or '(empty)'}: expected html, pdf or html,pdf")
    return tuple(f for f in FORMATS if f in items)


def _renderer(name: str) -> str:
    if name not in RENDERERS:
        raise BuildError(f"--renderer {name}: expected one of {', '.join(RENDERERS)}")
    if name == "quarto" and not quarto.available():
        raise BuildError("--renderer quarto: quarto is not on PATH; hint: install Quarto or use --renderer builtin")
    if name == "auto":
        return "quarto" if quarto.available() else "builtin"
    return name


def _check_out(out: Path, study: Study) -> None:
    """Refuse to replace a folder that holds the study or was not written by hubcase."""
    root = Path(study.root).resolve()
    if out == root or out in root.parents:
        raise BuildError(f"--out {out}: the study {root} is inside it; choose another output folder")
    if out.exists() and not out.is_dir():
        raise BuildError(f"--out {out}: exists and is not a folder")
    if out.exists() and any(out.iterdir()) and M.previous(out) is None:
        raise BuildError(f"--out {out}: exists and is not a hubcase build output (no manifest.json); "
                         "hint: choose a new or empty folder")


# ------------------------------------------------------------------ running the jobs
@dataclass(frozen=True)
class _Plan:
    study: Study
    out: Path
    sites: tuple[str, ...]
    full: bool
    to: tuple[str, ...]
    renderer: str
    built: Any

    @property
    def provenance(self) -> dict[str, str]:
        return M.provenance(self.study, built=self.built)

    def jobs(self, staging: Path, work: Path) -> list[J.Job]:
        common = {"study": str(Path(self.study.root).resolve()), "renderer": self.renderer, "to": list(self.to)}
        chapters = [J.Job("chapter", nb, {**common, "work": str(work)}) for nb in REPORT_NOTEBOOKS] if self.full else []
        sites = [J.Job("site", s, {**common, "out": str(staging / "sites" / s), "work": str(work / "sites" / s),
                                   "title": f"{self.study.config.site(s).label}: case study",
                                   "provenance": self.provenance}) for s in self.sites]
        tables = [J.Job("tables", "tables", {**common, "out": str(staging)})] if self.full else []
        return [*chapters, *sites, *tables]


def _run(plan: _Plan, *, staging: Path, work: Path, jobs: int, say: Progress) -> list[J.JobResult]:
    todo = plan.jobs(staging, work)
    for s in plan.sites:
        shutil.rmtree(staging / "sites" / s, ignore_errors=True)
    results: list[J.JobResult] = []
    total = len(todo) + (1 if plan.full else 0)

    def done(result: J.JobResult) -> None:
        results.append(result)
        say(f"[{len(results)}/{total}] {_describe(result)} ({result.seconds:.1f} s)")

    chapters_left = {j.name for j in todo if j.kind == "chapter"}

    def after(result: J.JobResult) -> None:
        done(result)
        chapters_left.discard(result.name if result.kind == "chapter" else "")
        if plan.full and not chapters_left and not any(r.kind == "report" for r in results):
            done(_report(plan, results, staging=staging, work=work))

    if jobs == 1:
        for job in todo:
            after(_guard(job, lambda: J.run_job(job)))
        return results
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        pending = {pool.submit(J.run_job, job): job for job in todo}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    job = pending.pop(future)
                    after(_guard(job, future.result))
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return results


def _guard(job: J.Job, call: Callable[[], J.JobResult]) -> J.JobResult:
    """Run one job; failures become a ``BuildError`` naming the job."""
    try:
        return call()
    except HubcaseError as err:
        raise BuildError(f"{_name(job)} failed: {err}") from err
    except Exception as err:  # a bug or a dead worker: still say which job
        raise BuildError(f"{_name(job)} failed: {type(err).__name__}: {err}") from err


def _report(plan: _Plan, results: list[J.JobResult], *, staging: Path, work: Path) -> J.JobResult:
    by_name = {r.name: r for r in results if r.kind == "chapter"}
    executed = [Path(by_name[nb].files[0]) for nb in REPORT_NOTEBOOKS]
    return _guard(J.Job("report", "report"), lambda: J.write_report(
        executed, anchors=ANCHORS, out=staging / "report", work=work / "report", to=plan.to,
        title=plan.study.config.title, provenance=plan.provenance, renderer=plan.renderer))


def _name(job: J.Job) -> str:
    return {"chapter": f"notebook report/{job.name}.ipynb", "site": f"case study of site {job.name}",
            "tables": "tables and figures", "report": "the combined report"}.get(job.kind, job.name)


def _describe(result: J.JobResult) -> str:
    if result.kind == "chapter":
        return f"executed report/{result.name}.ipynb"
    if result.kind == "tables":
        return f"wrote {len(result.info.get('tables', []))} tables and {len(result.info.get('figures', []))} figures"
    names = ", ".join(Path(f).name for f in result.files)
    return f"site {result.name}: {names}" if result.kind == "site" else f"report: {names}"


# ------------------------------------------------------------------ manifest and replacing OUT
def _write_manifest(plan: _Plan, results: list[J.JobResult], *, staging: Path, parameters: dict,
                    seconds: float) -> list[str]:
    before = M.previous(staging) if not plan.full else None
    outputs = dict((before or {}).get("outputs") or {})
    digest = M.inputs_hash(plan.study.input_hashes)
    stamp = {"built_at": plan.built.isoformat(), "inputs_hash": digest}
    warnings = [w for r in results for w in r.warnings]
    for r in results:
        rel = [Path(f).resolve().relative_to(staging.resolve()).as_posix() for f in r.files
               if r.kind in ("report", "site")]
        if r.kind == "report":
            outputs["report"] = {"files": rel, **stamp}
        elif r.kind == "site":
            outputs.setdefault("sites", {})[r.name] = {"files": rel, **stamp}
        elif r.kind == "tables":
            outputs["tables"] = {"tables": r.info["tables"], "figures": r.info["figures"], **stamp}
    warnings += _stale(outputs, digest)
    renderer = {"name": plan.renderer, "pandoc": pandoc_version(), "typst": M.package_version("typst")}
    if plan.renderer == "quarto":
        renderer["quarto"] = quarto.version()
    timings = {"total": round(seconds, 2), **{f"{r.kind}:{r.name}": r.seconds for r in results}}
    fit = next((r.info["fit_ratings"] for r in results if r.kind == "tables"), None)
    if fit is None:  # a --site build: the ratings of the build that wrote the tables
        fit = (before or {}).get("fit_ratings") or {"available": False, "rows": [], "reason": "not rebuilt"}
    data = M.manifest(plan.study, parameters=parameters, renderer=renderer, outputs=outputs, warnings=warnings,
                      built=plan.built, timings=timings, fit=fit)
    M.write(staging / "manifest.json", data)
    return warnings


def _stale(outputs: dict, digest: str) -> list[str]:
    parts = [("report", outputs.get("report")), ("tables", outputs.get("tables")),
             *((f"site {k}", v) for k, v in (outputs.get("sites") or {}).items())]
    return [f"{name} was built from other inputs ({part['inputs_hash'][:12]}…, now {digest[:12]}…); "
            "run a full build to bring it up to date" for name, part in parts
            if part and part.get("inputs_hash") != digest]


def _replace(staging: Path, out: Path) -> None:
    """Put ``staging`` in place of ``out`` (each rename is atomic; ``out`` is restored on failure)."""
    if not out.exists():
        os.rename(staging, out)
        return
    backup = Path(tempfile.mkdtemp(prefix=f".{out.name}.previous-", dir=out.parent))
    os.rmdir(backup)
    os.rename(out, backup)
    try:
        os.rename(staging, out)
    except OSError:
        os.rename(backup, out)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def _stderr(started: float) -> Progress:
    def say(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)
    return say
