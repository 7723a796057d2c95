"""QA fixes in the CLI: closed pipes, non-finite values, task from the losses, aliases,
the scope of CSV rows, early option checks and reported parameters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

LOSSCLI = [sys.executable, "-m", "losscli"]


def _closed_pipe(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    """Run losscli with a reader that reads one line and goes away (``| head -1``)."""
    shell = " ".join(f"'{a}'" for a in LOSSCLI + args)
    return subprocess.run(
        ["bash", "-c", f"{shell} | head -1 >/dev/null; echo ${{PIPESTATUS[0]}} >&2"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )


def test_closed_pipe_per_sample_exits_quietly_141(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    y = np.sort(rng.integers(0, 2, 30_000))
    p = rng.random(30_000)
    lines = ["y,prob", *(f"{a},{b:.6f}" for a, b in zip(y, p, strict=True))]
    (tmp_path / "sorted.csv").write_text("\n".join(lines) + "\n")
    done = _closed_pipe(["compute", "sorted.csv", "-l", "bce", "--per-sample", "-"], tmp_path)
    assert done.stderr.strip() == "141", done.stderr


def test_closed_pipe_rich_table_exits_quietly_141(tmp_path: Path) -> None:
    # Rich's own broken-pipe handler exits 1; losscli's gives 141 and no message.
    done = subprocess.run(
        [
            "bash",
            "-c",
            " ".join(LOSSCLI) + " explain huber -f table | true; echo ${PIPESTATUS[0]} >&2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stderr.strip() == "141", done.stderr


def test_closed_pipe_at_final_flush_exits_quietly_141(tmp_path: Path) -> None:
    # list -f csv fits in the stdout buffer: the pipe breaks at the flush on exit.
    done = subprocess.run(
        ["bash", "-c", " ".join(LOSSCLI) + " list -f csv | true; echo ${PIPESTATUS[0]} >&2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stderr.strip() == "141", done.stderr


# --------------------------------------------------------------------------- non-finite


def test_overflow_is_an_error_without_numpy_warnings(runner, tmp_path: Path) -> None:
    from losscli.cli.main import app

    path = tmp_path / "ovf.csv"
    path.write_text("y,yhat\n1e308,1e308\n-1e308,1e308\n1e-308,0\n")
    # (2e308)² overflows: inf is neither a JSON number nor a value --fail-if can judge.
    result = runner.invoke(app, ["compute", str(path), "-l", "mse", "-f", "csv"])
    assert result.exit_code == 2
    assert "RuntimeWarning" not in result.output
    assert "mse: the value is inf, not a number" in result.output
    assert "float64" in result.output


def test_overflow_in_a_subprocess_prints_one_line(tmp_path: Path) -> None:
    (tmp_path / "ovf.csv").write_text("y,yhat\n1e308,1e308\n-1e308,1e308\n1e-308,0\n")
    done = subprocess.run(
        [*LOSSCLI, "compute", "ovf.csv", "-l", "mse", "-f", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


# --------------------------------------------------------------------------- torch focal

P01 = "y,prob\n1,1\n0,0\n1,0\n0,1\n1,0.5\n"


def test_torch_focal_clamps_logs_like_binary_cross_entropy(runner, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from losscli.cli.main import app

    path = tmp_path / "p01.csv"
    path.write_text(P01)
    result = runner.invoke(
        app, ["compute", str(path), "-l", "focal", "--convention", "torch", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)["losses"]["focal"]["value"]
    # torchvision's sigmoid_focal_loss on probabilities: BCE (logs clamped at -100)
    # times (1 - p_t)^γ, times α_t.
    y = torch.tensor([1.0, 0, 1, 0, 1], dtype=torch.float64)
    p = torch.tensor([1.0, 0, 0, 1, 0.5], dtype=torch.float64)
    ce = torch.nn.functional.binary_cross_entropy(p, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    alpha_t = 0.25 * y + 0.75 * (1 - y)
    expected = float((alpha_t * ce * (1 - p_t) ** 2).mean())
    assert got == pytest.approx(expected, rel=1e-12)
    assert got == pytest.approx((25 + 75 + 0.25 * 0.25 * np.log(2)) / 5, rel=1e-12)


@pytest.mark.parametrize("convention", ["losscli", "keras", "torch", "sklearn"])
@pytest.mark.parametrize("loss", ["bce", "focal"])
def test_binary_losses_finite_on_exact_zero_and_one(runner, tmp_path, convention, loss) -> None:
    from losscli.cli.main import app

    path = tmp_path / "p01.csv"
    path.write_text(P01)
    result = runner.invoke(
        app, ["compute", str(path), "-l", loss, "--convention", convention, "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    assert np.isfinite(json.loads(result.stdout)["losses"][loss]["value"])


# --------------------------------------------------------------------------- aliases


@pytest.mark.parametrize(
    ("name", "advice"),
    [
        ("bce_with_logits", "-l bce --from-logits"),
        ("nll", "-l sparse_cce --from-logits"),
        ("sigmoid_focal", "-l focal --from-logits"),
        ("cross_entropy", "-l cce --from-logits"),
        ("kl_div", "-l kl_divergence --from-logits"),
        ("poisson_nll_loss", "-l poisson:log_input=true"),
    ],
)
def test_framework_names_with_other_inputs_are_not_aliases(name, advice) -> None:
    from losscli import registry
    from losscli.errors import ParameterError

    assert all(name not in spec.aliases for spec in registry.all_specs())
    with pytest.raises(ParameterError) as caught:
        registry.get(name)
    assert advice in caught.value.message


def test_nll_advice_is_right_on_log_probabilities() -> None:
    torch = pytest.importorskip("torch")
    import losscli

    log_p = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.25, 0.5]]))
    y = np.array([0, 2, 1])
    expected = float(torch.nn.functional.nll_loss(torch.tensor(log_p), torch.tensor(y)))
    got = losscli.loss("sparse_cce", y, log_p, from_logits=True)
    assert got == pytest.approx(expected, rel=1e-12)
    assert got == pytest.approx(-(np.log(0.7) + np.log(0.6) + np.log(0.25)) / 3, rel=1e-12)


# --------------------------------------------------------------------------- task from -l

TWO_FLOATS = "y,yhat\n10.5,11\n200.25,190\n10.5,12\n200.25,210\n"


def test_two_valued_float_target_follows_a_regression_loss(runner, tmp_path: Path) -> None:
    from losscli.cli.main import app

    path = tmp_path / "f.csv"
    path.write_text(TWO_FLOATS)
    result = runner.invoke(app, ["compute", str(path), "-l", "mse", "-l", "mae", "-f", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["task"] == "regression"
    assert "-l mse, mae are regression losses" in document["task_reason"]
    # errors 0.5, -10.25, 1.5, 9.75
    assert document["losses"]["mse"]["value"] == pytest.approx(
        (0.25 + 105.0625 + 2.25 + 95.0625) / 4
    )
    assert document["losses"]["mae"]["value"] == pytest.approx(22.0 / 4)


def test_losses_of_two_tasks_give_an_error_naming_the_file(runner, tmp_path: Path) -> None:
    from losscli.cli.main import app

    path = tmp_path / "f.csv"
    path.write_text(TWO_FLOATS)
    result = runner.invoke(app, ["compute", str(path), "-l", "mse", "-l", "bce", "-f", "json"])
    assert result.exit_code == 2
    assert f"{path}: loss 'mse' does not apply to a binary task" in result.output


# --------------------------------------------------------------------------- CSV scope


def test_csv_scope_tells_an_empty_slice_from_the_overall_row(runner, tmp_path: Path) -> None:
    import csv
    import io

    from losscli.cli.main import app

    path = tmp_path / "g.csv"
    path.write_text('y,yhat,g\n1.5,1,a\n2.5,3.5,""\n3.5,3.5,a\n')
    result = runner.invoke(app, ["compute", str(path), "-l", "mse", "--group-by", "g", "-f", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["scope"], r["slice"], r["n_samples"]) for r in rows] == [
        ("all", "", "3"),
        ("slice", "", "1"),
        ("slice", "a", "2"),
    ]
    assert [float(r["value"]) for r in rows] == pytest.approx([1.25 / 3, 1.0, 0.125])


# --------------------------------------------------------------------------- early checks


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ci", "1.5"], "confidence level must be between 0 and 1 (exclusive), got 1.5"),
        (["--ci", "0.9", "--bootstrap", "0"], "--bootstrap must be at least 10 resamples, got 0"),
    ],
)
def test_bad_ci_options_are_one_line_before_reading(runner, tmp_path, args, message) -> None:
    done = subprocess.run(
        [*LOSSCLI, "compute", "f.csv", "-l", "mse", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert message in done.stderr
    # checked before reading: f.csv does not exist, and that is not what is reported
    assert "no such file" not in done.stderr


def test_compare_checks_every_file_before_reading(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("y,yhat\n1.5,1\n2.5,2\n3.5,3\n")
    done = subprocess.run(
        [*LOSSCLI, "compare", "t.csv", "t.csv", "missing.csv"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "losscli: error: missing.csv: no such file "
        "(hint: check the path and the current directory)\n"
    )


# --------------------------------------------------------------------------- params, dups


@pytest.mark.parametrize(
    ("convention", "epsilon", "balancing"),
    [
        ("losscli", 1e-7, True),
        ("keras", 1e-7, False),
        ("torch", 0.0, True),
        ("sklearn", 2.0**-52, True),
    ],
)
def test_json_params_show_the_values_the_convention_gave(
    runner, tmp_path, convention, epsilon, balancing
) -> None:
    from losscli.cli.main import app

    path = tmp_path / "p.csv"
    path.write_text("y,prob\n1,0.9\n0,0.2\n1,0.6\n")
    result = runner.invoke(
        app,
        [
            "compute",
            str(path),
            "-l",
            "bce",
            "-l",
            "focal",
            "--convention",
            convention,
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    losses = json.loads(result.stdout)["losses"]
    assert losses["bce"]["params"]["epsilon"] == epsilon
    assert losses["focal"]["params"]["epsilon"] == epsilon
    assert losses["focal"]["params"]["apply_class_balancing"] is balancing


def test_effective_segmentation_params_follow_the_convention() -> None:
    from losscli import registry
    from losscli.conventions import get_convention

    dice = registry.get("dice")
    params = dice.resolve_params({})
    assert params["smooth"] is None and params["pooling"] is None
    assert dice.effective_params(params, get_convention("losscli")) == {
        "smooth": 1.0,
        "pooling": "per_image",
        "from_logits": False,
    }
    assert dice.effective_params(params, get_convention("keras"))["smooth"] == 0.0
    assert dice.effective_params(params, get_convention("keras"))["pooling"] == "global"
    # a value given stays
    given = dice.resolve_params({"smooth": "2"})
    assert dice.effective_params(given, get_convention("keras"))["smooth"] == 2.0


def test_duplicate_aliases_warn(runner, tmp_path: Path) -> None:
    from losscli.cli.main import app

    path = tmp_path / "p.csv"
    path.write_text(P01)
    result = runner.invoke(
        app, ["compute", str(path), "-l", "logistic", "-l", "log_loss", "-l", "bce", "-f", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert "warning: -l log_loss is the same loss as -l logistic (bce)" in result.output
    assert "warning: -l bce is the same loss as -l logistic (bce)" in result.output


def test_recommend_and_compute_spell_boolean_keys_alike(runner, tmp_path: Path) -> None:
    from losscli import registry
    from losscli.cli.main import app
    from losscli.evaluation import parse_request

    assert registry.loss_label("bce", {"from_logits": True}) == "bce:from_logits=true"
    assert parse_request("bce:from_logits=true", "binary").label == "bce:from_logits=true"
    path = tmp_path / "lg.csv"
    path.write_text("y,logit\n1,2.5\n0,-1.2\n1,0.3\n0,-3\n1,4\n0,1\n")
    result = runner.invoke(app, ["recommend", str(path), "-p", "logit", "-f", "json"])
    assert result.exit_code == 0, result.output
    losses = json.loads(result.stdout)["losses"]
    assert "bce:from_logits=true" in losses and "bce:from_logits=True" not in losses
    z = np.array([2.5, -1.2, 0.3, -3, 4, 1])
    y = np.array([1, 0, 1, 0, 1, 0])
    expected = np.mean(np.log1p(np.exp(-z)) + (1 - y) * z)
    assert losses["bce:from_logits=true"]["value"] == pytest.approx(expected, rel=1e-12)


def test_list_csv_leaves_an_empty_parameter_field(runner) -> None:
    import csv
    import io

    from losscli.cli.main import app

    result = runner.invoke(app, ["list", "-f", "csv"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["mse"]["parameters"] == ""
    assert "—" not in result.stdout


def test_no_numpy_warning_reaches_the_user_in_recommend(tmp_path: Path) -> None:
    (tmp_path / "ovf.csv").write_text("y,yhat\n1e308,1e308\n-1e308,1e308\n1e-308,0\n")
    done = subprocess.run(
        [*LOSSCLI, "recommend", "ovf.csv", "-p", "yhat", "-f", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert "encountered" not in done.stderr, done.stderr
    assert "RuntimeWarning" not in done.stderr
    json.loads(done.stdout)  # valid JSON: no Infinity/NaN tokens
