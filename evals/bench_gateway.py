"""How much the gateway costs per call, next to calling the backend directly.

    python -m procall.evals.bench_gateway [--calls N] [--warmup N]

Two cases, each with the same arguments on both sides:

- read: `get_order_details` of the identified customer's own order. Direct = validate the
  arguments into the input model and run the backend operation (`RetailBackend.execute`).
  Gateway = `Gateway.call` (validation, role/ownership checks, guard, breaker, a worker thread
  with a timeout, output validation, one audit row).
- rejected: a malformed order id. Direct = the input model's validation raising. Gateway =
  `Gateway.call` returning the structured error (and writing its audit row).

The two sides are measured in pairs, alternating which goes first, after a warm-up; the
overhead is the distribution of the per-pair differences (gateway minus direct), so a slow
moment of the machine hits both sides of a pair. Times are wall-clock microseconds
(`time.perf_counter_ns`), with the garbage collector on, on a fresh demo store and audit log in
a temporary folder. No fault injection.

Reading the tail: every gateway call writes an audit row, and SQLite checkpoints the audit
log's WAL (an fsync) about every 1000 pages, i.e. every few hundred calls; those calls, and the
ones that meet a garbage collection, take milliseconds. They are about 0.5-1% of calls, so the
p99 lands either just below or just above them: the count of calls over 1 ms is printed too.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from ..tools.backend.contracts import OrderRef
from ..tools.backend.stores import create_store
from ..tools.gateway.audit import AuditLog
from ..tools.gateway.context import CallContext
from ..tools.gateway.gateway import Gateway

CTX = CallContext(conversation_id="bench", customer_id="mia_castillo_1001", process="bench", step="read")
READ_ARGS = {"order_id": "#W1001001"}
BAD_ARGS = {"order_id": "W1001001"}  # no '#': refused by validation


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - start) / 1000


def measure(direct: Callable[[], object], gateway: Callable[[], object], calls: int, warmup: int) -> dict:
    for _ in range(warmup):
        direct()
        gateway()
    d, g, diff = [], [], []
    for i in range(calls):
        if i % 2:
            td, tg = timed(direct), timed(gateway)
        else:
            tg, td = timed(gateway), timed(direct)
        d.append(td)
        g.append(tg)
        diff.append(tg - td)
    return {"direct": d, "gateway": g, "overhead": diff}


def run(calls: int, warmup: int, folder: Path) -> dict[str, dict]:
    backend = create_store(folder / "store.db")
    audit = AuditLog(folder / "audit.db")
    gateway = Gateway(backend, audit)
    try:
        def direct_read():
            return backend.execute("get_order_details", OrderRef.model_validate(READ_ARGS))

        def gateway_read():
            result = gateway.call("get_order_details", READ_ARGS, CTX)
            assert result.ok, result.error
            return result

        def direct_rejected():
            try:
                OrderRef.model_validate(BAD_ARGS)
            except ValidationError as exc:
                return exc
            raise AssertionError("the bad arguments validated")

        def gateway_rejected():
            result = gateway.call("get_order_details", BAD_ARGS, CTX)
            assert result.error is not None and result.error.code == "invalid_arguments"
            return result

        # Same answer both ways, before timing anything.
        assert gateway_read().output == direct_read()
        return {
            "read: get_order_details": measure(direct_read, gateway_read, calls, warmup),
            "rejected by validation": measure(direct_rejected, gateway_rejected, calls, warmup),
        }
    finally:
        gateway.close()
        backend.close()
        audit.close()


def machine() -> str:
    return (f"{os.cpu_count()} CPUs ({platform.machine()}), {platform.python_implementation()} "
            f"{platform.python_version()}, {platform.system()} {platform.release()}, SQLite {sqlite3.sqlite_version}")


def table(results: dict[str, dict]) -> str:
    header = f"{'case':<26}{'direct µs':>20}{'gateway µs':>20}{'overhead µs':>20}"
    lines = [header, f"{'':<26}{'median / p99':>20}{'median / p99':>20}{'median / p99':>20}", "-" * len(header)]
    for case, series in results.items():
        cells = "".join(f"{statistics.median(series[k]):>11.1f} / {p99(series[k]):<6.1f}"
                        for k in ("direct", "gateway", "overhead"))
        lines.append(f"{case:<26}{cells}")
    lines.append("")
    for case, series in results.items():
        slow = sum(t > 1000 for t in series["gateway"])
        lines.append(f"{case}: {slow} of {len(series['gateway'])} gateway calls over 1 ms "
                     f"(max {max(series['gateway']):.0f} µs; direct max {max(series['direct']):.0f} µs)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m procall.evals.bench_gateway", description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="timed calls per side and case (default 2000)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed calls per side and case first (default 200)")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.warmup < 0:
        parser.error("--calls must be positive and --warmup not negative")
    with tempfile.TemporaryDirectory(prefix="procall-bench-") as folder:
        results = run(args.calls, args.warmup, Path(folder))
    print("Gateway overhead per call (procall.evals.bench_gateway)")
    print(f"machine: {machine()}")
    print(f"method: {args.calls} paired calls per case after {args.warmup} warm-up pairs; same arguments both "
          "sides; overhead = per-pair gateway - direct")
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
