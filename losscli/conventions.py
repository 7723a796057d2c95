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
            "hinge": {"labels": "binary_to_signed"},
            "squared_hinge": {"labels": "binary_to_signed"},
            "cce": {"renormalize": False},
            "sparse_cce": {"renormalize": False},
            "dice": {"smooth": 1.0, "pooling": "per_image"},
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
            "hinge": {"labels": "binary_to_signed_if_all_binary"},
            "squared_hinge": {"labels": "binary_to_signed_if_all_binary"},
            "cce": {"renormalize": True},
            "sparse_cce": {"renormalize": True},
            "kl_divergence": {"clip_targets": True},
            "dice": {"smooth": 0.0, "pooling": "batch"},
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
            "bce": {"log_floor": -100.0},
            "mape": {"scale": 1.0, "denominator_floor": 0.0},
            "msle": {"negative": "error"},
            "hinge": {"labels": "binary_to_signed"},
            "squared_hinge": {"labels": "binary_to_signed"},
            "cce": {"renormalize": False},
            "sparse_cce": {"renormalize": False},
            "dice": {"smooth": 1.0, "pooling": "per_image"},
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
            "msle": {"negative": "error"},
            "hinge": {"labels": "sorted_two_labels_to_signed"},
            "squared_hinge": {"labels": "sorted_two_labels_to_signed"},
            "cce": {"renormalize": True},
            "sparse_cce": {"renormalize": True},
            "dice": {"smooth": 0.0, "pooling": "batch"},
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
