"""The on-call workflow around the core path: alerts and webhooks, follow-ups, Stop, App Home, audit trail,
tool confirmations. All through the real Bolt app, Socket Mode, AsyncAnthropic and the stand-ins."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone

import aiohttp

from blocks.ids import ActionId
from bot.demo import start_world

from tests.e2e.conftest import ALERTS, BYSTANDER, FIXTURES, ONCALL, YOU
from tests.e2e.helpers import block_text, buttons, find_card, open_incident, result_json, sent_events, thread, wait_for_card

TIMEOUT = 60
PAGERDUTY = json.loads((FIXTURES / "alerts" / "pagerduty.json").read_text())


def roots(world) -> list[dict]:
    return [m for m in world.slack.messages(ONCALL) if m.get("subtype") != "thread_broadcast"]


def user_messages(world, session_id: str) -> list[str]:
    return ["".join(b.get("text", "") for b in e.get("content", [])) for e in sent_events(world, session_id, "user.message")]


async def _post_pagerduty_alert(world) -> str:
    return await world.slack.post_message(
        PAGERDUTY["user"], ALERTS, PAGERDUTY.get("text", ""), bot_id=PAGERDUTY["bot_id"], attachments=PAGERDUTY["attachments"]
    )


async def test_an_integration_alert_opens_an_incident_and_a_repeat_joins_it(world):
    alert_ts = await _post_pagerduty_alert(world)
    await world.slack.wait_for(lambda s: len(roots(world)) == 1, timeout=TIMEOUT)
    root = roots(world)[0]
    assert "checkout" in block_text(root) and "pagerduty" in block_text(root).lower()
    await world.slack.wait_for(lambda s: len(s.thread(ALERTS, alert_ts)) == 2, timeout=TIMEOUT)
    assert "Opened an incident" in s_text(world.slack.thread(ALERTS, alert_ts)[-1])
    run = world.bot.incidents.find_by_thread(ONCALL, root["ts"])
    await wait_for_card(world, root["ts"])

    again = await _post_pagerduty_alert(world)  # PagerDuty posts the same incident again
    await world.slack.wait_for(lambda s: len(s.thread(ALERTS, again)) == 2, timeout=TIMEOUT)
    assert "Added this alert to the open incident" in s_text(world.slack.thread(ALERTS, again)[-1])
    assert len(roots(world)) == 1
    await world.slack.wait_for(lambda s: any("same key" in block_text(m) for m in thread(world, root["ts"])), timeout=TIMEOUT)
    assert any("related alert" in m for m in user_messages(world, run.session_id))
    await world.slack.click(YOU, ONCALL, find_card(world, root["ts"], ActionId.APPROVE)["ts"], ActionId.APPROVE)
    await run.wait_finished(timeout=TIMEOUT)


def s_text(msg: dict) -> str:
    return str(msg.get("text", ""))


async def test_a_signed_pagerduty_webhook_opens_one_incident(work_dir):
    secret = "pd-secret"
    world = await start_world(
        incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, webhook_port=0, webhook_host="127.0.0.1",
        pagerduty_webhook_secret=secret,
    )  # fmt: skip
    try:
        alert = json.loads((FIXTURES / "checkout-oom" / "alert.json").read_text())
        alert["event"]["occurred_at"] = datetime.now(timezone.utc).isoformat()  # inside the replay window
        body = json.dumps(alert).encode()
        good = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        url = f"http://127.0.0.1:{world.bot.webhook_port}/webhooks/pagerduty"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=body, headers={"X-PagerDuty-Signature": "v1=bad", "Content-Type": "application/json"}) as r:
                assert r.status == 401
            for _ in range(2):  # delivered twice, as PagerDuty may
                async with http.post(url, data=body, headers={"X-PagerDuty-Signature": good, "Content-Type": "application/json"}) as r:
                    assert r.status == 202
        await world.slack.wait_for(lambda s: len(roots(world)) == 1, timeout=TIMEOUT)
        root_ts = roots(world)[0]["ts"]
        card = await wait_for_card(world, root_ts)
        run = world.bot.incidents.find_by_thread(ONCALL, root_ts)
        assert len(roots(world)) == 1 and run.state.source.startswith("webhook")
        await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
        await run.wait_finished(timeout=TIMEOUT)
    finally:
        await world.stop()


async def test_a_reply_in_the_thread_reaches_the_agent_and_its_answer_comes_back(world):
    root_ts, run = await open_incident(world, YOU, "checkout OOM")
    card = await wait_for_card(world, root_ts)
    await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
    await run.wait_finished(timeout=TIMEOUT)
    before = len(thread(world, root_ts))
    await world.slack.post_message(BYSTANDER, ONCALL, "did the restarts stop after the merge?", thread_ts=root_ts)
    await world.agents.wait_for(lambda a: any("did the restarts stop" in m for m in user_messages(world, run.session_id)), timeout=TIMEOUT)
    [relayed] = [m for m in user_messages(world, run.session_id) if "did the restarts stop" in m]
    assert BYSTANDER in relayed and "untrusted" in relayed
    await world.slack.wait_for(lambda s: len(thread(world, root_ts)) > before + 1, timeout=TIMEOUT)
    await run.wait_finished(timeout=TIMEOUT)
    replies = [block_text(m) for m in thread(world, root_ts)[before + 1 :]]
    assert any("offline" in r.lower() or "not claude" in r.lower() for r in replies)


async def test_stop_interrupts_the_agent_and_rejects_what_waits_for_a_person(world):
    root_ts, run = await open_incident(world, YOU, "checkout OOM")
    card = await wait_for_card(world, root_ts)
    root = world.slack.messages(ONCALL)[0]
    assert any(b["action_id"] == ActionId.STOP for b in buttons(root))
    await world.slack.click(BYSTANDER, ONCALL, root_ts, ActionId.STOP)  # not an approver
    await world.slack.wait_for(lambda s: bool(s.ephemerals(BYSTANDER)), timeout=TIMEOUT)
    assert not sent_events(world, run.session_id, "user.interrupt")
    await world.slack.click(YOU, ONCALL, root_ts, ActionId.STOP)
    await run.wait_finished(timeout=TIMEOUT)
    assert len(sent_events(world, run.session_id, "user.interrupt")) == 1
    root = world.slack.messages(ONCALL)[0]
    assert "Stopped" in block_text(root) and f"<@{YOU}>" in block_text(root) and not buttons(root)
    decided = next(m for m in thread(world, root_ts) if m["ts"] == card["ts"])
    assert not buttons(decided) and "Rejected" in block_text(decided) and "the incident was stopped" in block_text(decided)
    [decision] = [result_json(e) for e in sent_events(world, run.session_id, "user.custom_tool_result")
                  if "decision" in result_json(e)]
    assert (decision["decision"], decision["approver"], decision["stopped"]) == ("rejected", YOU, True)
    lines = [json.loads(x) for x in (world.settings.audit_log).read_text().splitlines()]
    assert [(r["action"], r["who"]) for r in lines] == [("stopped", YOU), ("rejected", YOU)]


async def test_app_home_shows_open_incidents_waiting_approvals_and_decisions(world):
    root_ts, run = await open_incident(world, YOU, "checkout OOM")
    card = await wait_for_card(world, root_ts)
    await world.slack.app_home_opened(YOU)
    await world.slack.wait_for(lambda s: s.views.home(YOU) is not None, timeout=TIMEOUT)
    home = json.dumps(world.slack.views.home(YOU))
    assert "checkout OOM" in home and "PR #1 needs a decision" in home
    await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
    await run.wait_finished(timeout=TIMEOUT)
    await world.slack.app_home_opened(BYSTANDER)
    await world.slack.wait_for(lambda s: s.views.home(BYSTANDER) is not None, timeout=TIMEOUT)
    home = json.dumps(world.slack.views.home(BYSTANDER))
    assert "approved" in home and "merged" in home and "not an approver" in home
    audit = [json.loads(x) for x in world.settings.audit_log.read_text().splitlines()]
    assert [r["action"] for r in audit] == ["approved", "merged"]
    assert audit[0]["who"] == YOU and audit[0]["pr_number"] == 1 and len(audit[0]["diff_sha256"]) == 64
    assert audit[1]["session_id"] == run.session_id


async def test_held_tool_calls_need_allow_or_deny(work_dir):
    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, confirm_tools=("bash",))
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        denied = False
        while find_card(world, root_ts, ActionId.APPROVE) is None:
            await world.slack.wait_for(
                lambda s: any(buttons(m) and b["action_id"] == ActionId.ALLOW for m in thread(world, root_ts) for b in buttons(m))
                or find_card(world, root_ts, ActionId.APPROVE) is not None,
                timeout=TIMEOUT,
            )
            pending = [m for m in thread(world, root_ts) if any(b["action_id"] == ActionId.ALLOW for b in buttons(m))]
            if not pending:
                continue
            msg = pending[0]
            assert "bash" in block_text(msg)
            if not denied:  # deny the first one, with a reason typed in the form
                await world.slack.click(YOU, ONCALL, msg["ts"], ActionId.DENY)
                await world.slack.wait_for(lambda s: bool(s.views.modals(YOU)), timeout=TIMEOUT)
                modal = world.slack.views.modals(YOU)[-1]
                await world.slack.submit_view(YOU, modal["id"], {"reason": {"reason_input": {"type": "plain_text_input", "value": "no listing today"}}})
                denied = True
            else:
                await world.slack.click(YOU, ONCALL, msg["ts"], ActionId.ALLOW)
            await world.slack.wait_for(lambda s: not any(buttons(m) for m in thread(world, root_ts) if m["ts"] == msg["ts"]), timeout=TIMEOUT)
        confirmations = sent_events(world, run.session_id, "user.tool_confirmation")
        assert confirmations[0]["result"] == "deny" and "no listing today" in confirmations[0]["deny_message"]
        assert all(c["result"] == "allow" for c in confirmations[1:]) and len(confirmations) >= 2
        assert len({c["tool_use_id"] for c in confirmations}) == len(confirmations)  # one answer per held call
        first = next(m for m in thread(world, root_ts) if "Denied" in block_text(m))
        assert f"<@{YOU}>" in block_text(first)
        await world.slack.click(YOU, ONCALL, find_card(world, root_ts, ActionId.APPROVE)["ts"], ActionId.APPROVE)
        await run.wait_finished(timeout=TIMEOUT)
    finally:
        await world.stop()


async def test_a_managed_agents_webhook_wakes_a_session_nothing_follows(work_dir):
    import base64
    from datetime import datetime, timezone

    from standardwebhooks.webhooks import Webhook

    secret = "whsec_" + base64.b64encode(b"incident-bot-webhook-secret-32by").decode()
    world = await start_world(
        incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, webhook_port=0, webhook_host="127.0.0.1",
        anthropic_webhook_secret=secret,
    )  # fmt: skip
    try:
        root_ts, run = await open_incident(world, YOU, "checkout OOM")
        card = await wait_for_card(world, root_ts)
        await run.stop()  # as if the bot had lost track of this session
        await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)

        def waiting_on_merge(a) -> bool:
            events = a.sessions[run.session_id].events
            return any(e["type"] == "agent.custom_tool_use" and e["name"] == "merge_pull_request" for e in events) and a.sessions[run.session_id].status == "idle"

        await world.agents.wait_for(waiting_on_merge, timeout=TIMEOUT)
        body = json.dumps({"type": "event", "id": "wevt_1", "created_at": datetime.now(timezone.utc).isoformat(),
                           "data": {"type": "session.requires_action", "id": run.session_id}})  # fmt: skip
        now = datetime.now(timezone.utc)
        headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": Webhook(secret).sign("msg_1", now, body), "Content-Type": "application/json"}  # fmt: skip
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{world.bot.webhook_port}/webhooks/anthropic"
            async with http.post(url, data=body, headers={**headers, "webhook-signature": "v1,AAAA"}) as r:
                assert r.status == 401
            async with http.post(url, data=body, headers=headers) as r:
                assert r.status == 202
        await run.wait_finished(timeout=TIMEOUT)
        assert await world.bot.prs.is_merged(run.session_id, 1)
    finally:
        await world.stop()


async def test_an_alertmanager_webhook_opens_an_incident_and_a_repeat_joins_it(work_dir):
    world = await start_world(
        incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir, webhook_port=0, webhook_host="127.0.0.1",
        alertmanager_token="am-token",
    )  # fmt: skip
    try:
        body = (FIXTURES / "alerts" / "webhooks" / "alertmanager.json").read_bytes()
        url = f"http://127.0.0.1:{world.bot.webhook_port}/webhooks/alertmanager"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=body, headers={"Authorization": "Bearer wrong"}) as r:
                assert r.status == 401
            async with http.post(url, data=b"{not json", headers={"Authorization": "Bearer am-token"}) as r:
                assert r.status == 400 and "error" in await r.json()
            async with http.post(url, data=body, headers={"Authorization": "Bearer am-token"}) as r:
                assert r.status == 202
            await world.slack.wait_for(lambda s: len(roots(world)) == 1, timeout=TIMEOUT)
            root_ts = roots(world)[0]["ts"]
            card = await wait_for_card(world, root_ts)
            for _ in range(2):  # Alertmanager repeats a firing group every repeat_interval, and retries
                async with http.post(url, data=body, headers={"Authorization": "Bearer am-token"}) as r:
                    assert r.status == 202
            body = body.replace(b'"a07c52e91d3b8f14"', b'"b07c52e91d3b8f15"')  # the group grew by one alert
            async with http.post(url, data=body, headers={"Authorization": "Bearer am-token"}) as r:
                assert r.status == 202
        run = world.bot.incidents.find_by_thread(ONCALL, root_ts)
        await world.slack.wait_for(lambda s: any("1 more alert joined" in block_text(m) for m in thread(world, root_ts)),
                                   timeout=TIMEOUT)  # fmt: skip
        assert len(roots(world)) == 1 and not any("same key" in block_text(m) for m in thread(world, root_ts))
        # After the first message (sent with the session's creation), the agent got the alert that joined; the repeats
        # added nothing.
        await world.agents.wait_for(lambda a: len(user_messages(world, run.session_id)) == 1, timeout=TIMEOUT)
        assert "b07c52e91d3b8f15" in user_messages(world, run.session_id)[-1]
        await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
        await run.wait_finished(timeout=TIMEOUT)
    finally:
        await world.stop()


async def test_a_resolved_alertmanager_message_is_noted_on_its_incident(work_dir):
    from bot.demo.world import sample_alert

    world = await start_world(incident_dir=FIXTURES / "checkout-oom", work_dir=work_dir)
    try:
        firing = sample_alert("alertmanager")
        post = lambda event: world.slack.post_message(  # noqa: E731
            "U0INTEGRATION", ALERTS, event.get("text", ""), bot_id=event["bot_id"], attachments=event["attachments"],
            username=event["username"])  # fmt: skip
        await post(firing)
        await world.slack.wait_for(lambda s: len(roots(world)) == 1, timeout=TIMEOUT)
        root_ts = roots(world)[0]["ts"]
        card = await wait_for_card(world, root_ts)
        resolved = json.loads(json.dumps(firing).replace("[FIRING:1]", "[RESOLVED]"))
        resolved_ts = await post(resolved)
        await world.slack.wait_for(lambda s: any("Alertmanager says the alert resolved" in block_text(m)
                                                 for m in thread(world, root_ts)), timeout=TIMEOUT)  # fmt: skip
        assert "Resolved upstream" in block_text(roots(world)[0])
        await world.slack.wait_for(lambda s: len(s.thread(ALERTS, resolved_ts)) == 2, timeout=TIMEOUT)
        assert "resolved" in s_text(world.slack.thread(ALERTS, resolved_ts)[-1])
        assert len(roots(world)) == 1  # a resolved notification never opens an incident
        run = world.bot.incidents.find_by_thread(ONCALL, root_ts)
        assert not run.state.finished  # the agent is still waiting on the approval: resolved does not stop it
        await world.slack.click(YOU, ONCALL, card["ts"], ActionId.APPROVE)
        await run.wait_finished(timeout=TIMEOUT)
    finally:
        await world.stop()
