"""``hubcase import-qda`` and ``hubcase export-qda``: argument parsing only.

Register in :data:`hubcase.cli.COMMANDS`::

    from hubcase.refi.cli import export_qda_command, import_qda_command
    COMMANDS = {..., "import-qda": import_qda_command, "export-qda": export_qda_command}

Each ``*_command(parser)`` adds its options (``dest`` = the pipeline function's keyword) and
returns its runner, ``cmd_import_qda`` / ``cmd_export_qda``, which takes exactly those keywords.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from hubcase.refi.common import QdaImportError
from hubcase.refi.exporter import export_qda
from hubcase.refi.importer import import_refi

EXIT_OK, EXIT_FAILED = 0, 1


def add_import_qda_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE",
                        help="REFI-QDA project (.qdpx, or a bare .qde) or codebook (.qdc)")
    parser.add_argument("--study", type=Path, required=True, metavar="DIR", help="the study directory")
    parser.add_argument("--code-map", type=Path, default=argparse.SUPPRESS, metavar="MAP.yml",
                        help="YAML mapping `code name or GUID: sub-construct id` (projects only)")
    parser.add_argument("--dry-run", action="store_true", default=argparse.SUPPRESS,
                        help="report what would be imported; write nothing")


def cmd_import_qda(*, file: Path, study: Path, **options) -> int:
    """Run :func:`~hubcase.refi.importer.import_refi` and print its report."""
    try:
        report = import_refi(file, study=study, **options)
    except QdaImportError as err:
        if err.report is None:
            raise
        print(err.report.as_text())
        return EXIT_FAILED
    print(report.as_text())
    return EXIT_OK if report.ok else EXIT_FAILED


def import_qda_command(parser: argparse.ArgumentParser):
    """Import a REFI-QDA project (.qdpx) or codebook (.qdc) into a study's qualitative inputs."""
    add_import_qda_arguments(parser)
    return cmd_import_qda


def add_export_qda_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", type=Path, required=True, metavar="DIR", help="the study directory")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE",
                        help="FILE.qdc writes the codebook; any other name (e.g. FILE.qdpx) the coded project")


def cmd_export_qda(*, study: Path, out: Path) -> int:
    """Run :func:`~hubcase.refi.exporter.export_qda` and print what was written."""
    print(export_qda(study=study, out=out).as_text())
    return EXIT_OK


def export_qda_command(parser: argparse.ArgumentParser):
    """Export the study codebook (.qdc) or participants and coded excerpts (.qdpx) as REFI-QDA."""
    add_export_qda_arguments(parser)
    return cmd_export_qda
