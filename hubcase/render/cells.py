"""Read what a notebook cell says about itself: tags and Quarto cell options.

Quarto puts cell options in comment lines at the top of a code cell::

    #| label: tbl-caseness
    #| tbl-cap: Caseness by site

These lines are YAML.  The built-in renderer reads ``label``, ``tbl-cap``, ``fig-cap``,
``fig-alt``, ``echo``, ``output``, ``include`` and ``tags`` from them, so one notebook renders
the same way with Quarto and without it.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from hubcase.errors import RenderError

OPTION_PREFIX = re.compile(r"^#\|\s?")
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


def _option_lines(source: str) -> tuple[list[str], int]:
    """Return the ``#|`` lines at the top of ``source`` (prefix removed) and how many there are."""
    lines = source.splitlines()
    options: list[str] = []
    for line in lines:
        if not OPTION_PREFIX.match(line):
            break
        options.append(OPTION_PREFIX.sub("", line, count=1))
    return options, len(options)


def parse_cell_options(source: str, *, where: str = "cell") -> dict[str, Any]:
    """Parse the Quarto ``#| key: value`` options at the top of a code cell's source.

    Returns an empty dict when the cell has none.  ``where`` names the cell in the error
    raised for options that are not valid YAML mappings.
    """
    lines, count = _option_lines(source)
    if count == 0:
        return {}
    text = "\n".join(lines)
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise RenderError(
            f"{where}: the '#|' cell options are not valid YAML ({err.__class__.__name__}); "
            "hint: quote values that contain ': ' or start with a special character."
        ) from err
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise RenderError(f"{where}: the '#|' cell options must be 'key: value' lines, got {text!r}.")
    return {str(key): value for key, value in parsed.items()}


def strip_cell_options(source: str) -> str:
    """Return ``source`` without its leading ``#|`` option lines."""
    _, count = _option_lines(source)
    return "\n".join(source.splitlines()[count:])


def cell_options(cell: Mapping[str, Any], *, where: str = "cell") -> dict[str, Any]:
    """Quarto options of a notebook cell (``{}`` for Markdown and raw cells)."""
    if cell.get("cell_type") != "code":
        return {}
    return parse_cell_options(_source_text(cell), where=where)


def cell_tags(cell: Mapping[str, Any], *, where: str = "cell") -> list[str]:
    """Tags of a cell, from its metadata and from a ``#| tags: [...]`` option."""
    tags = [str(tag) for tag in cell.get("metadata", {}).get("tags", [])]
    if cell.get("cell_type") == "code":
        option = parse_cell_options(_source_text(cell), where=where).get("tags", [])
        option_tags = [option] if isinstance(option, str) else list(option or [])
        tags.extend(str(tag) for tag in option_tags if str(tag) not in tags)
    return tags


def cell_label(cell: Mapping[str, Any]) -> str | None:
    """The cell's Quarto ``label`` option, or ``None``; never raises on bad options."""
    try:
        label = cell_options(cell).get("label")
    except RenderError:
        return None
    return None if label is None else str(label)


def _source_text(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)
