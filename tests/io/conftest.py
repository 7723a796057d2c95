"""Helpers for the reader tests: small files written into tmp_path."""

from __future__ import annotations

import pytest

from losscli.errors import InputError


@pytest.fixture
def write(tmp_path):
    """write(name, text_or_bytes) -> path as str."""

    def _write(name: str, content: str | bytes) -> str:
        path = tmp_path / name
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
        return str(path)

    return _write


def input_error(function, *args, **kwargs) -> InputError:
    """Call ``function`` and return the InputError it must raise."""
    with pytest.raises(InputError) as caught:
        result = function(*args, **kwargs)
        if hasattr(result, "__next__"):
            list(result)
    return caught.value


@pytest.fixture(params=["small-file reader", "polars reader"])
def both_readers(request, monkeypatch):
    """Run a test through both CSV paths: Python's csv module for files that fit in the
    header sample, and polars (with its careful-scan fallback) for everything else."""
    import losscli.io.csv_reader as csv_reader

    if request.param == "polars reader":
        monkeypatch.setattr(csv_reader, "SMALL_FILE_ROWS", 0)
    return request.param
