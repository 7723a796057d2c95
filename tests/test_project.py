"""The project's promises: README set-up commands, CI, start-up without heavy imports."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_opens_with_two_setup_commands_and_ci_runs_the_second():
    commands = _readme_commands()
    assert len(commands) >= 2
    install_and_run, install_and_test = commands[0], commands[1]
    assert "sample_data/" in install_and_run and "losscli" in install_and_run
    assert "[test]" in install_and_test and "pytest" in install_and_test
    ci = (ROOT / ".ci" / "run").read_text()
    assert install_and_test in ci.splitlines()


def test_help_imports_no_heavy_module():
    code = (
        "import sys\n"
        "sys.argv = ['losscli', '--help']\n"
        "from losscli.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "heavy = {'numpy', 'pandas', 'polars', 'pyarrow', 'dask', 'scipy'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_small_compute_imports_no_reader_and_no_pydantic():
    """A 400-row compute is mostly start-up: no pandas/polars/pyarrow for a small plain CSV,
    and no pydantic (Typer 0.29 imports it and builds a validator per parameter, +0.13 s;
    pyproject pins Typer below it)."""
    code = (
        "import sys\n"
        "sys.argv = ['losscli', 'compute', 'sample_data/house_prices.csv', '-l', 'mse',"
        " '--format', 'json']\n"
        "from losscli.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = {'pandas', 'polars', 'pyarrow', 'dask', 'scipy', 'pydantic', 'rich'}\n"
        "found = {m.split('.')[0] for m in sys.modules} & heavy\n"
        "print(sorted(found | {'numpy.ma'} & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    # numpy.ma: plain np.unique imports it (~25 ms); losscli.distinct.sorted_distinct does not
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_version_and_module_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "losscli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert out.stdout.strip() == "losscli 0.1.0"


COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|9[0-7]|4[0-8])[;m]")  # SGR colour codes


@pytest.mark.parametrize(
    "command",
    [
        ["list", "--format", "table"],
        ["explain", "huber", "--format", "table"],
        ["recommend", "sample_data/spam.csv", "--format", "table"],
    ],
    ids=lambda c: c[0],
)
def test_no_color_works_before_and_after_the_command(command):
    env = {**os.environ, "FORCE_COLOR": "1", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)

    def run(args: list[str], **extra: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "losscli", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**env, **extra},
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert COLOUR.search(run(command))  # coloured by default on a (forced) terminal
    assert not COLOUR.search(run(["--no-color", *command]))
    assert not COLOUR.search(run([*command, "--no-color"]))
    assert not COLOUR.search(run(command, NO_COLOR="1"))


def test_the_api_is_discoverable():
    import losscli

    assert {"loss", "catalog", "partial", "merge", "finish"} <= set(dir(losscli))


def _console_commands(path: Path) -> list[str]:
    """Every ``$ losscli …`` line of the document's console blocks (``\\`` continues)."""
    commands = []
    for body in re.findall(r"```console\n(.*?)```", path.read_text(), re.DOTALL):
        joined = re.sub(r"\\\n\s*", "", body)
        commands += [line[2:] for line in joined.splitlines() if line.startswith("$ losscli ")]
    return commands


@pytest.mark.parametrize(
    "command",
    _console_commands(ROOT / "README.md")
    + [c for c in _console_commands(ROOT / "sample_data" / "README.md") if " compute " not in c],
)
def test_readme_examples_run(runner, command, monkeypatch):
    import shlex

    from losscli.cli.main import app

    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, [*shlex.split(command)[1:], "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["schema"].startswith("losscli/")
