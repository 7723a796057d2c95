"""Where the bytes come from: path checks, standard input, compression, encodings, globs.

Every reader starts with :func:`resolve`, which turns what the user typed into a
:class:`Source` (or an :class:`~losscli.errors.InputError` that says what is wrong with the
path), and reads the data through :func:`open_utf8`, a binary stream of UTF-8 bytes whatever
the compression and encoding of the file were. Decompression and transcoding are streamed,
so a large ``.csv.gz`` never has to be inflated in memory.
"""

from __future__ import annotations

import atexit
import bz2
import codecs
import contextlib
import glob
import gzip
import io
import lzma
import os
import shutil
import sys
import tempfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from losscli.errors import InputError

STDIN = "-"
STDIN_NAME = "<stdin>"

COMPRESSION_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz", ".lzma": "xz"}
# The magic numbers of the same formats (RFC 1952, the bzip2 and xz file formats), used for
# standard input and for files whose name does not say.
COMPRESSION_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz"}
PARQUET_SUFFIXES = (".parquet", ".pq")
PARQUET_MAGIC = b"PAR1"
TAB_SUFFIXES = (".tsv", ".tab")
# Read size for streaming decompression/transcoding: large enough that Python overhead is
# negligible, small enough that memory stays flat.
READ_BLOCK = 1 << 22

_CORRUPT_ERRORS = (EOFError, OSError, zlib.error, lzma.LZMAError)
_stdin_copy: tuple[object, str] | None = None  # (the sys.stdin copied, the copy's path)


@dataclass(frozen=True)
class Source:
    """A checked, readable input.

    Attributes:
        name: the path as given, ``"<stdin>"`` for ``-``; used in messages.
        path: a readable file on disk (for standard input, a private copy of it).
        format: ``"csv"`` or ``"parquet"``.
        compression: ``"gzip"``, ``"bz2"``, ``"xz"`` or ``None``.
        delimiter: the CSV field delimiter (one character).
        encoding: the normalised codec name (``"utf-8"`` needs no transcoding).
    """

    name: str
    path: str
    format: str
    compression: str | None
    delimiter: str
    encoding: str

    @property
    def transcode(self) -> bool:
        """Whether bytes must be decoded and re-encoded to reach UTF-8."""
        return self.encoding not in ("utf-8", "utf-8-sig")


def resolve(path: str | os.PathLike, *, delimiter: str | None = None, encoding: str = "utf-8"):
    """Check ``path`` and work out its format, compression and delimiter.

    Raises:
        InputError: the file is missing, a directory, unreadable or empty, or the delimiter
            or encoding option is not usable.
    """
    text = os.fspath(path)
    if text == STDIN:
        name, real = STDIN_NAME, _copy_stdin()
    else:
        name, real = text, text
        _check_file(real)
    codec = _check_encoding(encoding, name)
    lowered = text.lower()
    compression = next(
        (kind for suffix, kind in COMPRESSION_SUFFIXES.items() if lowered.endswith(suffix)), None
    )
    stem = lowered
    if compression is not None:
        stem = lowered[: lowered.rfind(".")]
    head = _head(real, name)
    if not head:
        raise InputError("the file is empty", file=name, hint="expected a header and data rows")
    if compression is None:
        compression = next(
            (k for magic, k in COMPRESSION_MAGIC.items() if head.startswith(magic)), None
        )
    fmt = "parquet" if stem.endswith(PARQUET_SUFFIXES) or head.startswith(PARQUET_MAGIC) else "csv"
    if delimiter is None:
        delimiter = "\t" if stem.endswith(TAB_SUFFIXES) else ","
    return Source(name, real, fmt, compression, _check_delimiter(delimiter), codec)


def _check_file(path: str) -> None:
    if not os.path.exists(path):
        raise InputError("no such file", file=path, hint="check the path and the current directory")
    if os.path.isdir(path):
        raise InputError("is a directory, not a file", file=path, hint="name a CSV or Parquet file")
    if not os.access(path, os.R_OK):
        raise InputError("permission denied: the file is not readable", file=path)


def _head(path: str, name: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(8)
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror or error}", file=name) from None


def _check_encoding(encoding: str, name: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(
            f"unknown encoding {encoding!r}", file=name, hint="try --encoding utf-8 or latin-1"
        ) from None


def _check_delimiter(delimiter: str) -> str:
    aliases = {"\\t": "\t", "tab": "\t", "TAB": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    delimiter = aliases.get(delimiter, delimiter)
    if len(delimiter) != 1 or delimiter in '\r\n"':
        raise InputError(
            f"--delimiter must be one character (not a quote or newline), got {delimiter!r}",
            hint="for tab use --delimiter '\\t'",
        )
    return delimiter


def _copy_stdin() -> str:
    """Copy standard input to a private temporary file once, so that it can be read twice
    (header, then data) and scanned again to locate an error. Memory stays flat.

    The copy belongs to the current ``sys.stdin`` object: when that is replaced (a test
    runner invoking the CLI again in the same process), the next read copies the new one.
    """
    global _stdin_copy
    if _stdin_copy is not None and _stdin_copy[0] is sys.stdin:
        return _stdin_copy[1]
    _remove_stdin_copy()
    stream = sys.stdin
    with tempfile.NamedTemporaryFile(prefix="losscli-stdin-", delete=False) as handle:
        binary = getattr(stream, "buffer", None)
        if binary is not None:
            shutil.copyfileobj(binary, handle, READ_BLOCK)
        else:  # a text-only stream (io.StringIO): its text, as UTF-8
            while chunk := stream.read(READ_BLOCK):
                handle.write(chunk.encode("utf-8"))
    _stdin_copy = (stream, handle.name)
    return handle.name


@atexit.register
def _remove_stdin_copy() -> None:
    global _stdin_copy
    if _stdin_copy is not None:
        with contextlib.suppress(OSError):
            os.unlink(_stdin_copy[1])
        _stdin_copy = None


_OPENERS = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open, None: open}


def open_raw(source: Source) -> BinaryIO:
    """The decompressed bytes of ``source`` as a binary stream (decompression streams).
    The caller closes it."""
    stream: BinaryIO = _OPENERS[source.compression](source.path, "rb")
    return _GuardedStream(stream, source) if source.compression else stream


def open_utf8(source: Source) -> BinaryIO:
    """The data of ``source`` as a binary stream of UTF-8 bytes (decompressed, transcoded)."""
    raw = open_raw(source)
    if not source.transcode:
        return raw
    return _Transcoder(raw, source)


class _GuardedStream(io.RawIOBase):
    """Wraps a decompressing stream so that corrupt data becomes an InputError that says
    how far the good data went, instead of a zlib/lzma/EOF exception."""

    def __init__(self, stream: BinaryIO, source: Source) -> None:
        self._stream = stream
        self._source = source
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._stream.read(size)
        except _CORRUPT_ERRORS as error:
            raise corrupt_error(self._source, error, self._offset) from None
        self._offset += len(data)
        return data

    def close(self) -> None:
        self._stream.close()
        super().close()


class _Transcoder(io.RawIOBase):
    """Decodes ``source.encoding`` incrementally and re-encodes as UTF-8, so that the fast
    reader (UTF-8 only) can read any encoding without loading the file."""

    def __init__(self, stream: BinaryIO, source: Source) -> None:
        self._stream = stream
        self._source = source
        self._decoder = codecs.getincrementaldecoder(source.encoding)("strict")
        self._pending = b""
        self._lines_before = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._pending) < size):
            raw = self._stream.read(READ_BLOCK)
            final = not raw
            try:
                text = self._decoder.decode(raw, final=final)
            except UnicodeDecodeError as error:
                raise decode_error(
                    self._source, raw, error.start, self._lines_before, self._source.encoding
                ) from None
            self._lines_before += raw.count(b"\n")
            self._pending += text.encode("utf-8")
            self._done = final
        if size < 0:
            data, self._pending = self._pending, b""
        else:
            data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def close(self) -> None:
        self._stream.close()
        super().close()


def corrupt_error(source: Source, error: BaseException, offset: int | None = None) -> InputError:
    """The InputError for a corrupt or truncated compressed file (``offset``: how many
    bytes decompressed fine)."""
    kind = source.compression or "compressed"
    detail = str(error) or type(error).__name__
    where = f" after {offset:,} good bytes" if offset else ""
    return InputError(
        f"corrupt or truncated {kind} data{where} ({detail})",
        file=source.name,
        hint="check the download or re-compress the file",
    )


def decode_error(
    source: Source, block: bytes, offset: int, lines_before: int, encoding: str
) -> InputError:
    """The InputError for bytes at ``block[offset]`` that ``encoding`` cannot decode:
    names the line and, when the header can be read, the column."""
    line_start = block.rfind(b"\n", 0, offset) + 1
    line = lines_before + block.count(b"\n", 0, line_start) + 1
    before = block[line_start:offset].decode(encoding, errors="replace")
    field_index = before.count(source.delimiter)
    column = None
    with contextlib.suppress(Exception), open_raw(source) as stream:
        # Only the header line, decoded leniently: the strict decode is what failed.
        import csv

        first = stream.readline().decode(encoding, errors="replace").lstrip("\ufeff")
        header = next(csv.reader([first], delimiter=source.delimiter))
        if line > 1 and 0 <= field_index < len(header):
            column = header[field_index]
    bad = block[offset : offset + 4]
    suggestion = "latin-1" if encoding.startswith("utf") else "utf-8"
    return InputError(
        f"bytes {bad!r} cannot be decoded as {encoding}",
        file=source.name,
        line=line,
        column=column,
        hint=f"give the file's encoding, e.g. --encoding {suggestion}",
    )


def polars_failures() -> tuple[type[BaseException], ...]:
    """What a polars call can raise on bad input: any Exception, and the Rust panic that
    pyo3 turns into a BaseException (it must become an InputError too, not a traceback)."""
    import polars as pl

    panic = getattr(pl.exceptions, "PanicException", None)
    return (Exception,) if panic is None else (Exception, panic)


def expand_paths(pattern: str) -> list[str]:
    """The files a glob pattern matches, sorted; a plain path (or ``-``) is returned as is.

    Raises:
        InputError: the pattern matches no file.
    """
    if pattern == STDIN or not glob.has_magic(pattern):
        return [pattern]
    matches = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
    if not matches:
        raise InputError(f"no file matches the pattern {pattern!r}", hint="check the glob")
    return matches


# Typical compression ratios of numeric CSV (measured on the benchmark data: gzip ~2.4x,
# bz2 ~3.3x, xz ~4x); rounded up so that an estimate errs towards streaming.
_RATIO_ESTIMATE = {"gzip": 4, "bz2": 5, "xz": 6}


def file_size(path: str | os.PathLike) -> int | None:
    """An estimate of the decompressed size in bytes, for choosing streaming over in-memory.

    ``None`` for standard input (its size is unknown until read) and for paths that cannot
    be checked (the reader will report why). For compressed files the on-disk size times a
    typical ratio, or gzip's stored size (ISIZE, the size mod 2**32) when that is larger.
    """
    text = os.fspath(path)
    if text == STDIN:
        return None
    try:
        size = os.path.getsize(text)
    except OSError:
        return None
    lowered = text.lower()
    kind = next((k for suffix, k in COMPRESSION_SUFFIXES.items() if lowered.endswith(suffix)), None)
    if kind is None:
        return size
    estimate = size * _RATIO_ESTIMATE[kind]
    if kind == "gzip" and size >= 18:
        with contextlib.suppress(OSError), open(text, "rb") as handle:
            handle.seek(-4, os.SEEK_END)
            estimate = max(estimate, int.from_bytes(handle.read(4), "little"))
    return estimate
