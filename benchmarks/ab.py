"""Interleaved A/B timing of whole commands: wall time, CPU time and peak memory.

For before/after comparisons on a shared machine: every command runs as its own
process, the commands alternate (A B C A B C ...) after one untimed round, and the
report gives the median and fastest wall time, the median and fastest CPU time
(user + system of the child, which other processes disturb far less than wall time)
and the peak resident memory (``ru_maxrss``).

Each spec is ``LABEL::ENV::COMMAND``: ENV is empty or ``NAME=VALUE[,NAME=VALUE]``;
COMMAND runs through the shell. To compare two versions of losscli, export each one
(``git archive COMMIT losscli | tar -x -C /tmp/before``) and put it first on
``PYTHONPATH`` (run from a directory that has no ``losscli`` package in it)::

    cd /tmp && python /work/main/benchmarks/ab.py 5 \\
      "before::PYTHONPATH=/tmp/before::python -m losscli compute F.csv -l mse" \\
      "after::PYTHONPATH=/tmp/after::python -m losscli compute F.csv -l mse"

``PYTHONDONTWRITEBYTECODE`` is removed from the children's environment (as in
bench_compute.py: an installed package has its byte code).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    if len(argv) < 2 or not argv[0].isdigit():
        print(__doc__)
        return 2
    runs = int(argv[0])
    specs = []
    for spec in argv[1:]:
        label, env_text, command = spec.split("::", 2)
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for pair in filter(None, env_text.split(",")):
            name, value = pair.split("=", 1)
            env[name] = value
        specs.append((label, env, command))
    wall: dict[str, list[float]] = {label: [] for label, _, _ in specs}
    cpu: dict[str, list[float]] = {label: [] for label, _, _ in specs}
    peak = dict.fromkeys(wall, 0)
    for round_index in range(runs + 1):
        for label, env, command in specs:
            start = time.perf_counter()
            child = subprocess.Popen(
                command, shell=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            _, status, usage = os.wait4(child.pid, 0)
            elapsed = time.perf_counter() - start
            if status:
                print(f"{label}: exit status {status}", file=sys.stderr)
            if round_index:  # the first round only warms the page cache
                wall[label].append(elapsed)
                cpu[label].append(usage.ru_utime + usage.ru_stime)
                peak[label] = max(peak[label], usage.ru_maxrss // 1024)
    for label in wall:
        w, c = wall[label], cpu[label]
        print(
            f"{label:28s} wall median {statistics.median(w):.3f} min {min(w):.3f}  "
            f"cpu median {statistics.median(c):.3f} min {min(c):.3f}  peak {peak[label]} MiB  "
            f"runs {' '.join(f'{x:.2f}' for x in w)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
