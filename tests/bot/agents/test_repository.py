"""The repository as a session resource: only with GitHub configured, in the SDK's shape, replacing the upload of
the incident data's repo/ copy (and nothing else)."""

from __future__ import annotations

import pydantic
from anthropic.types.beta import BetaManagedAgentsGitHubRepositoryResourceParams

from bot.agents.evidence import load_evidence
from bot.agents.repository import evidence_to_upload, repository_resources
from bot.settings import REPO_ROOT, Settings

OOM = REPO_ROOT / "fixtures" / "checkout-oom"


def _settings(tmp_path, **changes) -> Settings:
    return Settings(slack_bot_token="xoxb-t", slack_app_token="xapp-t", oncall_channel="C1",
                    anthropic_api_key="sk-ant-test", work_dir=tmp_path, **changes)  # fmt: skip


async def test_without_github_the_repo_copy_is_uploaded_and_nothing_is_cloned(tmp_path):
    settings = _settings(tmp_path, github_repo="acme/infra")  # a repository without a token is not GitHub
    evidence = await load_evidence(OOM, work_dir=tmp_path)
    assert repository_resources(settings) == []
    assert evidence_to_upload(evidence, settings).files == evidence.files


async def test_with_github_the_repository_is_cloned_instead_of_uploaded(tmp_path):
    settings = _settings(tmp_path, github_repo="acme/infra", github_token="ghp_t")
    [resource] = repository_resources(settings)
    assert resource == {"type": "github_repository", "url": "https://github.com/acme/infra",
                        "authorization_token": "ghp_t", "mount_path": "/workspace/infra"}  # fmt: skip
    pydantic.TypeAdapter(BetaManagedAgentsGitHubRepositoryResourceParams).validate_python(resource)
    evidence = await load_evidence(OOM, work_dir=tmp_path)
    uploaded = evidence_to_upload(evidence, settings).files
    assert set(uploaded) == {rel for rel in evidence.files if not rel.startswith("repo/")}
    assert any(rel.startswith("logs/") for rel in uploaded) and any(rel.startswith("repo/") for rel in evidence.files)
