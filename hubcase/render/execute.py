"""Execute a parameterised notebook with nbclient, the way papermill and Quarto do.

The notebook must have exactly one cell tagged ``parameters`` (metadata tag or
``#| tags: [parameters]``) holding the defaults.  A new cell tagged ``injected-parameters``
is inserted right after it, assigning each parameter as a Python literal (``repr``), so the
injected values override the defaults.  The kernel runs in ``cwd`` and is always shut down.

Errors are reported by notebook, cell index and Quarto label::

    report.ipynb, cell index 4 (label: tbl-caseness): KeyError: 'site'

The kernel's traceback stays on the chained exception (``__cause__``), for ``--debug``.
"""
from __future__ import annotations

import ast
import re
import time
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync

from hubcase.errors import RenderError
from hubcase.render.cells import INJECTED_TAG, PARAMETERS_TAG, cell_label, cell_tags

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def find_parameters_cell(nb: nbformat.NotebookNode, *, name: str) -> int:
    """Index of the one cell tagged ``parameters``; ``RenderError`` if there are none or several."""
    found = [
        i
        for i, cell in enumerate(nb.cells)
        if PARAMETERS_TAG in cell_tags(cell, where=f"{name}, cell index {i}")
    ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise RenderError(
            f"{name}: no cell is tagged 'parameters' (expected exactly one); hint: tag the cell "
            "that holds the default values with 'parameters' (cell metadata tags or "
            "'#| tags: [parameters]')."
        )
    raise RenderError(
        f"{name}: {len(found)} cells are tagged 'parameters' (cell indexes "
        f"{', '.join(map(str, found))}); expected exactly one."
    )


def parameter_source(parameters: Mapping[str, Any], *, name: str) -> str:
    """Python source assigning each parameter as a literal; ``RenderError`` for unusable values."""
    lines = ["#| include: false", "# Injected parameters"]
    for key, value in parameters.items():
        if not IDENTIFIER.match(str(key)):
            raise RenderError(f"{name}: parameter name {key!r} is not a Python identifier.")
        lines.append(f"{key} = {_literal(value, key=str(key), name=name)}")
    return "\n".join(lines) + "\n"


def _literal(value: Any, *, key: str, name: str) -> str:
    """``repr`` of ``value`` after turning paths into strings; must read back as a literal."""
    plain = _plain(value)
    text = repr(plain)
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError) as err:
        raise RenderError(
            f"{name}: parameter {key!r} = {text} is not a Python literal (expected str, number, "
            "bool, None, or a list/tuple/dict of these)."
        ) from err
    return text


def _plain(value: Any) -> Any:
    """Convert paths (also inside containers) to strings, leave everything else alone."""
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def _defined_names(source: str) -> set[str]:
    """Names assigned at the top level of a parameters cell (empty if it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def inject_parameters(
    nb: nbformat.NotebookNode, parameters: Mapping[str, Any], *, name: str
) -> tuple[int, list[str]]:
    """Insert the ``injected-parameters`` cell after the parameters cell (in place).

    Returns the index of the parameters cell and warnings for parameters that have no default
    in it (they are still injected; a typo in a parameter name would otherwise be silent).
    """
    index = find_parameters_cell(nb, name=name)
    defaults = nb.cells[index]
    defined = _defined_names("".join(defaults.source))
    warnings = [
        f"{name}: parameter {key!r} has no default in the parameters cell "
        f"(defaults: {', '.join(sorted(defined)) or 'none'})."
        for key in parameters
        if key not in defined
    ]
    if cell_label(defaults):
        warnings.append(
            f"{name}: the parameters cell has label {cell_label(defaults)!r}; Quarto fails on a "
            "labelled parameters cell (quarto-cli #10097), so remove the label."
        )
    metadata = {k: v for k, v in defaults.metadata.items() if k != "tags"}
    metadata["tags"] = [INJECTED_TAG]
    injected = nbformat.v4.new_code_cell(parameter_source(parameters, name=name), metadata=metadata)
    nb.cells.insert(index + 1, injected)
    return index, warnings


def execute_notebook(
    path: Path | str,
    *,
    parameters: Mapping[str, Any],
    cwd: Path | str,
    timeout: int = 600,
    kernel_name: str = "python3",
) -> nbformat.NotebookNode:
    """Inject ``parameters`` into the notebook at ``path`` and execute it in ``cwd``.

    Returns the executed notebook.  Its ``metadata["hubcase"]`` records the parameters, the
    warnings and timings (``kernel_start_s``; ``execute_s``, which includes kernel shutdown).
    Raises ``RenderError`` when the parameters cell is missing or repeated, or a cell fails,
    times out or kills the kernel.
    """
    path = Path(path)
    name = path.name
    nb = _read(path)
    param_index, warnings = inject_parameters(nb, parameters, name=name)
    tracker = _CellTracker()
    client = NotebookClient(
        nb,
        timeout=timeout,
        startup_timeout=120,  # the 60 s default is a known source of flaky CI
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(cwd)}},
        on_notebook_start=tracker.notebook_started,
        on_cell_start=tracker.cell_started,
        extra_arguments=_quiet_kernel_arguments(kernel_name),
    )
    started = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        message = _failure_message(err, nb, tracker.index, param_index, name, timeout=timeout)
        raise RenderError(message) from err
    except Exception as err:  # kernel could not start, e.g. unknown kernel name
        raise RenderError(f"{name}: could not run the notebook: {type(err).__name__}: {err}") from err
    finally:
        _shutdown(client)
    total = time.perf_counter() - started
    kernel_start = (tracker.kernel_ready or started + total) - started
    nb.metadata["hubcase"] = {
        "parameters": {k: _plain(v) for k, v in parameters.items()},
        "warnings": warnings,
        "timings": {"kernel_start_s": round(kernel_start, 3), "execute_s": round(total - kernel_start, 3)},
    }
    return nb


def _quiet_kernel_arguments(kernel_name: str) -> list[str]:
    """Keep ipykernel's start-up log (e.g. its plain-TCP notice) off the user's terminal."""
    try:
        argv = KernelSpecManager().get_kernel_spec(kernel_name).argv
    except Exception:  # unknown kernel: nbclient reports it when starting
        return []
    return ["--IPKernelApp.log_level=ERROR"] if any("ipykernel" in arg for arg in argv) else []


def _read(path: Path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat v4; ``RenderError`` if missing or not a notebook."""
    try:
        return nbformat.read(path, as_version=4)
    except FileNotFoundError as err:
        raise RenderError(f"{path}: notebook not found.") from err
    except Exception as err:  # nbformat raises several unrelated types for bad files
        raise RenderError(f"{path}: not a readable Jupyter notebook ({type(err).__name__}: {err}).") from err


class _CellTracker:
    """nbclient hooks that remember when the kernel was ready and which cell is running."""

    def __init__(self) -> None:
        self.index: int | None = None
        self.kernel_ready: float | None = None

    def notebook_started(self, **_: Any) -> None:
        self.kernel_ready = time.perf_counter()

    def cell_started(self, *, cell_index: int, **_: Any) -> None:
        self.index = cell_index


def _failure_message(
    err: Exception, nb: nbformat.NotebookNode, index: int | None, param_index: int, name: str, *, timeout: int
) -> str:
    """``name, cell index N (label: ...): Error: value`` with indexes of the source notebook."""
    if isinstance(err, CellExecutionError):
        what = f"{err.ename}: {_clean(err.evalue)}"
    elif isinstance(err, CellTimeoutError):
        what = f"the cell did not finish within {timeout} s; hint: raise the timeout or speed up the cell."
    else:
        what = f"the kernel died ({_clean(str(err)).splitlines()[0] if str(err) else 'no message'})"
    if index is None:
        return f"{name}: {what}"
    if index == param_index + 1:
        return f"{name}, injected parameters cell (after cell index {param_index}): {what}"
    source_index = index - 1 if index > param_index else index
    label = cell_label(nb.cells[index])
    where = f"cell index {source_index}" + (f" (label: {label})" if label else " (no label)")
    return f"{name}, {where}: {what}"


def _clean(text: str) -> str:
    """Remove terminal colour codes from kernel messages."""
    return ANSI_ESCAPE.sub("", text or "").strip()


def _shutdown(client: NotebookClient) -> None:
    """Make sure no kernel outlives the run, even if nbclient's own clean-up did not happen."""
    if getattr(client, "km", None) is not None:
        run_sync(_shutdown_async)(client)


async def _shutdown_async(client: NotebookClient) -> None:
    km, kc = client.km, getattr(client, "kc", None)
    try:
        if km is not None and km.has_kernel and await ensure_async(km.is_alive()):
            await ensure_async(km.shutdown_kernel(now=True))
    except Exception:  # best effort: the kernel may already be gone
        pass
    finally:
        if kc is not None:
            await ensure_async(kc.stop_channels())
