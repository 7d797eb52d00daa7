"""Waiting on a stand-in's state: re-check a predicate on every change, never by polling."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["ChangeWaiter"]


class ChangeWaiter:
    """A condition that a stand-in notifies on every change; wait_for() explains itself when it times out."""

    def __init__(self, owner: Any, describe_state: Callable[[], list[str]]) -> None:
        self._owner = owner
        self._describe_state = describe_state
        self._cond: asyncio.Condition | None = None
        self._notify: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._cond = asyncio.Condition()

    def stop(self) -> None:
        if self._notify is not None:
            self._notify.cancel()

    def changed(self) -> None:
        """Wake wait_for() callers (coalesced into one pending notification)."""
        if self._cond is None or (self._notify is not None and not self._notify.done()):
            return
        self._notify = asyncio.get_running_loop().create_task(self._notify_all())

    async def _notify_all(self) -> None:
        assert self._cond is not None
        async with self._cond:
            self._cond.notify_all()

    async def wait_for(self, predicate: Callable[[Any], Any], timeout: float = 10.0) -> None:
        """Wait until predicate(owner) is true; a predicate that raises counts as false (and is reported)."""
        assert self._cond is not None, "start() the stand-in first"
        failure: list[BaseException] = []

        def check() -> bool:
            try:
                return bool(predicate(self._owner))
            except Exception as exc:  # e.g. an IndexError before the first message exists
                failure[:] = [exc]
                return False

        async with self._cond:
            try:
                await asyncio.wait_for(self._cond.wait_for(check), timeout)
            except TimeoutError:
                raise TimeoutError(self._describe(predicate, timeout, failure)) from None

    def _describe(self, predicate: Callable[..., Any], timeout: float, failure: list[BaseException]) -> str:
        try:
            source = inspect.getsource(predicate).strip()
        except (OSError, TypeError):
            source = getattr(predicate, "__qualname__", repr(predicate))
        lines = [f"condition not met within {timeout:g} s: {source}"]
        if failure:
            lines.append(f"  last evaluation raised {failure[0]!r}")
        return "\n".join(lines + self._describe_state())
