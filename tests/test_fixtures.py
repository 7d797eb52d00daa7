"""The incident fixtures: layout, valid data, and a deterministic generated log."""

from __future__ import annotations

import hashlib
import json
import re
import runpy
import subprocess
import time
from pathlib import Path

import pytest
import yaml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
INCIDENTS = ["checkout-oom", "incident-2277"]
LOG_FIELDS = {"ts", "level", "service", "host", "msg", "request_id", "latency_ms", "status"}


def generate(out: Path) -> Path:
    runpy.run_path(str(FIXTURES / "incident-2277" / "generate.py"))["generate"](out)
    return out / "logs" / "checkout.jsonl"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    started = time.perf_counter()
    path = generate(tmp_path_factory.mktemp("first"))
    return path, time.perf_counter() - started


@pytest.mark.parametrize("name", INCIDENTS)
def test_layout_and_valid_data(name: str) -> None:
    folder = FIXTURES / name
    incident = json.loads((folder / "incident.json").read_text())
    assert incident["id"] == name and incident["title"] and incident["service"] == "checkout"
    for runbook in ("oom.md", "5xx.md", "latency.md"):
        assert (folder / "runbooks" / runbook).read_text().startswith("# Runbook")
    assert any((folder / "logs").glob("*.log")) or (folder / "generate.py").is_file()

    event = json.loads((folder / "alert.json").read_text())["event"]
    assert (event["event_type"], event["resource_type"]) == ("incident.triggered", "incident")
    data = event["data"]
    assert (data["type"], data["status"], data["urgency"]) == ("incident", "triggered", "high")
    for key in ("id", "self", "html_url", "number", "status", "incident_key", "created_at", "title", "service",
                "assignees", "escalation_policy", "teams", "priority", "urgency"):
        assert key in data

    deploys = json.loads((folder / "deploys.json").read_text())
    assert all(set(d) == {"id", "service", "commit", "author", "deployed_at", "description"} for d in deploys)
    assert all(re.fullmatch(r"[0-9a-f]{40}", d["commit"]) for d in deploys)
    assert [d["deployed_at"] for d in deploys] == sorted((d["deployed_at"] for d in deploys), reverse=True)

    metrics = json.loads((folder / "metrics.json").read_text())
    for series in (s for per_service in metrics.values() for s in per_service.values()):
        assert series and all(set(p) == {"t", "v"} and isinstance(p["v"], (int, float)) for p in series)
        stamps = [p["t"] for p in series]
        assert stamps == sorted(stamps)

    for manifest in (folder / "repo").rglob("*.yaml"):
        assert list(yaml.safe_load_all(manifest.read_text()))


def test_checkout_oom_tells_its_story() -> None:
    folder = FIXTURES / "checkout-oom"
    log = (folder / "logs" / "checkout.log").read_text()
    assert 30 <= len(log.splitlines()) <= 50
    assert log.count("OOMKilled exit code 137") == 3 and log.count("CrashLoopBackOff") == 3
    assert log.count("expected_entries=14212") == 3 and "cannot allocate memory" in log
    assert max(float(v) for v in re.findall(r"heap_mb=([0-9.]+)", log)) == pytest.approx(121, abs=1)
    deployment = yaml.safe_load((folder / "repo/k8s/checkout/deployment.yaml").read_text())
    assert deployment["kind"] == "Deployment" and deployment["spec"]["replicas"] == 3
    resources = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources["requests"]["memory"] == resources["limits"]["memory"] == "128Mi"
    assert "next tier for a cache-driven OOM is 512Mi" in (folder / "runbooks/oom.md").read_text()


def test_incident_2277_diff_is_the_deployed_commit_and_reverts_cleanly(tmp_path: Path) -> None:
    folder = FIXTURES / "incident-2277"
    shown = (folder / "diff.txt").read_text()
    sha = shown.splitlines()[0].removeprefix("commit ")
    assert re.fullmatch(r"a3f9c21[0-9a-f]{33}", sha)
    deploys = json.loads((folder / "deploys.json").read_text())
    assert any(d["commit"] == sha and d["service"] == "checkout" for d in deploys)
    assert '-            f"WHERE order_id IN ({placeholders})' in shown
    assert "+        for order_id in order_ids:" in shown
    repo = tmp_path / "repo"
    subprocess.run(["cp", "-r", str(folder / "repo"), str(repo)], check=True)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "apply", "-R", "--check", str(folder / "diff.txt")], cwd=repo, check=True)

    checkout = json.loads((folder / "metrics.json").read_text())["checkout"]
    assert checkout["p99_latency_ms"][0]["v"] < 80 and max(p["v"] for p in checkout["p99_latency_ms"]) > 3000
    assert max(p["v"] for p in checkout["db_pool_utilization"]) == 1.0
    assert 0.15 <= max(p["v"] for p in checkout["error_rate"]) <= 0.25


def test_generated_log_is_deterministic_fast_and_well_formed(generated: tuple[Path, float], tmp_path: Path) -> None:
    path, seconds = generated
    assert seconds < 3
    again = generate(tmp_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(again.read_bytes()).hexdigest()

    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert 65_000 <= len(records) <= 75_000
    assert all(LOG_FIELDS <= set(r) for r in records)
    assert records[0]["ts"] >= "2025-06-12T09:00" and records[-1]["ts"] < "2025-06-12T10:00"
    assert [r["ts"] for r in records] == sorted(r["ts"] for r in records)
    per_row = [r for r in records if "WHERE order_id = %s" in r["msg"]]
    assert per_row and min(r["ts"] for r in per_row) >= "2025-06-12T09:24:10"
    assert sum("connection pool exhausted" in r["msg"] for r in records) > 100
    auth = [r["ts"] for r in records if "auth timeout" in r["msg"]]
    assert auth and "2025-06-12T09:30" < min(auth) and max(auth) < "2025-06-12T09:40"
