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
