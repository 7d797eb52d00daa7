"""The Dockerfile (parsed with dockerfile-parse: no container engine here) and compose.yaml: the image installs the
package from the repository, runs `python -m bot` as a non-root user, and its HEALTHCHECK really probes /livez."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import tomllib
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser

from bot.ops.health import HealthServer
from bot.ops.metrics import BotMetrics
from bot.ops.readiness import Readiness
from bot.ops.watchdog import LoopWatchdog
from bot.settings import REPO_ROOT, load_settings

from tests.deploy.conftest import K8S, LANDS_LATER, variables

TOKENS = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "ANTHROPIC_API_KEY": "k", "ONCALL_CHANNEL": "C1"}


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    return DockerfileParser(str(REPO_ROOT / "Dockerfile"))


def _final_stage(parser: DockerfileParser) -> list[dict[str, Any]]:
    steps = [s for s in parser.structure if s["instruction"] != "COMMENT"]
    last_from = max(i for i, s in enumerate(steps) if s["instruction"] == "FROM")
    return steps[last_from:]


def _one(stage: list[dict[str, Any]], instruction: str) -> str:
    values = [s["value"] for s in stage if s["instruction"] == instruction]
    assert values, f"no {instruction} in the final stage"
    return values[-1]  # the last one is the one that counts


def _healthcheck(parser: DockerfileParser) -> list[str]:
    value = _one(_final_stage(parser), "HEALTHCHECK")
    return json.loads(value.split("CMD", 1)[1].strip())


def test_the_image_is_slim_python_of_the_supported_version(dockerfile: DockerfileParser) -> None:
    requires = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    version = re.search(r"\d+\.\d+", requires)
    assert version and dockerfile.baseimage == f"python:{version.group()}-slim"
    assert all(s["value"].split()[0].endswith("-slim") for s in dockerfile.structure if s["instruction"] == "FROM")


def test_the_image_installs_the_package_built_from_the_repository(dockerfile: DockerfileParser) -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    steps = [s for s in dockerfile.structure if s["instruction"] in ("COPY", "RUN", "FROM")]
    copied = {part.rstrip("/") for s in steps if s["instruction"] == "COPY" for part in s["value"].split()[:-1]}
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    assert set(packages) <= copied, f"packages the wheel would miss: {set(packages) - copied}"
    assert {"pyproject.toml", project["project"]["readme"]} <= copied
    runs = " ".join(s["value"] for s in steps if s["instruction"] == "RUN")
    assert "pip wheel" in runs and "pip install --no-cache-dir /wheels/" in runs


def test_the_image_runs_the_bot_as_a_non_root_user(dockerfile: DockerfileParser) -> None:
    stage = _final_stage(dockerfile)
    assert json.loads(_one(stage, "CMD")) == ["python", "-m", "bot"]
    user, _, group = _one(stage, "USER").partition(":")
    assert user.isdigit() and int(user) != 0, "USER must be a numeric uid (runAsNonRoot checks it) and not root"
    deployment = yaml.safe_load((K8S / "deployment.yaml").read_text())
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == int(user)
    assert _one(stage, "STOPSIGNAL") == "SIGTERM"


def test_the_images_environment_is_valid_settings(dockerfile: DockerfileParser) -> None:
    env = dockerfile.envs
    ours = {k: v for k, v in env.items() if not k.startswith("PYTHON")}
    assert set(ours) <= variables()
    settings = load_settings({**ours, **TOKENS}, dotenv_path=None)
    assert str(settings.health_port) in _one(_final_stage(dockerfile), "EXPOSE").split()
    assert settings.log_format == "json"
    deployment = yaml.safe_load((K8S / "deployment.yaml").read_text())
    mounts = {m["mountPath"] for m in deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
    assert str(settings.work_dir) in mounts and env["WORK_DIR"] == _one(_final_stage(dockerfile), "WORKDIR")


def test_dockerignore_keeps_the_tokens_and_local_state_out_of_the_build_context() -> None:
    ignored = {line.strip() for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()}
    assert {".env", ".incident-bot", "audit.jsonl", ".git"} <= ignored


@pytest.mark.parametrize(("limit", "expected"), [(5.0, 0), (-1.0, 1)], ids=["live", "stalled"])
async def test_the_healthcheck_command_probes_livez(dockerfile: DockerfileParser, limit: float, expected: int) -> None:
    """Runs the HEALTHCHECK's own command against a health listener, with a proxy set that must not be used."""
    command = _healthcheck(dockerfile)
    assert command[0] == "python" and "/livez" in command[-1]
    metrics = BotMetrics()
    server = HealthServer(host="127.0.0.1", port=0, readiness=Readiness(), metrics=metrics,
                          watchdog=LoopWatchdog(metrics, limit=limit))  # fmt: skip
    port = await server.start()
    try:
        env = {**os.environ, "HEALTH_PORT": str(port), "HTTP_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}
        proc = await asyncio.create_subprocess_exec(sys.executable, *command[1:], env=env,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)  # fmt: skip
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        await server.stop()
    assert proc.returncode == expected, err.decode()[-500:]
    if expected:
        assert b"503" in err


def test_compose_runs_two_replicas_on_one_redis_and_drains_before_the_kill() -> None:
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())
    bot, redis = compose["services"]["bot"], compose["services"]["redis"]
    assert bot["deploy"]["replicas"] == 2 and bot["build"] == "."
    assert set(bot["environment"]) - variables() <= LANDS_LATER
    settings = load_settings({**bot["environment"], **TOKENS}, dotenv_path=None)
    assert bot["environment"]["REDIS_URL"].startswith("redis://redis:") and "redis" in compose["services"]
    assert redis["image"].startswith("redis:") and bot["depends_on"]["redis"]["condition"] == "service_healthy"
    grace = re.fullmatch(r"(\d+)s", bot["stop_grace_period"])
    assert grace and int(grace.group(1)) >= settings.shutdown_grace + 5
    assert bot["read_only"] is True and any(v.endswith(f":{settings.work_dir}") for v in bot["volumes"])
    assert "ports" not in bot  # two replicas cannot publish one host port; probes and metrics stay inside


def test_the_wheel_the_image_installs_holds_every_module_of_the_repository() -> None:
    """What `pip wheel .` packs is what setuptools' find_packages finds with pyproject's include: a folder of
    modules it does not find (no __init__.py) would be missing from the image, and the bot would not start."""
    from setuptools import find_packages

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    include = project["tool"]["setuptools"]["packages"]["find"]["include"]
    found = set(find_packages(where=str(REPO_ROOT), include=include))
    tops = {p.rstrip("*") for p in include}
    folders = {
        ".".join(path.parent.relative_to(REPO_ROOT).parts)
        for top in tops for path in (REPO_ROOT / top).rglob("*.py") if "__pycache__" not in path.parts
    }  # fmt: skip
    assert folders <= found, f"left out of the wheel: {sorted(folders - found)}"
