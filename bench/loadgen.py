"""A small, bounded HTTP/1.1 load generator on loopback, and how to account for it.

A hand-written asyncio client (keep-alive connections, pre-built request bytes, one
``Content-Length`` parser) costs a few tens of microseconds per request, so on a small machine
it leaves the CPU to the server under test instead of competing with it as a general-purpose
HTTP client would. Every run stops by itself: at a deadline or when its requests run out.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import time
from collections import deque
from typing import Any

from bench.procs import child_cpu_seconds, cpu_seconds
from permit_cli.demo.processes import free_port

__all__ = [
    "child_cpu_seconds",
    "cpu_seconds",
    "free_port",
    "load",
    "redis_reachable",
    "request_bytes",
    "summary",
]


def summary(latencies: list[float], count: int, elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "verifications_per_s": count / elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "count": count,
        "seconds": elapsed,
    }


def request_bytes(port: int, key: str, presentation: str) -> bytes:
    body = json.dumps({"presentation": presentation}).encode()
    head = (
        f"POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _connection(
    stream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    queue: deque[bytes],
    stop_at: float,
    latencies: list[float],
    outcome: dict[str, int],
) -> None:
    reader, writer = stream
    loop = asyncio.get_running_loop()
    try:
        while queue and loop.time() < stop_at:
            request = queue.popleft()
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            ok = head.startswith(b"HTTP/1.1 200") and json.loads(body)["valid"] is True
            outcome["valid" if ok else "other"] += 1
    finally:
        writer.close()


async def load(port: int, requests: list[bytes], seconds: float, connections: int) -> Any:
    """Send ``requests`` over ``connections`` keep-alive connections for at most ``seconds``.

    The connections are opened one by one, 10 ms apart, before the clock starts: workers
    sharing one listening socket accept greedily (asyncio takes every pending connection
    at once), so a burst would land on a single worker.
    """
    queue = deque(requests)
    latencies: list[float] = []
    outcome = {"valid": 0, "other": 0}
    streams = []
    for _ in range(connections):
        streams.append(await asyncio.open_connection("127.0.0.1", port))
        await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    stop_at = loop.time() + seconds
    await asyncio.gather(
        *(_connection(stream, queue, stop_at, latencies, outcome) for stream in streams)
    )
    return latencies, outcome, time.perf_counter() - start


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False
