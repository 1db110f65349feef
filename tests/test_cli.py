"""The CLI turns argv into one pipeline-function call and maps the outcome to an exit status."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hubcase import cli
from hubcase.errors import Problem, StudyError
from hubcase.schema.docs import render_contract
from hubcase.summary import StudyCheck

FIXTURE = Path(__file__).parent / "fixtures" / "mini_study"


class Recorder:
    """Stands in for a pipeline function: records its arguments, returns ``result``."""

    def __init__(self, result=None, raises: BaseException | None = None):
        self.calls: list[tuple[tuple, dict]] = []
        self.result, self.raises = result, raises

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        if self.raises is not None:
            raise self.raises
        return self.result


def _check(errors: int = 0) -> StudyCheck:
    problems = tuple(Problem("screening.csv", f"row {i + 2}", "column age: '7' is outside 18–100")
                     for i in range(errors))
    return StudyCheck(study=Path("s"), problems=problems, summary=None)


# ------------------------------------------------------------------- validate
def test_validate_passes_the_study_directory(monkeypatch):
    fake = Recorder(_check())
    monkeypatch.setattr(cli, "check_study", fake)
    assert cli.main(["validate", "--study", "some/dir"]) == 0
    assert fake.calls == [((), {"study": Path("some/dir")})]


def test_validate_exits_1_and_prints_each_problem_when_there_are_errors(monkeypatch, capsys):
    monkeypatch.setattr(cli, "check_study", Recorder(_check(errors=2)))
    assert cli.main(["validate", "--study", "s"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == ["screening.csv:row 2: column age: '7' is outside 18–100",
                   "screening.csv:row 3: column age: '7' is outside 18–100",
                   "s: not a valid study (2 errors, 0 warnings)"]


def test_validate_requires_study(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["validate"])
    assert exc.value.code == 2
    assert "--study" in capsys.readouterr().err


# ------------------------------------------------------------------- synth
def test_synth_passes_every_option_by_keyword(monkeypatch, capsys):
    fake = Recorder([Path("out/study.yml"), Path("out/screening.csv")])
    monkeypatch.setattr(cli, "synthesise", fake)
    argv = ["synth", "--out", "out", "--seed", "7", "--sites", "6", "--records-per-site", "50"]
    assert cli.main(argv) == 0
    assert fake.calls == [((), {"out": Path("out"), "seed": 7, "n_sites": 6, "records_per_site": 50})]
    assert capsys.readouterr().out == "wrote 2 files to out\n"


def test_synth_leaves_unset_options_to_the_pipeline_defaults(monkeypatch):
    fake = Recorder([])
    monkeypatch.setattr(cli, "synthesise", fake)
    assert cli.main(["synth", "--out", "out"]) == 0
    assert fake.calls == [((), {"out": Path("out")})]


def test_synth_accepts_n_sites_spelled_like_the_keyword(monkeypatch):
    fake = Recorder([])
    monkeypatch.setattr(cli, "synthesise", fake)
    cli.main(["synth", "--out", "out", "--n-sites", "2"])
    assert fake.calls == [((), {"out": Path("out"), "n_sites": 2})]


@pytest.mark.parametrize("value", ["0", "-3", "two"])
def test_synth_refuses_a_site_count_that_is_not_positive(monkeypatch, capsys, value):
    monkeypatch.setattr(cli, "synthesise", Recorder([]))
    with pytest.raises(SystemExit) as exc:
        cli.main(["synth", "--out", "out", "--sites", value])
    assert exc.value.code == 2
    assert "--sites" in capsys.readouterr().err


# ------------------------------------------------------------------- contract
def test_contract_prints_the_page_without_out(monkeypatch, capsys):
    fake = Recorder("# Data contract\n")
    monkeypatch.setattr(cli, "export_contract", fake)
    assert cli.main(["contract"]) == 0
    assert fake.calls == [((), {"out": None})]
    assert capsys.readouterr().out == "# Data contract\n"


def test_contract_writes_to_out(tmp_path, capsys):
    target = tmp_path / "docs" / "contract.md"
    assert cli.main(["contract", "--out", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_contract()
    assert capsys.readouterr().out == f"wrote {target}\n"


# ------------------------------------------------------------------- errors
def test_hubcase_error_prints_its_message_and_exits_1(monkeypatch, capsys):
    error = StudyError([Problem("study.yml", "sites[0].id", "duplicate site id 'A'")])
    monkeypatch.setattr(cli, "check_study", Recorder(raises=error))
    assert cli.main(["validate", "--study", "s"]) == 1
    out, err = capsys.readouterr()
    assert err == "error: study.yml:sites[0].id: duplicate site id 'A'\n"
    assert "Traceback" not in out + err


def test_unexpected_exception_is_one_line_internal_error_with_exit_2(monkeypatch, capsys):
    monkeypatch.setattr(cli, "check_study", Recorder(raises=KeyError("site")))
    assert cli.main(["validate", "--study", "s"]) == 2
    err = capsys.readouterr().err
    assert err == "internal error: KeyError: 'site' (re-run with --debug to see the traceback)\n"


@pytest.mark.parametrize("argv", [["--debug", "validate", "--study", "s"], ["validate", "--study", "s", "--debug"]])
def test_debug_shows_the_traceback(monkeypatch, argv):
    monkeypatch.setattr(cli, "check_study", Recorder(raises=KeyError("site")))
    with pytest.raises(KeyError):
        cli.main(argv)


def test_debug_also_reraises_hubcase_errors(monkeypatch):
    monkeypatch.setattr(cli, "check_study", Recorder(raises=StudyError(message="bad")))
    with pytest.raises(StudyError):
        cli.main(["--debug", "validate", "--study", "s"])


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([])
    assert exc.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_every_command_has_help_text(name):
    assert (cli.COMMANDS[name].__doc__ or "").strip()


# ------------------------------------------------------------------- python -m hubcase
def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hubcase", *argv], capture_output=True, text=True, timeout=120)


def test_python_m_hubcase_validates_the_fixture():
    done = _run("validate", "--study", str(FIXTURE))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid study (0 errors, 0 warnings)" in done.stdout


def test_python_m_hubcase_reports_a_bad_study_without_traceback(tmp_path):
    done = _run("validate", "--study", str(tmp_path / "missing"))
    assert done.returncode == 1
    assert f"{tmp_path / 'missing'}: study directory does not exist" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
