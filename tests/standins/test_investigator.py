"""The offline investigator, driven through a fake AgentContext over the real fixture data."""

from __future__ import annotations

import asyncio
import json
import re
import runpy
import shutil
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from bot.incidents.briefing import alert_section, first_message
from standins.managed_agents import investigator

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MOUNT = "/mnt/session"
CLASSIC_TOOLS = ("open_pull_request", "request_approval", "merge_pull_request", "get_metrics", "get_recent_deploys",
                 "get_diff")  # fmt: skip
INCIDENT = f"{MOUNT}/elsewhere/case-7"  # wherever the files are, the investigator goes where the message says

try:
    from standins.managed_agents.context import ToolAnswer
except ImportError:  # the stand-in's context module is written separately

    class ToolAnswer(NamedTuple):  # type: ignore[no-redef]
        text: str
        is_error: bool


def evidence(*folders: Path) -> dict[str, bytes]:
    """Mount path -> bytes for every evidence file of the folders (later folders add generated files)."""
    files = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name not in ("generate.py", "incident.json") and "__pycache__" not in path.parts:
                files[f"{INCIDENT}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    return files


class FakeContext:
    """Writes the mounted files under a tmp folder, runs bash for real there, answers custom tools like the bot."""

    def __init__(self, root: Path, files: dict[str, bytes], *, decision: dict | None = None,
                 wrapped: bool = True, pr_error: str | None = None, merge_error: str | None = None,
                 tools: tuple[str, ...] = CLASSIC_TOOLS) -> None:  # fmt: skip
        self.session_id = "sesn_test"
        self.files = files
        self.tools = frozenset(tools)
        self.repositories: dict[str, str] = {}  # nothing cloned: the repository is the evidence's repo/ copy
        self.memory: dict[str, Any] = {}
        self.root = root
        self.steps: list[tuple[str, Any]] = []
        self.decision = decision or {"decision": "approved", "approver": "U0APPROVER", "reason": ""}
        self.wrapped, self.pr_error, self.merge_error = wrapped, pr_error, merge_error
        for mount_path, content in files.items():
            target = root / mount_path.removeprefix(MOUNT + "/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)

    def _data(self, name: str) -> Any:
        return json.loads(self.files[f"{INCIDENT}/{name}"])

    async def say(self, text: str) -> None:
        self.steps.append(("say", text))

    async def bash(self, command: str) -> str:
        self.steps.append(("bash", command))
        proc = await asyncio.create_subprocess_exec(
            "bash", "-c", command.replace(MOUNT, str(self.root)), cwd=self.root,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(proc.communicate(), 20)
        return out.decode().replace(str(self.root), MOUNT)

    async def read(self, path: str) -> str:
        self.steps.append(("read", path))
        return (self.root / path.removeprefix(MOUNT + "/")).read_text()

    async def call_tool(self, name: str, input: dict[str, Any]) -> ToolAnswer:
        self.steps.append(("tool", (name, input)))
        if name == "get_metrics":
            points = self._data("metrics.json").get(input["service"], {}).get(input["metric"])
            if points is None:
                return ToolAnswer(f"no metric {input['metric']} for {input['service']}", True)
            return ToolAnswer(json.dumps({**input, "points": points} if self.wrapped else points), False)
        if name == "get_recent_deploys":
            deploys = self._data("deploys.json")
            return ToolAnswer(json.dumps({"deploys": deploys} if self.wrapped else deploys), False)
        if name == "get_diff":
            shown = self.files.get(f"{INCIDENT}/diff.txt", b"").decode()
            if not shown.startswith(f"commit {input['commit']}"):
                return ToolAnswer(f"no diff for commit {input['commit']}", True)
            return ToolAnswer(json.dumps({"commit": input["commit"], "diff": shown}) if self.wrapped else shown, False)
        if name == "open_pull_request":
            if self.pr_error:
                return ToolAnswer(self.pr_error, True)
            return ToolAnswer(json.dumps({"pr_number": 7, "url": "https://git.example/infra/pull/7"}), False)
        if name == "request_approval":
            return ToolAnswer(json.dumps(self.decision), False)
        if name == "merge_pull_request":
            return ToolAnswer(self.merge_error, True) if self.merge_error else ToolAnswer('{"merged": true}', False)
        raise AssertionError(f"unexpected tool {name}")

    def said(self) -> list[str]:
        return [text for kind, text in self.steps if kind == "say"]

    def called(self) -> list[str]:
        return [step[0] for kind, step in self.steps if kind == "tool"]

    def tool_input(self, name: str) -> dict[str, Any]:
        return next(step[1] for kind, step in self.steps if kind == "tool" and step[0] == name)

    def index(self, kind: str, match: str) -> int:
        return next(i for i, (k, v) in enumerate(self.steps) if k == kind and match in (v if k != "tool" else v[0]))


def git_apply(repo_src: Path, diff: str, work: Path) -> Path:
    """Apply diff with `git apply` in a fresh git repository made from repo_src; return its folder."""
    shutil.copytree(repo_src, work)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    if diff:
        for args in (["--check"], []):
            subprocess.run(["git", "apply", *args], cwd=work, input=diff, text=True, check=True)
    return work


@pytest.fixture(scope="module")
def generated_2277(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated-2277")
    runpy.run_path(str(FIXTURES / "incident-2277" / "generate.py"))["generate"](out)
    return out


def alert(name: str) -> str:
    return (FIXTURES / name / "alert.json").read_text()


def told(ctx: FakeContext, text: str) -> str:
    """The first message as the bot writes it: the alert, the data tools, and where the files are mounted."""
    opening = alert_section(text=text, source="a test", opened_by=None, alert=None)
    files = [{"type": "file", "mount_path": path} for path in ctx.files]
    return first_message(opening=opening, tool_names=("get_metrics", "get_recent_deploys", "get_diff"),
                         resources=files)


async def test_oom_opens_a_512mi_pr_after_reading_the_runbook_and_merges_once_approved(tmp_path: Path) -> None:
    ctx = FakeContext(tmp_path / "mnt", evidence(FIXTURES / "checkout-oom"))
    await investigator.investigate(ctx, told(ctx, alert("checkout-oom")))

    assert "not Claude" in ctx.said()[0]
    assert ctx.called() == ["get_metrics", "get_metrics", "get_recent_deploys",
                           "open_pull_request", "request_approval", "merge_pull_request"]
    assert ctx.steps[1] == ("bash", f"ls -R {INCIDENT}")
    assert any(k == "bash" and "grep -c" in v for k, v in ctx.steps)
    assert ctx.index("read", "runbooks/oom.md") < ctx.index("tool", "open_pull_request")
    assert ctx.index("read", "repo/k8s/checkout/deployment.yaml") < ctx.index("tool", "open_pull_request")
    findings = next(t for t in ctx.said() if t.startswith("Root cause:"))
    for measured in ("121.4 MB", "128Mi", "OOM-killed it 3 times", "reached 9", "pricing-cache", "14212", "d-4471"):
        assert measured in findings

    pr = ctx.tool_input("open_pull_request")
    assert "oom.md" in pr["body"] and "512Mi" in pr["title"]
    assert pr["diff"].startswith("diff --git a/k8s/checkout/deployment.yaml b/k8s/checkout/deployment.yaml\n")
    repo = git_apply(FIXTURES / "checkout-oom" / "repo", pr["diff"], tmp_path / "git")
    manifest = yaml.safe_load((repo / "k8s/checkout/deployment.yaml").read_text())
    resources = manifest["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources["requests"]["memory"] == resources["limits"]["memory"] == "512Mi"
    assert ctx.tool_input("request_approval")["pr_number"] == 7
    assert ctx.tool_input("merge_pull_request") == {"pr_number": 7}
    assert "merged" in ctx.said()[-1]


async def test_latency_reverts_the_n_plus_one_commit(tmp_path: Path, generated_2277: Path) -> None:
    ctx = FakeContext(tmp_path / "mnt", evidence(FIXTURES / "incident-2277", generated_2277), wrapped=False)
    await investigator.investigate(ctx, told(ctx, alert("incident-2277")))

    assert "not Claude" in ctx.said()[0]
    assert ctx.called() == ["get_metrics", "get_metrics", "get_metrics", "get_recent_deploys", "get_diff",
                           "get_metrics", "open_pull_request", "request_approval", "merge_pull_request"]
    assert ctx.tool_input("get_diff") == {"commit": "a3f9c21e07b64d5c8f1a2e93b0d7c4f6a15e8b29"}
    assert any(k == "bash" and "python3 -c" in v and "checkout.jsonl" in v for k, v in ctx.steps)
    assert ctx.index("read", "runbooks/latency.md") < ctx.index("tool", "open_pull_request")

    metrics = json.loads((FIXTURES / "incident-2277/metrics.json").read_text())
    p99 = [point["v"] for point in metrics["checkout"]["p99_latency_ms"]]
    findings = next(t for t in ctx.said() if t.startswith("Root cause:"))
    for fact in ("a3f9c21", "09:24:10", "WHERE order_id IN (...)", "per-row loop", "N+1",
                 "db_pool_utilization reached 1.00", f"{max(p99):,.0f} ms", "red herring", "auth p99 stayed flat"):
        assert fact in findings
    assert re.search(r"queries per request went from 2\.0 to \d+\.\d", findings)

    pr = ctx.tool_input("open_pull_request")
    assert "latency.md" in pr["body"] and "a3f9c21" in pr["title"]
    fixed = git_apply(FIXTURES / "incident-2277" / "repo", pr["diff"], tmp_path / "git")
    reverted = git_apply(FIXTURES / "incident-2277" / "repo", "", tmp_path / "reference")
    subprocess.run(["git", "apply", "-R", str(FIXTURES / "incident-2277/diff.txt")], cwd=reverted, check=True)
    path = "services/checkout/order_repository.py"
    assert (fixed / path).read_text() == (reverted / path).read_text()  # what `git revert a3f9c21` gives
    assert "WHERE order_id IN ({placeholders})" in (fixed / path).read_text()
    assert "_items_for_order(" not in (fixed / path).read_text()
    assert "merged" in ctx.said()[-1]


def oom_evidence(**replace: str) -> dict[str, bytes]:
    """The checkout-oom evidence with text of its log replaced."""
    files = evidence(FIXTURES / "checkout-oom")
    key = f"{INCIDENT}/logs/checkout.log"
    text = files[key].decode()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    files[key] = text.encode()
    return files


async def test_findings_are_measured_from_the_log(tmp_path: Path) -> None:
    files = oom_evidence(**{"heap_mb=121.4": "heap_mb=126.3",
                            "OOMKilled exit code 137 (restart count 3)": "Error exit code 1 (restart count 3)"})
    ctx = FakeContext(tmp_path / "mnt", files)
    await investigator.investigate(ctx, told(ctx, alert("checkout-oom")))
    findings = next(t for t in ctx.said() if t.startswith("Root cause:"))
    assert "126.3 MB" in findings and "121.4" not in findings
    assert "(99%)" in findings and "OOM-killed it 2 times" in findings


async def test_rejection_is_quoted_and_nothing_is_merged(tmp_path: Path) -> None:
    decision = {"decision": "rejected", "approver": "U0APPROVER", "reason": "shrink the cache instead"}
    ctx = FakeContext(tmp_path / "mnt", evidence(FIXTURES / "checkout-oom"), decision=decision)
    await investigator.investigate(ctx, told(ctx, alert("checkout-oom")))
    assert ctx.called()[-2:] == ["open_pull_request", "request_approval"]
    assert '"shrink the cache instead"' in ctx.said()[-1] and "will not merge" in ctx.said()[-1]

    await investigator.follow_up(ctx, "what happened with the PR?")
    assert "not Claude" in ctx.said()[-1] and "PR #7: rejected by U0APPROVER" in ctx.said()[-1]


async def test_free_text_incident_is_recognised_from_the_evidence(tmp_path: Path, generated_2277: Path) -> None:
    decision = {"decision": "rejected", "approver": "U0APPROVER"}
    ctx = FakeContext(tmp_path / "mnt", evidence(FIXTURES / "incident-2277", generated_2277), decision=decision)
    await investigator.investigate(ctx, told(ctx, "checkout feels slow, can someone look?"))
    assert "get_diff" in ctx.called() and "merge_pull_request" not in ctx.called()
    assert "No reason was given" in ctx.said()[-1]


async def test_a_refused_merge_is_reported(tmp_path: Path) -> None:
    refusal = "PR #7's diff changed after it was approved; approve it again"
    ctx = FakeContext(tmp_path / "mnt", evidence(FIXTURES / "checkout-oom"), merge_error=refusal)
    await investigator.investigate(ctx, told(ctx, alert("checkout-oom")))
    assert ctx.called()[-1] == "merge_pull_request"
    assert refusal in ctx.said()[-1] and "is merged" not in ctx.said()[-1]
    assert ctx.memory["pr_state"].startswith("approved by U0APPROVER, merge refused")


async def test_a_failed_pull_request_stops_before_approval(tmp_path: Path) -> None:
    ctx = FakeContext(tmp_path / "mnt", evidence(FIXTURES / "checkout-oom"), pr_error="patch does not apply")
    await investigator.investigate(ctx, told(ctx, alert("checkout-oom")))
    assert ctx.called()[-1] == "open_pull_request"
    assert "patch does not apply" in ctx.said()[-1]


async def test_unrecognised_incident_opens_no_pull_request(tmp_path: Path) -> None:
    files = {k: v for k, v in evidence(FIXTURES / "checkout-oom").items() if "/logs/" not in k}
    files[f"{INCIDENT}/logs/search.log"] = b"2025-03-14T09:00:00Z search INFO reindex finished in 41 s\n"
    ctx = FakeContext(tmp_path / "mnt", files)
    await investigator.investigate(ctx, told(ctx, "search results look odd"))
    assert ctx.called() == []
    assert "logs/search.log" in ctx.said()[-1] and "No runbook signature matched" in ctx.said()[-1]


async def test_follow_up_without_findings_says_so(tmp_path: Path) -> None:
    ctx = FakeContext(tmp_path / "mnt", {})
    await investigator.follow_up(ctx, "anything yet?")
    assert ctx.said() == ["(Offline rule-based investigator, not Claude.) I have no findings in this session yet."]


async def test_files_the_message_does_not_name_are_not_looked_for(tmp_path: Path) -> None:
    ctx = FakeContext(tmp_path / "mnt", evidence(FIXTURES / "checkout-oom"))  # mounted, but the message names none
    opening = alert_section(text=alert("checkout-oom"), source="a test", opened_by=None, alert=None)
    await investigator.investigate(ctx, first_message(opening=opening, tool_names=(), resources=[]))
    assert not [v for k, v in ctx.steps if k == "bash"] and ctx.called() == []
    assert "no log files" in ctx.said()[-1]
