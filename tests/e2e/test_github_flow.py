"""With GITHUB_TOKEN and GITHUB_REPO set, the approved fix becomes a real pull request, merged on (stand-in) GitHub."""

from __future__ import annotations

from blocks.ids import ActionId
from bot.demo import start_world
from standins.github import GitHubStandin

from tests.e2e.conftest import FIXTURES, ONCALL, YOU
from tests.e2e.helpers import open_incident, wait_for_card


async def test_an_approved_fix_is_merged_on_github(work_dir):
    github = GitHubStandin(repo="acme/infra", source=FIXTURES / "checkout-oom" / "repo", token="ghp_e2etoken")
    api_url = await github.start()
    world = await start_world(
        incident_dir=FIXTURES / "checkout-oom",
        work_dir=work_dir,
        github_token="ghp_e2etoken",
        github_repo="acme/infra",
        github_api_url=api_url,
    )
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        card = await wait_for_card(world, root_ts)
        assert "128Mi" in (await github.file_at("main", "k8s/checkout/deployment.yaml"))
        await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
        await run.wait_finished(timeout=60)
        pr = run.state.latest_pr
        assert pr is not None and "/pull/" in (pr.url or "")
        assert await world.bot.prs.is_merged(run.session_id, pr.number)
        assert "512Mi" in (await github.file_at("main", "k8s/checkout/deployment.yaml"))
        assert not (work_dir / "repos").exists()  # nothing went to the local git fallback
    finally:
        await world.stop()
        await github.stop()
