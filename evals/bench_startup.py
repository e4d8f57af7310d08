"""Start-up cost: CPU seconds of `procall --help` and of a whole `procall demo`, each in a fresh process.

    python -m procall.evals.bench_startup [--runs 3]

Each command runs as a child process; its CPU time (user + system, its own children included) is the
growth of getrusage(RUSAGE_CHILDREN) across the run. The demo runs in a fresh temporary home: the
first run has no cached intent classifier and trains it ("cold"), the later ones load it ("warm").
A figure for this machine at this moment, not a test: on a loaded machine wall time grows, CPU much less.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROCALL = [sys.executable, "-m", "procall.cli.main"]  # what the `procall` script runs
TARGETS = {"help": 0.5, "demo_warm": 3.0}  # CPU seconds, issue 14


@dataclass
class Run:
    cpu_s: float
    wall_s: float


def measure(argv: list[str], env: dict[str, str] | None = None) -> Run:
    """One child process: its CPU (user + system) and wall time; stops the benchmark if the command fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, env=env)
    if done.returncode:
        raise SystemExit(f"bench_startup: `{' '.join(argv)}` failed (exit {done.returncode}); nothing measured")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(cpu, wall)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m procall.evals.bench_startup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of `--help` and of the warm demo (default 3)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    with tempfile.TemporaryDirectory(prefix="procall-bench-") as home:
        env = {**os.environ, "PROCALL_HOME": home}
        env.pop("PROCALL_CACHE_DIR", None)  # the cache goes under the fresh home: the first demo is cold
        help_runs = [measure([*PROCALL, "--help"], env) for _ in range(args.runs)]
        cold = measure([*PROCALL, "demo"], env)
        if not any(Path(home, "cache").glob("*.npz")):
            print("warning: the demo left no cached classifier; the 'warm' runs trained again", file=sys.stderr)
        warm = [measure([*PROCALL, "demo"], env) for _ in range(args.runs)]

    rows = [("procall --help", "help", help_runs), ("procall demo (cold: trains the classifier)", "demo_cold", [cold]),
            ("procall demo (warm: cached classifier)", "demo_warm", warm)]
    print(f"start-up, {args.runs} run(s) each; CPU = user + system seconds of the whole process "
          f"({' '.join(PROCALL)} ...)")
    print(f"{'command':<44} {'CPU median':>10} {'CPU min':>8} {'wall median':>11}  target")
    for label, name, runs in rows:
        cpu = statistics.median(r.cpu_s for r in runs)
        target = TARGETS.get(name)
        verdict = "" if target is None else f"< {target:g} s CPU: {'met' if cpu < target else 'MISSED'}"
        print(f"{label:<44} {cpu:>10.2f} {min(r.cpu_s for r in runs):>8.2f} "
              f"{statistics.median(r.wall_s for r in runs):>11.2f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
