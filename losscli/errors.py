"""The error types losscli raises, and the exit code each one maps to.

Everything a user can fix (a bad file, a bad value, a bad parameter) is a
:class:`LossCliError`; the CLI prints its one-line message and exits with its
``exit_code``. Anything else that escapes is an internal error (exit 70).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE from BSD sysexits.h
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout went away (| head -1)


class LossCliError(ValueError):
    """A problem the user can fix; the message is one line and says how."""

    exit_code = EXIT_USAGE

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: str | None = None,
        hint: str | None = None,
        row: int | None = None,
        argument: str | None = None,
        output: int | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.hint = hint
        # Where a loss found the problem: the 0-based index into its arrays and the
        # argument ("y_true", "y_pred", "sample_weight", "groups"). The CLI maps them to a
        # file line and column (:meth:`located`); the library message keeps "at row N".
        self.row = row
        self.argument = argument
        # For an (n, k) argument: the 0-based output (column) of the value at ``row``.
        self.output = output
        super().__init__(self.one_line())

    def located(self, *, file: str | None, line: int | None, column: str | None) -> LossCliError:
        """A copy that names the file, line and column instead of the array row."""
        message = self.message
        if self.row is not None and line is not None:
            message = message.replace(f" at row {self.row}", "", 1)
        located = type(self)(
            message,
            file=file if file is not None else self.file,
            line=line if line is not None else self.line,
            column=column if column is not None else self.column,
            hint=self.hint,
        )
        return located

    def one_line(self) -> str:
        """``file: line N: column 'c': message (hint)`` with the parts that are known."""
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.line is not None:
            # Parquet has no lines: its tables count data rows from 1 (Table.first_line).
            parquet = str(self.file).lower().endswith((".parquet", ".pq", ".parq"))
            where.append(f"{'row' if parquet else 'line'} {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ": ".join([*where, self.message]) if where else self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return " ".join(text.split("\n"))


class ParameterError(LossCliError):
    """An unknown loss, an unknown parameter, or a parameter outside its range."""


class ShapeError(LossCliError):
    """Arrays whose shapes do not fit the loss's layout."""


class InputError(LossCliError):
    """Bad data: unreadable or malformed files, values a loss cannot take."""


class CheckFailed(Exception):
    """A ``--fail-if`` or ``--fail-if-worse`` check failed (exit code 1)."""

    exit_code = EXIT_CHECK_FAILED
