"""Run a function on many inputs in a forked child and report the CPU seconds each took.

A child is killed by the kernel (RLIMIT_CPU) soon after one input passes the budget, so a pattern that
backtracks for minutes costs the test a couple of seconds, and the remaining inputs run in a fresh child.
CPU time, not wall time: the machine is shared, and what blocks the bot's event loop is computation.
"""

from __future__ import annotations

import math
import os
import resource
import select
import signal
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Outcome", "cpu_seconds_each"]

_WALL_LIMIT = 120.0  # a child that sleeps or deadlocks instead of computing


@dataclass(frozen=True)
class Outcome:
    label: str
    seconds: float | None  # None: killed past the budget (or never finished)
    error: str = ""


def _child(fn: Callable[[object], object], items: Sequence[tuple[str, object]], budget: float, fd: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for i, (_, value) in enumerate(items):
        used = time.process_time()
        resource.setrlimit(resource.RLIMIT_CPU, (math.ceil(used + budget + 1), resource.RLIM_INFINITY))
        os.write(fd, f"start {i}\n".encode())
        try:
            fn(value)
        except Exception:
            error = traceback.format_exc(limit=-2).replace("\n", " | ")
            os.write(fd, f"error {i} {error}\n".encode())
            continue
        os.write(fd, f"done {i} {time.process_time() - used:.4f}\n".encode())


def _read_child(pid: int, fd: int) -> dict[int, tuple[float | None, str]]:
    results: dict[int, tuple[float | None, str]] = {}
    buffer, deadline = b"", time.monotonic() + _WALL_LIMIT
    while True:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buffer += chunk
    os.waitpid(pid, 0)
    for line in buffer.decode(errors="replace").splitlines():
        kind, index, *rest = line.split(" ", 2)
        if kind == "done":
            results[int(index)] = (float(rest[0]), "")
        elif kind == "error":
            results[int(index)] = (None, rest[0] if rest else "error")
        elif kind == "start":
            results.setdefault(int(index), (None, ""))
    return results


def cpu_seconds_each(
    fn: Callable[[object], object], items: Sequence[tuple[str, object]], *, budget: float = 1.0
) -> list[Outcome]:
    """For each (label, value): the CPU seconds fn(value) took in a child process, or None if it was killed."""
    outcomes: list[Outcome] = []
    start = 0
    while start < len(items):
        rest = items[start:]
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            os.close(read_fd)
            try:
                _child(fn, rest, budget, write_fd)
            finally:
                os._exit(0)
        os.close(write_fd)
        try:
            results = _read_child(pid, read_fd)
        finally:
            os.close(read_fd)
        finished = 0
        for i, (label, _) in enumerate(rest):
            if i not in results:
                if i == 0:
                    outcomes.append(Outcome(label, None, "the child died before it started"))
                break
            seconds, error = results[i]
            outcomes.append(Outcome(label, seconds, error))
            finished = i + 1
            if seconds is None and not error:
                break  # killed here: start a new child after it
        start += max(finished, 1)
    return outcomes
