"""The Managed Agents stand-in is as strict as the API on what sessions.create takes: file mount paths (the SDK's
default `/mnt/session/uploads/<file_id>`), session-scoped copies of mounted files, pages of files, `initial_events`,
and a `budget` (a spend ceiling at list price; `model_not_budgetable` for a model without one), with the session's
usage priced as it goes."""

from __future__ import annotations

import anthropic
import pytest

from standins.managed_agents.testing import ScriptedBrain, user_message

BUDGET = {"type": "limit", "max_list_cost": {"amount": "2500", "currency": "USD"}}


async def _agent_env(client: anthropic.AsyncAnthropic, model: str = "claude-opus-4-8") -> tuple[str, str]:
    agent = await client.beta.agents.create(name="a", model=model)
    env = await client.beta.environments.create(name=f"env-{model}")
    return agent.id, env.id


async def _upload(client: anthropic.AsyncAnthropic, name: str, data: bytes = b"hello\n") -> str:
    return (await client.beta.files.upload(file=(name, data, "text/plain"))).id


async def test_mount_paths_default_to_the_uploads_folder_and_relative_ones_land_inside_it(client, agents):
    agent, env = await _agent_env(client)
    plain, nested, absolute = [await _upload(client, n) for n in ("a.log", "b.log", "c.log")]
    session = await client.beta.sessions.create(agent=agent, environment_id=env, resources=[
        {"type": "file", "file_id": plain},
        {"type": "file", "file_id": nested, "mount_path": "incident/logs/b.log"},
        {"type": "file", "file_id": absolute, "mount_path": "/mnt/session/incident/c.log"},
    ])  # fmt: skip
    paths = [r.mount_path for r in session.resources]
    assert paths[0] == f"/mnt/session/uploads/{plain}"
    assert paths[1:] == ["/mnt/session/uploads/incident/logs/b.log", "/mnt/session/incident/c.log"]
    assert set(agents.sessions[session.id].files) == set(paths)


async def test_a_mount_path_the_api_refuses(client):
    agent, env = await _agent_env(client)
    file_id = await _upload(client, "a.log")
    for bad in ("../etc/passwd", "/mnt/session/uploads/../../x", "/mnt/session"):
        with pytest.raises(anthropic.BadRequestError):
            await client.beta.sessions.create(agent=agent, environment_id=env,
                                              resources=[{"type": "file", "file_id": file_id, "mount_path": bad}])
    many = [{"type": "file", "file_id": file_id, "mount_path": f"f/{i}.log"} for i in range(101)]
    with pytest.raises(anthropic.BadRequestError, match="100"):
        await client.beta.sessions.create(agent=agent, environment_id=env, resources=many)


async def test_each_mounted_file_gets_a_session_scoped_copy_that_no_other_session_may_mount(client):
    agent, env = await _agent_env(client)
    original = await _upload(client, "a.log")
    session = await client.beta.sessions.create(agent=agent, environment_id=env,
                                                resources=[{"type": "file", "file_id": original}])
    [resource] = session.resources
    assert resource.file_id != original
    copies = [f async for f in client.beta.files.list(scope_id=session.id)]
    assert [(f.id, f.filename, f.scope.type, f.scope.id) for f in copies] == [
        (resource.file_id, "a.log", "session", session.id)]
    with pytest.raises(anthropic.BadRequestError, match="scoped"):
        await client.beta.sessions.create(agent=agent, environment_id=env,
                                          resources=[{"type": "file", "file_id": resource.file_id}])


async def test_files_are_listed_a_page_at_a_time_and_ids_exclude_paging(client):
    ids = [await _upload(client, f"f{i}.log") for i in range(25)]
    first = await client.beta.files.list()
    assert len(first.data) == 20 and first.next_page
    assert {f.id async for f in client.beta.files.list()} == set(ids)
    with pytest.raises(anthropic.BadRequestError):
        await client.beta.files.list(ids=ids[:2], limit=5)


async def test_a_budget_is_checked_priced_and_read_back(client, agents):
    agent, env = await _agent_env(client)
    for bad in ({"type": "limit", "max_list_cost": {"amount": "25.00", "currency": "USD"}},
                {"type": "limit", "max_list_cost": {"amount": "0250", "currency": "USD"}},
                {"type": "limit", "max_list_cost": {"amount": "2500", "currency": "EUR"}},
                {"type": "cap", "max_list_cost": {"amount": "2500", "currency": "USD"}}):  # fmt: skip
        with pytest.raises(anthropic.BadRequestError):
            await client.beta.sessions.create(agent=agent, environment_id=env, budget=bad)
    session = await client.beta.sessions.create(agent=agent, environment_id=env, budget=BUDGET,
                                                initial_events=[user_message("hello")])  # fmt: skip
    assert session.budget.max_list_cost.amount == "2500"
    await agents.wait_for(lambda a: a.sessions[session.id].status == "idle" and a.sessions[session.id].events
                          and a.sessions[session.id].events[-1]["type"] == "session.status_idle")  # fmt: skip
    done = await client.beta.sessions.retrieve(session.id)
    assert done.usage.list_cost is not None and int(done.usage.list_cost.amount) > 0
    usage = [e async for e in client.beta.sessions.events.list(session.id, types=["session.usage"])]
    assert usage and usage[-1].usage.list_cost.amount == done.usage.list_cost.amount
    assert usage[-1].budget.max_list_cost.amount == "2500"


async def test_a_model_without_a_list_price_cannot_have_a_budget(client):
    agent, env = await _agent_env(client, model="claude-unpriced-test")
    with pytest.raises(anthropic.BadRequestError, match="model_not_budgetable"):
        await client.beta.sessions.create(agent=agent, environment_id=env, budget=BUDGET)
    await client.beta.sessions.create(agent=agent, environment_id=env)  # no budget: fine


@pytest.fixture
def brain() -> ScriptedBrain:
    async def chatty(ctx, message):
        for i in range(50):
            await ctx.say(f"step {i}")

    return ScriptedBrain(first=chatty)


async def test_the_ceiling_stops_the_agent_with_budget_reached(client, agents, brain):
    agent, env = await _agent_env(client)
    tiny = {"type": "limit", "max_list_cost": {"amount": "3", "currency": "USD"}}
    session = await client.beta.sessions.create(agent=agent, environment_id=env, budget=tiny,
                                                initial_events=[user_message("go")])  # fmt: skip
    await agents.wait_for(lambda a: any(e.get("stop_reason", {}).get("type") == "budget_reached"
                                        for e in a.sessions[session.id].events))  # fmt: skip
    said = [e for e in agents.sessions[session.id].events if e["type"] == "agent.message"]
    assert 0 < len(said) < 50
    done = await client.beta.sessions.retrieve(session.id)
    assert int(done.usage.list_cost.amount) >= 3
