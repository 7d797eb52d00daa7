"""Command line: `python -m bot [run|demo|provision|teardown|check]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading

from bot.logs import setup_logging
from bot.settings import SettingsError, load_settings

__all__ = ["main"]

log = logging.getLogger("bot")


async def _run() -> int:
    from bot.app import build_bot

    settings = load_settings()
    setup_logging(json_lines=settings.log_format == "json")
    bot = build_bot(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _on_signal, stop, settings.shutdown_grace)
    starting = asyncio.create_task(bot.start(), name="start")
    stopping = asyncio.create_task(stop.wait(), name="stop-signal")
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():  # a signal while starting: no point finishing the start
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
    elif starting.exception() is not None:
        stopping.cancel()
        await bot.stop()
        print(f"incident-bot: could not start: {_explain(starting.exception())}", file=sys.stderr)  # type: ignore[arg-type]
        return 1
    else:
        log.info("incident-bot is running; Ctrl-C stops it (open incidents continue in the cloud)")
        await stopping
    log.info("stopping: draining within %g s (SHUTDOWN_GRACE)", settings.shutdown_grace)
    await bot.stop(grace=settings.shutdown_grace)
    log.info("stopped")
    return 0


HARD_STOP_AFTER = 5.0  # seconds past SHUTDOWN_GRACE before the process exits whatever it is doing


def _on_signal(stop: asyncio.Event, grace: float) -> None:
    """The first SIGTERM or SIGINT starts the drain, with a hard stop behind it in case something hangs (a
    thread, a blocked loop); a second one exits at once."""
    if stop.is_set():
        log.warning("second stop signal: exiting now, without finishing the drain")
        os._exit(1)
    stop.set()
    timer = threading.Timer(grace + HARD_STOP_AFTER, _hard_stop, args=(grace,))
    timer.daemon = True
    timer.start()


def _hard_stop(grace: float) -> None:
    log.error("the drain overran SHUTDOWN_GRACE (%g s) by %g s: exiting now", grace, HARD_STOP_AFTER)
    logging.shutdown()
    os._exit(1)


def _explain(exc: Exception) -> str:
    """One line a person at 3 a.m. can act on."""
    import anthropic
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError):
        error = exc.response.get("error")
        hint = " (check SLACK_BOT_TOKEN / SLACK_APP_TOKEN)" if error in ("invalid_auth", "not_authed", "not_allowed_token_type") else ""
        return f"Slack refused {exc.response.api_url.rsplit('/', 1)[-1]}: {error}{hint}"
    if isinstance(exc, anthropic.AuthenticationError):
        return "the Managed Agents API refused the key (check ANTHROPIC_API_KEY)"
    if isinstance(exc, anthropic.APIConnectionError):
        return f"the Managed Agents API is unreachable ({exc}); check ANTHROPIC_BASE_URL and the network"
    if isinstance(exc, TimeoutError):
        return "no Socket Mode connection to Slack in time (check SLACK_APP_TOKEN, SLACK_API_URL and the network)"
    return f"{type(exc).__name__}: {exc}"


async def _provision(teardown: bool) -> int:
    from bot.agents.provision import provision, teardown as do_teardown
    from bot.app import anthropic_client

    settings = load_settings()
    client = anthropic_client(settings)
    if teardown:
        for line in await do_teardown(client, settings) or ["nothing to archive"]:
            print(f"archived {line}" if line != "nothing to archive" else line)
        return 0
    p = await provision(client, settings)
    print(f"agent {p.agent_id} (version {p.agent_version})\nenvironment {p.environment_id}\nskill {p.skill_id}")
    return 0


async def _check() -> int:
    from bot.checks import run_checks

    checks = await run_checks(load_settings())
    for check in checks:
        print(check.line)
    failed = [c.name for c in checks if c.verdict == "FAIL"]
    if failed:
        print(f"\n{len(failed)} check(s) failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the chosen command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="incident-bot: incidents handed to a Claude Managed Agent, decided by humans in Slack")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot for real (Socket Mode + Managed Agents API); the default")
    demo = sub.add_parser("demo", help="run the bot offline against the local stand-ins")
    demo.add_argument("--incident", default="oom", help="oom (default) or 2277")
    demo.add_argument("--headless", action="store_true", help="no prompt: decide with --approve or --reject")
    group = demo.add_mutually_exclusive_group()
    group.add_argument("--approve", action="store_const", const="approve", dest="decision")
    group.add_argument("--reject", action="store_const", const="reject", dest="decision")
    demo.add_argument(
        "--alert",
        choices=("pagerduty", "alertmanager", "datadog", "grafana"),
        help="start from this integration's sample alert posted in #alerts instead of /incident",
    )
    demo.add_argument("--pace", type=float, default=None, help="seconds between agent steps (default 0.15, 0 headless)")
    demo.add_argument("--port", type=int, default=0, help="the local Slack's port, for a stable page URL (default: a free one)")
    demo.add_argument("--no-browser", action="store_false", dest="browser", help="print the page's URL, do not open it")
    demo.add_argument(
        "--two-person", action="store_true", help="APPROVAL_SELF_DENY: whoever opened an incident cannot approve its fix"
    )
    demo.add_argument(
        "--live-metrics", action="store_true",
        help="the real Prometheus and Alertmanager (Debian's packages): a deploy degrades checkout's latency, the "
             "alert's webhook opens the incident and the agent queries Prometheus",
    )  # fmt: skip
    demo.add_argument("-v", "--verbose", action="store_true", help="show the bot's logs")
    sub.add_parser("provision", help="create or update the skill, agent and environment, and print their ids")
    sub.add_parser("teardown", help="archive the agent and environment")
    sub.add_parser("check", help="check every configured provider (Slack, Anthropic, Prometheus, Loki, GitHub, "
                                 "runbooks): one line each; exits 1 when one fails")
    args = parser.parse_args(argv)
    command = args.command or "run"
    setup_logging(verbose=getattr(args, "verbose", False) or command not in ("demo", "check"))
    try:
        if command == "demo":
            from bot.demo.cli import run_demo
            from bot.demo.options import DemoOptions

            if args.headless and not args.decision:
                parser.error("--headless needs --approve or --reject")
            pace = args.pace if args.pace is not None else (0.0 if args.headless else 0.15)
            options = DemoOptions(
                incident=args.incident, headless=args.headless, decision=args.decision, pace=pace, alert=args.alert,
                port=args.port, browser=args.browser, two_person=args.two_person, live_metrics=args.live_metrics,
            )
            return asyncio.run(run_demo(options))
        if command == "check":
            return asyncio.run(_check())
        if command in ("provision", "teardown"):
            return asyncio.run(_provision(command == "teardown"))
        return asyncio.run(_run())
    except SettingsError as exc:
        print(f"incident-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
