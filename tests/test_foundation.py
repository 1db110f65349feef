"""Foundation guarantees: README's commands are CI's, the embedded study is the generator's output."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from hubcase.study import validate_study
from hubcase.synth.build import synthesise_files

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## On a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.S)


def test_readme_gives_exactly_two_fresh_machine_commands():
    commands = _readme_commands()
    assert len(commands) == 2
    main, tests = commands
    assert "hubcase build --study data/synthetic" in main and main.startswith("python3 -m venv .venv")
    assert tests == "bash tools/test.sh"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    tests = _readme_commands()[1]
    assert tests in ci
    assert "set -euo pipefail" in ci  # a failing test fails CI
    script = (ROOT / "tools" / "test.sh").read_text(encoding="utf-8")
    assert "pip install" in script and "pytest" in script and "python3 -m venv" in script


def test_embedded_study_is_exactly_what_the_generator_writes():
    files = synthesise_files(seed=2024)
    on_disk = {p.relative_to(ROOT / "data/synthetic").as_posix()
               for p in (ROOT / "data/synthetic").rglob("*") if p.is_file()}
    assert on_disk == set(files)
    for rel, text in files.items():
        assert (ROOT / "data/synthetic" / rel).read_text(encoding="utf-8") == text, rel


def test_generator_is_deterministic_and_seed_dependent():
    a, b = synthesise_files(seed=11, n_sites=3, records_per_site=60), synthesise_files(seed=11, n_sites=3,
                                                                                       records_per_site=60)
    assert a == b
    c = synthesise_files(seed=12, n_sites=3, records_per_site=60)
    assert a["screening.csv"] != c["screening.csv"]


def test_embedded_study_validates_cleanly():
    problems = validate_study(ROOT / "data/synthetic")
    assert [str(p) for p in problems] == []


def test_cli_validate_on_embedded_study_exits_zero():
    run = subprocess.run([sys.executable, "-m", "hubcase", "validate", "--study", str(ROOT / "data/synthetic")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
