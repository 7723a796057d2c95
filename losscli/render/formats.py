"""Writers shared by every command: JSON, CSV and Markdown text, and atomic file writes.

Machine formats are stable and never pass through Rich: JSON floats are written
with Python's shortest round-trip ``repr`` (full precision), non-finite floats
become ``null`` (JSON has no NaN), and files are written whole or not at all
(a temporary file in the same directory, then :func:`os.replace`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from losscli.errors import InputError

#: Characters that mean something in GitHub-flavoured Markdown (or HTML inside it).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def write_report(
    report: Mapping[str, Any],
    output_format: str,
    *,
    tables: Callable[[Mapping[str, Any]], Iterable[Any]],
    csv_report: Callable[[Mapping[str, Any]], str],
    markdown: Callable[[Mapping[str, Any]], str],
) -> None:
    """Write a command's report to stdout: Rich renderables for ``table``, else the text
    of ``json``, ``csv`` or ``markdown`` (machine formats never pass through Rich)."""
    import sys

    if output_format == "table":
        from losscli.render.console import stdout_console

        console = stdout_console()
        for renderable in tables(report):
            console.print(renderable)
        return
    if output_format == "json":
        text = json_text(report)
    elif output_format == "csv":
        text = csv_report(report)
    else:
        text = markdown(report)
    sys.stdout.write(text)
    sys.stdout.flush()


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types: NumPy scalars and arrays, tuples, non-finite floats."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    # NumPy scalars and arrays, without importing NumPy here.
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    if hasattr(value, "item"):
        return jsonable(value.item())
    return str(value)


def json_text(document: Any) -> str:
    """``document`` as indented JSON with full-precision floats, ending in a newline."""
    return json.dumps(jsonable(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def float_text(value: Any) -> str:
    """A float at full precision for CSV (shortest round-trip repr); empty for None/NaN."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("" if math.isnan(value) else repr(value))
    return str(value)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """RFC 4180 CSV (``\\n`` line ends); floats at full precision."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([float_text(v) for v in row])
    return buffer.getvalue()


def short_float(value: Any, digits: int = 6) -> str:
    """A float for people: ``digits`` significant digits (tables, Markdown)."""
    if value is None:
        return "—"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.{digits}g}"
    return str(value)


def markdown_escape(text: Any) -> str:
    """``text`` safe inside a Markdown table cell: special characters backslash-escaped,
    line breaks and control characters removed, so data can never add markup or cells."""
    flat = _CONTROL.sub(" ", str(text))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table; cells are escaped with :func:`markdown_escape`
    unless they are already Markdown (wrap them in :class:`Markdown`)."""
    lines = [
        "| " + " | ".join(_cell(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def csv_column(values: Any) -> Any:
    """A NumPy array of text as CSV fields (RFC 4180 quoting where needed), vectorised."""
    import numpy as np

    text = np.asarray(values).astype(str)
    if text.size == 0:
        return text
    special = (
        (np.char.find(text, ",") >= 0)
        | (np.char.find(text, '"') >= 0)
        | (np.char.find(text, "\n") >= 0)
        | (np.char.find(text, "\r") >= 0)
    )
    if special.any():
        quoted = np.char.add(np.char.add('"', np.char.replace(text[special], '"', '""')), '"')
        text = text.astype(object)
        text[special] = quoted
        text = text.astype(str)
    return text


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


class Markdown(str):
    """Text that is already Markdown (not escaped again by :func:`markdown_table`)."""


def _cell(value: Any) -> str:
    if isinstance(value, Markdown):
        return str(value)
    if value is None or isinstance(value, float):
        return short_float(value)
    return markdown_escape(value)


def write_atomic(path: str | os.PathLike[str], text: str | bytes | Iterable[str]) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file, then a rename.

    ``text`` may be an iterable of str pieces, written one after the other (large
    outputs need not be held in memory as one string).

    Raises:
        InputError: the directory does not exist or cannot be written.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    pieces: Iterable[str | bytes] = [text] if isinstance(text, (str, bytes)) else text
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=directory
        )
    except OSError as error:
        raise InputError(
            f"cannot write the file: {error.strerror or error}", file=str(path)
        ) from None
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(handle, "wb") as stream:
            for piece in pieces:
                stream.write(piece.encode("utf-8") if isinstance(piece, str) else piece)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise InputError(
            f"cannot write the file: {error.strerror or error}", file=str(path)
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
