"""The webhook server, driven over real HTTP on loopback, with signatures computed as each sender does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from anthropic import AsyncAnthropic
from standardwebhooks import Webhook

from bot.alerts import Alert
from bot.settings import Settings
from bot.webhooks import WebhookServer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PD_SECRET = "pd-shared-secret-0123456789"
AM_TOKEN = "am-token-abcdef0123456789"
WH_SECRET = "whsec_" + base64.b64encode(b"incident-bot webhook signing key").decode()


def settings(**changes: Any) -> Settings:
    base = Settings(
        slack_bot_token="xoxb-test", slack_app_token="xapp-test", oncall_channel="C0ONCALL",
        anthropic_api_key="sk-ant-test", webhook_port=0, webhook_host="127.0.0.1",
        pagerduty_webhook_secret=PD_SECRET, alertmanager_token=AM_TOKEN, anthropic_webhook_secret=WH_SECRET,
    )  # fmt: skip
    return base.with_(**changes)


@dataclass
class Received:
    alerts: list[Alert] = field(default_factory=list)
    sessions: list[tuple[str, str]] = field(default_factory=list)
    fail: bool = False

    async def on_alert(self, alert: Alert) -> None:
        if self.fail:
            raise RuntimeError("slack is down")
        self.alerts.append(alert)

    async def on_session_event(self, session_id: str, kind: str) -> None:
        if self.fail:
            raise RuntimeError("stream is down")
        self.sessions.append((session_id, kind))


@dataclass
class Running:
    url: str
    http: aiohttp.ClientSession
    got: Received

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        async with self.http.post(self.url + path, data=body, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None) if resp.content_length != 0 else None


async def run(config: Settings, **kwargs: Any) -> AsyncIterator[Running]:
    got = Received()
    server = WebhookServer(config, on_alert=got.on_alert, on_session_event=got.on_session_event, **kwargs)
    port = await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Running(f"http://127.0.0.1:{port}", http, got)
    finally:
        await server.stop()


@pytest.fixture
async def web() -> AsyncIterator[Running]:
    async for running in run(settings()):
        yield running


def pd_body(event_type: str = "incident.triggered", event_id: str = "01HS4Z9K3QW8E2N7T5RVXJ6M1C") -> bytes:
    body = json.loads((FIXTURES / "checkout-oom" / "alert.json").read_text())
    body["event"]["event_type"], body["event"]["id"] = event_type, event_id
    body["event"]["occurred_at"] = datetime.now(timezone.utc).isoformat()  # inside the replay window
    return json.dumps(body).encode()


def pd_headers(body: bytes, secret: str = PD_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-PagerDuty-Signature": f"v1={digest}"}


def signed(data: str, *, secret: str = WH_SECRET, msg_id: str = "msg_2Lh5q0v1", age: timedelta = timedelta()) -> dict[str, str]:
    when = datetime.now(tz=timezone.utc) - age
    signature = Webhook(secret).sign(msg_id, when, data)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(when.timestamp())), "webhook-signature": signature,
            "content-type": "application/json"}  # fmt: skip


async def test_healthz(web: Running) -> None:
    async with web.http.get(web.url + "/healthz") as resp:
        assert resp.status == 200 and await resp.json() == {"status": "ok"}


async def test_pagerduty_triggered_opens_once_even_when_redelivered(web: Running) -> None:
    body = pd_body()
    status, answer = await web.post("/webhooks/pagerduty", body, pd_headers(body))
    assert (status, answer["status"]) == (202, "accepted")
    [alert] = web.got.alerts
    assert alert.source == "pagerduty" and alert.dedupe_key == "pagerduty:Q0RIP5ZK8L1T4A" and alert.service == "checkout"
    status, answer = await web.post("/webhooks/pagerduty", body, pd_headers(body))
    assert (status, answer["status"], len(web.got.alerts)) == (202, "duplicate", 1)


async def test_pagerduty_any_matching_signature_passes(web: Running) -> None:
    body = pd_body()
    good = pd_headers(body)["X-PagerDuty-Signature"]
    headers = {"X-PagerDuty-Signature": f"v1={'0' * 64}, {good}"}  # a rotated secret: two signatures
    assert (await web.post("/webhooks/pagerduty", body, headers))[0] == 202
    assert len(web.got.alerts) == 1


@pytest.mark.parametrize("headers", [{}, {"X-PagerDuty-Signature": "v1=zz"}, "wrong secret", "tampered"])
async def test_pagerduty_bad_signature_is_refused(web: Running, headers: Any) -> None:
    body = pd_body()
    if headers == "wrong secret":
        headers = pd_headers(body, secret="not-the-secret")
    elif headers == "tampered":
        headers, body = pd_headers(body), body.replace(b"checkout", b"payments")
    status, answer = await web.post("/webhooks/pagerduty", body, headers)
    assert (status, answer) == (401, {"error": "bad signature"}) and web.got.alerts == []


async def test_pagerduty_other_event_types_are_ignored(web: Running) -> None:
    for kind in ("incident.acknowledged", "incident.resolved", "incident.annotated"):
        body = pd_body(kind, event_id=f"E-{kind}")
        status, answer = await web.post("/webhooks/pagerduty", body, pd_headers(body))
        assert (status, answer["status"]) == (202, "ignored")
    assert web.got.alerts == []


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"event": {}}', b'{"event": {"id": 5, "event_type": "x"}}', b"\xff\xfe"])
async def test_pagerduty_malformed_body_is_400(web: Running, body: bytes) -> None:
    status, answer = await web.post("/webhooks/pagerduty", body, pd_headers(body))
    assert status == 400 and isinstance(answer["error"], str) and answer["error"]
    assert web.got.alerts == []


async def test_oversized_body_is_refused_unread(web: Running) -> None:
    body = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    async with web.http.post(web.url + "/webhooks/pagerduty", data=io.BytesIO(body), headers=pd_headers(body)) as resp:
        assert resp.status == 413
    assert web.got.alerts == []


async def test_pagerduty_failure_is_500_and_the_retry_is_handled(web: Running) -> None:
    body = pd_body()
    web.got.fail = True
    assert (await web.post("/webhooks/pagerduty", body, pd_headers(body)))[0] == 500
    web.got.fail = False
    assert (await web.post("/webhooks/pagerduty", body, pd_headers(body)))[0] == 202
    assert len(web.got.alerts) == 1


def am_body(*, resolved: bool = False) -> bytes:
    body = json.loads((FIXTURES / "alerts" / "webhooks" / "alertmanager.json").read_text())
    if resolved:
        body["status"] = "resolved"
        for alert in body["alerts"]:
            alert["status"] = "resolved"
    return json.dumps(body).encode()


async def test_alertmanager_firing_with_the_token(web: Running) -> None:
    status, answer = await web.post("/webhooks/alertmanager", am_body(), {"Authorization": f"Bearer {AM_TOKEN}"})
    assert (status, answer) == (202, {"status": "accepted", "alerts": 1})
    [alert] = web.got.alerts
    assert alert.source == "alertmanager" and alert.title.startswith("[FIRING:2] KubePodCrashLooping")
    assert alert.dedupe_key.startswith("alertmanager:{}/{severity=")


async def test_alertmanager_resolved_is_handed_on_as_resolved(web: Running) -> None:
    status, answer = await web.post("/webhooks/alertmanager", am_body(resolved=True), {"Authorization": f"Bearer {AM_TOKEN}"})
    assert (status, answer) == (202, {"status": "accepted", "alerts": 1})
    [alert] = web.got.alerts
    assert alert.resolved and alert.dedupe_key == json.loads(am_body())["groupKey"].join(("alertmanager:", ""))


@pytest.mark.parametrize("auth", [None, "Bearer nope", f"Basic {AM_TOKEN}", f"Bearer {AM_TOKEN}x", "Bearer"])
async def test_alertmanager_without_the_token_is_401(web: Running, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    status, answer = await web.post("/webhooks/alertmanager", am_body(), headers)
    assert (status, answer, web.got.alerts) == (401, {"error": "bad token"}, [])


@pytest.mark.parametrize("body", [b"", b"nope", b'{"alerts": "x", "status": "firing"}', b'{"status": "firing", "alerts": [{"status": "firing"}]}'])
async def test_alertmanager_malformed_body_is_400(web: Running, body: bytes) -> None:
    status, answer = await web.post("/webhooks/alertmanager", body, {"Authorization": f"Bearer {AM_TOKEN}"})
    assert status == 400 and answer["error"] and web.got.alerts == []


def session_event(kind: str = "session.requires_action", session_id: str = "sesn_01HS4ZA9QW8E2N7T5RVXJ6M1C4") -> str:
    body = json.loads((FIXTURES / "alerts" / "webhooks" / "anthropic.json").read_text())
    body["data"]["type"], body["data"]["id"] = kind, session_id
    return json.dumps(body)


async def test_anthropic_session_event_is_verified_by_the_sdk_and_handed_on(web: Running) -> None:
    data = session_event()
    status, answer = await web.post("/webhooks/anthropic", data.encode(), signed(data))
    assert (status, answer["status"]) == (202, "accepted")
    assert web.got.sessions == [("sesn_01HS4ZA9QW8E2N7T5RVXJ6M1C4", "session.requires_action")]
    assert (await web.post("/webhooks/anthropic", data.encode(), signed(data)))[1]["status"] == "duplicate"
    idled = session_event("session.status_idled")
    assert (await web.post("/webhooks/anthropic", idled.encode(), signed(idled, msg_id="msg_2")))[0] == 202
    assert web.got.sessions[-1] == ("sesn_01HS4ZA9QW8E2N7T5RVXJ6M1C4", "session.status_idled") and len(web.got.sessions) == 2


async def test_anthropic_with_a_client_passed_in() -> None:
    client = AsyncAnthropic(api_key="sk-ant-test", base_url="http://127.0.0.1:9")
    async for running in run(settings(), anthropic=client):
        data = session_event("session.status_terminated", "sesn_X")
        assert (await running.post("/webhooks/anthropic", data.encode(), signed(data)))[0] == 202
        assert running.got.sessions == [("sesn_X", "session.status_terminated")]
    await client.close()


@pytest.mark.parametrize("how", ["other secret", "stale", "tampered", "no headers", "garbage signature"])
async def test_anthropic_bad_signature_is_401(web: Running, how: str) -> None:
    data = session_event()
    headers = {
        "other secret": lambda: signed(data, secret="whsec_" + base64.b64encode(b"someone else").decode()),
        "stale": lambda: signed(data, age=timedelta(minutes=10)),
        "tampered": lambda: signed(data.replace("sesn_", "sesn_evil_")),
        "no headers": lambda: {},
        "garbage signature": lambda: {**signed(data), "webhook-signature": "garbage"},
    }[how]()
    status, answer = await web.post("/webhooks/anthropic", data.encode(), headers)
    assert (status, answer, web.got.sessions) == (401, {"error": "bad signature"}, [])


async def test_anthropic_signed_but_malformed_is_400_and_other_types_are_ignored(web: Running) -> None:
    for data in ("not json", "[]", json.dumps({"type": "event", "data": {"type": "session.idled"}})):
        status, answer = await web.post("/webhooks/anthropic", data.encode(), signed(data, msg_id=f"m-{data[:3]}"))
        assert status == 400 and answer["error"]
    vault = json.dumps({"type": "event", "id": "wevt_1", "data": {"type": "vault.created", "id": "vlt_1"}})
    assert (await web.post("/webhooks/anthropic", vault.encode(), signed(vault, msg_id="m-v")))[1]["status"] == "ignored"
    assert web.got.sessions == []


async def test_unconfigured_routes_are_404() -> None:
    config = settings(pagerduty_webhook_secret="", alertmanager_token="", anthropic_webhook_secret="")
    async for running in run(config):
        body = pd_body()
        for path, headers in (("/webhooks/pagerduty", pd_headers(body)), ("/webhooks/alertmanager", {"Authorization": f"Bearer {AM_TOKEN}"}),
                              ("/webhooks/anthropic", signed(body.decode()))):  # fmt: skip
            async with running.http.post(running.url + path, data=body, headers=headers) as resp:
                assert resp.status == 404
        assert running.got.alerts == [] and running.got.sessions == []


async def test_settings_without_a_port_or_with_a_bad_secret_do_not_start() -> None:
    got = Received()
    with pytest.raises(ValueError, match="WEBHOOK_PORT"):
        await WebhookServer(settings(webhook_port=None), on_alert=got.on_alert, on_session_event=got.on_session_event).start()
    with pytest.raises(ValueError, match="ANTHROPIC_WEBHOOK_SECRET") as info:
        await WebhookServer(settings(anthropic_webhook_secret="whsec_"), on_alert=got.on_alert, on_session_event=got.on_session_event).start()
    assert "whsec_" not in str(info.value).replace("whsec_…", "")


async def test_secrets_and_bodies_never_reach_the_logs(web: Running, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    body = pd_body()
    await web.post("/webhooks/pagerduty", body, pd_headers(body))
    await web.post("/webhooks/pagerduty", body, pd_headers(body, secret="wrong"))
    await web.post("/webhooks/alertmanager", am_body(), {"Authorization": "Bearer wrong-token"})
    await web.post("/webhooks/alertmanager", am_body(), {"Authorization": f"Bearer {AM_TOKEN}"})
    data = session_event()
    await web.post("/webhooks/anthropic", data.encode(), signed(data))
    logged = caplog.text
    assert "webhook" in logged
    for secret in (PD_SECRET, AM_TOKEN, "wrong-token", WH_SECRET, WH_SECRET.removeprefix("whsec_")):
        assert secret not in logged
    for content in ("OOMKilled", "Priya", "CrashLoopBackOff", "organization_id"):
        assert content not in logged
