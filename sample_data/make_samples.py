"""Generate the sample files in this directory (seeded: the output never changes).

    python sample_data/make_samples.py

Each file is small (< 100 KB) and shaped like real model output for one task;
``sample_data/README.md`` gives the command that uses each.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20260601


def _write(name: str, header: list[str], rows: list[list[object]]) -> None:
    with open(HERE / name, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _probabilities(logits: np.ndarray, decimals: int = 8) -> np.ndarray:
    """Softmax rows rounded to ``decimals`` places, the largest entry adjusted so that each
    printed row sums to 1 within 1e-12 (as a model exporting rounded scores would)."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = np.round(shifted / shifted.sum(axis=1, keepdims=True), decimals)
    top = p.argmax(axis=1)
    rows = np.arange(p.shape[0])
    p[rows, top] = np.round(1.0 - (p.sum(axis=1) - p[rows, top]), decimals)
    return p


def house_prices(rng: np.random.Generator) -> None:
    """Regression: sale prices (in $1000) and a model's predictions, a few gross outliers."""
    n = 400
    neighbourhoods = np.array(["riverside", "old_town", "hillcrest", "harbour"])
    where = rng.integers(0, len(neighbourhoods), n)
    sqft = np.round(rng.normal(1600, 450, n).clip(450, 4200))
    bedrooms = np.clip(np.round(sqft / 550 + rng.normal(0, 0.7, n)), 1, 7)
    premium = np.array([40.0, 15.0, 70.0, 55.0])[where]
    price = 60 + 0.19 * sqft + 12 * bedrooms + premium + rng.normal(0, 28, n)
    prediction = price + rng.normal(0, 22, n)
    outliers = rng.choice(n, 8, replace=False)  # data-entry errors and one-off mansions
    price[outliers] *= rng.choice([0.35, 2.4, 3.1], len(outliers))
    rows = [
        [
            i + 1,
            int(sqft[i]),
            int(bedrooms[i]),
            neighbourhoods[where[i]],
            f"{price[i]:.1f}",
            f"{prediction[i]:.1f}",
        ]
        for i in range(n)
    ]
    _write(
        "house_prices.csv",
        ["house_id", "sqft", "bedrooms", "neighbourhood", "target", "prediction"],
        rows,
    )


def spam(rng: np.random.Generator) -> None:
    """Binary: spam/ham labels (imbalanced, 15 % spam) and a classifier's P(spam)."""
    n = 600
    is_spam = rng.random(n) < 0.15
    score = np.where(is_spam, rng.normal(1.6, 1.3, n), rng.normal(-2.2, 1.3, n))
    probability = 1.0 / (1.0 + np.exp(-score))
    rows = [
        [f"msg{i + 1:04d}", "spam" if is_spam[i] else "ham", f"{probability[i]:.6f}"]
        for i in range(n)
    ]
    _write("spam.csv", ["email_id", "label", "p_spam"], rows)


def digits(rng: np.random.Generator) -> None:
    """Multiclass: digit labels 0-9 and softmax probabilities, one column per class."""
    n = 300
    label = rng.integers(0, 10, n)
    logits = rng.normal(0, 1.0, (n, 10))
    correct = rng.random(n) < 0.9
    logits[np.arange(n), label] += np.where(correct, 4.0, 0.5)
    p = _probabilities(logits, 6)
    rows = [[int(label[i]), *(f"{v:.6f}" for v in p[i])] for i in range(n)]
    _write("digits.csv", ["label", *(f"p_{k}" for k in range(10))], rows)


def movie_genres(rng: np.random.Generator) -> None:
    """Multilabel: five genre indicators per movie and independent sigmoid outputs."""
    genres = ["action", "comedy", "drama", "horror", "romance"]
    rates = np.array([0.35, 0.4, 0.5, 0.12, 0.25])
    n = 250
    truth = (rng.random((n, len(genres))) < rates).astype(int)
    score = np.where(
        truth == 1, rng.normal(1.5, 1.2, truth.shape), rng.normal(-1.8, 1.2, truth.shape)
    )
    p = 1.0 / (1.0 + np.exp(-score))
    rows = [[f"tt{1000 + i}", *truth[i].tolist(), *(f"{v:.5f}" for v in p[i])] for i in range(n)]
    _write(
        "movie_genres.csv",
        ["movie_id", *(f"true_{g}" for g in genres), *(f"p_{g}" for g in genres)],
        rows,
    )


def segmentation_masks(rng: np.random.Generator) -> None:
    """Segmentation, long format: one row per pixel of six 16x16 images (a disc each)."""
    size, images = 16, 6
    rows = []
    ys, xs = np.mgrid[0:size, 0:size]
    for image in range(images):
        cx, cy = rng.uniform(5, 11, 2)
        radius = rng.uniform(2.5, 5.0)
        mask = ((xs - cx) ** 2 + (ys - cy) ** 2 <= radius**2).astype(int)
        # A model that is right in the middle of the object and unsure at its edge.
        distance = np.sqrt((xs - cx - rng.normal(0, 0.6)) ** 2 + (ys - cy) ** 2) - radius
        prob = 1.0 / (1.0 + np.exp(2.2 * distance + rng.normal(0, 0.4, distance.shape)))
        for y in range(size):
            for x in range(size):
                rows.append([f"img{image + 1}", x, y, int(mask[y, x]), f"{prob[y, x]:.4f}"])
    _write("segmentation_masks.csv", ["image", "x", "y", "mask", "prob"], rows)


def boxes(rng: np.random.Generator) -> None:
    """Detection: matched ground-truth and predicted boxes as (x, y, width, height)."""
    n = 120
    x, y = rng.uniform(0, 500, n), rng.uniform(0, 350, n)
    w, h = rng.uniform(20, 160, n), rng.uniform(20, 140, n)
    jitter = rng.normal(0, 1, (n, 4)) * np.column_stack([w, h, w, h]) * 0.08
    px, py = x + jitter[:, 0], y + jitter[:, 1]
    pw, ph = np.maximum(w + jitter[:, 2], 1.0), np.maximum(h + jitter[:, 3], 1.0)
    rows = [
        [
            f"frame{i // 3 + 1}",
            *(f"{v:.1f}" for v in (x[i], y[i], w[i], h[i])),
            *(f"{v:.1f}" for v in (px[i], py[i], pw[i], ph[i])),
        ]
        for i in range(n)
    ]
    _write(
        "boxes.csv",
        ["image_id", "gt_x", "gt_y", "gt_w", "gt_h", "pred_x", "pred_y", "pred_w", "pred_h"],
        rows,
    )


def token_sequences(rng: np.random.Generator) -> None:
    """Sequences, long format: one row per token, padded to 8 with <pad> (mask 0),
    rows shuffled within each sequence (``--order position`` restores them)."""
    vocabulary = ["the", "cat", "dog", "sat", "ran", "on", "mat", "home"]
    length = 8
    rows = []
    for sequence in range(30):
        size = int(rng.integers(3, length + 1))
        tokens = list(rng.choice(vocabulary, size)) + ["<pad>"] * (length - size)
        logits = rng.normal(0, 1, (length, len(vocabulary)))
        for position, token in enumerate(tokens):
            if token != "<pad>":
                logits[position, vocabulary.index(token)] += 2.5
        p = _probabilities(logits, 6)
        for position in rng.permutation(length):
            token = tokens[position]
            rows.append(
                [
                    f"s{sequence + 1:02d}",
                    int(position),
                    token,
                    0 if token == "<pad>" else 1,
                    *(f"{v:.6f}" for v in p[position]),
                ]
            )
    _write(
        "token_sequences.csv",
        ["seq_id", "position", "token", "mask", *(f"p_{w}" for w in vocabulary)],
        rows,
    )


def compare_models() -> None:
    """Two models of the house prices for ``losscli compare``: the baseline is
    ``house_prices.csv``'s prediction; the candidate halves its error on most houses
    (its own generator, so the other files' bytes do not change)."""
    rng = np.random.default_rng(SEED + 1)
    with (HERE / "house_prices.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    ids = [row["house_id"] for row in rows]
    target = np.array([float(row["target"]) for row in rows])
    baseline = np.array([float(row["prediction"]) for row in rows])
    improved = rng.uniform(size=target.size) < 0.8
    candidate = np.where(improved, baseline + 0.5 * (target - baseline), baseline)
    _write(
        "compare_targets.csv",
        ["house_id", "target"],
        [[i, f"{t:.1f}"] for i, t in zip(ids, target, strict=True)],
    )
    for name, values in (("compare_baseline.csv", baseline), ("compare_candidate.csv", candidate)):
        _write(
            name,
            ["house_id", "prediction"],
            [[i, f"{v:.1f}"] for i, v in zip(ids, values, strict=True)],
        )


def main() -> None:
    rng = np.random.default_rng(SEED)
    for make in (
        house_prices,
        spam,
        digits,
        movie_genres,
        segmentation_masks,
        boxes,
        token_sequences,
    ):
        make(rng)
    compare_models()


if __name__ == "__main__":
    main()
