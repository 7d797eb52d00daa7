"""Alert messages from Slack integrations and alert webhooks become normalised Alerts, whatever they contain."""

from __future__ import annotations

import copy
import json
import random
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.alerts import MAX_ALERT_TEXT, Alert, parse_alert_message, parse_alertmanager_webhook, parse_pagerduty_webhook

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ALERTS = FIXTURES / "alerts"


def load(name: str) -> dict[str, Any]:
    return json.loads((ALERTS / name).read_text())


EXPECTED = {
    "pagerduty": dict(
        title="[FIRING:1] KubePodCrashLooping shop/checkout: checkout pods OOMKilled, CrashLoopBackOff",
        service="checkout",
        severity="P1",
        source_link="https://acme-shop.pagerduty.com/incidents/Q0RIP5ZK8L1T4A",
        dedupe_key="pagerduty:Q0RIP5ZK8L1T4A",
    ),
    "alertmanager": dict(
        title="[FIRING:1] KubePodCrashLooping (checkout kube-state-metrics shop checkout-7c9f8d6b5-x2x4q "
        "kube-prometheus-stack-kube-state-metrics critical)",
        service="checkout",  # the `service` label names the exporter here, so the container is used
        severity="critical",
        source_link="http://alertmanager.monitoring.svc:9093/#/alerts?receiver=slack-shop",
        dedupe_key="alertmanager:5e1d3c7a9b2f4e60",
    ),
    "datadog": dict(
        title="Triggered: [P1] Checkout 5xx error rate above 5% on env:prod,service:checkout",
        service="checkout",
        severity="P1",
        source_link="https://app.datadoghq.com/monitors/81234567?group=env%3Aprod%2Cservice%3Acheckout"
        "&from_ts=1741942680000&to_ts=1741943580000&event_id=7654321098765432100&link_source=monitor_notif",
        dedupe_key="datadog:81234567:env:prod,service:checkout",
    ),
    "grafana": dict(
        title="[FIRING:1] CheckoutLatencyP99High Shop (checkout critical)",
        service="checkout",
        severity="critical",
        source_link="https://grafana.acme-shop.example/d/checkout-red?orgId=1&viewPanel=4",
        dedupe_key="grafana:fe2k9qv7x3ls0b",
    ),
}


@pytest.mark.parametrize("source", sorted(EXPECTED))
def test_each_integration_message_is_recognised(source: str) -> None:
    alert = parse_alert_message(load(f"{source}.json"))
    assert alert.source == source
    assert {k: getattr(alert, k) for k in EXPECTED[source]} == EXPECTED[source]
    assert isinstance(alert.payload, dict) and alert.payload["source"] == source
    assert alert.text and not alert.truncated and alert.original_size == len(alert.text)
    json.dumps(alert.payload)  # goes into the session's first message as JSON


def test_payloads_carry_what_the_agent_needs() -> None:
    am = parse_alert_message(load("alertmanager.json")).payload or {}
    assert am["alertname"] == "KubePodCrashLooping" and am["status"] == "firing" and am["firing"] == 1
    assert am["labels"]["namespace"] == "shop" and am["labels"]["pod"] == "checkout-7c9f8d6b5-x2x4q"
    grafana = parse_alert_message(load("grafana.json")).payload or {}
    assert grafana["folder"] == "Shop" and grafana["rule_uids"] == ["fe2k9qv7x3ls0b"]
    assert grafana["annotations"]["summary"] == "checkout p99 latency 10× baseline"
    assert grafana["links"]["dashboard"] == "https://grafana.acme-shop.example/d/checkout-red?orgId=1"
    datadog = parse_alert_message(load("datadog.json")).payload or {}
    assert datadog["monitor_id"] == "81234567" and datadog["tags"]["team"] == "shop-platform"
    assert datadog["state"] == "alert"
    pd = parse_alert_message(load("pagerduty.json")).payload or {}
    assert (pd["incident_number"], pd["status"], pd["urgency"]) == (2214, "Triggered", "High")


def test_plain_text_keeps_todays_behaviour() -> None:
    alert = parse_alert_message({"type": "message", "user": "U1", "text": "  \ncheckout is down!\nsince 09:00", "ts": "1.2"})
    assert (alert.title, alert.text, alert.source, alert.payload) == ("checkout is down!", "checkout is down!\nsince 09:00", "text", None)
    assert (alert.service, alert.severity, alert.source_link) == ("", "", "")
    assert alert.dedupe_key.startswith("text:")
    assert parse_alert_message({"text": "Checkout   IS down!"}).dedupe_key == alert.dedupe_key
    assert parse_alert_message({"text": "payments is down"}).dedupe_key != alert.dedupe_key
    long = parse_alert_message({"text": "x" * 400})
    assert long.title == "x" * 149 + "…"


def test_a_person_quoting_an_integration_stays_plain_text() -> None:
    event = {"user": "U1", "text": "[FIRING:1] Foo — see <https://acme.pagerduty.com/incidents/Q1|this> and app.datadoghq.com"}
    alert = parse_alert_message(event)
    assert alert.source == "text" and alert.payload is None


def test_an_unknown_integration_falls_back_to_text() -> None:
    event = {"subtype": "bot_message", "bot_id": "B9", "username": "deploy-bot", "text": "deployed checkout v42"}
    alert = parse_alert_message(event)
    assert (alert.source, alert.title, alert.payload) == ("text", "deployed checkout v42", None)


def test_older_pagerduty_message_shapes() -> None:
    attachment = {"subtype": "bot_message", "bot_id": "B1", "username": "PagerDuty", "attachments": [{
        "title": "#2214: checkout 5xx above 5%", "title_link": "https://acme.pagerduty.com/incidents/PABC123",
        "fields": [{"title": "Status", "value": "Triggered"}, {"title": "Urgency", "value": "high"},
                   {"title": "Service", "value": "<https://acme.pagerduty.com/services/P1|checkout>"}]}]}  # fmt: skip
    alert = parse_alert_message(attachment)
    assert (alert.source, alert.title, alert.service, alert.severity) == ("pagerduty", "checkout 5xx above 5%", "checkout", "high")
    assert alert.dedupe_key == "pagerduty:PABC123"
    text_only = {"bot_id": "B1", "bot_profile": {"name": "PagerDuty"},
                 "text": "Triggered <https://acme.pagerduty.com/incidents/Q9|#77 payments latency> on "
                 "<https://acme.pagerduty.com/services/P2|payments>"}  # fmt: skip
    alert = parse_alert_message(text_only)
    assert (alert.title, alert.service, alert.dedupe_key) == ("payments latency", "payments", "pagerduty:Q9")


def test_datadog_scope_in_braces_and_no_monitor_link() -> None:
    event = {"bot_id": "B4", "bot_profile": {"name": "Datadog"},
             "attachments": [{"title": "[P2] [Warn on {service:payments,env:prod}] Payments latency high", "text": "slow"}]}  # fmt: skip
    alert = parse_alert_message(event)
    assert (alert.source, alert.service, alert.severity) == ("datadog", "payments", "P2")
    assert (alert.payload or {})["state"] == "warning" and alert.dedupe_key.startswith("datadog:")


def test_repeated_alertmanager_notifications_share_a_key() -> None:
    def message(count: int) -> dict[str, Any]:
        title = f"[FIRING:{count}] HighErrorRate (checkout critical)"
        return {"subtype": "bot_message", "bot_id": "B1", "username": "Alertmanager", "attachments": [{"title": title}]}

    one, two = parse_alert_message(message(1)), parse_alert_message(message(2))
    assert one.source == two.source == "alertmanager"
    assert one.dedupe_key == two.dedupe_key and one.severity == "critical"


def test_resolved_alertmanager_message_says_so_in_the_payload() -> None:
    event = load("alertmanager.json")
    event["attachments"][0]["title"] = event["attachments"][0]["title"].replace("[FIRING:1]", "[RESOLVED]")
    alert = parse_alert_message(event)
    assert alert.source == "alertmanager" and (alert.payload or {})["status"] == "resolved"


def test_huge_integration_message_is_cut_but_still_recognised() -> None:
    event = load("grafana.json")
    event["attachments"][0]["text"] += "\n - filler = y" + "y" * 1_000_000
    alert = parse_alert_message(event)
    assert alert.source == "grafana" and alert.dedupe_key == "grafana:fe2k9qv7x3ls0b"
    assert len(alert.text) == MAX_ALERT_TEXT and alert.truncated and alert.original_size > 1_000_000
    assert len(json.dumps(alert.payload)) < 100_000


def test_huge_plain_text_is_cut() -> None:
    alert = parse_alert_message({"text": "boom " * 100_000})
    assert alert.source == "text" and len(alert.text) == MAX_ALERT_TEXT and alert.original_size == 499_999  # stripped
    assert alert.truncated and len(alert.title) <= 150


MALFORMED: list[Any] = [
    None,
    [],
    "text",
    {},
    {"text": None, "attachments": None, "blocks": None},
    {"bot_id": "B1", "text": 42, "attachments": 7, "blocks": "nope"},
    {"bot_id": "B1", "attachments": [None, 3, "x", {"fields": "x", "blocks": 5, "title": ["a"]}]},
    {"bot_id": "B1", "attachments": [{"fields": [None, {"title": None, "value": {"a": 1}}]}]},
    {"bot_id": "B1", "attachments": [{"title": "[FIRING:x] ((((", "title_link": 5, "actions": [{"url": None}]}]},
    {"bot_id": "B1", "username": None, "bot_profile": "PagerDuty", "blocks": [{"text": {"text": None}}, {"elements": 3}]},
    {"bot_id": "B1", "username": "Datadog", "attachments": [{"title": "Triggered on {", "title_link": "https://app.datadoghq.com/monitors/"}]},
    {"bot_id": "B1", "username": "grafana", "attachments": [{"footer": "Grafana", "text": " - a = \n - a = b\n" * 3}]},
    {"bot_id": "B1", "attachments": [{"title": "<https://acme.pagerduty.com/incidents/|>", "text": "<" * 10_000}]},
    # inputs that once made a pattern backtrack for ever
    {"bot_id": "B1", "username": "Datadog", "attachments": [{"title": "Triggered: x on " + "a:" * 900 + " !"}]},
    {"bot_id": "B1", "attachments": [{"title": "<https://a" * 8_000, "text": "<https://a" * 8_000}]},
]


@pytest.mark.parametrize("event", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_messages_still_give_an_alert(event: Any) -> None:
    alert = parse_alert_message(event)
    assert isinstance(alert, Alert) and alert.title and alert.text and alert.dedupe_key


def _mangle(value: Any, rnd: random.Random) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            roll = rnd.random()
            if roll < 0.1:
                continue
            out[key] = rnd.choice([None, 0, "", [], {}, "[FIRING:9]", "<http://x|y>"]) if roll < 0.2 else _mangle(item, rnd)
        return out
    if isinstance(value, list):
        return [_mangle(v, rnd) for v in value if rnd.random() > 0.1]
    return value


@pytest.mark.parametrize("source", sorted(EXPECTED))
def test_randomly_damaged_fixtures_never_raise(source: str) -> None:
    rnd = random.Random(source)
    original = load(f"{source}.json")
    for _ in range(200):
        alert = parse_alert_message(_mangle(copy.deepcopy(original), rnd))
        assert isinstance(alert, Alert) and alert.dedupe_key


def test_pagerduty_webhook_triggered() -> None:
    alert = parse_pagerduty_webhook(json.loads((FIXTURES / "checkout-oom" / "alert.json").read_text()))
    assert alert is not None and alert.source == "pagerduty"
    assert alert.title == EXPECTED["pagerduty"]["title"]
    assert (alert.service, alert.severity, alert.source_link) == ("checkout", "P1", EXPECTED["pagerduty"]["source_link"])
    # the same incident seen in Slack and by webhook has one key
    assert alert.dedupe_key == parse_alert_message(load("pagerduty.json")).dedupe_key
    assert (alert.payload or {})["event"]["data"]["incident_key"] == "c6f1d0a2b84e4f37a9e5d1c0b7f2e813"
    assert "Assigned: Priya Natarajan" in alert.text


def test_pagerduty_webhook_other_events_and_odd_bodies() -> None:
    body = json.loads((FIXTURES / "checkout-oom" / "alert.json").read_text())
    body["event"]["event_type"] = "incident.acknowledged"
    assert parse_pagerduty_webhook(body) is None
    assert parse_pagerduty_webhook({}) is None and parse_pagerduty_webhook([]) is None  # type: ignore[arg-type]
    bare = parse_pagerduty_webhook({"event": {"id": "E1", "event_type": "incident.triggered", "data": "x"}})
    assert bare is not None and bare.title == "PagerDuty incident E1" and bare.dedupe_key == "pagerduty:E1"


def test_alertmanager_webhook_gives_one_alert_per_group_of_firing_alerts() -> None:
    body = load("webhooks/alertmanager.json")
    [alert] = parse_alertmanager_webhook(body)
    assert alert.title == "[FIRING:2] KubePodCrashLooping shop (checkout kube-state-metrics kube-prometheus-stack-kube-state-metrics critical)"
    assert (alert.service, alert.severity) == ("checkout", "critical")
    assert alert.source_link == "http://alertmanager.monitoring.svc:9093/#/alerts?receiver=incident-bot"
    assert alert.dedupe_key == "alertmanager:" + body["groupKey"]
    payload = alert.payload or {}
    assert payload["firing"] == 2 and [a["fingerprint"] for a in payload["alerts"]] == ["5e1d3c7a9b2f4e60", "a07c52e91d3b8f14"]
    assert "checkout-7c9f8d6b5-h5k7w" not in alert.text  # the resolved one


def test_alertmanager_webhook_resolved_gives_the_group_resolved_and_odd_gives_nothing() -> None:
    body = load("webhooks/alertmanager.json")
    for alert in body["alerts"]:
        alert["status"], alert["endsAt"] = "resolved", "2025-03-14T09:41:02.5Z"
    body["status"] = "resolved"
    [resolved] = parse_alertmanager_webhook(body)
    assert resolved.resolved and resolved.title.startswith("[RESOLVED] KubePodCrashLooping")
    assert resolved.dedupe_key == "alertmanager:" + body["groupKey"]  # the same key as the group's firing ones
    assert resolved.resolved_at == datetime(2025, 3, 14, 9, 41, 2, 500000, tzinfo=timezone.utc)
    assert parse_alertmanager_webhook({}) == [] and parse_alertmanager_webhook({"alerts": "x"}) == []
    [odd] = parse_alertmanager_webhook({"alerts": [{"status": "firing", "labels": {"alertname": "Foo"}}]})
    assert odd.title == "[FIRING:1] Foo" and odd.dedupe_key.startswith("alertmanager:Foo:")


def test_alertmanager_webhook_lists_every_alert_of_a_big_group_compactly() -> None:
    body = load("webhooks/alertmanager.json")
    template = body["alerts"][0]
    body["alerts"] = [{**template, "labels": {**template["labels"], "pod": f"checkout-{i:03d}"},
                       "fingerprint": f"{i:016x}"} for i in range(80)]  # fmt: skip
    body["truncatedAlerts"] = 7  # Alertmanager's max_alerts left these out of the notification itself
    [alert] = parse_alertmanager_webhook(body)
    payload = alert.payload or {}
    assert payload["firing"] == 80 and payload["truncatedAlerts"] == 7
    listed = [a["labels"]["pod"] for a in payload["alerts"]]
    assert listed == [f"checkout-{i:03d}" for i in range(len(listed))] and len(listed) >= 50
    assert f"{80 - len(listed)} more" in payload["not_listed"] and "7" in payload["not_listed"]
    # The labels every alert shares are said once, not per alert.
    assert all(set(a["labels"]) == {"pod"} for a in payload["alerts"])
    assert payload["commonLabels"]["alertname"] == "KubePodCrashLooping"
    assert len(alert.members) == 80 and len(set(alert.members)) == 80
    assert alert.graph_link == template["generatorURL"]
    assert len(json.dumps(payload)) < 12_000


def test_alertmanager_webhook_takes_links_only_as_http_urls() -> None:
    body = load("webhooks/alertmanager.json")
    body["externalURL"] = "javascript:alert(1)//"
    for alert in body["alerts"]:
        alert["generatorURL"] = "http://prom.example/graph?g0.expr=up <!channel>"
    [alert] = parse_alertmanager_webhook(body)
    assert alert.source_link == "" and alert.graph_link == ""


def test_an_alertmanager_message_with_a_graph_link_carries_it() -> None:
    event = load("alertmanager.json")
    graph = "http://prometheus.monitoring.svc:9090/graph?g0.expr=up%3D%3D0&g0.tab=1"
    event["attachments"][0]["text"] += f"\n*Graph:* <{graph}|:chart_with_upwards_trend:>"
    alert = parse_alert_message(event)
    assert alert.source == "alertmanager" and alert.graph_link == graph
    assert parse_alert_message(load("alertmanager.json")).graph_link == ""
