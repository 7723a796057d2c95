"""From table columns to the arrays a loss takes: column roles, then a layout plan.

Two steps, so that a stream of chunks is laid out identically chunk after chunk:

1. :func:`resolve_roles` decides from the file headers which columns are targets,
   predictions, weights, ids, groups, orders and slices (``--target`` … or the
   default names of SPEC §3).
2. :func:`plan_layout` decides ONCE, from the first rows, everything that must not
   change between chunks: the task (SPEC §5, :mod:`losscli.inference`), the classes and
   their order, the binary positive label, which prediction column is which class
   (by name, ``dog``/``p_dog``, or by position for integer labels), one-hot versus
   sparse targets and the box format. :meth:`LayoutPlan.arrays` then turns any chunk
   (one table per input file, rows aligned) into a :class:`Layout` of NumPy arrays,
   and names the file, line and column of anything that does not fit the plan.

The streaming and Dask engines call ``plan.arrays(chunk)`` on every chunk and merge
the loss states (:mod:`losscli.evaluation`); the in-memory path is the one-chunk case.
"""

from losscli.layout.arrays import (
    ROW_SUM_TOLERANCE,
    Layout,
    LayoutOptions,
    LayoutPlan,
)
from losscli.layout.labels import (
    CLASS_PREFIXES,
    TARGET_CLASS_PREFIXES,
    TableLike,
    class_name,
    factorize,
    label_key,
    target_class_name,
)
from losscli.layout.planning import plan_layout, prediction_warnings
from losscli.layout.roles import (
    PREDICTION_NAMES,
    PREDICTION_PREFIXES,
    TARGET_NAMES,
    TARGET_PREFIXES,
    ColumnRef,
    Roles,
    read_inputs,
    resolve_roles,
)
from losscli.losses.detection import BOX_FORMATS
from losscli.registry import TASKS

__all__ = [
    "BOX_FORMATS",
    "CLASS_PREFIXES",
    "PREDICTION_NAMES",
    "PREDICTION_PREFIXES",
    "ROW_SUM_TOLERANCE",
    "TARGET_CLASS_PREFIXES",
    "TARGET_NAMES",
    "TARGET_PREFIXES",
    "TASKS",
    "ColumnRef",
    "Layout",
    "LayoutOptions",
    "LayoutPlan",
    "Roles",
    "TableLike",
    "class_name",
    "factorize",
    "label_key",
    "plan_layout",
    "prediction_warnings",
    "read_inputs",
    "resolve_roles",
    "target_class_name",
]
