"""With GITHUB_TOKEN and GITHUB_REPO set: the session clones the repository from (stand-in) GitHub instead of the
incident data's repo/ copy, get_recent_deploys and get_diff read GitHub, and the approved fix is a real pull request,
merged on GitHub."""

from __future__ import annotations

import subprocess
from pathlib import Path

from blocks.ids import ActionId
from bot.demo import start_world
from standins.github import GitHubStandin

from tests.e2e.conftest import FIXTURES, ONCALL, YOU
from tests.e2e.helpers import open_incident, result_json, sent_events, wait_for_card

TOKEN = "ghp_e2etoken"
LATENCY = FIXTURES / "incident-2277"
ORDERS = "services/checkout/order_repository.py"


def _session_request(world) -> dict:
    [created] = [r for r in world.agents.requests if r.method == "POST" and r.path == "/v1/sessions"]
    return created.json


def _tool_answers(world, run, name: str) -> list[dict]:
    """The answers the bot sent to the agent's calls of one custom tool."""
    ids = {call.id for call in run.state.tools.values() if call.name == name}
    return [result_json(e) for e in sent_events(world, run.session_id, "user.custom_tool_result")
            if e["custom_tool_use_id"] in ids]


def _reads(world, run) -> list[str]:
    events = world.agents.sessions[run.session_id].events
    return [e["input"]["file_path"] for e in events if e["type"] == "agent.tool_use" and e["name"] == "read"]


async def test_the_cloned_repository_is_fixed_and_merged_on_github(work_dir):
    github = GitHubStandin(repo="acme/infra", source=FIXTURES / "checkout-oom" / "repo", token=TOKEN)
    await github.start()
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, github=github)
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        card = await wait_for_card(world, root_ts)

        resources = _session_request(world)["resources"]
        assert {"type": "github_repository", "url": "https://github.com/acme/infra",
                "authorization_token": TOKEN, "mount_path": "/workspace/infra"} in resources
        assert not [r for r in resources if r["type"] == "file" and "/repo/" in r["mount_path"]]  # no repo/ upload
        session = await world.bot.anthropic.beta.sessions.retrieve(run.session_id)
        [mounted] = [r for r in session.resources if r.type == "github_repository"]
        assert mounted.mount_path == "/workspace/infra"
        [first] = _session_request(world)["initial_events"]  # the agent is told where the clone is
        assert "is at /workspace/infra (a clone of https://github.com/acme/infra" in first["content"][0]["text"]
        assert "/workspace/infra/k8s/checkout/deployment.yaml" in _reads(world, run)

        # No deployments on this repository: the commits on its default branch stand in, named as such.
        [deploys] = _tool_answers(world, run, "get_recent_deploys")
        head = (await github.branches())["main"]
        assert deploys["source"] == "commits" and deploys["deploys"] == []
        assert [c["commit"] for c in deploys["commits"]] == [head]

        assert "128Mi" in (await github.file_at("main", "k8s/checkout/deployment.yaml"))
        await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
        await run.wait_finished(timeout=60)
        pr = run.state.latest_pr
        assert pr is not None and "/pull/" in (pr.url or "")
        assert await world.bot.prs.is_merged(run.session_id, pr.number)
        assert "512Mi" in (await github.file_at("main", "k8s/checkout/deployment.yaml"))
        assert not (work_dir / "repos").exists()  # nothing went to the local git fallback
        assert not github.unhandled()
    finally:
        await world.stop()
        await github.stop()


def _before_the_bad_commit(tmp_path: Path) -> Path:
    """incident-2277's repository as it was before the commit in its diff.txt."""
    before = tmp_path / "before"
    subprocess.run(["cp", "-r", str(LATENCY / "repo"), str(before)], check=True)
    subprocess.run(["git", "apply", "-R"], cwd=before, input=(LATENCY / "diff.txt").read_bytes(), check=True)
    return before


async def test_a_deployed_commit_is_found_on_github_and_reverted(work_dir, tmp_path):
    before = _before_the_bad_commit(tmp_path)
    github = GitHubStandin(repo="acme/shop", source=before, token=TOKEN)
    await github.start()
    bad = await github.push_commit("main", ORDERS, (LATENCY / "repo" / ORDERS).read_text(),
                                   message="checkout: load order items per order")
    deployment = await github.add_deployment(
        bad, payload={"service": "checkout"}, created_at="2025-06-12T09:24:10Z", creator="dana.reyes",
        description="checkout 2.19.0: load order items per order (CHK-1841)", states=("in_progress", "success"),
    )  # fmt: skip
    world = await start_world(incident_dir=LATENCY, work_dir=work_dir, github=github)
    try:
        root_ts, run = await open_incident(world, YOU, "checkout p99 is through the roof")
        card = await wait_for_card(world, root_ts, timeout=60)

        [deploys] = _tool_answers(world, run, "get_recent_deploys")
        assert deploys["source"] == "github_deployments"
        [seen] = deploys["deploys"]
        assert (seen["id"], seen["commit"], seen["state"], seen["author"]) == (deployment, bad, "success", "dana.reyes")
        [diff] = _tool_answers(world, run, "get_diff")
        assert diff["commit"] == bad and "for order_id in order_ids:" in diff["diff"]
        assert any(r.path == f"/repos/acme/shop/commits/{bad}" and "diff" in r.headers.get("Accept", "")
                   for r in github.requests)  # fmt: skip
        assert f"/workspace/shop/{ORDERS}" in _reads(world, run)

        await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
        await run.wait_finished(timeout=60)
        assert await world.bot.prs.is_merged(run.session_id, run.state.latest_pr.number)
        assert await github.file_at("main", ORDERS) == (before / ORDERS).read_text()  # the commit is reverted
    finally:
        await world.stop()
        await github.stop()
