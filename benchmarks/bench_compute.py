"""Benchmark ``losscli compute`` against the scripts users write (issue 6, SPEC §7).

Generates the data into ``benchmarks/data/`` (gitignored), then runs each command as
a separate process, interleaved (A B C A B C ...) so that a slow moment of the
machine hits every contender alike, and reports the median wall time and the peak
resident memory of each (``os.wait4``'s ``ru_maxrss`` of that one child process).
Files are read once before timing, so every run finds them in the page cache.

Usage:
    python benchmarks/bench_compute.py            # the sizes of issue 6 (~2 GB of data)
    python benchmarks/bench_compute.py --quick    # small sizes, a smoke test
    python benchmarks/bench_compute.py --runs 7 --only regression,startup

Sections: ``regression`` (10 M rows, losscli vs pandas + scikit-learn vs polars),
``memory`` (1 M / 10 M / 30 M rows: flat peak memory), ``multiclass`` (1 M x 10
classes, sparse_cce vs the same reader only reading), ``formats`` (Parquet and
gzip CSV vs CSV), ``startup`` (``--help`` vs ``import typer``; compute on 10 rows).

Python byte-code caching: when ``PYTHONDONTWRITEBYTECODE`` is set (as in some
sandboxes), every run recompiles losscli from source; an installed package has
its ``.pyc`` files, so the benchmark unsets it for the children (pass
``--keep-env`` to measure as the environment is).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
BASELINES = HERE / "baselines"
PYTHON = sys.executable
# The command as the issue states the goals and users run it: the `losscli` script that
# `pip install` puts beside this interpreter (`python -m losscli` costs ~15 ms more, for
# runpy); the module form when the script is not there.
_SCRIPT = Path(PYTHON).with_name("losscli")
LOSSCLI = [str(_SCRIPT)] if _SCRIPT.exists() else [PYTHON, "-m", "losscli"]

FULL_SIZES = {
    "regression": 10_000_000,
    "memory": (1_000_000, 10_000_000, 30_000_000),
    "multiclass": 1_000_000,
    "classes": 10,
}
QUICK_SIZES = {
    "regression": 300_000,
    "memory": (100_000, 300_000, 900_000),
    "multiclass": 100_000,
    "classes": 10,
}


# --------------------------------------------------------------------------- data


def _regression_frame(n: int, seed: int):
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    y_true = rng.normal(size=n)
    y_pred = y_true + rng.normal(scale=0.5, size=n)
    return pl.DataFrame({"y_true": y_true, "y_pred": y_pred})


def _write_in_parts(path: Path, n: int, seed: int, part_rows: int = 5_000_000) -> None:
    """A CSV of ``n`` rows written a few million rows at a time (flat memory)."""
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as handle:
        for index, start in enumerate(range(0, n, part_rows)):
            frame = _regression_frame(min(part_rows, n - start), seed + index)
            frame.write_csv(handle, include_header=index == 0)
    os.replace(tmp, path)


def regression_csv(n: int) -> Path:
    path = DATA / f"regression_{n}.csv"
    if not path.exists():
        _write_in_parts(path, n, seed=n % 1000)
    return path


def regression_parquet(n: int) -> Path:
    import polars as pl

    path = DATA / f"regression_{n}.parquet"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        pl.scan_csv(regression_csv(n)).sink_parquet(tmp, row_group_size=1_000_000)
        os.replace(tmp, path)
    return path


def regression_gzip(n: int) -> Path:
    import gzip

    path = DATA / f"regression_{n}.csv.gz"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        with regression_csv(n).open("rb") as source, gzip.open(tmp, "wb", compresslevel=6) as out:
            shutil.copyfileobj(source, out, 1 << 22)
        os.replace(tmp, path)
    return path


def multiclass_csv(n: int, k: int) -> Path:
    import numpy as np
    import polars as pl

    path = DATA / f"multiclass_{n}x{k}.csv"
    if not path.exists():
        rng = np.random.default_rng(7)
        logits = rng.normal(size=(n, k))
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        # labels drawn from the predicted distribution: a calibrated model
        cumulative = probabilities.cumsum(axis=1)
        labels = (rng.uniform(size=(n, 1)) > cumulative).sum(axis=1).clip(0, k - 1)
        columns = {"label": labels}
        columns.update({f"p_{j}": probabilities[:, j] for j in range(k)})
        tmp = path.with_suffix(".tmp")
        pl.DataFrame(columns).write_csv(tmp)
        os.replace(tmp, path)
    return path


def ten_rows_csv() -> Path:
    path = DATA / "ten_rows.csv"
    if not path.exists():
        rows = [f"{i}.0,{i + 0.25 * (-1) ** i}" for i in range(10)]
        path.write_text("y_true,y_pred\n" + "\n".join(rows) + "\n")
    return path


def warm(path: Path) -> None:
    """Read the file once so that every timed run finds it in the page cache."""
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


# --------------------------------------------------------------------------- running


@dataclass
class Contender:
    name: str
    command: list[str]
    times: list[float] = field(default_factory=list)
    peaks_mib: list[float] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    @property
    def time(self) -> float:
        return statistics.median(self.times)

    @property
    def fastest(self) -> float:
        return min(self.times)

    @property
    def peak(self) -> float:
        return statistics.median(self.peaks_mib)


def _child_env(keep_env: bool) -> dict[str, str]:
    env = dict(os.environ)
    if not keep_env:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("POLARS_SKIP_CPU_CHECK", "1")
    return env


TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and stdout of one run of ``command``.

    The peak comes from GNU ``/usr/bin/time -f %M`` when present: a child's
    ``ru_maxrss`` from ``wait4`` also counts the memory of this (parent) process
    copied at fork time, which would hide small peaks behind the parent's own.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak"
        wrapped = [TIME, "-f", "%M", "-o", str(peak_file), *command] if TIME else command
        out_file, err_file = Path(tmp) / "out", Path(tmp) / "err"
        with out_file.open("wb") as out, err_file.open("wb") as err:
            start = time.perf_counter()
            process = subprocess.Popen(wrapped, stdout=out, stderr=err, env=env, cwd=HERE.parent)
            _, status, usage = os.wait4(process.pid, 0)
            elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        stdout, stderr = out_file.read_text(), err_file.read_text()
        if code != 0:
            raise RuntimeError(f"{' '.join(command)} exited {code}: {stderr[-2000:]}")
        peak_kib = float(peak_file.read_text().split()[-1]) if TIME else usage.ru_maxrss
    return elapsed, peak_kib / 1024.0, stdout


def interleave(contenders: list[Contender], runs: int, env: dict[str, str]) -> None:
    for contender in contenders:  # one untimed run each: caches, .pyc files
        run_once(contender.command, env)
    for _ in range(runs):
        for contender in contenders:
            seconds, peak, output = run_once(contender.command, env)
            contender.times.append(seconds)
            contender.peaks_mib.append(peak)
            contender.outputs.append(output)


def table(title: str, contenders: list[Contender]) -> str:
    lines = [
        f"\n## {title}",
        "",
        "| command | median s | min s | runs (s) | peak MiB |",
        "|---|---:|---:|---|---:|",
    ]
    for c in contenders:
        runs = " ".join(f"{t:.2f}" for t in c.times)
        lines.append(f"| `{c.name}` | {c.time:.3f} | {c.fastest:.3f} | {runs} | {c.peak:.0f} |")
    return "\n".join(lines)


def ratio(a: Contender, b: Contender) -> str:
    """``a / b`` by medians and by fastest runs (the least disturbed on a busy machine)."""
    return f"**{a.time / b.time:.2f}x** (fastest runs: {a.fastest / b.fastest:.2f}x)"


def compute_command(path: Path, *losses: str, extra: tuple[str, ...] = ()) -> list[str]:
    command = [*LOSSCLI, "compute", str(path)]
    for loss in losses:
        command += ["-l", loss]
    return [*command, "--format", "json", *extra]


# --------------------------------------------------------------------------- sections


def section_regression(sizes, runs, env, report) -> None:
    n = sizes["regression"]
    path = regression_csv(n)
    warm(path)
    losscli = Contender(
        "losscli compute -l mse -l mae -l huber", compute_command(path, "mse", "mae", "huber")
    )
    pandas = Contender(
        "pandas + scikit-learn", [PYTHON, str(BASELINES / "pandas_sklearn.py"), str(path)]
    )
    polars = Contender("polars lazy", [PYTHON, str(BASELINES / "polars_lazy.py"), str(path)])
    floor = Contender(
        "polars lazy after import typer, numpy",
        [PYTHON, str(BASELINES / "cli_floor.py"), "polars_lazy.py", str(path)],
    )
    interleave([losscli, pandas, polars, floor], runs, env)
    report.append(
        table(
            f"Regression, {n:,} rows x 2 columns, {path.stat().st_size / 2**20:.0f} MiB CSV",
            [losscli, pandas, polars, floor],
        )
    )
    values = json.loads(losscli.outputs[-1])["losses"]
    reference = json.loads(pandas.outputs[-1])
    agree = max(abs(values[k]["value"] - reference[k]) / abs(reference[k]) for k in reference)
    report.append(
        f"\n- losscli / polars = {ratio(losscli, polars)} (goal <= 1.0x)"
        f"\n- floor of that ratio for a Typer + NumPy tool (the polars script after "
        f"`import typer, numpy`) = {ratio(floor, polars)}"
        f"\n- losscli / pandas + scikit-learn = {ratio(losscli, pandas)} (goal <= 0.4x)"
        f"\n- peak memory: losscli {losscli.peak:.0f} MiB (goal <= 400), polars {polars.peak:.0f}, "
        f"pandas {pandas.peak:.0f}"
        f"\n- largest relative difference of the three values to the pandas script: {agree:.1e}"
    )


def section_memory(sizes, runs, env, report) -> None:
    contenders = []
    for n in sizes["memory"]:
        path = regression_csv(n)
        warm(path)
        contenders.append(
            Contender(f"losscli compute, {n:,} rows", compute_command(path, "mse", "mae", "huber"))
        )
    interleave(contenders, max(1, runs // 2), env)
    report.append(table("Peak memory as the file grows (mse, mae, huber)", contenders))
    peaks = [c.peak for c in contenders]
    report.append(
        f"\n- peak MiB {' / '.join(f'{p:.0f}' for p in peaks)}: largest / smallest = "
        f"**{max(peaks) / min(peaks):.2f}x** over a {sizes['memory'][-1] // sizes['memory'][0]}x "
        "larger file (flat means ~1x once streaming; goal <= 400 MiB)"
    )


def section_multiclass(sizes, runs, env, report) -> None:
    n, k = sizes["multiclass"], sizes["classes"]
    path = multiclass_csv(n, k)
    warm(path)
    losscli = Contender(
        f"losscli compute -l sparse_cce ({k} classes)", compute_command(path, "sparse_cce")
    )
    reader = Contender(
        "the same reader, reading only", [PYTHON, str(BASELINES / "read_only.py"), str(path)]
    )
    floor = Contender(
        "reading only, after import typer, numpy",
        [PYTHON, str(BASELINES / "cli_floor.py"), "read_only.py", str(path)],
    )
    interleave([losscli, reader, floor], runs, env)
    report.append(
        table(
            f"Multiclass, {n:,} rows x {k} probability columns, "
            f"{path.stat().st_size / 2**20:.0f} MiB CSV",
            [losscli, reader, floor],
        )
    )
    report.append(
        f"\n- sparse_cce / read only = {ratio(losscli, reader)} (goal <= 1.2x)"
        f"\n- the Typer import alone (reading only, after `import typer, numpy`) = "
        f"{ratio(floor, reader)}"
    )


def section_formats(sizes, runs, env, report) -> None:
    n = sizes["regression"]
    csv, parquet, gz = regression_csv(n), regression_parquet(n), regression_gzip(n)
    for path in (csv, parquet, gz):
        warm(path)
    contenders = [
        Contender(f"losscli compute {p.name}", compute_command(p, "mse", "mae", "huber"))
        for p in (csv, parquet, gz)
    ]
    interleave(contenders, runs, env)
    report.append(table("Formats (same rows)", contenders))
    report.append(
        f"\n- Parquet / CSV = {ratio(contenders[1], contenders[0])} (goal <= 1.0x)"
        f"\n- gzip CSV peak {contenders[2].peak:.0f} MiB vs {gz.stat().st_size / 2**20:.0f} MiB "
        f"compressed / {csv.stat().st_size / 2**20:.0f} MiB inflated (streamed when it stays flat)"
    )


def section_startup(sizes, runs, env, report) -> None:
    ten = ten_rows_csv()
    contenders = [
        Contender("python -c 'import typer'", [PYTHON, "-c", "import typer"]),
        Contender("losscli --help", [*LOSSCLI, "--help"]),
        Contender("losscli compute ten_rows.csv -l mse", compute_command(ten, "mse")),
    ]
    interleave(contenders, max(runs, 5), env)
    report.append(table("Start-up", contenders))
    report.append(
        f"\n- `--help` / `import typer` = {ratio(contenders[1], contenders[0])} (goal <= 2x)"
        f"\n- compute on 10 rows = **{contenders[2].time:.3f} s** (fastest "
        f"{contenders[2].fastest:.3f} s; goal <= 0.35 s)"
    )


SECTIONS = {
    "regression": section_regression,
    "memory": section_memory,
    "multiclass": section_multiclass,
    "formats": section_formats,
    "startup": section_startup,
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        total_kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {total_kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    import numpy
    import polars

    return (
        f"{cpu}, {cores} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, NumPy {numpy.__version__}, "
        f"polars {polars.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma list of sections")
    parser.add_argument("--keep-env", action="store_true", help="keep PYTHONDONTWRITEBYTECODE")
    parser.add_argument("--output", type=Path, help="also write the Markdown report here")
    args = parser.parse_args()
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    DATA.mkdir(parents=True, exist_ok=True)
    env = _child_env(args.keep_env)
    report = [
        f"# losscli benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"- machine: {machine()}",
        f"- command: `python benchmarks/bench_compute.py {' '.join(sys.argv[1:])}`",
        f"- {args.runs} timed runs per command, interleaved, after one untimed run; "
        "medians and fastest runs",
        f"- load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]
    print("\n".join(report), flush=True)
    for name in args.only.split(","):
        started = time.perf_counter()
        before = len(report)
        try:
            SECTIONS[name](sizes, args.runs, env, report)
        except RuntimeError as error:  # one failing command must not lose the other sections
            report.append(f"\n## {name}: FAILED\n\n    {error}")
        print("\n".join(report[before:]), flush=True)
        print(f"[{name} done in {time.perf_counter() - started:.0f} s]", file=sys.stderr)
    report.append(f"\n- load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(report[-1])
    if args.output:
        args.output.write_text("\n".join(report) + "\n")


if __name__ == "__main__":
    main()
