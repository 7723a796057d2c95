"""``losscli list`` and ``losscli explain``: the registry as JSON, tables, Markdown and plots."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from losscli.cli.main import app
from losscli.conventions import CONVENTIONS
from losscli.registry import TASKS, all_specs, specs_for_task

SPEC_NAMES = [spec.name for spec in all_specs()]


def _json(runner, *args):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _default(value):
    return list(value) if isinstance(value, tuple) else value


def test_list_json_matches_the_registry(runner):
    document = _json(runner, "list", "--format", "json")
    assert document["schema"] == "losscli/list/1"
    assert [entry["name"] for entry in document["losses"]] == SPEC_NAMES
    for entry, spec in zip(document["losses"], all_specs(), strict=True):
        assert entry["aliases"] == list(spec.aliases)
        assert entry["tasks"] == list(spec.tasks)
        assert entry["activation"] == spec.activation
        assert entry["activation"] in ("linear", "sigmoid", "softmax")
        assert set(entry["tasks"]) <= set(TASKS)
        for param in spec.params:
            assert entry["params"][param.name] == _default(param.default)
        assert entry["robust_to_outliers"] is spec.robust_to_outliers


def test_list_is_json_in_a_pipe_by_default(runner):
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["schema"] == "losscli/list/1"


@pytest.mark.parametrize("task", TASKS)
def test_list_filters_by_task(runner, task):
    document = _json(runner, "list", "--task", task, "-f", "json")
    assert [e["name"] for e in document["losses"]] == [s.name for s in specs_for_task(task)]
    assert all(task in entry["tasks"] for entry in document["losses"])


def test_list_unknown_task_is_a_usage_error(runner):
    result = runner.invoke(app, ["list", "--task", "regresion"])
    assert result.exit_code == 2
    assert "unknown task 'regresion'" in result.stderr
    assert "regression" in result.stderr
    assert result.stdout == ""


def test_list_table_markdown_and_csv_have_one_row_per_loss(runner):
    table = runner.invoke(app, ["list", "-f", "table"], env={"COLUMNS": "200"})
    assert table.exit_code == 0
    for name in SPEC_NAMES:
        assert f" {name} " in table.stdout
    markdown = runner.invoke(app, ["list", "-f", "markdown"]).stdout.splitlines()
    assert markdown[0].startswith("| name | aliases | tasks | activation |")
    assert len(markdown) == 2 + len(SPEC_NAMES)
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["list", "-f", "csv"]).stdout)))
    assert [row["name"] for row in rows] == SPEC_NAMES
    huber = next(row for row in rows if row["name"] == "huber")
    assert huber["parameters"] == "delta=1" and huber["robust_to_outliers"] == "yes"


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_explain_renders_every_loss(runner, name):
    table = runner.invoke(app, ["explain", name, "-f", "table"], env={"COLUMNS": "120"})
    assert table.exit_code == 0, table.stderr
    assert name in table.stdout
    assert "gradient" in table.stdout  # the plot was drawn
    assert "conventions" in table.stdout
    document = _json(runner, "explain", name, "-f", "json")
    assert document["schema"] == "losscli/explain/1"
    (entry,) = document["losses"]
    spec = next(s for s in all_specs() if s.name == name)
    assert entry["formula"] == spec.formula and entry["latex"] == spec.latex
    assert entry["pros"] == list(spec.pros) and entry["cons"] == list(spec.cons)
    assert {p["name"] for p in entry["parameters"]} >= {p.name for p in spec.params}
    points = entry["plot"]["points"]
    assert sum(v is not None for v in points["loss"]) >= 10
    markdown = runner.invoke(app, ["explain", name, "-f", "markdown"])
    assert markdown.exit_code == 0 and f"## `{name}`" in markdown.stdout


def _curve(runner, name):
    (entry,) = _json(runner, "explain", name, "-f", "json")["losses"]
    points = entry["plot"]["points"]
    return (
        entry,
        np.array(points["x"], dtype=float),
        np.array(points["loss"], dtype=float),
        np.array(points["gradient"], dtype=float),
    )


def test_the_plot_is_the_real_loss_and_its_derivative(runner):
    entry, x, loss, gradient = _curve(runner, "mse")
    assert entry["plot"]["x"] == "residual"
    np.testing.assert_allclose(loss, x**2, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gradient, 2 * x, rtol=1e-6, atol=1e-6)

    entry, x, loss, gradient = _curve(runner, "huber:delta=2")
    assert entry["label"] == "huber:delta=2" and entry["params"]["delta"] == 2.0
    expected = np.where(np.abs(x) <= 2, 0.5 * x**2, 2 * (np.abs(x) - 1))
    np.testing.assert_allclose(loss, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gradient, np.clip(x, -2, 2), rtol=1e-5, atol=1e-5)

    _, x, _, gradient = _curve(runner, "l1")
    away = np.abs(x) > 1e-3
    np.testing.assert_allclose(gradient[away], np.sign(x[away]), atol=1e-5)


def test_explain_aliases_resolve_to_the_canonical_entry(runner):
    (entry,) = _json(runner, "explain", "L2", "-f", "json")["losses"]
    assert entry["name"] == "mse"


def test_explain_overlays_several_losses(runner):
    result = runner.invoke(app, ["explain", "mse", "mae", "huber", "-f", "table"])
    assert result.exit_code == 0
    assert "mse, mae, huber: loss" in result.stdout
    assert "mse, mae, huber: gradient" in result.stdout
    assert result.stdout.count("⣿⣿ huber") == 2  # legend of the loss and gradient plots
    document = _json(runner, "explain", "mse", "mae", "huber", "-f", "json")
    assert [e["name"] for e in document["losses"]] == ["mse", "mae", "huber"]


def test_explain_prints_where_the_conventions_differ(runner):
    (entry,) = _json(runner, "explain", "mape", "-f", "json")["losses"]
    rows = {row["setting"]: row for row in entry["conventions"]}
    assert rows["scale"]["values"] == {"losscli": 1.0, "keras": 100.0, "torch": 1.0, "sklearn": 1.0}
    assert rows["scale"]["differs"] is True
    mean_rule = rows["weighted mean divides by"]["values"]
    assert mean_rule["keras"] == "number of elements"
    assert mean_rule["losscli"] == "sum of weights"
    assert set(mean_rule) == set(CONVENTIONS)


def test_explain_unknown_name_exits_2_with_the_nearest_names(runner):
    result = runner.invoke(app, ["explain", "hubber"])
    assert result.exit_code == 2
    assert "unknown loss 'hubber'" in result.stderr and "huber" in result.stderr
    result = runner.invoke(app, ["explain", "qqqqqq"])
    assert result.exit_code == 2
    assert "nearest:" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_explain_bad_parameter_and_csv_format_are_usage_errors(runner):
    result = runner.invoke(app, ["explain", "huber:delta=-1"])
    assert result.exit_code == 2 and "delta" in result.stderr
    result = runner.invoke(app, ["explain", "mse", "-f", "csv"])
    assert result.exit_code == 2 and "no CSV form" in result.stderr


def test_explain_markdown_carries_the_plot_as_text(runner):
    result = runner.invoke(app, ["explain", "huber", "-f", "markdown"])
    assert result.exit_code == 0
    assert "```text" in result.stdout and "huber: gradient" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour codes in a machine format
