"""No pattern on untrusted text backtracks: every parser, renderer and alert recogniser that takes agent, alert
or Slack text finishes each megabyte of adversarial text in under a second of CPU (it all runs on the event loop,
where Socket Mode acks must go out within three seconds)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from functools import reduce as fold
from typing import Any, Callable

import pytest

from blocks import _kit as kit
from blocks.approval import approval_card, diff_preview
from blocks.confirmation import confirmation_card
from blocks.root import root_message
from blocks.text import code_block, escape, mrkdwn_from_markdown, one_line, split_text, truncate
from blocks.thread import agent_messages, error_message, notice, progress_message, reminder
from blocks.views import (
    ApprovalState,
    ApprovalView,
    ConfirmationView,
    Decision,
    ErrorView,
    IncidentStatus,
    IncidentView,
    ProgressView,
    StepState,
    StepView,
)
from bot.alerts import alertmanager, datadog, grafana, pagerduty
from bot.alerts import parse_alert_message, parse_alertmanager_webhook, parse_pagerduty_webhook
from bot.alerts.labels import parse_label_lists, parse_status_title
from bot.alerts.model import make_alert, title_key
from bot.alerts.slack import clean, read_message
from bot.demo.transcript import message_lines
from bot.metadata import session_title
from bot.logs import RedactSecrets
from bot.run.reducer import reduce
from bot.run.renderer import render_root, render_thread
from bot.run.state import IncidentState
from bot.run.steps import first_line, summarise_input
from bot.secrets import redact, redact_blocks
from bot.webhooks.models import AlertmanagerBody, PagerDutyBody, read_body

from tests.bot import events as ev
from tests.security.adversarial import shapes
from tests.security.cpu import cpu_seconds_each

BUDGET = 1.0  # CPU seconds for one function on one megabyte
T0 = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)


# --- Slack messages as each integration posts them, with the text in every slot it reads -----------------

def _person(s: str) -> dict[str, Any]:
    return {"type": "message", "user": "U1", "text": s}


def _attachment(s: str, *, title_link: str = "", footer: str = "") -> dict[str, Any]:
    return {
        "title": s, "title_link": title_link, "text": s, "pretext": s, "fallback": s, "footer": footer,
        "fields": [{"title": "tags", "value": s}, {"title": s[:200], "value": s}],
        "actions": [{"type": "button", "text": s, "url": "https://example.com/" + s[:3000]}],
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": s}, "fields": [{"type": "mrkdwn", "text": s}]}],
    }  # fmt: skip


def _integration(s: str, *, username: str, title_link: str = "", footer: str = "") -> dict[str, Any]:
    return {
        "type": "message", "subtype": "bot_message", "bot_id": "B9", "username": username, "text": s,
        "attachments": [_attachment(s, title_link=title_link, footer=footer)],
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": s},
                    "fields": [{"type": "mrkdwn", "text": "*Service:* " + s}]},
                   {"type": "context", "elements": [{"type": "mrkdwn", "text": s}]}],
    }  # fmt: skip


MESSAGES: dict[str, Callable[[str], dict[str, Any]]] = {
    "a person's text": _person,
    "Datadog": lambda s: _integration(s, username="Datadog", title_link="https://app.datadoghq.com/monitors/12345?group=" + s[:1000]),
    "PagerDuty": lambda s: _integration(s, username="PagerDuty", title_link="https://acme.pagerduty.com/incidents/Q1" + s[:1000]),
    "Grafana": lambda s: _integration(s, username="Grafana", footer="Grafana v10", title_link="https://g/alerting/grafana/abc/view"),
    "Alertmanager": lambda s: _integration(s, username="alertmanager", title_link="https://am/#/alerts?" + s[:1000]),
    "another app": lambda s: _integration(s, username="some-bot"),
}


def _recognisers() -> dict[str, Callable[[str], object]]:
    out: dict[str, Callable[[str], object]] = {}
    for name, make in MESSAGES.items():
        out[f"parse_alert_message: {name}"] = lambda s, make=make: parse_alert_message(make(s))
    for module in (pagerduty, datadog, grafana, alertmanager):
        name = module.__name__.rsplit(".", 1)[1]
        make = MESSAGES["another app"]
        out[f"{name}.from_slack"] = lambda s, module=module, make=make: module.from_slack(
            read_message({**make(s), "username": name})
        )
    return out


# --- webhooks ---------------------------------------------------------------------------------------------

def _pagerduty_body(s: str) -> dict[str, Any]:
    data = {"id": "Q1", "number": 7, "title": s, "urgency": s, "html_url": s, "service": {"summary": s},
            "priority": {"summary": s}, "assignees": [{"summary": s}], "escalation_policy": {"summary": s}}
    return {"event": {"id": "e1", "event_type": "incident.triggered", "client": {"name": s}, "data": data}}


def _alertmanager_body(s: str) -> dict[str, Any]:
    labels = {"alertname": s, "service": s, "severity": s}
    alert = {"status": "firing", "labels": labels, "annotations": {"summary": s}, "fingerprint": s, "startsAt": s}
    return {"status": "firing", "receiver": s, "groupKey": s, "groupLabels": labels, "commonLabels": labels,
            "commonAnnotations": {"summary": s, "description": s}, "externalURL": s, "alerts": [alert] * 3}


def _webhook_bodies(s: str) -> None:
    """A webhook body is at most a megabyte: the text in one field of each."""
    pagerduty = {"event": {"id": "e1", "event_type": "incident.triggered", "occurred_at": "2026-01-01T00:00:00Z",
                           "data": {"title": s}}}
    read_body(json.dumps(pagerduty, ensure_ascii=False), PagerDutyBody)
    am = {"status": "firing", "alerts": [{"status": "firing", "labels": {"alertname": s}}]}
    read_body(json.dumps(am, ensure_ascii=False), AlertmanagerBody)


# --- the session: events with the text in every field the bot reads ---------------------------------------

def _events(s: str, part: str) -> list[dict[str, Any]]:
    """Session events with the text in every field of one part of a thread the bot reads."""
    if part == "agent messages":
        return [ev.running(), ev.message(s), ev.message("Root cause: " + s), ev.idle()]
    if part == "tool calls":
        bash, held = ev.tool_use("bash", command=s), ev.ask_tool_use("write", file_path="x", content=s)
        return [ev.running(), bash, ev.tool_result(bash, s), held]
    pr = ev.custom("open_pull_request", title=s, body="", diff=s)
    ask = ev.custom("request_approval", summary=s, pr_number=1)
    return [
        ev.running(), pr, ev.custom_result(pr, {"pr_number": 1, "url": "file:///r", "diff_sha256": "ab" * 32}), ask,
        ev.custom_result(ask, {"decision": "rejected", "approver": "U1", "reason": s}),
    ]


def _state(s: str, part: str) -> IncidentState:
    start = IncidentState(session_id="sesn_1", title=s, started_at=T0, status=IncidentStatus.RUNNING)
    return fold(reduce, _events(s, part), start)


PARTS = ("agent messages", "tool calls", "an approval")


def _approval(s: str) -> None:
    decision = Decision(outcome="rejected", by=s, at=T0, reason=s)
    approval_card(ApprovalView(session_id="sesn_1", tool_use_id="t", summary=s, state=ApprovalState.REJECTED,
                               pr_number=1, pr_title=s, pr_url=s, diff=s, decision=decision, note=s))
    diff_preview(s)


def _confirmations(s: str) -> None:
    for name, tool_input in (("bash", {"command": s}), ("write", {"file_path": s, "content": s}),
                             ("edit", {"file_path": s, "old_string": s, "new_string": s}), ("other", {"x": s})):
        confirmation_card(ConfirmationView(session_id="sesn_1", tool_use_id="t", tool_name=name, tool_input=tool_input))


def _root(s: str) -> None:
    decision = Decision(outcome="rejected", by=s, at=T0, reason=s)
    root_message(IncidentView(title=s, opened_by=s, status=IncidentStatus.IDLE, started_at=T0, session_id=s,
                              console_url=s, source=s, current_step=s, root_cause=s, pr_url=s, decision=decision,
                              status_detail=s, final_summary=s, stopped_by=s), now=T0)


def _notes(s: str) -> None:
    step = StepView(tool=s, summary=s, state=StepState.OK, result_preview=s)
    progress_message(ProgressView(steps=(step,) * 3))
    error_message(ErrorView(error_type=s, message=s, retry_status=s))
    notice(s)
    reminder(s, users=(s,), groups=(s,))


def _log(s: str) -> None:
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "agent said %s", (s,), None)
    RedactSecrets().filter(record)


CASES: dict[str, Callable[[str], object]] = {
    "mrkdwn_from_markdown": mrkdwn_from_markdown,
    "split_text": split_text,
    "agent_messages": agent_messages,
    "escape, truncate, one_line, code_block": lambda s: (escape(s), truncate(s, 2999), one_line(s, 1000),
                                                          code_block(s, max_chars=3000)),
    "kit.link, kit.who": lambda s: (kit.link(s, s), kit.link("https://x/" + s, s), kit.who(s)),
    "approval_card, diff_preview": _approval,
    "confirmation_card": _confirmations,
    "root_message": _root,
    "progress_message, error_message, notice, reminder": _notes,
    **{f"reduce ({part})": lambda s, part=part: _state(s, part) for part in PARTS},
    **{f"render_thread ({part})": lambda s, part=part: render_thread(_state(s, part)) for part in PARTS},
    **{f"render_root ({part})": lambda s, part=part: render_root(_state(s, part), console_url="https://c/{session_id}")
       for part in PARTS},
    "summarise_input, first_line": lambda s: (summarise_input("bash", {"command": s}), summarise_input("x", {"y": s}),
                                             first_line(s)),
    "redact": redact,
    "redact_blocks": lambda s: redact_blocks([{"type": "section", "text": {"type": "mrkdwn", "text": s}}]),
    "log redaction": _log,
    **_recognisers(),
    "read_message and clean": lambda s: (read_message(MESSAGES["another app"](s)), clean(s)),
    "parse_label_lists, parse_status_title": lambda s: (parse_label_lists(s), parse_status_title(s),
                                                       parse_status_title("[FIRING:1] " + s)),
    "make_alert, title_key, session_title": lambda s: (make_alert(title=s, full_text=s, source="text"), title_key(s),
                                                       session_title(s)),
    "parse_pagerduty_webhook": lambda s: parse_pagerduty_webhook(_pagerduty_body(s)),
    "parse_alertmanager_webhook": lambda s: parse_alertmanager_webhook(_alertmanager_body(s)),
    "webhook bodies (read_body)": _webhook_bodies,
    "terminal transcript": lambda s: message_lines({"text": s, "blocks": [{"type": "section", "text": {"text": s}}],
                                                    "attachments": [{"text": s, "fields": [{"title": s, "value": s}]}]}),
}


@pytest.fixture(scope="module")
def megabytes() -> list[tuple[str, str]]:
    return shapes()


@pytest.mark.slow  # about a minute of CPU in all (a megabyte of each shape through every function)
@pytest.mark.parametrize("name", list(CASES))
def test_each_megabyte_of_adversarial_text_takes_under_a_second(name, megabytes):
    outcomes = cpu_seconds_each(CASES[name], megabytes, budget=BUDGET)
    assert [o.label for o in outcomes] == [label for label, _ in megabytes]
    slow = [
        f"{o.label}: " + (o.error or (f"killed past {BUDGET}s of CPU" if o.seconds is None else f"{o.seconds:.2f}s"))
        for o in outcomes
        if o.seconds is None or o.seconds >= BUDGET
    ]
    assert not slow, f"{name} on one megabyte of: " + "; ".join(slow)
