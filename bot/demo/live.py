"""`python -m bot demo` for a person: the local Slack as a web page, the thread in the terminal, until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import webbrowser
from collections.abc import Awaitable, Callable, Iterator

from bot.demo.options import DemoOptions
from bot.demo.terminal import TerminalLines, ThreadPrinter, decide, pending_card, submit_reason
from bot.demo.world import LEAD, ONCALL, YOU, DemoWorld
from bot.run.incident import IncidentRun
from bot.settings import has_display

__all__ = ["run_live"]

_POLL = 1.0  # seconds: re-check how the first incident ended even when nothing in Slack changed


def _announce(url: str, *, two_person: bool) -> None:
    rule = "─" * 78
    who = "you and alex are approvers, sam is not" + (
        "; two-person rule on: whoever opened an incident cannot approve its fix" if two_person else "")
    print(f"\n{rule}\n  The local Slack workspace:  {url}\n"
          f"  Open it to run the incident by clicking. Switch users at the top ({who}),\n"
          f"  Approve or Reject in the thread, open more incidents with /incident, fire sample alerts.\n"
          f"  Ctrl-C stops the demo.\n{rule}")
    sys.stdout.flush()


@contextlib.contextmanager
def _until_signalled(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


class _Prompt:
    """The terminal's way to decide (the page is the other): a = approve, r = reject, then the reason."""

    def __init__(self, world: DemoWorld, options: DemoOptions, lines: TerminalLines) -> None:
        self.slack = world.slack
        self.options = options
        self.lines = lines
        self.user = LEAD if options.two_person else YOU  # an approver who may approve what YOU opened
        self.asked: set[str] = set()
        self.reason_for: str | None = None  # the reason modal waiting for a typed line

    async def offer(self, *, terminal: bool) -> None:
        """Ask about a card once when it appears (or decide it at once with --approve / --reject)."""
        card = pending_card(self.slack, ONCALL)
        if card is None or card["ts"] in self.asked:
            return
        self.asked.add(card["ts"])
        if self.options.decision:
            await decide(self.slack, card, approve=self.options.decision == "approve", user=self.user,
                         reason="not now: rejected from the demo")
        elif terminal:
            print(f"\nApprove or reject this fix: click in the page, or type a or r and Enter here (as {self.user}).")
        else:
            print("\nApprove or reject this fix in the page.")
        sys.stdout.flush()

    async def answer(self, line: str) -> None:
        """Act on one typed line."""
        if self.reason_for is not None:
            view_id, self.reason_for = self.reason_for, None
            if view_id in self.slack.views.closed:
                print("(the reason form was already closed in the page)")
            else:
                await submit_reason(self.slack, self.user, view_id, line)
            return
        choice = {"a": True, "r": False}.get(line[:1].lower())
        card = pending_card(self.slack, ONCALL)
        if choice is None or card is None:
            print("Nothing is waiting for a decision." if card is None else "Type a (approve) or r (reject).")
            return
        self.reason_for = await decide(self.slack, card, approve=choice, user=self.user, wait_modal=False)
        if self.reason_for:
            print("Why? (optional; the agent reads it) ", end="")
        sys.stdout.flush()


async def _next_change(world: DemoWorld, printer: ThreadPrinter, lines: TerminalLines, stop: asyncio.Event) -> None:
    seen = printer.fingerprint()
    waits = [asyncio.ensure_future(world.slack.wait_for(lambda s: printer.fingerprint() != seen, timeout=3600)),
             asyncio.ensure_future(lines.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waits, timeout=_POLL, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
        await asyncio.gather(*waits, return_exceptions=True)


async def run_live(world: DemoWorld, options: DemoOptions, *, opening: Callable[[], Awaitable[None]],
                   report: Callable[[IncidentRun], Awaitable[int]]) -> int:
    """Serve the page, open the first incident, print threads as they grow, take decisions from either side."""
    url = world.slack.ui_url
    _announce(url, two_person=options.two_person)
    if options.browser and has_display():
        await asyncio.to_thread(webbrowser.open, url)
    stop = asyncio.Event()
    lines = TerminalLines()
    terminal = lines.start()
    printer = ThreadPrinter(world.slack, ONCALL)
    prompt = _Prompt(world, options, lines)
    reported = False
    with _until_signalled(stop):
        try:
            await opening()
            while not stop.is_set():
                printer.show()
                await prompt.offer(terminal=terminal)
                while (line := lines.pop()) is not None:
                    await prompt.answer(line)
                run = next(iter(world.bot.incidents.runs.values()), None)
                if run is not None and run.state.finished and not reported:
                    await run.publisher.flush(timeout=30)
                    printer.show()
                    await report(run)
                    reported = True
                    print(f"\nThe page stays up at {url}: open another incident with /incident in #oncall, "
                          "or fire a sample alert. Ctrl-C stops the demo.")
                    sys.stdout.flush()
                await _next_change(world, printer, lines, stop)
        finally:
            lines.close()
    print("\nStopping the demo.")
    return 0
