"""Issuer and verifier under bounded load at the same time, on loopback: errors, p99, memory.

    .venv/bin/python -m bench.combined_load                          # 180 s, SQLite, table
    .venv/bin/python -m bench.combined_load --db postgres --json     # PostgreSQL 127.0.0.1/test
    .venv/bin/python -m bench.combined_load --seconds 6 --users 2    # a smoke run

1. **Stack** (:mod:`bench.combined_stack`): a fresh issuer database (a SQLite file, or a schema
   of its own in PostgreSQL, dropped afterwards), the ``permit serve all`` configuration
   (encrypted key ring, signed trust list), supervisor officers with password and TOTP, a
   landlord verifier account; issuer and verifier as separate uvicorn processes on free
   loopback ports. The verifier fetches status lists from the issuer, as in production, and
   keeps its replay cache in Redis when Redis answers (``--replay-cache``; in memory otherwise).
2. **Setup checks**: a few permits go through the real issuance flow over HTTP; their
   credentials (and holder keys) are the verifier users' pool, checked valid once each.
3. **Load**: locust, headless, as a subprocess (gevent must never patch this process), with
   ``--users`` issuer users and as many verifier users at once (``bench/locustfile.py``).
   Bounded, a closed loop: fixed user counts, each user paced (``constant_pacing``). By
   default each issuer user starts a task every 0.5 s (mostly the five-request issuance flow)
   and each verifier user a verification every 25 ms: for four users of each kind at most ~6
   issuances (~35 issuer requests) and ~160 verifications per second. On the 2-core machine
   that keeps the issuer at ~25 %, the verifier at ~30 % and locust at ~25 % of one core —
   about 40 % of the machine, leaving room for the other jobs sharing it, so no request nears
   a timeout; ``--issuer-pacing`` and ``--verifier-pacing`` change it.
4. **Memory**: ``VmRSS`` of each service's process tree every few seconds. After the warm-up
   (a sixth of the run, at most 30 s) the figures are the first, last and largest sample and
   the slope of a least-squares line; the run is *flat* when that line grows by less than
   ``--max-growth-mb`` over the measured window.

Exit status 0 only when no request failed (non-2xx, or an answer that is not the expected one,
e.g. a verification that is not ``valid``), locust recorded no exception, neither service
logged a traceback, and both services' memory is flat; 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.combined_stack import ROOT, Stack, start_stack
from bench.procs import cpu_seconds, rss_bytes

_MB = 1024 * 1024


def _locust(stack: Stack, seconds: float, users: int, prefix: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PERMIT_COMBINED_LOAD_CONFIG": str(stack.locust_config),
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(2 * users),
        "--spawn-rate",
        str(2 * users),
        "--run-time",
        f"{seconds:.0f}s",
        "--stop-timeout",
        "10",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    log = (stack.tmp / "locust.log").open("wb")
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


class Sampler(threading.Thread):
    """RSS of each watched process tree every ``interval`` seconds, from ``/proc``."""

    def __init__(self, pids: dict[str, int], interval: float) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.interval = interval
        self.samples: dict[str, list[tuple[float, int]]] = {name: [] for name in pids}
        self.started = time.monotonic()
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            at = time.monotonic() - self.started
            for name, pid in self.pids.items():
                self.samples[name].append((at, rss_bytes(pid)))
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def memory_figures(
    samples: list[tuple[float, int]], *, warmup: float, limit_mb: float
) -> dict[str, Any]:
    """Start (first sample after the warm-up), end, max, slope and fitted growth, in MB."""
    measured = [(at, rss / _MB) for at, rss in samples if at >= warmup]
    if len(measured) < 3:
        return {"samples": len(measured), "flat": False, "note": "too few samples after warm-up"}
    minutes = [at / 60 for at, _ in measured]
    values = [mb for _, mb in measured]
    slope = statistics.linear_regression(minutes, values).slope
    growth = slope * (minutes[-1] - minutes[0])
    return {
        "samples": len(measured),
        "window_s": round(measured[-1][0] - measured[0][0], 1),
        "start_mb": round(values[0], 1),
        "end_mb": round(values[-1], 1),
        "max_mb": round(max(values), 1),
        "slope_mb_per_min": round(slope, 3),
        "fitted_growth_mb": round(growth, 2),
        "flat": growth < limit_mb,
    }


def _number(value: str) -> float | None:
    return None if value in ("", "N/A") else float(value)


def read_stats(prefix: Path) -> list[dict[str, Any]]:
    """Locust's per-name rows (``<prefix>_stats.csv``) without the aggregate."""
    rows = []
    for row in _csv_rows(Path(f"{prefix}_stats.csv")):
        if row["Name"] != "Aggregated":
            rows.append(
                {
                    "type": row["Type"],
                    "name": row["Name"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "rps": round(float(row["Requests/s"]), 2),
                    "p50_ms": _number(row["50%"]),
                    "p95_ms": _number(row["95%"]),
                    "p99_ms": _number(row["99%"]),
                }
            )
    return rows


def _csv_rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def run(args: argparse.Namespace) -> dict[str, Any]:
    seconds = max(float(args.seconds), 5.0)
    warmup = max(2.0, min(30.0, seconds / 6))
    interval = min(3.0, max(0.5, seconds / 60))
    with ExitStack() as stack_scope:
        tmp = Path(stack_scope.enter_context(tempfile.TemporaryDirectory(prefix="combined-")))
        stack = stack_scope.enter_context(
            start_stack(
                tmp,
                db=args.db,
                replay_cache=args.replay_cache,
                users=args.users,
                issuer_pacing=args.issuer_pacing,
                verifier_pacing=args.verifier_pacing,
            )
        )
        load_before = os.getloadavg()
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        reaped_before = reaped.ru_utime + reaped.ru_stime
        prefix = tmp / "locust"
        locust = _locust(stack, seconds, args.users, prefix)
        pids = {"issuer": stack.issuer_pid, "verifier": stack.verifier_pid}
        sampler = Sampler(pids, interval)
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        sampler.start()
        try:
            locust.wait(timeout=seconds + 90)
        finally:
            elapsed = time.monotonic() - sampler.started
            cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
            sampler.stop()
            if locust.poll() is None:
                locust.kill()
                locust.wait()
        # The only child reaped since start_stack: the load generator's CPU time.
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu["locust"] = reaped.ru_utime + reaped.ru_stime - reaped_before
        logs = stack.logs()
        stats = read_stats(prefix)
        failures = _csv_rows(Path(f"{prefix}_failures.csv"))
        exceptions = _csv_rows(Path(f"{prefix}_exceptions.csv"))
        locust_log = (tmp / "locust.log").read_text(errors="replace")
    services = {
        name: memory_figures(sampler.samples[name], warmup=warmup, limit_mb=args.max_growth_mb)
        | {
            "cpu_percent_of_one_core": round(100 * cpu[name] / elapsed, 1),
            "rss_mb_series": [(round(at, 1), round(rss / _MB, 1)) for at, rss in samples],
        }
        for name, samples in sampler.samples.items()
    }
    tracebacks = {name: text.count("Traceback (most recent call last)") for name, text in logs}
    errors = {
        "failed_requests": sum(row["failures"] for row in stats if row["type"] != "flow"),
        "failed_flows": sum(row["failures"] for row in stats if row["type"] == "flow"),
        "locust_exceptions": sum(int(row["Count"]) for row in exceptions),
        "service_tracebacks": sum(tracebacks.values()),
        "failure_messages": [
            f"{row['Name']}: {row['Error']} (x{row['Occurrences']})" for row in failures
        ],
    }
    ran = bool(stats) and locust.returncode in (0, 1)
    ok = (
        ran
        and not any(errors[key] for key in ("failed_requests", "failed_flows"))
        and not errors["locust_exceptions"]
        and not errors["service_tracebacks"]
        and all(figures["flat"] for figures in services.values())
    )
    return {
        "ok": ok,
        "conditions": {
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "seconds": seconds,
            "warmup_s": warmup,
            "sample_interval_s": interval,
            "db": args.db,
            "replay_cache": stack.replay_cache,
            "users": {"issuer": args.users, "verifier": args.users},
            "pacing_s": {"issuer": args.issuer_pacing, "verifier": args.verifier_pacing},
            "max_growth_mb": args.max_growth_mb,
            "load_generator_cpu_percent_of_one_core": round(100 * cpu["locust"] / elapsed, 1),
        },
        "flows": [row for row in stats if row["type"] == "flow"],
        "endpoints": [row for row in stats if row["type"] != "flow"],
        "services": services,
        "errors": errors,
        "locust_exit_status": locust.returncode,
        "locust_log_tail": [] if ran else locust_log.splitlines()[-20:],
    }


def _print_table(result: dict[str, Any]) -> None:
    c = result["conditions"]
    print(
        f"combined load: {c['seconds']:.0f} s, {c['users']['issuer']} issuer + "
        f"{c['users']['verifier']} verifier users (pacing {c['pacing_s']['issuer']} s / "
        f"{c['pacing_s']['verifier']} s), {c['db']}, replay cache {c['replay_cache']}, "
        f"{c['cpus']} CPUs, load {c['load_average_before'][0]} → {c['load_average_after'][0]}"
    )
    header = f"{'name':<58}{'requests':>9}{'fail':>6}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}"
    for title, rows in (("flows", result["flows"]), ("requests", result["endpoints"])):
        print(f"\n{title} (times in ms)\n{header}")
        for row in rows:
            times = "".join(
                f"{'-' if row[key] is None else f'{row[key]:.0f}':>7}"
                for key in ("p50_ms", "p95_ms", "p99_ms")
            )
            print(
                f"{row['name'][:57]:<58}{row['requests']:>9}{row['failures']:>6}"
                f"{row['rps']:>8.1f}{times}"
            )
    print(f"\nmemory after {c['warmup_s']:.0f} s warm-up (RSS, MB), CPU of one core")
    print(f"{'service':<10}{'start':>8}{'end':>8}{'max':>8}{'MB/min':>9}{'growth':>8}{'CPU %':>7}")
    for name, m in result["services"].items():
        if "start_mb" not in m:
            print(f"{name:<10}{m['note']}")
            continue
        print(
            f"{name:<10}{m['start_mb']:>8.1f}{m['end_mb']:>8.1f}{m['max_mb']:>8.1f}"
            f"{m['slope_mb_per_min']:>9.2f}{m['fitted_growth_mb']:>8.1f}"
            f"{m['cpu_percent_of_one_core']:>7.0f}  {'flat' if m['flat'] else 'NOT FLAT'}"
        )
    e = result["errors"]
    print(
        f"load generator CPU {c['load_generator_cpu_percent_of_one_core']:.0f} % of one core; "
        f"failed requests {e['failed_requests']}, failed flows {e['failed_flows']}, "
        f"locust exceptions {e['locust_exceptions']}, service tracebacks "
        f"{e['service_tracebacks']}"
    )
    for message in e["failure_messages"][:20]:
        print(f"  {message}")
    for line in result["locust_log_tail"]:
        print(f"  locust: {line}")
    print("OK" if result["ok"] else "FAILED")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="length of the load run")
    parser.add_argument("--users", type=int, default=4, help="users of each kind")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--replay-cache",
        choices=("auto", "redis", "memory"),
        default="auto",
        help="the verifier's replay cache (auto: Redis when it answers)",
    )
    parser.add_argument("--issuer-pacing", type=float, default=0.5, help="s per issuer task")
    parser.add_argument("--verifier-pacing", type=float, default=0.025, help="s per verification")
    parser.add_argument(
        "--max-growth-mb",
        type=float,
        default=10.0,
        help="RSS growth after the warm-up (fitted line) that still counts as flat, per service",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args()
    if args.users < 1:
        parser.error("--users must be at least 1")
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        _print_table(result)
    raise SystemExit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
