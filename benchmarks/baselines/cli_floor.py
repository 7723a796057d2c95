"""Not a script users write: another baseline script, run after ``import typer, numpy``.

Every command-line tool built on Typer and NumPy pays these imports before its first row.
So ``cli_floor.py polars_lazy.py FILE`` over ``polars_lazy.py FILE`` is the lowest
``losscli / polars`` ratio such a tool can reach: to go lower, its own work would have to
beat polars' best query over the same file. ``cli_floor.py read_only.py FILE`` is, in the
same way, the floor of the multiclass ratio.

Usage: python cli_floor.py SCRIPT FILE [ARGS...]   (SCRIPT: a file of this folder)
"""

import runpy
import sys
from pathlib import Path

import numpy  # noqa: F401
import typer  # noqa: F401

script = Path(__file__).with_name(sys.argv[1])
sys.argv = [str(script), *sys.argv[2:]]
runpy.run_path(str(script), run_name="__main__")
