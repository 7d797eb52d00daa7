"""deploy/k8s renders with kustomize, every object is valid against the Kubernetes schema (bundled, offline), and
the facts that keep a replica safe hold: probes, drain time, non-root, read-only root, the settings the bot reads."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import kubernetes_validate
import pytest
import yaml

from bot.settings import load_settings

from tests.deploy.conftest import K8S, LANDS_LATER, kustomize_resources, of_kind, settings_env, variables

SCHEMA = kubernetes_validate.latest_version()


def _validate(doc: dict[str, Any]) -> None:
    try:
        kubernetes_validate.validate(doc, SCHEMA, strict=True)  # strict: an unknown (misspelt) field fails
    except kubernetes_validate.ValidationError as exc:
        raise AssertionError(f"{doc['kind']} {doc['metadata'].get('name')}: {exc.message} at {list(exc.path)}") from None


@pytest.mark.parametrize("name", [*kustomize_resources(), "secret.example.yaml"])
def test_each_manifest_file_is_valid_against_the_kubernetes_schema(name: str) -> None:
    docs = [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    assert docs
    for doc in docs:
        _validate(doc)


def test_the_kustomization_renders_valid_objects_in_one_namespace(rendered: list[dict[str, Any]]) -> None:
    kinds = sorted((d["kind"], d["metadata"]["name"].rsplit("-", 1)[0] if d["kind"] == "ConfigMap" else
                    d["metadata"]["name"]) for d in rendered)  # fmt: skip
    assert kinds == sorted([
        ("Namespace", "incident-bot"), ("ConfigMap", "incident-bot-settings"), ("Deployment", "incident-bot"),
        ("PodDisruptionBudget", "incident-bot"), ("Deployment", "incident-bot-redis"),
        ("Service", "incident-bot-redis"), ("NetworkPolicy", "incident-bot-redis"),
    ])  # fmt: skip
    for doc in rendered:
        _validate(doc)
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "incident-bot"


def test_the_bot_deployment_probes_drains_and_runs_unprivileged(rendered: list[dict[str, Any]]) -> None:
    deployment = of_kind(rendered, "Deployment", "incident-bot")
    config = of_kind(rendered, "ConfigMap", "incident-bot-settings")
    spec, pod = deployment["spec"], deployment["spec"]["template"]["spec"]
    assert spec["replicas"] == 2 and spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert spec["selector"]["matchLabels"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    (bot,) = pod["containers"]

    # The settings as the bot reads them: every key is a setting, with a valid value.
    sources = {k: v for e in bot["envFrom"] for k, v in e.items()}
    assert sources["configMapRef"]["name"] == config["metadata"]["name"]  # the generated name, hash and all
    assert set(config["data"]) - variables() <= LANDS_LATER, "ConfigMap keys the bot does not read"
    settings = load_settings({**config["data"], "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1",
                              "ANTHROPIC_API_KEY": "k"}, dotenv_path=None)  # fmt: skip

    # Probes on the health port the settings open.
    ports = {p["name"]: p["containerPort"] for p in bot["ports"]}
    assert ports["health"] == settings.health_port
    assert (bot["readinessProbe"]["httpGet"], bot["livenessProbe"]["httpGet"], bot["startupProbe"]["httpGet"]) == (
        {"path": "/readyz", "port": "health"}, {"path": "/livez", "port": "health"}, {"path": "/livez", "port": "health"})
    assert bot["livenessProbe"]["timeoutSeconds"] > 2  # a readiness check may take its 2 s; liveness never waits on one

    # The drain ends before the kubelet's SIGKILL.
    assert pod["terminationGracePeriodSeconds"] >= settings.shutdown_grace + 5

    # Not root, nothing to escalate to, a read-only root, and WORK_DIR (and /tmp, for git) writable volumes.
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert bot["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                      "capabilities": {"drop": ["ALL"]}}  # fmt: skip
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in bot["volumeMounts"]}
    assert str(settings.work_dir) in mounts and "/tmp" in mounts
    assert str(settings.audit_log).startswith(str(settings.work_dir) + "/")
    assert {"cpu", "memory"} <= bot["resources"]["requests"].keys() and "memory" in bot["resources"]["limits"]


def test_redis_is_where_redis_url_points_and_only_the_bot_reaches_it(rendered: list[dict[str, Any]]) -> None:
    url = urlparse(of_kind(rendered, "ConfigMap", "incident-bot-settings")["data"]["REDIS_URL"])
    service = of_kind(rendered, "Service", "incident-bot-redis")
    redis = of_kind(rendered, "Deployment", "incident-bot-redis")
    assert url.scheme == "redis" and url.hostname == service["metadata"]["name"]
    assert url.port in {p["port"] for p in service["spec"]["ports"]}
    labels = redis["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    policy = of_kind(rendered, "NetworkPolicy", "incident-bot-redis")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    bot_labels = of_kind(rendered, "Deployment", "incident-bot")["spec"]["template"]["metadata"]["labels"]
    (rule,) = policy["spec"]["ingress"]
    assert rule["from"][0]["podSelector"]["matchLabels"].items() <= bot_labels.items()
    pod = redis["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True


def test_the_secret_holds_only_token_settings_and_no_real_value(rendered: list[dict[str, Any]]) -> None:
    secret = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    bot = of_kind(rendered, "Deployment", "incident-bot")["spec"]["template"]["spec"]["containers"][0]
    assert {"secretRef": {"name": secret["metadata"]["name"]}} in bot["envFrom"]
    assert set(secret["stringData"]) <= variables()
    assert all(value.endswith("...") for value in secret["stringData"].values())
    assert "secret.example.yaml" not in kustomize_resources()  # an apply must never overwrite the real tokens
    assert not set(secret["stringData"]) & set(settings_env()), "a token in the ConfigMap's settings"
