"""`github_repository` session resources on the Managed Agents stand-in: checked as the API documents them, cloned
from the GitHub stand-in with the session's token, readable by the agent, and a refused clone reported as the API
reports it (a session.error, the session going on without the repository). Through the real AsyncAnthropic."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import pydantic
import pytest
from anthropic.types.beta.sessions import BetaManagedAgentsSessionErrorEvent, BetaManagedAgentsSessionEvent

from bot.settings import REPO_ROOT
from standins.github import GitHubStandin
from standins.managed_agents import AgentContext, ManagedAgentsStandin
from standins.managed_agents.testing import ScriptedBrain, ends_turn, read_until, user_message

REPO = REPO_ROOT / "fixtures" / "checkout-oom" / "repo"
TOKEN = "ghp_clone_5ecret_token"
EVENTS = pydantic.TypeAdapter(BetaManagedAgentsSessionEvent)
MANIFEST = "k8s/checkout/deployment.yaml"


async def look(ctx: AgentContext, message: str) -> None:
    ctx.memory["repositories"] = dict(ctx.repositories)
    ctx.memory["listing"] = await ctx.bash("ls /workspace/infra/k8s/checkout")
    ctx.memory["manifest"] = await ctx.read(f"/workspace/infra/{MANIFEST}")
    ctx.memory["origin"] = await ctx.bash("git -C /workspace/infra remote get-url origin")
    await ctx.say("looked")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "")


@pytest.fixture
async def github() -> AsyncIterator[GitHubStandin]:
    standin = GitHubStandin(repo="acme/infra", source=REPO, token=TOKEN)
    await standin.start()
    yield standin
    await standin.stop()


@pytest.fixture
def brain() -> ScriptedBrain:
    return ScriptedBrain(look)


@pytest.fixture
async def server(github: GitHubStandin, brain: ScriptedBrain) -> AsyncIterator[ManagedAgentsStandin]:
    standin = ManagedAgentsStandin(brain=brain, github_url=github.api_url)
    await standin.start()
    yield standin
    await standin.stop()


@pytest.fixture
async def client(server: ManagedAgentsStandin) -> AsyncIterator[anthropic.AsyncAnthropic]:
    c = anthropic.AsyncAnthropic(base_url=server.base_url, api_key="sk-test", max_retries=0)
    yield c
    await c.close()


async def _create(client: anthropic.AsyncAnthropic, *resources: dict[str, Any]) -> Any:
    agent = await client.beta.agents.create(name="a", model="claude-opus-4-8",
                                            tools=[{"type": "agent_toolset_20260401"}])  # fmt: skip
    env = await client.beta.environments.create(name="env")
    return await client.beta.sessions.create(agent=agent.id, environment_id=env.id, resources=list(resources))


def _repository(**fields: Any) -> dict[str, Any]:
    return {"type": "github_repository", "url": "https://github.com/acme/infra", "authorization_token": TOKEN,
            **fields}  # fmt: skip


async def _run_turn(client: anthropic.AsyncAnthropic, session_id: str) -> list[Any]:
    stream = await client.beta.sessions.events.stream(session_id)
    await client.beta.sessions.events.send(session_id, events=[user_message("go")])
    return await read_until(stream, ends_turn)


async def test_the_repository_is_cloned_where_the_session_says_and_the_agent_reads_it(client, server, brain):
    session = await _create(client, _repository())
    [resource] = session.resources
    assert (resource.type, resource.url, resource.mount_path) == ("github_repository", "https://github.com/acme/infra",
                                                                  "/workspace/infra")  # fmt: skip
    assert "authorization_token" not in resource.to_dict()  # write-only
    await _run_turn(client, session.id)
    memory = server.sessions[session.id].memory
    assert memory["repositories"] == {"/workspace/infra": "https://github.com/acme/infra"}
    assert memory["manifest"] == (REPO / MANIFEST).read_text() and "deployment.yaml" in memory["listing"]
    assert memory["origin"].strip() == "https://github.com/acme/infra"  # not the stand-in's address
    # The token went to GitHub in a header and was kept nowhere the agent could read it.
    found = subprocess.run(["grep", "-rl", TOKEN, str(server.sessions[session.id].sandbox.container)],
                           capture_output=True, text=True)  # fmt: skip
    assert found.stdout == ""


async def test_a_wrong_token_is_a_session_error_and_the_session_goes_on_without_the_repository(client, server, github):
    session = await _create(client, _repository(authorization_token="ghp_wrong"))
    events = await _run_turn(client, session.id)
    errors = [e for e in events if e.type == "session.error"]
    assert len(errors) == 1 and isinstance(errors[0], BetaManagedAgentsSessionErrorEvent)
    error = errors[0].error
    assert (error.type, error.repository_url, error.retry_status.type) == (
        "repository_authentication_error", "https://github.com/acme/infra", "retrying")
    assert "ghp_wrong" not in error.message
    memory = server.sessions[session.id].memory
    assert memory["repositories"] == {} and "File does not exist" in memory["manifest"]
    assert any(r.status == 401 and r.path.endswith("/info/refs") for r in github.requests)
    assert events[-1].stop_reason.type == "end_turn"
    for event in server.sessions[session.id].events:  # strictly, as the SDK's own models define them
        assert EVENTS.validate_json(json.dumps(event), strict=True).type == event["type"]


async def test_branch_and_commit_checkouts(client, server, github):
    first = (await github.branches())["main"]
    await github.push_commit("main", MANIFEST, "kind: Deployment\n", message="later")
    pinned = await _create(client, _repository(checkout={"type": "commit", "sha": first}, mount_path="/workspace/old"))
    assert server.sessions[pinned.id].files[f"/workspace/old/{MANIFEST}"] == (REPO / MANIFEST).read_bytes()
    missing = await _create(client, _repository(checkout={"type": "branch", "name": "nope"}))
    events = await _run_turn(client, missing.id)
    assert [e.error.type for e in events if e.type == "session.error"] == ["repository_checkout_error"]


@pytest.mark.parametrize("resource", [
    _repository(url="https://github.com/acme/infra.git"),
    _repository(url="http://github.com/acme/infra"),
    _repository(url="https://gitlab.com/acme/infra"),
    _repository(mount_path="/etc/infra"),
    _repository(mount_path="/workspace/../etc"),
    _repository(checkout={"type": "commit", "sha": "abc123"}),
    _repository(checkout={"type": "tag", "name": "v1"}),
    _repository(token="x"),
])  # fmt: skip
async def test_a_malformed_repository_resource_is_refused(client, resource):
    with pytest.raises(anthropic.BadRequestError):
        await _create(client, resource)


async def test_two_resources_on_one_mount_path_are_refused(client):
    with pytest.raises(anthropic.BadRequestError, match="already mounted"):
        await _create(client, _repository(), _repository())


async def test_without_a_github_to_clone_from_the_stand_in_says_so(brain):
    standin = ManagedAgentsStandin(brain=brain)
    await standin.start()
    c = anthropic.AsyncAnthropic(base_url=standin.base_url, api_key="sk-test", max_retries=0)
    try:
        with pytest.raises(anthropic.BadRequestError, match="github_url"):
            await _create(c, _repository())
    finally:
        await c.close()
        await standin.stop()
