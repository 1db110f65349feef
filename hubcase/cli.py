"""The ``hubcase`` command line: argument parsing only.

Each subcommand calls one pipeline function, and its option names equal that
function's keyword names (``--study`` -> ``study=``, ``--records-per-site`` ->
``records_per_site=``), so ``hubcase X --opt V`` does exactly what
``pipeline_function(opt=V)`` does in Python.

Adding a subcommand (e.g. ``tables`` or ``build``)
--------------------------------------------------
1. Write one small function ``_name(parser) -> runner`` below.  Its docstring's
   first line is the command's help text.  It adds the options to ``parser``
   (``dest`` = the pipeline function's keyword; give optional options
   ``default=argparse.SUPPRESS`` so the pipeline function's own default
   applies) and returns a runner: a function taking exactly those keywords,
   calling the pipeline function once, printing its result and returning the
   exit status (0 = success, 1 = the input or the result is not acceptable).
2. Register it in :data:`COMMANDS` under the command name.
3. In ``tests/test_cli.py``, monkeypatch the pipeline function in this module
   and assert the keywords it received.

For example::

    from analyses.tables import write_tables          # the pipeline function

    def _tables(parser):
        '''Write the analysis tables of a study as CSV.'''
        parser.add_argument("--study", type=Path, required=True, metavar="DIR")
        parser.add_argument("--out", type=Path, required=True, metavar="DIR")

        def run(*, study: Path, out: Path) -> int:
            result = write_tables(study=study, out=out)
            print(result.as_text())
            return EXIT_OK

        return run

    COMMANDS = {..., "tables": _tables}

``synth --sites`` is the one option spelled differently from its keyword
(``n_sites``); ``--n-sites`` is accepted too.

Errors: a :class:`~hubcase.errors.HubcaseError` prints its message and exits
1; any other exception prints a one-line ``internal error`` and exits 2.
``--debug`` shows the traceback instead.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Sequence

from hubcase.errors import HubcaseError
from hubcase.refi.cli import export_qda_command, import_qda_command
from hubcase.schema.docs import export_contract
from hubcase.summary import check_study
from hubcase.synth.build import synthesise


def build(**options):
    """:func:`hubcase.pipeline.build.build`, imported on first use (it loads every analysis)."""
    from hubcase.pipeline.build import build as run

    return run(**options)


def export_tables(**options):
    """:func:`hubcase.pipeline.tables.export_tables`, imported on first use."""
    from hubcase.pipeline.tables import export_tables as run

    return run(**options)

Runner = Callable[..., int]

EXIT_OK, EXIT_FAILED, EXIT_INTERNAL = 0, 1, 2


# ----------------------------------------------------------------- subcommands
def _validate(parser: argparse.ArgumentParser) -> Runner:
    """Check a study directory against the data contract and summarise it."""
    parser.add_argument("--study", type=Path, required=True, metavar="DIR", help="the study directory")

    def run(*, study: Path) -> int:
        result = check_study(study=study)
        print(result.as_text())
        return EXIT_OK if result.ok else EXIT_FAILED

    return run


def _synth(parser: argparse.ArgumentParser) -> Runner:
    """Write a synthetic study directory (every record invented)."""
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory to write")
    parser.add_argument("--seed", type=int, default=argparse.SUPPRESS, metavar="N",
                        help="random seed (same seed, same files)")
    parser.add_argument("--sites", "--n-sites", dest="n_sites", type=_positive, default=argparse.SUPPRESS,
                        metavar="N", help="number of sites (default: the four calibrated sites)")
    parser.add_argument("--records-per-site", type=_positive, default=argparse.SUPPRESS, metavar="M",
                        help="screening records per site")

    def run(*, out: Path, **options) -> int:
        written = synthesise(out=out, **options)
        print(f"wrote {len(written)} files to {out}")
        return EXIT_OK

    return run


def _contract(parser: argparse.ArgumentParser) -> Runner:
    """Print the data-contract page (Markdown), or write it with --out."""
    parser.add_argument("--out", type=Path, default=None, metavar="FILE",
                        help="write the page here instead of printing it")

    def run(*, out: Path | None) -> int:
        text = export_contract(out=out)
        if out is None:
            print(text, end="")
        else:
            print(f"wrote {out}")
        return EXIT_OK

    return run


def _tables(parser: argparse.ArgumentParser) -> Runner:
    """Write every table of a study as CSV (shown and tidy) and every figure as PNG."""
    parser.add_argument("--study", type=Path, required=True, metavar="DIR", help="the study directory")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory to write")

    def run(*, study: Path, out: Path) -> int:
        result = export_tables(study=study, out=out)
        print(result.as_text())
        return EXIT_OK

    return run


def _build(parser: argparse.ArgumentParser) -> Runner:
    """Build the full report and the site case studies (HTML and PDF), tables, figures, manifest."""
    parser.add_argument("--study", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                        help="the study directory (default: data/synthetic)")
    parser.add_argument("--site", action="extend", nargs="+", default=argparse.SUPPRESS, metavar="ID",
                        help="rebuild only these sites' case studies (declared site ids)")
    parser.add_argument("--to", type=_formats, default=argparse.SUPPRESS, metavar="html,pdf",
                        help="output formats (default: html,pdf)")
    parser.add_argument("--out", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                        help="output folder, replaced only when the build succeeds (default: out)")
    parser.add_argument("--renderer", choices=("auto", "quarto", "builtin"), default=argparse.SUPPRESS,
                        help="auto (default): Quarto if on PATH, else the built-in renderer")
    parser.add_argument("--jobs", type=_positive, default=argparse.SUPPRESS, metavar="N",
                        help="notebooks run in parallel (default: 1)")

    def run(**options) -> int:
        result = build(**options)
        print(result.as_text())
        return EXIT_OK

    return run


def _formats(text: str) -> tuple[str, ...]:
    items = tuple(t.strip() for t in text.split(",") if t.strip())
    if not items or any(t not in ("html", "pdf") for t in items):
        raise argparse.ArgumentTypeError(f"{text!r}: expected html, pdf or html,pdf")
    return items


COMMANDS: dict[str, Callable[[argparse.ArgumentParser], Runner]] = {
    "validate": _validate,
    "synth": _synth,
    "contract": _contract,
    "import-qda": import_qda_command,
    "export-qda": export_qda_command,
    "tables": _tables,
    "build": _build,
}
"""Command name -> function adding its options and returning its runner."""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


# ----------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the full traceback when something fails")
    parser = argparse.ArgumentParser(
        prog="hubcase", parents=[debug],
        description="Mixed-methods case studies from multi-site Resilience Hub evaluation evidence.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, add in COMMANDS.items():
        summary = (add.__doc__ or "").strip().splitlines()[0]
        sub = subparsers.add_parser(name, parents=[debug], help=summary, description=summary)
        sub.set_defaults(_runner=add(sub))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hubcase`` console script; returns the exit status."""
    args = vars(build_parser().parse_args(argv))
    debug = bool(args.pop("debug", False))
    runner: Runner = args.pop("_runner")
    args.pop("command")
    try:
        return runner(**args)
    except HubcaseError as err:
        if debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as err:  # noqa: BLE001 - the last line of defence; --debug re-raises
        if debug:
            raise
        first = (str(err).strip().splitlines() or [""])[0]
        print(f"internal error: {type(err).__name__}: {first} (re-run with --debug to see the traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
