"""Column selection: names, comma lists and globs, resolved against a file's header."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence

from losscli.errors import InputError

GLOB_CHARACTERS = "*?["
# How many available names an error message lists before "…" (keeps it one readable line).
MAX_LISTED = 30


def select_columns(available: Sequence[str], spec: str | Sequence[str], *, file: str) -> list[str]:
    """The columns of ``available`` that ``spec`` names, in the order ``spec`` gives them.

    ``spec`` is a name, a comma list ``"a,b"``, a glob ``"p_*"`` (matches keep file order),
    or a sequence of those. An exact name wins over splitting at commas, so a column
    literally called ``"a,b"`` can still be chosen. Duplicates are dropped.

    Raises:
        InputError: a name or pattern that matches nothing; the message lists the
            available columns (and suggests --delimiter when the header looks unsplit).

    >>> select_columns(["id", "y", "p_cat", "p_dog"], "p_*", file="f.csv")
    ['p_cat', 'p_dog']
    >>> select_columns(["id", "y", "p_cat", "p_dog"], "y,id", file="f.csv")
    ['y', 'id']
    """
    items = [spec] if isinstance(spec, str) else list(spec)
    chosen: list[str] = []
    for item in items:
        for part in _parts(item, available):
            for name in _match(part, available, file):
                if name not in chosen:
                    chosen.append(name)
    return chosen


def _parts(item: str, available: Sequence[str]) -> list[str]:
    if item in available:
        return [item]
    return [part.strip() for part in item.split(",") if part.strip()] or [item]


def _match(part: str, available: Sequence[str], file: str) -> list[str]:
    if part in available:
        return [part]
    if any(character in part for character in GLOB_CHARACTERS):
        matches = [name for name in available if fnmatch.fnmatchcase(name, part)]
        if matches:
            return matches
        raise unknown_column_error(part, available, file=file, pattern=True)
    raise unknown_column_error(part, available, file=file)


_PANDAS_INDEX = re.compile(r"__index_level_\d+__")


def unknown_column_error(
    name: str, available: Sequence[str], *, file: str | None, pattern: bool = False
) -> InputError:
    """The InputError for a column that is not there, listing the ones that are (but not
    the index pandas writes into Parquet, ``__index_level_0__``, which takes no role)."""
    available = [n for n in available if not _PANDAS_INDEX.fullmatch(n)]
    listed = ", ".join(repr(n) for n in list(available)[:MAX_LISTED])
    if len(available) > MAX_LISTED:
        listed += f", … ({len(available)} in all)"
    what = "no column matches the pattern" if pattern else "no column named"
    hint = None
    from losscli.io.careful_scan import guess_delimiter

    if len(available) == 1:
        guess = guess_delimiter(available[0], exclude=",")
        if guess is not None:
            hint = (
                f"the header was read as one column; is the delimiter {guess!r}? "
                f"use --delimiter {guess!r}"
            )
    if hint is None:
        close = [n for n in available if n.lower() == name.lower()]
        if close:
            hint = f"names are case-sensitive: did you mean {close[0]!r}?"
        elif all(n.isdigit() for n in available):
            hint = "the file was read without a header, so columns are named by position"
    return InputError(f"{what} {name!r}; available columns: {listed}", file=file, hint=hint)
