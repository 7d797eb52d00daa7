"""The benchmark's baseline: a minimal bot that services sessions the cookbook's way. Not for production.

`python -m bench.baseline` reads the same settings as the bot. It uses the same client libraries (Bolt's AsyncApp
over Socket Mode, slack_sdk, AsyncAnthropic) and the same provisioning and evidence upload, then, per incident,
polls `events.list` every second over the whole history, posts one Slack message per new event, answers the
custom tools (a pull request is only a number here) and shows the same Approve/Reject buttons. It has none of the
bot's care: no streaming, no pacing, no 429 retries, no restart recovery, no merge gate beyond the click.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from typing import Any

from anthropic import AsyncAnthropic
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId
from bot.agents.evidence import Evidence, load_evidence
from bot.agents.provision import provision, upload_evidence
from bot.settings import Settings, load_settings

__all__ = ["main"]

log = logging.getLogger("bench.baseline")

POLL_EVERY = 1.0


def _text(blocks: Any) -> str:
    return "".join(b.get("text", "") for b in blocks or [] if isinstance(b, dict))


def describe(event: Any) -> str:
    """One line per event, as a cookbook loop would print it."""
    kind = event.type
    if kind == "agent.message":
        return _text([b.to_dict() for b in event.content])
    if kind in ("agent.tool_use", "agent.custom_tool_use", "agent.mcp_tool_use"):
        return f":wrench: `{event.name}` {json.dumps(event.input)[:300]}"
    if kind == "agent.tool_result":
        content = [b.to_dict() for b in event.content or []]
        return f":page_facing_up: {_text(content)[:300]}"
    return f"`{kind}`"


def approval_blocks(summary: str, value: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Approval requested*\n{summary[:2900]}"}},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": ActionId.APPROVE, "style": "primary", "value": value,
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": ActionId.REJECT, "style": "danger", "value": value,
             "text": {"type": "plain_text", "text": "Reject"}},
        ]},
    ]  # fmt: skip


class Baseline:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.slack = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        self.app = AsyncApp(client=self.slack)
        self.anthropic = AsyncAnthropic(api_key=settings.anthropic_api_key, base_url=settings.anthropic_base_url)
        self.evidence: Evidence | None = None
        self.agent: Any = None
        self.resources: list[dict[str, str]] = []
        self.prs = 0
        self.polls: set[asyncio.Task[None]] = set()
        self.app.command("/incident")(self.on_incident)
        self.app.action(ActionId.APPROVE)(self.on_decision)
        self.app.action(ActionId.REJECT)(self.on_decision)

    async def start(self) -> AsyncSocketModeHandler:
        self.agent = await provision(self.anthropic, self.settings)
        self.evidence = await load_evidence(self.settings.incident_data, work_dir=self.settings.work_dir)
        self.resources = await upload_evidence(self.anthropic, self.evidence)
        handler = AsyncSocketModeHandler(self.app, self.settings.slack_app_token, web_client=self.slack)
        await handler.connect_async()
        return handler

    async def on_incident(self, ack: Any, command: dict[str, Any]) -> None:
        await ack()
        channel = self.settings.oncall_channel
        root = await self.slack.chat_postMessage(channel=channel, text=f":rotating_light: {command['text']}")
        session = await self.anthropic.beta.sessions.create(
            agent=self.agent.agent_id, environment_id=self.agent.environment_id, resources=self.resources,
            metadata={"slack_channel": channel, "slack_thread_ts": root["ts"]})  # fmt: skip
        await self.anthropic.beta.sessions.events.send(
            session.id, events=[{"type": "user.message", "content": [{"type": "text", "text": command["text"]}]}])
        task = asyncio.create_task(self.poll(session.id, channel, root["ts"]))
        self.polls.add(task)
        task.add_done_callback(self.polls.discard)

    async def poll(self, session_id: str, channel: str, thread_ts: str) -> None:
        """Every second: list the whole history, post each event not posted yet, answer the tools."""
        posted: set[str] = set()
        decided = False
        while True:
            await asyncio.sleep(POLL_EVERY)
            events = [ev async for ev in self.anthropic.beta.sessions.events.list(session_id)]
            for ev in events:
                if ev.id in posted:
                    continue
                posted.add(ev.id)
                if ev.type.startswith("span.") or ev.type == "session.usage":  # telemetry, not the incident's story
                    continue
                await self.slack.chat_postMessage(channel=channel, thread_ts=thread_ts, text=describe(ev))
                if ev.type == "agent.custom_tool_use":
                    decided |= await self.on_tool(session_id, ev, channel, thread_ts)
            last = events[-1] if events else None
            if last is not None and last.type == "session.status_idle" and last.stop_reason.type == "end_turn" and decided:
                return
            if last is not None and last.type == "session.status_terminated":
                return

    async def on_tool(self, session_id: str, ev: Any, channel: str, thread_ts: str) -> bool:
        """Answer a custom tool call; True once the approval has been asked for."""
        args = ev.input or {}
        if ev.name == "request_approval":
            value = json.dumps({"session_id": session_id, "tool_use_id": ev.id})
            await self.slack.chat_postMessage(channel=channel, thread_ts=thread_ts, text="Approval requested",
                                              blocks=approval_blocks(str(args.get("summary", "")), value))
            return True
        if ev.name == "get_metrics":
            series = self.evidence.metrics().get(str(args.get("service")), {}) if self.evidence else {}
            answer = {"points": series.get(str(args.get("metric")), [])}
        elif ev.name == "open_pull_request":
            self.prs += 1
            answer = {"pr_number": self.prs, "url": f"https://example.invalid/pr/{self.prs}"}
        elif ev.name == "merge_pull_request":
            answer = {"merged": True, "pr_number": args.get("pr_number")}
        else:
            answer = {"error": f"unknown tool {ev.name}"}
        await self.send_result(session_id, ev.id, answer)
        return False

    async def send_result(self, session_id: str, tool_use_id: str, answer: dict[str, Any]) -> None:
        await self.anthropic.beta.sessions.events.send(session_id, events=[{
            "type": "user.custom_tool_result", "custom_tool_use_id": tool_use_id,
            "content": [{"type": "text", "text": json.dumps(answer)}]}])  # fmt: skip

    async def on_decision(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        action = body["actions"][0]
        user = body["user"]["id"]
        if not await self.is_approver(user):
            await self.slack.chat_postEphemeral(channel=body["channel"]["id"], user=user, text="You cannot decide this.")
            return
        target = json.loads(action["value"])
        decision = "approved" if action["action_id"] == ActionId.APPROVE else "rejected"
        await self.send_result(target["session_id"], target["tool_use_id"], {"decision": decision, "approver": user})
        await self.slack.chat_update(channel=body["channel"]["id"], ts=body["message"]["ts"],
                                     text=f"{decision} by <@{user}>",
                                     blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f"*{decision}* by <@{user}>"}}])

    async def is_approver(self, user: str) -> bool:
        for entry in self.settings.approvers:
            if entry == user:
                return True
            if entry.startswith("S"):
                members = await self.slack.usergroups_users_list(usergroup=entry)
                if user in members.get("users", []):
                    return True
        return False


async def _main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    baseline = Baseline(load_settings())
    handler = await baseline.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("baseline bot running")
    await stop.wait()
    await handler.close_async()


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
