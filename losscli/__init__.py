"""losscli: compute, choose and gate loss values from files of targets and predictions.

The public API (``loss``, ``catalog``, ``partial``, ``merge``, ``finish``,
``per_sample``) is imported on first use, so that ``losscli --help`` does not pay
for NumPy.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "catalog", "finish", "loss", "merge", "partial", "per_sample"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from losscli import api

        return getattr(api, name)
    raise AttributeError(f"module 'losscli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
