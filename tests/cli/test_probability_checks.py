"""The CLI checks the predictions once (``Layout.check_probabilities``, naming file, line
and column) and tells the losses so (``probabilities_checked``); the public API checks
them inside every loss. Whatever the API refuses, the CLI refuses; whatever the CLI
accepts has the API's value. (The CLI is stricter in one way, by design: rows that do
not sum to 1 are refused with a hint to --renormalize, also where a convention or
kl_divergence would take them as given.)"""

from __future__ import annotations

import json

import numpy as np
import pytest

import losscli
from losscli.cli.main import app

LABELS = np.array([0, 1, 2, 1, 0, 2])
GOOD = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.1, 0.8, 0.1],
        [0.2, 0.2, 0.6],
        [0.3, 0.4, 0.3],
        [0.5, 0.25, 0.25],
        [0.05, 0.05, 0.9],
    ]
)
ROWS_OFF = GOOD * np.array([[1.0], [1.0], [0.9], [1.0], [1.0], [1.0]])  # row 3 sums to 0.9
OUTSIDE = GOOD.copy()
OUTSIDE[4] = [1.2, -0.1, -0.1]  # sums to 1, outside [0, 1]


def _write(path, probabilities: np.ndarray) -> None:
    lines = ["label,p_0,p_1,p_2"]
    lines += [
        f"{y}," + ",".join(repr(float(v)) for v in row)
        for y, row in zip(LABELS, probabilities, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")


def _api(loss: str, probabilities: np.ndarray, convention: str, renormalize: bool):
    target = LABELS if loss in ("sparse_cce", "focal") else np.eye(3)[LABELS]
    extra = {"renormalize": True} if renormalize else {}
    try:
        return losscli.loss(
            loss, target, probabilities, convention=convention, task="multiclass", **extra
        )
    except losscli.errors.InputError:
        return None


@pytest.mark.parametrize("convention", ["losscli", "keras", "torch", "sklearn"])
@pytest.mark.parametrize("loss", ["sparse_cce", "cce", "kl_divergence", "focal"])
@pytest.mark.parametrize("data", ["good", "rows_off", "outside"])
@pytest.mark.parametrize("renormalize", [False, True])
def test_cli_accepts_and_refuses_what_the_api_does(
    runner, tmp_path, convention, loss, data, renormalize
):
    if renormalize and loss in ("kl_divergence", "focal"):
        pytest.skip(f"{loss} takes no renormalize")
    probabilities = {"good": GOOD, "rows_off": ROWS_OFF, "outside": OUTSIDE}[data]
    path = tmp_path / "p.csv"
    _write(path, probabilities)
    args = ["compute", str(path), "-l", loss, "--convention", convention, "--format", "json"]
    if loss != "sparse_cce":
        args += ["--task", "multiclass"]
    if renormalize:
        args.append("--renormalize")
    result = runner.invoke(app, args)
    want = _api(loss, probabilities, convention, renormalize)
    if want is None or result.exit_code == 2:
        assert result.exit_code == 2, result.output
        assert "line" in result.stderr
        if want is not None:  # the CLI's stricter row sums, nothing else
            assert data == "rows_off" and "sum to" in result.stderr
    else:
        assert result.exit_code == 0, result.output
        got = json.loads(result.stdout)["losses"][loss]["value"]
        assert got == pytest.approx(want, rel=1e-12)


def test_the_flag_does_not_outlive_the_cli_evaluation(runner, tmp_path):
    """After a CLI evaluation, the API checks probabilities again."""
    path = tmp_path / "p.csv"
    _write(path, GOOD)
    assert runner.invoke(app, ["compute", str(path), "-l", "sparse_cce"]).exit_code == 0
    with pytest.raises(losscli.errors.InputError, match="outside"):
        losscli.loss("sparse_cce", LABELS, OUTSIDE)
    with pytest.raises(losscli.errors.InputError, match="sums to"):
        losscli.loss("sparse_cce", LABELS, ROWS_OFF)
