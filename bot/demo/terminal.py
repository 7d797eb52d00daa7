"""The demo's terminal side: printing threads as they grow, finding and deciding a pending card, reading typed
lines."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from collections import deque
from typing import Any, TextIO

from blocks.ids import ActionId
from bot.demo.transcript import message_lines
from bot.demo.world import ONCALL
from standins.slack import SlackStandin

__all__ = [
    "TerminalLines", "ThreadPrinter", "decide", "pending_card", "print_message", "submit_reason", "thread_snapshot",
]  # fmt: skip


def thread_snapshot(slack: SlackStandin, channel: str, ts: str) -> tuple[tuple[str, str], ...]:
    """(ts, fingerprint) of each message in a thread, to see what changed."""
    return tuple(
        (m["ts"], json.dumps([m.get("text"), m.get("blocks"), m.get("files")], default=str))
        for m in slack.thread(channel, ts)
    )


def pending_card(slack: SlackStandin, channel: str, root_ts: str | None = None) -> dict[str, Any] | None:
    """The oldest message with Approve/Reject buttons, in one thread or (root_ts None) in any of the channel's."""
    roots = [root_ts] if root_ts else [m["ts"] for m in slack.messages(channel) if m.get("subtype") != "thread_broadcast"]
    for root in roots:
        for msg in slack.thread(channel, root):
            for block in msg.get("blocks") or []:
                if block.get("type") == "actions" and any(
                    e.get("action_id") == ActionId.APPROVE for e in block.get("elements", [])
                ):
                    return msg
    return None


async def decide(slack: SlackStandin, card: dict[str, Any], *, approve: bool, user: str, reason: str = "",
                 wait_modal: bool = True) -> str | None:
    """Click Approve or Reject on a card in #oncall as `user`; a Reject's reason modal is submitted with `reason`.

    With wait_modal=False a Reject only clicks, and returns the id of the reason modal it opened (or None).
    """
    action = ActionId.APPROVE if approve else ActionId.REJECT
    print(f"\n> {user} clicks {'Approve' if approve else 'Reject'}")
    before = {v["id"] for v in slack.views.modals(user)}
    await slack.click(user, ONCALL, card["ts"], action)
    if approve:
        return None
    # the bot asks why in a modal; the agent reads the answer
    await slack.wait_for(lambda s: any(v["id"] not in before for v in s.views.modals(user)), timeout=30)
    modal = slack.views.modals(user)[-1]
    if wait_modal:
        await submit_reason(slack, user, modal["id"], reason)
    return str(modal["id"])


async def submit_reason(slack: SlackStandin, user: str, view_id: str, reason: str) -> None:
    """Submit the reason modal of a Reject."""
    values = {"reason": {"reason_input": {"type": "plain_text_input", "value": reason}}}
    await slack.submit_view(user, view_id, values)


def print_message(msg: dict[str, Any], *, edited: bool, before: list[str] | None = None,
                  out: TextIO | None = None) -> list[str]:
    """Print a message; for an edit, only the lines it did not show before. Returns the lines shown now."""
    out = out or sys.stdout
    lines = message_lines(msg)
    fresh = [ln for ln in lines if ln not in set(before or ())] if edited else lines
    if fresh:
        who = "bot" if msg.get("bot_id") else msg.get("user", "?")
        print(f"\n[{who}]" + (" (updated)" if edited else ""), file=out)
        for line in fresh:
            print(f"  {line}", file=out)
    return lines


class ThreadPrinter:
    """Prints what is new or changed in a channel's threads since the last call (all of them, in order)."""

    def __init__(self, slack: SlackStandin, channel: str) -> None:
        self.slack = slack
        self.channel = channel
        self._shown: dict[str, str] = {}
        self._printed: dict[str, list[str]] = {}
        self._last_root: str | None = None

    def _roots(self) -> list[dict[str, Any]]:
        return [m for m in self.slack.messages(self.channel) if m.get("subtype") != "thread_broadcast"]

    def fingerprint(self) -> tuple[Any, ...]:
        """Everything the printer would print, to wait for a change."""
        return tuple(thread_snapshot(self.slack, self.channel, root["ts"]) for root in self._roots())

    def show(self) -> None:
        """Print the messages that are new or changed."""
        roots = self._roots()
        for root in roots:
            thread = {m["ts"]: m for m in self.slack.thread(self.channel, root["ts"])}
            for ts, fingerprint in thread_snapshot(self.slack, self.channel, root["ts"]):
                if self._shown.get(ts) == fingerprint:
                    continue
                if len(roots) > 1 and self._last_root != root["ts"]:
                    title = (message_lines(root) or [""])[0][:90]
                    print(f"\n--- in the thread of: {title} ---")
                self._last_root = root["ts"]
                self._printed[ts] = print_message(thread[ts], edited=ts in self._shown, before=self._printed.get(ts))
                self._shown[ts] = fingerprint
        sys.stdout.flush()


class TerminalLines:
    """Lines typed in the terminal, read without blocking the event loop; none where stdin cannot be watched."""

    def __init__(self) -> None:
        self._lines: deque[str] = deque()
        self._ready = asyncio.Event()
        self._buffer = b""
        self._fd: int | None = None

    def start(self) -> bool:
        """Watch stdin; False when it cannot be (not a terminal or pipe, or no support on this platform)."""
        try:
            fd = sys.stdin.fileno()
            asyncio.get_running_loop().add_reader(fd, self._readable)
        except (AttributeError, OSError, ValueError, NotImplementedError, io.UnsupportedOperation):
            return False
        self._fd = fd
        return True

    def _readable(self) -> None:
        assert self._fd is not None
        try:
            data = os.read(self._fd, 4096)
        except OSError:
            data = b""
        if not data:  # end of input: the page still works, the terminal prompt does not
            self.close()
            return
        self._buffer += data
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            self._lines.append(line.decode(errors="replace").strip())
            self._ready.set()

    def pop(self) -> str | None:
        """The oldest unread line, or None."""
        if not self._lines:
            self._ready.clear()
            return None
        return self._lines.popleft()

    async def wait(self) -> None:
        """Until a line is there to pop."""
        await self._ready.wait()

    def close(self) -> None:
        """Stop watching stdin."""
        if self._fd is not None:
            asyncio.get_running_loop().remove_reader(self._fd)
            self._fd = None
