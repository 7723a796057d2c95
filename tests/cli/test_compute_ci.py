"""``compute --ci``: bootstrap intervals added to each loss of the compute report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from losscli.cli.main import app


@pytest.fixture
def data_file(tmp_path):
    rng = np.random.default_rng(21)
    y = rng.normal(size=300)
    yhat = y + rng.standard_t(3, size=300) * 0.3
    rows = "".join(f"{a!r},{b!r}\n" for a, b in zip(y.tolist(), yhat.tolist(), strict=True))
    path = tmp_path / "data.csv"
    path.write_text("y,yhat\n" + rows)
    return path, y, yhat


def _compute(runner, path, *args):
    result = runner.invoke(app, ["compute", str(path), "-f", "json", *args])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_interval_matches_an_independent_percentile_bootstrap(runner, data_file):
    path, y, yhat = data_file
    report = _compute(
        runner, path, "-l", "mse", "-l", "rmse", "--ci", "0.9", "--bootstrap", "400", "--seed", "11"
    )
    squared = (y - yhat) ** 2
    index = np.random.default_rng(11).integers(0, 300, size=(400, 300))
    replicates = squared[index].mean(axis=1)
    for label, transform in (("mse", lambda v: v), ("rmse", np.sqrt)):
        ci = report["losses"][label]["ci"]
        low, high = np.quantile(transform(replicates), [0.05, 0.95])
        assert ci["level"] == 0.9 and ci["n_resamples"] == 400 and ci["seed"] == 11
        assert ci["low"] == pytest.approx(low, rel=1e-12)
        assert ci["high"] == pytest.approx(high, rel=1e-12)
        assert ci["low"] < report["losses"][label]["value"] < ci["high"]
        assert ci["resampled"] == "rows" and ci["units"] == 300


def test_without_a_seed_the_drawn_seed_is_reported_and_repeats_the_run(runner, data_file):
    path, _, _ = data_file
    first = _compute(runner, path, "-l", "mae", "--ci", "0.95", "--bootstrap", "200")
    ci = first["losses"]["mae"]["ci"]
    again = _compute(
        runner, path, "-l", "mae", "--ci", "0.95", "--bootstrap", "200", "--seed", str(ci["seed"])
    )
    assert again["losses"]["mae"]["ci"] == ci


def test_no_ci_key_without_the_option_and_a_column_in_the_table(runner, data_file):
    path, _, _ = data_file
    assert "ci" not in _compute(runner, path, "-l", "mse")["losses"]["mse"]
    table = runner.invoke(app, ["compute", str(path), "-l", "mse", "--ci", "0.8", "-f", "table"])
    assert table.exit_code == 0 and "80% interval" in table.stdout
    markdown = runner.invoke(app, ["compute", str(path), "--ci", "0.95", "-f", "markdown"])
    assert "| loss | value | 95% interval | parameters |" in markdown.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--ci", "95"], "between 0 and 1"), (["--ci", "0.9", "--bootstrap", "2"], "at least 10")],
)
def test_bad_levels_and_counts_exit_2(runner, data_file, args, message):
    path, _, _ = data_file
    result = runner.invoke(app, ["compute", str(path), *args])
    assert result.exit_code == 2 and message in result.stderr


def test_segmentation_intervals_resample_images(runner, tmp_path):
    rng = np.random.default_rng(2)
    image = np.repeat(np.arange(12), 20)
    mask = (rng.random(240) < 0.4).astype(int)
    prob = np.clip(0.6 * mask + 0.4 * rng.random(240), 0, 1)
    rows = "".join(
        f"{i},{m},{p!r}\n"
        for i, m, p in zip(image.tolist(), mask.tolist(), prob.tolist(), strict=True)
    )
    path = tmp_path / "seg.csv"
    path.write_text("image,mask,prob\n" + rows)
    args = ["--task", "segmentation", "-t", "mask", "-p", "prob", "--ci", "0.95"]
    grouped = _compute(runner, path, *args, "--group", "image", "--seed", "0")
    assert grouped["losses"]["dice"]["ci"]["resampled"] == "groups"
    assert grouped["losses"]["dice"]["ci"]["units"] == 12
    pooled = _compute(runner, path, *args, "--group", "image", "--global", "--seed", "0")
    assert pooled["losses"]["dice"]["ci"]["resampled"] == "groups"
    # --global without image ids: one mask, nothing to resample
    one_image = runner.invoke(app, ["compute", str(path), "-f", "json", "--global", *args])
    assert one_image.exit_code == 0
    assert json.loads(one_image.stdout)["losses"]["dice"]["ci"] is None
    assert "no interval for dice" in one_image.stderr
