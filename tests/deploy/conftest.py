"""The deployment files as an operator's tools read them: kustomize renders, the Kubernetes schema validates."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from bot.settings import REPO_ROOT, Settings

K8S = REPO_ROOT / "deploy" / "k8s"
LANDS_LATER = {"REDIS_URL"}  # issue 17 item 1 (replicas on Redis) adds the setting; the files already carry it


def kustomize_resources() -> list[str]:
    """The files kustomization.yaml lists, for when kubectl is not there to render them."""
    return list(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])


@pytest.fixture(scope="session")
def rendered() -> list[dict[str, Any]]:
    """`kubectl kustomize deploy/k8s`, parsed (skipped where kubectl is missing, unless REQUIRE_KUBECTL=1)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        if os.environ.get("REQUIRE_KUBECTL") == "1":
            pytest.fail("kubectl is required (REQUIRE_KUBECTL=1) but not installed")
        pytest.skip("kubectl is not installed: the manifests are validated file by file instead")
    out = subprocess.run([kubectl, "kustomize", str(K8S)], check=True, capture_output=True, text=True, timeout=60)
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def of_kind(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    """The one object of a kind and name (a generated ConfigMap's name ends in kustomize's hash)."""
    def named(doc: dict[str, Any]) -> bool:
        given = doc["metadata"]["name"]
        return given == name or (kind == "ConfigMap" and given.rsplit("-", 1)[0] == name)

    found = [d for d in docs if d["kind"] == kind and named(d)]
    assert len(found) == 1, f"{len(found)} {kind} named {name}"
    return found[0]


def variables() -> set[str]:
    """Every environment variable the bot's settings read."""
    return set(Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1", anthropic_api_key="k",
                        oncall_channel="C1").to_env())  # fmt: skip


def settings_env() -> dict[str, str]:
    """deploy/k8s/settings.env, the ConfigMap's source."""
    pairs = (line.split("=", 1) for line in (K8S / "settings.env").read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}
