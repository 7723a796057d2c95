"""What the streaming and Dask engines need before the first chunk: files and a plan.

The in-memory path decides the layout (task, classes, column roles) from the whole
table. An engine that streams cannot see the whole input first, so it decides the
plan ONCE from the head of the first file (:data:`HEAD_ROWS` rows) and then applies
that plan to every chunk of every file; a later value that does not fit the plan
(a third label of a binary target, a class with no prediction column) is an error
naming its file, line and column, raised by ``LayoutPlan.arrays``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Rows of the first file the streaming/Dask plan is decided from (task inference,
#: classes, binary labels). 100 k rows: the task-inference thresholds (AutoGluon's
#: unique-value ratios, up to 1000 classes) are decided well within it, and it reads
#: in ~30 ms.
HEAD_ROWS = 100_000


def input_paths(files: Sequence[str]) -> list[str]:
    """The files to read: a single argument's glob expanded (sorted), else as given.

    >>> input_paths(["a.csv", "b.csv"])
    ['a.csv', 'b.csv']
    """
    if len(files) != 1:
        return list(files)
    from losscli.io import expand_paths

    return expand_paths(files[0])


def plan_from_head(
    paths: Sequence[str],
    *,
    roles: Mapping[str, Any],
    layout_options: Any,
    read_options: Mapping[str, Any],
    head_rows: int = HEAD_ROWS,
) -> tuple[Any, Any]:
    """The layout plan of a streamed input, and the laid-out head it was decided from.

    Args:
        paths: the files (one-file form: each holds targets and predictions).
        roles: ``losscli.layout.resolve_roles`` keyword options (``target``,
            ``prediction``, ``weight``, ``group``, ``order``, ``group_by``, ``id_column``).
        layout_options: a ``losscli.layout.LayoutOptions``.
        read_options: ``delimiter``, ``has_header``, ``encoding``.
        head_rows: rows of the first file the plan is decided from.

    Returns:
        ``(plan, head_layout)``; the head layout serves the prediction warnings.

    Raises:
        InputError: as the in-memory path (missing columns, no rows, bad values).
    """
    from losscli.errors import InputError
    from losscli.io import iter_tables, read_header
    from losscli.layout import plan_layout, resolve_roles

    first = paths[0]
    name = "<stdin>" if first == "-" else first
    column_roles = resolve_roles([read_header(first, **read_options)], [name], **roles)
    head = next(
        iter_tables(first, columns=column_roles.needed(0), chunk_rows=head_rows, **read_options),
        None,
    )
    if head is None or head.n_rows == 0:
        raise InputError("no data rows", file=name, hint="the file has a header but no rows")
    plan = plan_layout(column_roles, [head], layout_options)
    if head.n_rows >= head_rows and layout_options.task == "auto":
        plan.notes.append(
            f"the layout (task, classes) was decided from the first {head_rows:,} rows "
            "of the first file; give --task to fix it"
        )
    return plan, plan.arrays(head)
