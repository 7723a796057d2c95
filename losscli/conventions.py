"""Framework conventions as data: the small print in which the references differ.

A :class:`Convention` is one object per framework. The loss functions read the
options they need from it (``convention.option("mape", "scale", 1.0)``); nothing
else in the code branches on a framework's name. ``explain NAME`` prints the
entries of ``small_print`` for that loss, so the documentation is this table.

Sources: Keras 3 ``keras/src/losses/losses.py`` and ``keras/src/backend/numpy/nn.py``;
PyTorch ``torch/nn/functional.py`` and ``torch.nn`` loss documentation;
scikit-learn ``sklearn/metrics/_regression.py`` and ``_classification.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from losscli.errors import ParameterError

#: The probability clip of Keras' ``backend.epsilon()``, which the selection
#: guide's TensorFlow example uses; losscli's default too.
KERAS_EPSILON = 1e-7


def _frozen(table: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Mapping[str, Any]]:
    return MappingProxyType({k: MappingProxyType(dict(v)) for k, v in table.items()})


@dataclass(frozen=True)
class Convention:
    """One framework's conventions.

    Attributes:
        name: the profile name given to ``--convention``.
        description: one line for ``explain`` and ``--help``.
        epsilon: probabilities are clipped to ``[epsilon, 1 - epsilon]``
            (0 means no clip; losses may still read a per-loss override).
        weighted_mean: ``"weights"`` divides a weighted sum by the sum of the
            weights (scikit-learn ``np.average``, PyTorch class weights);
            ``"elements"`` divides by the number of loss elements (Keras
            ``sum_over_batch_size``).
        small_print: per loss, the options in which this framework differs.
    """

    name: str
    description: str
    epsilon: float
    weighted_mean: Literal["weights", "elements"]
    small_print: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def option(self, loss: str, key: str, default: Any = None) -> Any:
        """The value of ``key`` in this profile's small print for ``loss``."""
        return self.small_print.get(loss, {}).get(key, default)


LOSSCLI = Convention(
    name="losscli",
    description="exact formulas in float64, probabilities clipped to [1e-7, 1-1e-7], "
    "weighted means divide by the sum of the weights",
    epsilon=KERAS_EPSILON,
    weighted_mean="weights",
    small_print=_frozen(
        {
            "mape": {"scale": 1.0, "denominator_floor": KERAS_EPSILON},
            "msle": {"negative": "error"},
            "poisson": {"epsilon": KERAS_EPSILON},
            "hinge": {"labels": "binary_to_signed"},
            "squared_hinge": {"labels": "binary_to_signed"},
            "bce": {"log_complement": "log1p"},
            "focal": {"apply_class_balancing": True, "log_complement": "log1p"},
            "cce": {"renormalize": False, "class_weights_in_denominator": True},
            "sparse_cce": {"renormalize": False, "class_weights_in_denominator": True},
            "kl_divergence": {"clip_targets": False},
            "brier": {"labels": "unit_or_signed", "scale_by_half": False},
            "dice": {"smooth": 1.0, "pooling": "per_image", "denominator_epsilon": 0.0},
            "jaccard": {"smooth": 1.0, "pooling": "per_image", "denominator_epsilon": 0.0},
            "tversky": {"smooth": 1.0, "pooling": "per_image", "denominator_epsilon": 0.0},
            "ctc": {"mean": "per_sequence", "labels": "nonblank"},
        }
    ),
)

KERAS = Convention(
    name="keras",
    description="Keras 3 (in float64): clip to [1e-7, 1-1e-7], rows of categorical "
    "probabilities rescaled to sum 1, weighted means divide by the number of elements",
    epsilon=KERAS_EPSILON,
    weighted_mean="elements",
    small_print=_frozen(
        {
            "mape": {"scale": 100.0, "denominator_floor": KERAS_EPSILON},
            "msle": {"negative": "clip"},
            "poisson": {"epsilon": KERAS_EPSILON},
            "hinge": {"labels": "binary_to_signed_if_all_binary"},
            "squared_hinge": {"labels": "binary_to_signed_if_all_binary"},
            "bce": {"log_complement": "log_one_minus"},
            "focal": {
                "apply_class_balancing": False,
                "log_complement": "log_one_minus",
                "renormalize": True,
            },
            "cce": {"renormalize": True},
            "sparse_cce": {"renormalize": True},
            "kl_divergence": {"clip_targets": True},
            # keras.losses.Dice/Tversky: no smoothing, backend.epsilon() added to the
            # denominator only, inputs not range-checked, axis=None pools the whole batch.
            "dice": {
                "smooth": 0.0,
                "pooling": "global",
                "denominator_epsilon": KERAS_EPSILON,
                "check_range": False,
            },
            "tversky": {
                "smooth": 0.0,
                "pooling": "global",
                "denominator_epsilon": KERAS_EPSILON,
                "check_range": False,
            },
            # keras.losses.CTC: label_length = count_nonzero(y_true), the first
            # label_length entries are the label; mean over the batch.
            "ctc": {"mean": "per_sequence", "labels": "first_count_nonzero"},
            "sequence_ce": {"renormalize": True},
        }
    ),
)

TORCH = Convention(
    name="torch",
    description="PyTorch (in float64): BCE clamps log terms at -100 instead of clipping "
    "probabilities, cross-entropy takes log-probabilities as given, class-weighted "
    "means divide by the sum of the class weights",
    epsilon=0.0,
    weighted_mean="weights",
    small_print=_frozen(
        {
            "bce": {"log_floor": -100.0, "log_complement": "log1p"},
            # torchvision's sigmoid_focal_loss is built on BCE (with logits, or on
            # probabilities F.binary_cross_entropy), whose logs are clamped at -100 too.
            "focal": {"log_floor": -100.0, "log_complement": "log1p"},
            # torch has no MAPE; torchmetrics' mean_absolute_percentage_error floors at 1.17e-6
            "mape": {"scale": 1.0, "denominator_floor": 1.17e-06},
            "poisson": {"epsilon": 1e-08},  # torch.nn.PoissonNLLLoss(eps=1e-8)
            "msle": {"negative": "error"},
            "hinge": {"labels": "binary_to_signed"},
            "squared_hinge": {"labels": "binary_to_signed"},
            "cce": {"renormalize": False, "class_weights_in_denominator": False},
            "sparse_cce": {"renormalize": False, "class_weights_in_denominator": True},
            "dice": {"smooth": 1.0, "pooling": "per_image"},
            # torch.nn.CTCLoss(reduction="mean") divides each sequence's loss by its
            # target length before averaging over the batch.
            "ctc": {"mean": "per_target_length", "labels": "nonblank"},
        }
    ),
)

SKLEARN = Convention(
    name="sklearn",
    description="scikit-learn: log_loss clips to the float64 machine epsilon and "
    "rescales probability rows, MAPE is a fraction, weighted means divide by the "
    "sum of the weights",
    epsilon=float.fromhex("0x1.0p-52"),  # np.finfo(np.float64).eps, log_loss' "auto"
    weighted_mean="weights",
    small_print=_frozen(
        {
            "mape": {"scale": 1.0, "denominator_floor": float.fromhex("0x1.0p-52")},
            "msle": {"negative": "above_minus_one"},  # scikit-learn >= 1.5 rejects only <= -1
            "hinge": {"labels": "sorted_two_labels_to_signed"},
            "squared_hinge": {"labels": "sorted_two_labels_to_signed"},
            "bce": {"log_complement": "clip_one_minus"},
            "cce": {
                "renormalize": False,
                "unnormalized_rows": "as_given",
                "renormalize_order": "clip_first",
            },
            "sparse_cce": {
                "renormalize": False,
                "unnormalized_rows": "as_given",
                "renormalize_order": "clip_first",
            },
            "brier": {"labels": "sorted_two_labels", "scale_by_half": "auto"},
            "dice": {"smooth": 0.0, "pooling": "global"},
        }
    ),
)

CONVENTIONS: Mapping[str, Convention] = MappingProxyType(
    {c.name: c for c in (LOSSCLI, KERAS, TORCH, SKLEARN)}
)


def get_convention(name: str | Convention) -> Convention:
    """The profile called ``name`` (or ``name`` itself when it is a Convention)."""
    if isinstance(name, Convention):
        return name
    try:
        return CONVENTIONS[name]
    except KeyError:
        known = ", ".join(CONVENTIONS)
        raise ParameterError(f"unknown convention {name!r}; choose one of {known}") from None
