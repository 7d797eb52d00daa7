"""The interface the offline brain drives: each call becomes agent events on the session."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from .shapes import policy_of

if TYPE_CHECKING:
    from .runner import TurnRunner
    from .session import Session

__all__ = ["AgentContext", "ToolAnswer"]


class ToolAnswer(NamedTuple):
    """What the client answered to a custom tool call."""

    text: str
    is_error: bool


def _text(text: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": text}]


def _evaluation(policy: str | None) -> dict[str, Any] | None:
    if policy == "auto":
        return {"type": "auto", "evaluated_permission": {"type": "allow"}}
    return {"type": policy} if policy else None


class AgentContext:
    """One per session; `memory` persists across the session's turns."""

    def __init__(self, session: Session, runner: TurnRunner) -> None:
        self.session_id = session.id
        self.files: Mapping[str, bytes] = MappingProxyType(session.files)  # file resources and cloned repositories
        self.repositories: Mapping[str, str] = MappingProxyType(session.repositories)  # mount path -> url
        self.memory: dict[str, Any] = session.memory
        # The custom tools the agent was defined with: a model can call these and no other.
        self.tools = frozenset(str(t["name"]) for t in session.agent.get("tools") or () if t.get("type") == "custom")
        self._session = session
        self._runner = runner

    async def say(self, text: str) -> None:
        """Write a message to the humans: agent.message."""
        async with self._runner.model_request(len(text)):
            self._session.emit({"type": "agent.message", "content": _text(text)})

    async def bash(self, command: str) -> str:
        """Run a shell command in the session's folder (agent.tool_use "bash" + agent.tool_result)."""
        return await self._builtin("bash", {"command": command}, self._run_bash)

    async def read(self, path: str) -> str:
        """Read a mounted file (agent.tool_use "read" + agent.tool_result)."""
        return await self._builtin("read", {"file_path": path}, self._read)

    async def call_tool(self, name: str, input: dict[str, Any]) -> ToolAnswer:
        """Call a custom tool and wait until the client answers it."""
        async with self._runner.model_request(len(json.dumps(input))):
            use = self._session.emit({"type": "agent.custom_tool_use", "name": name, "input": input})
            self._runner.expect(use["id"], "custom")
        return await self._runner.wait_for_action(use["id"])

    async def _run_bash(self, input: dict[str, Any]) -> tuple[str, bool]:
        return await self._session.sandbox.bash(input["command"])

    async def _read(self, input: dict[str, Any]) -> tuple[str, bool]:
        text = await self._session.sandbox.read(input["file_path"])
        if text is None:
            return f"File does not exist: {input['file_path']}", True
        return text, False

    async def _builtin(self, name: str, input: dict[str, Any], run: Any) -> str:
        policy = policy_of(self._session.agent, name)
        permission = "deny" if policy is None else "ask" if policy == "always_ask" else "allow"
        event: dict[str, Any] = {"type": "agent.tool_use", "name": name, "input": input,
                                 "evaluated_permission": permission}
        if (evaluation := _evaluation(policy)) is not None:
            event["evaluation"] = evaluation
        async with self._runner.model_request(len(json.dumps(input))):
            use = self._session.emit(event)
            if permission == "ask":
                self._runner.expect(use["id"], "ask")
        if permission == "deny":
            return self._result(use["id"], f"Tool {name!r} is not enabled for this agent.", True)
        if permission == "ask":
            verdict = await self._runner.wait_for_action(use["id"])
            if verdict.is_error:
                message = verdict.text or "The user denied this tool call."
                self._result(use["id"], message, True)
                return f"Permission denied: {message}"
        text, is_error = await run(input)
        return self._result(use["id"], text, is_error)

    def _result(self, tool_use_id: str, text: str, is_error: bool) -> str:
        self._runner.check_live()
        self._session.emit({"type": "agent.tool_result", "tool_use_id": tool_use_id, "content": _text(text),
                            "is_error": is_error})
        return text
