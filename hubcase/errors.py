"""One exception family for hubcase.

Every error a user can cause carries *where* (file, row or key, field), *what*
went wrong and, when we know it, a *hint*.  The CLI prints ``str(error)`` and
exits with status 1; a traceback is shown only with ``--debug``.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One finding of the validator: ``file:location: message``."""

    file: str
    location: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.location}" if self.location else self.file
        prefix = "" if self.severity == "error" else "warning: "
        return f"{where}: {prefix}{self.message}"


class HubcaseError(Exception):
    """Base class of every error hubcase raises on purpose."""


class StudyError(HubcaseError):
    """The study directory does not meet the input contract."""

    def __init__(self, problems: list[Problem] | None = None, message: str | None = None):
        self.problems = list(problems or [])
        if message is None:
            errors = [p for p in self.problems if p.severity == "error"]
            message = "\n".join(str(p) for p in errors) or "invalid study"
        super().__init__(message)


class AnalysisError(HubcaseError):
    """An analysis could not be computed from otherwise valid inputs."""


class RenderError(HubcaseError):
    """Executing or converting a notebook failed."""


class BuildError(HubcaseError):
    """A build could not complete; the previous output is left untouched."""


@dataclass
class ProblemList:
    """Collects problems lazily so that every failure is shown together."""

    items: list[Problem] = field(default_factory=list)

    def error(self, file: str, location: str, message: str) -> None:
        self.items.append(Problem(file, location, message, "error"))

    def warning(self, file: str, location: str, message: str) -> None:
        self.items.append(Problem(file, location, message, "warning"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise StudyError(self.items)
