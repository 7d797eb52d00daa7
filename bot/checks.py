"""`python -m bot check`: each configured provider asked whether it works, one line each: ok, off (not configured),
or FAIL with what is wrong and how to fix it. Nothing is created or changed anywhere."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import aiohttp
import anthropic
import yaml
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.agents.runbooks import read_runbooks
from bot.prs.base import GitError
from bot.prs.github import GitHubPullRequests
from bot.settings import REPO_ROOT, Settings
from bot.sources.base import SourceError
from bot.sources.registry import configured
from bot.words import ToolName

__all__ = ["Check", "run_checks"]

MANIFEST = REPO_ROOT / "manifest.yaml"
TIMEOUT = 20.0
Verdict = Literal["ok", "off", "FAIL"]


@dataclass(frozen=True, slots=True)
class Check:
    """One provider's answer."""

    name: str
    verdict: Verdict
    detail: str

    @property
    def line(self) -> str:
        return f"{self.verdict:<4} {self.name}: {self.detail}"


def _manifest_scopes() -> set[str] | None:
    try:
        manifest = yaml.safe_load(MANIFEST.read_text())
        return set(manifest["oauth_config"]["scopes"]["bot"])
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return None


async def _slack_bot(settings: Settings) -> Check:
    name = "Slack bot token"
    web = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    try:
        resp = await web.auth_test()
    except SlackApiError as exc:
        return Check(name, "FAIL", f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')}): use the app's Bot "
                                   "User OAuth Token (xoxb-…) from its OAuth & Permissions page")  # fmt: skip
    granted = {s.strip() for s in str(resp.headers.get("x-oauth-scopes", "")).split(",") if s.strip()}
    wanted = await asyncio.to_thread(_manifest_scopes)
    who = f"bot user {resp.get('user_id')} in team {resp.get('team_id')}"
    if wanted is None:
        return Check(name, "ok", f"{who} (manifest.yaml not found: scopes not compared)")
    missing = sorted(wanted - granted)
    if missing:
        return Check(name, "FAIL", f"{who} lacks scope(s) {', '.join(missing)} that manifest.yaml asks for: add them "
                                   "to the app and reinstall it to the workspace")  # fmt: skip
    return Check(name, "ok", f"{who}, with every scope manifest.yaml asks for")


async def _slack_app(settings: Settings) -> Check:
    name = "Slack app token"
    web = AsyncWebClient(token=settings.slack_app_token, base_url=settings.slack_api_url)
    try:
        await web.apps_connections_open(app_token=settings.slack_app_token)
    except SlackApiError as exc:
        return Check(name, "FAIL", f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}): create an "
                                   "app-level token (xapp-…) with connections:write, and turn Socket Mode on")  # fmt: skip
    return Check(name, "ok", "Socket Mode connections can be opened")


async def _anthropic(settings: Settings) -> Check:
    name = "Anthropic API key"
    client = anthropic.AsyncAnthropic(api_key=settings.anthropic_api_key, base_url=settings.anthropic_base_url,
                                      max_retries=1)  # fmt: skip
    try:
        await client.beta.agents.list(limit=1)
    except anthropic.AuthenticationError:
        return Check(name, "FAIL", "the Managed Agents API refused ANTHROPIC_API_KEY: create a key in the Console")
    except anthropic.APIConnectionError as exc:
        return Check(name, "FAIL", f"the Managed Agents API is unreachable ({exc}): check ANTHROPIC_BASE_URL and "
                                   "the network")  # fmt: skip
    except anthropic.APIStatusError as exc:
        return Check(name, "FAIL", f"the Managed Agents API answered {exc.status_code}: {exc.message}")
    finally:
        await client.close()
    ceiling = f"a ${settings.session_budget_usd:,.2f} budget" if settings.session_budget_usd else "no budget"
    return Check(name, "ok", f"the Managed Agents API answers (model {settings.model}, {ceiling} per incident)")


async def _sources(settings: Settings) -> list[Check]:
    providers = configured(settings)
    out = []
    try:
        for tool, name, url, token in ((ToolName.QUERY_PROMETHEUS, "Prometheus", "PROMETHEUS_URL", "PROMETHEUS_TOKEN"),
                                       (ToolName.QUERY_LOGS, "Loki", "LOKI_URL", "LOKI_TOKEN")):  # fmt: skip
            source = providers.source(tool)
            if source is None:
                out.append(Check(name, "off", f"{url} is not set ({tool} is not offered to the agent)"))
                continue
            try:
                out.append(Check(name, "ok", f"{await source.check()} ({tool} is offered to the agent)"))
            except SourceError as exc:
                fix = f"check {token}" if exc.error_type == "unauthorized" else f"check {url} (and {token})"
                out.append(Check(name, "FAIL", f"{exc.message}: {fix}"))
    finally:
        await providers.aclose()
    return out


async def _github(settings: Settings) -> Check:
    name = "GitHub"
    if not settings.github_token and not settings.github_repo:
        return Check(name, "off", "GITHUB_TOKEN and GITHUB_REPO are not set (PRs go to a local git repository)")
    if not settings.github_token or not settings.github_repo:
        return Check(name, "FAIL", "set both GITHUB_TOKEN and GITHUB_REPO (owner/name)")
    store = GitHubPullRequests(token=settings.github_token, repo=settings.github_repo, api_url=settings.github_api_url)
    try:
        repository = await store.ensure_repo("", None)
    except GitError as exc:
        return Check(name, "FAIL", f"{exc}: check GITHUB_TOKEN (it needs read and write access to contents and pull "
                                   f"requests of {settings.github_repo}) and GITHUB_REPO")  # fmt: skip
    finally:
        await store.aclose()
    if repository.can_push is False:
        return Check(name, "FAIL", f"GITHUB_TOKEN can read {repository.full_name} but not push to it: grant it write "
                                   "access to contents and pull requests")  # fmt: skip
    return Check(name, "ok", f"{repository.full_name} (default branch {repository.default_branch}) can be pushed to")


async def _runbooks(settings: Settings) -> Check:
    name = "Runbooks"
    if settings.runbooks_dir is None:
        return Check(name, "off", "RUNBOOKS_DIR is not set (the runbook skill tells the agent none are configured)")
    books = await read_runbooks(settings.runbooks_dir)
    if not books:
        return Check(name, "FAIL", f"RUNBOOKS_DIR {settings.runbooks_dir} holds no .md runbooks: put the team's "
                                   "markdown runbooks there")  # fmt: skip
    return Check(name, "ok", f"{len(books)} runbook(s) in {settings.runbooks_dir} become the runbook skill's files")


def _incident_data(settings: Settings) -> Check:
    folder: Path | None = settings.incident_data
    if folder is None:
        return Check("Incident data", "off", "INCIDENT_DATA is not set: nothing canned is mounted (as in production)")
    return Check("Incident data", "ok", f"canned evidence from {folder} is mounted into every session (the demo's "
                                        "and the tests' data: unset INCIDENT_DATA for real incidents)")  # fmt: skip


async def _bounded(name: str, check: Awaitable[Check]) -> Check:
    try:
        return await asyncio.wait_for(check, TIMEOUT)
    except TimeoutError:
        return Check(name, "FAIL", f"no answer within {TIMEOUT:g} s: check the URL and the network")
    except (aiohttp.ClientError, OSError) as exc:
        return Check(name, "FAIL", f"unreachable ({type(exc).__name__}: {exc}): check the URL and the network")


def _masked(check: Check, secrets: list[str]) -> Check:
    detail = check.detail
    for secret in secrets:
        detail = detail.replace(secret, "***")
    return Check(check.name, check.verdict, detail)


async def run_checks(settings: Settings) -> list[Check]:
    """Every provider's check, concurrently; no detail ever holds a token."""
    found = await asyncio.gather(
        _bounded("Slack bot token", _slack_bot(settings)), _bounded("Slack app token", _slack_app(settings)),
        _bounded("Anthropic API key", _anthropic(settings)), _sources(settings), _bounded("GitHub", _github(settings)),
        _runbooks(settings),
    )  # fmt: skip
    checks = [c for item in found for c in (item if isinstance(item, list) else [item])]
    checks.append(_incident_data(settings))
    secrets = [s for s in (settings.slack_bot_token, settings.slack_app_token, settings.anthropic_api_key,
                           settings.prometheus_token, settings.loki_token, settings.github_token) if s]  # fmt: skip
    return [_masked(c, secrets) for c in checks]
