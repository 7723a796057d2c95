"""``losscli compute`` on every layout of SPEC §3, in-process and as a real process,
each value checked against an independent computation (NumPy by hand, scikit-learn)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, log_softmax

from tests.cli.compute_helpers import MODES, compute, write_csv

sklearn_metrics = pytest.importorskip("sklearn.metrics")

RTOL = 1e-12
rng = np.random.default_rng(20260601)


@pytest.fixture(params=MODES)
def mode(request):
    return request.param


def approx(value):
    return pytest.approx(value, rel=RTOL, abs=1e-15)


# --------------------------------------------------------------------------- regression


def test_regression_weighted(mode, tmp_path):
    n = 60
    y = rng.normal(10, 3, n)
    p = y + rng.normal(0, 1.5, n)
    w = rng.uniform(0.1, 3, n)
    path = write_csv(tmp_path / "r.csv", ["y", "yhat", "w"], y, p, w)
    out = compute(
        mode, path, "-l", "mse", "-l", "mae", "-l", "huber:delta=2.5", "--weight", "w", "-f", "json"
    )
    e = np.abs(p - y)
    huber = np.where(e <= 2.5, 0.5 * e**2, 2.5 * (e - 1.25))
    assert out.losses() == {
        "mse": approx(sklearn_metrics.mean_squared_error(y, p, sample_weight=w)),
        "mae": approx(sklearn_metrics.mean_absolute_error(y, p, sample_weight=w)),
        "huber:delta=2.5": approx(np.sum(w * huber) / np.sum(w)),
    }
    report = out.json()
    assert report["task"] == "regression" and report["n_samples"] == n
    assert report["columns"] == {"target": ["y"], "prediction": ["yhat"], "weight": "w"}
    assert report["losses"]["huber:delta=2.5"]["params"] == {"delta": 2.5}


def test_regression_multi_output_per_output(mode, tmp_path):
    n = 40
    y = rng.normal(0, 1, (n, 3))
    p = y + rng.normal(0, 0.5, (n, 3))
    header = ["true_a", "true_b", "true_c", "p_c", "p_a", "p_b"]
    path = write_csv(tmp_path / "m.csv", header, *y.T, p[:, 2], p[:, 0], p[:, 1])
    out = compute(mode, path, "-l", "mse", "-l", "mae", "--per-output", "-f", "json")
    report = out.json()
    mse = report["losses"]["mse"]
    assert mse["value"] == approx(sklearn_metrics.mean_squared_error(y, p))
    raw = sklearn_metrics.mean_squared_error(y, p, multioutput="raw_values")
    assert mse["per_output"] == {
        "true_a": approx(raw[0]),
        "true_b": approx(raw[1]),
        "true_c": approx(raw[2]),
    }
    assert report["losses"]["mae"]["value"] == approx(sklearn_metrics.mean_absolute_error(y, p))


@pytest.mark.parametrize(
    ("loss", "column", "value", "named"),
    [
        ("msle", "true_b", -0.5, "true_b"),  # a target below 0
        ("msle", "p_c", -0.5, "p_c"),  # a prediction below 0, columns paired by name
        ("poisson", "p_a", -2.0, "p_a"),
        ("msle:convention=sklearn", "true_c", -1.5, "true_c"),  # log(1 + x) undefined
    ],
)
def test_multi_output_loss_errors_name_the_column(mode, tmp_path, loss, column, value, named):
    """A loss's error about one value of an (n, k) argument names its line and column."""
    n = 6
    y = rng.uniform(1, 2, (n, 3))
    p = rng.uniform(1, 2, (n, 3))
    header = ["true_a", "true_b", "true_c", "p_c", "p_a", "p_b"]
    columns = dict(zip(header, [*y.T, p[:, 2], p[:, 0], p[:, 1]], strict=True))
    columns[column] = columns[column].copy()
    columns[column][3] = value  # data row 4: file line 5
    path = write_csv(tmp_path / "m.csv", header, *columns.values())
    name, _, convention = loss.partition(":convention=")
    extra = ["--convention", convention] if convention else []
    out = compute(mode, path, "-l", name, *extra, "-f", "json")
    assert out.code == 2, out.stderr
    assert f"line 5: column '{named}':" in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------- binary


def test_binary_zero_one_probabilities(mode, tmp_path):
    n = 80
    y = rng.integers(0, 2, n)
    p = np.clip(expit(rng.normal(0, 2, n) + 2 * (y - 0.5)), 0.01, 0.99)
    path = write_csv(tmp_path / "b.csv", ["label", "prob"], y, p)
    out = compute(mode, path, "-l", "bce", "-l", "brier", "-f", "json")
    assert out.losses() == {
        "bce": approx(sklearn_metrics.log_loss(y, p)),
        "brier": approx(sklearn_metrics.brier_score_loss(y, p)),
    }
    assert out.json()["layout"]["positive_label"] == "1"


def test_binary_signed_labels_hinge(mode, tmp_path):
    n = 50
    y = rng.choice([-1, 1], n)
    score = rng.normal(0, 1.5, n) + y
    path = write_csv(tmp_path / "h.csv", ["y", "score"], y, score)
    out = compute(mode, path, "-l", "hinge", "-l", "squared_hinge", "-f", "json")
    margins = np.maximum(0, 1 - y * score)
    assert out.losses() == {
        "hinge": approx(sklearn_metrics.hinge_loss(y, score)),
        "squared_hinge": approx(np.mean(margins**2)),
    }


def test_binary_string_labels_with_positive(mode, tmp_path):
    n = 30
    labels = rng.choice(["ham", "spam"], n)
    p_ham = rng.uniform(0.05, 0.95, n)
    path = write_csv(tmp_path / "s.csv", ["label", "p_ham"], labels, p_ham)
    out = compute(mode, path, "--positive", "ham", "-f", "json")
    assert out.losses() == {"bce": approx(sklearn_metrics.log_loss(labels == "ham", p_ham))}
    assert out.json()["layout"]["positive_label"] == "ham"


def test_binary_logits(mode, tmp_path):
    n = 40
    y = rng.integers(0, 2, n)
    z = rng.normal(0, 3, n)
    path = write_csv(tmp_path / "z.csv", ["y", "logit"], y, z)
    out = compute(mode, path, "-p", "logit", "--from-logits", "-l", "bce", "-f", "json")
    expected = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
    # The key does not change with the global flag (SPEC §6 keys; docs/json-schema.md).
    assert out.losses() == {"bce": approx(expected)}
    assert out.json()["losses"]["bce"]["params"]["from_logits"] is True


# --------------------------------------------------------------------------- multiclass


def test_multiclass_integer_labels(mode, tmp_path):
    n, k = 70, 4
    y = rng.integers(0, k, n)
    p = rng.dirichlet(np.ones(k), n)
    path = write_csv(tmp_path / "d.csv", ["label", *(f"p_{i}" for i in range(k))], y, *p.T)
    out = compute(mode, path, "-l", "sparse_cce", "-l", "cce", "-f", "json")
    expected = sklearn_metrics.log_loss(y, p, labels=list(range(k)))
    assert out.losses() == {"sparse_cce": approx(expected), "cce": approx(expected)}
    assert out.json()["task"] == "multiclass"


def test_multiclass_string_labels_mapped_by_name(mode, tmp_path):
    n = 45
    classes = ["dog", "cat", "bird"]  # column order, not sorted order
    y = rng.choice(classes, n)
    p = rng.dirichlet(np.ones(3), n)
    path = write_csv(tmp_path / "a.csv", ["animal", "p_dog", "p_cat", "p_bird"], y, *p.T)
    out = compute(mode, path, "-t", "animal", "-f", "json")
    index = np.array([classes.index(v) for v in y])
    assert out.losses() == {"sparse_cce": approx(-np.mean(np.log(p[np.arange(n), index])))}
    assert out.json()["layout"]["classes"] == classes


def test_multiclass_one_hot_targets(mode, tmp_path):
    n = 35
    y = rng.integers(0, 3, n)
    one_hot = np.eye(3, dtype=int)[y]
    p = rng.dirichlet(np.ones(3), n)
    header = ["true_a", "true_b", "true_c", "p_a", "p_b", "p_c"]
    path = write_csv(tmp_path / "o.csv", header, *one_hot.T, *p.T)
    out = compute(mode, path, "-f", "json")
    assert out.json()["layout"]["target_form"] == "distribution"
    assert out.losses() == {"cce": approx(sklearn_metrics.log_loss(y, p, labels=[0, 1, 2]))}


def test_multiclass_logits_and_renormalize(mode, tmp_path):
    n = 30
    y = rng.integers(0, 3, n)
    z = rng.normal(0, 2, (n, 3))
    path = write_csv(tmp_path / "l.csv", ["y", "p_0", "p_1", "p_2"], y, *z.T)
    out = compute(mode, path, "--from-logits", "-l", "sparse_cce", "-f", "json")
    expected = -np.mean(log_softmax(z, axis=1)[np.arange(n), y])
    assert out.losses() == {"sparse_cce": approx(expected)}
    scores = rng.uniform(0.1, 1.0, (n, 3))
    path = write_csv(tmp_path / "u.csv", ["y", "p_0", "p_1", "p_2"], y, *scores.T)
    out = compute(mode, path, "--renormalize", "-l", "sparse_cce", "-f", "json")
    normalised = scores / scores.sum(axis=1, keepdims=True)
    assert out.losses() == {"sparse_cce": approx(-np.mean(np.log(normalised[np.arange(n), y])))}


# --------------------------------------------------------------------------- multilabel


def test_multilabel_bce(mode, tmp_path):
    n, k = 40, 4
    y = (rng.random((n, k)) < 0.4).astype(int)
    y[0] = [1, 1, 0, 0]  # at least one row with two labels: multi-label, not one-hot
    p = rng.uniform(0.02, 0.98, (n, k))
    names = ["action", "comedy", "drama", "horror"]
    header = [f"true_{g}" for g in names] + [f"p_{g}" for g in names]
    path = write_csv(tmp_path / "g.csv", header, *y.T, *p.T)
    out = compute(mode, path, "-l", "bce", "-l", "bce:pos_weight=1;4;0.5;2", "-f", "json")
    cells = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    weighted = -(np.array([1, 4, 0.5, 2]) * y * np.log(p) + (1 - y) * np.log(1 - p))
    assert out.json()["task"] == "multilabel"
    assert out.losses() == {
        "bce": approx(cells.mean()),
        "bce:pos_weight=1;4;0.5;2": approx(weighted.mean()),  # one weight per label
    }
    params = out.json()["losses"]["bce:pos_weight=1;4;0.5;2"]["params"]
    assert params["pos_weight"] == [1.0, 4.0, 0.5, 2.0]
    wrong = compute(mode, path, "-l", "bce:pos_weight=1;4", "-f", "json")
    assert wrong.code == 2
    assert "pos_weight has 2 values but y_pred has 4 labels" in wrong.stderr


# --------------------------------------------------------------------------- segmentation


def _dice(t, p, smooth=1.0):
    return 1.0 - (2.0 * np.sum(t * p) + smooth) / (np.sum(t) + np.sum(p) + smooth)


def test_segmentation_per_image_and_global(mode, tmp_path):
    images = np.repeat(["img1", "img2", "img3"], 20)
    mask = (rng.random(60) < 0.4).astype(int)
    prob = np.clip(mask * 0.6 + rng.uniform(0, 0.4, 60), 0, 1)
    path = write_csv(tmp_path / "seg.csv", ["image", "mask", "prob"], images, mask, prob)
    out = compute(
        mode,
        path,
        "--task",
        "segmentation",
        "-t",
        "mask",
        "-p",
        "prob",
        "--group",
        "image",
        "-l",
        "dice",
        "-f",
        "json",
    )
    per_image = [_dice(mask[images == i], prob[images == i]) for i in ("img1", "img2", "img3")]
    assert out.losses() == {"dice": approx(np.mean(per_image))}
    out = compute(
        mode,
        path,
        "--task",
        "segmentation",
        "-t",
        "mask",
        "-p",
        "prob",
        "--group",
        "image",
        "-l",
        "dice",
        "--global",
        "-f",
        "json",
    )
    assert out.losses() == {"dice": approx(_dice(mask, prob))}


# --------------------------------------------------------------------------- detection


def _iou_xyxy(a, b):
    ix = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    inter = ix * iy
    area = lambda c: (c[:, 2] - c[:, 0]) * (c[:, 3] - c[:, 1])  # noqa: E731
    union = area(a) + area(b) - inter
    iou = inter / union
    enclose = (np.maximum(a[:, 2], b[:, 2]) - np.minimum(a[:, 0], b[:, 0])) * (
        np.maximum(a[:, 3], b[:, 3]) - np.minimum(a[:, 1], b[:, 1])
    )
    return iou, iou - (enclose - union) / enclose


def test_detection_xywh_boxes(mode, tmp_path):
    n = 25
    xywh_true = np.column_stack([rng.uniform(0, 100, (n, 2)), rng.uniform(5, 40, (n, 2))])
    xywh_pred = xywh_true + rng.normal(0, 3, (n, 4))
    xywh_pred[:, 2:] = np.abs(xywh_pred[:, 2:])
    header = ["gt_x", "gt_y", "gt_w", "gt_h", "pred_x", "pred_y", "pred_w", "pred_h"]
    path = write_csv(tmp_path / "box.csv", header, *xywh_true.T, *xywh_pred.T)
    out = compute(mode, path, "--box-format", "xywh", "-l", "iou", "-l", "giou", "-f", "json")

    def xyxy(b):
        return np.column_stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]])

    iou, giou = _iou_xyxy(xyxy(xywh_true), xyxy(xywh_pred))
    assert out.losses() == {"iou": approx(np.mean(1 - iou)), "giou": approx(np.mean(1 - giou))}
    assert out.json()["layout"]["box_format"] == "xywh"


# --------------------------------------------------------------------------- sequence


def test_sequence_with_order_and_padding_mask(mode, tmp_path):
    vocabulary = ["a", "b", "c"]
    rows = []
    for s in range(6):
        length = int(rng.integers(2, 5))
        for position in rng.permutation(5):
            pad = position >= length
            token = "<pad>" if pad else str(rng.choice(vocabulary))
            rows.append((f"s{s}", position, token, 0 if pad else 1, rng.dirichlet(np.ones(3))))
    seq, pos, token, mask, p = zip(*rows, strict=True)
    p = np.array(p)
    path = write_csv(
        tmp_path / "tok.csv",
        ["seq", "pos", "token", "mask", "p_a", "p_b", "p_c"],
        seq,
        pos,
        token,
        mask,
        *p.T,
    )
    out = compute(
        mode,
        path,
        "--task",
        "sequence",
        "-t",
        "token",
        "-p",
        "p_*",
        "--group",
        "seq",
        "--order",
        "pos",
        "--weight",
        "mask",
        "-l",
        "sequence_ce",
        "-f",
        "json",
    )
    real = np.array(mask) == 1
    index = np.array([vocabulary.index(t) for t in np.array(token)[real]])
    expected = -np.mean(np.log(p[real][np.arange(real.sum()), index]))
    assert out.losses() == {"sequence_ce": approx(expected)}
    report = out.json()
    assert report["columns"]["order"] == "pos" and report["columns"]["group"] == "seq"


# --------------------------------------------------------------------------- two files, stdin


def test_two_files_by_order_and_by_id(mode, tmp_path):
    n = 20
    ids = np.arange(100, 100 + n)
    y = rng.normal(0, 1, n)
    p = y + rng.normal(0, 0.3, n)
    targets = write_csv(tmp_path / "t.csv", ["id", "y"], ids, y)
    in_order = write_csv(tmp_path / "p.csv", ["id", "yhat"], ids, p)
    out = compute(mode, targets, in_order, "--id", "id", "-l", "mse", "-f", "json")
    expected = approx(np.mean((p - y) ** 2))
    assert out.losses() == {"mse": expected}
    shuffled = rng.permutation(n)
    joined = write_csv(tmp_path / "q.csv", ["id", "yhat"], ids[shuffled], p[shuffled])
    out = compute(mode, targets, joined, "--id", "id", "-l", "mse", "-f", "json")
    assert out.losses() == {"mse": expected}
    # Without --id the shuffled rows pair by position: a different (wrong) number.
    plain_t = write_csv(tmp_path / "t2.csv", ["y"], y)
    plain_p = write_csv(tmp_path / "p2.csv", ["yhat"], p[shuffled])
    out = compute(mode, plain_t, plain_p, "-l", "mse", "-f", "json")
    assert out.losses() == {"mse": approx(np.mean((p[shuffled] - y) ** 2))}


def test_standard_input(mode, tmp_path):
    text = "y,yhat\n1,1.5\n2,2\n4,3\n"
    out = compute(mode, "-", "-l", "mae", "-f", "json", input=text)
    assert out.losses() == {"mae": approx(0.5)}
    assert out.json()["files"] == ["<stdin>"]


def test_multiclass_segmentation_macro_dice(mode, tmp_path):
    n = 40
    image = np.repeat(["a", "b"], n // 2)
    cls = rng.integers(0, 3, n)
    p = rng.dirichlet(np.ones(3), n)
    path = write_csv(tmp_path / "ms.csv", ["img", "cls", "p_0", "p_1", "p_2"], image, cls, *p.T)
    out = compute(
        mode,
        path,
        "--task",
        "segmentation",
        "-t",
        "cls",
        "--group",
        "img",
        "-l",
        "dice",
        "-f",
        "json",
    )
    one_hot = np.eye(3)[cls]
    expected = np.mean(
        [
            np.mean([_dice(one_hot[image == g][:, k], p[image == g][:, k]) for k in range(3)])
            for g in ("a", "b")
        ]
    )
    assert out.losses() == {"dice": approx(expected)}
    assert "warning" not in out.stderr


def test_multiclass_focal_and_brier(mode, tmp_path):
    n = 50
    y = rng.integers(0, 3, n)
    p = rng.dirichlet(np.ones(3) * 2, n)
    path = write_csv(tmp_path / "f.csv", ["label", "p_0", "p_1", "p_2"], y, *p.T)
    out = compute(mode, path, "-l", "focal:gamma=1.5", "-l", "brier", "-f", "json")
    p_true = p[np.arange(n), y]
    focal = 0.25 * (1 - p_true) ** 1.5 * -np.log(p_true)
    brier = np.sum((p - np.eye(3)[y]) ** 2, axis=1)
    assert out.losses() == {"focal:gamma=1.5": approx(focal.mean()), "brier": approx(brier.mean())}


def test_ctc_with_shuffled_frames_matches_torch(mode, tmp_path):
    torch = pytest.importorskip("torch")
    labels = [[1, 2], [2, 2, 1]]
    frames = 6
    p = rng.dirichlet(np.ones(3), (len(labels), frames))
    rows = []
    for s, label in enumerate(labels):
        tokens = label + [0] * (frames - len(label))  # padded with the blank (0)
        rows += [(f"s{s}", t, tokens[t], *p[s, t]) for t in range(frames)]
    rows = [rows[i] for i in rng.permutation(len(rows))]  # --order restores the frames
    seq, t, tok, *probs = zip(*rows, strict=True)
    path = write_csv(
        tmp_path / "ctc.csv", ["seq", "t", "tok", "p_0", "p_1", "p_2"], seq, t, tok, *probs
    )
    out = compute(
        mode,
        path,
        "--task",
        "sequence",
        "-t",
        "tok",
        "-p",
        "p_*",
        "--group",
        "seq",
        "--order",
        "t",
        "-l",
        "ctc",
        "--convention",
        "torch",
        "-f",
        "json",
    )
    expected = torch.nn.functional.ctc_loss(
        torch.tensor(np.log(p)).permute(1, 0, 2),
        torch.tensor([1, 2, 2, 2, 1]),
        torch.tensor([frames, frames]),
        torch.tensor([2, 3]),
        blank=0,
        reduction="mean",
    ).item()
    assert out.losses() == {"ctc": approx(expected)}


def test_multiclass_soft_label_targets(mode, tmp_path):
    n = 30
    t = rng.dirichlet(np.ones(3), n)  # soft labels (e.g. label smoothing or annotator votes)
    p = rng.dirichlet(np.ones(3), n)
    header = ["t_a", "t_b", "t_c", "p_a", "p_b", "p_c"]
    path = write_csv(tmp_path / "soft.csv", header, *t.T, *p.T)
    out = compute(
        mode,
        path,
        "--task",
        "multiclass",
        "-t",
        "t_*",
        "-l",
        "cce",
        "-l",
        "kl_divergence",
        "-f",
        "json",
    )
    assert out.losses() == {
        "cce": approx(np.mean(-np.sum(t * np.log(p), axis=1))),
        "kl_divergence": approx(np.mean(np.sum(t * np.log(t / p), axis=1))),
    }
    out = compute(mode, path, "--task", "multiclass", "-t", "t_*", "-l", "sparse_cce")
    assert out.code == 2 and "targets are soft" in out.stderr


def test_all_with_soft_targets_leaves_out_the_hard_label_losses(mode, tmp_path):
    t = rng.dirichlet(np.ones(3), 20)
    p = rng.dirichlet(np.ones(3), 20)
    path = write_csv(tmp_path / "soft.csv", ["t_a", "t_b", "t_c", "p_a", "p_b", "p_c"], *t.T, *p.T)
    out = compute(mode, path, "--task", "multiclass", "-t", "t_*", "--all", "-f", "json")
    report = out.json()
    assert set(report["losses"]) == {"focal", "cce", "categorical_hinge", "kl_divergence"}
    assert (
        "--all leaves out sparse_cce: it needs hard class labels and the targets are soft"
        in (report["warnings"])
    )
