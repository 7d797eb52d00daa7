"""A recorded PagerDuty delivery cannot be replayed: its signed `event.occurred_at` must be recent, whatever the
server remembers (a restart forgets the delivery ids it has seen)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest

from tests.bot.test_webhooks import FIXTURES, pd_headers, run, settings


def pd_body(occurred_at: datetime | None, event_id: str = "01HS4Z9K3QW8E2N7T5RVXJ6M1C") -> bytes:
    body = json.loads((FIXTURES / "checkout-oom" / "alert.json").read_text())
    body["event"]["id"] = event_id
    if occurred_at is None:
        del body["event"]["occurred_at"]
    else:
        body["event"]["occurred_at"] = occurred_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps(body).encode()


def now() -> datetime:
    return datetime.now(timezone.utc)


async def test_a_recent_delivery_is_accepted() -> None:
    async for web in run(settings()):
        body = pd_body(now() - timedelta(minutes=4))
        status, answer = await web.post("/webhooks/pagerduty", body, pd_headers(body))
        assert (status, answer["status"], len(web.got.alerts)) == (202, "accepted", 1)


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(days=-400), timedelta(minutes=10)],
                         ids=["6 min old", "400 days old", "10 min ahead"])
async def test_a_delivery_outside_the_window_is_refused_and_logged(offset: timedelta, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async for web in run(settings()):
        body = pd_body(now() + offset)
        status, answer = await web.post("/webhooks/pagerduty", body, pd_headers(body))
        assert status == 400 and web.got.alerts == []
        assert "replay window" in answer["error"] and "occurred_at" in answer["error"], answer
        assert any("01HS4Z9K3QW8E2N7T5RVXJ6M1C" in r.getMessage() and "replay window" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("occurred_at", [None, "yesterday", 12345])
async def test_a_delivery_without_a_time_is_refused(occurred_at: object) -> None:
    async for web in run(settings()):
        body = json.loads(pd_body(now()))
        if occurred_at is None:
            del body["event"]["occurred_at"]
        else:
            body["event"]["occurred_at"] = occurred_at
        raw = json.dumps(body).encode()
        status, answer = await web.post("/webhooks/pagerduty", raw, pd_headers(raw))
        assert status == 400 and "occurred_at" in answer["error"] and web.got.alerts == []


async def test_a_delivery_replayed_after_a_restart_is_refused_by_its_timestamp() -> None:
    occurred = now() - timedelta(seconds=10)
    body = pd_body(occurred)
    headers = pd_headers(body)
    async for web in run(settings()):
        assert (await web.post("/webhooks/pagerduty", body, headers))[0] == 202
    # A new process remembers no delivery ids; the same signed bytes arrive six minutes after the event.
    async for web in run(settings(), clock=lambda: occurred + timedelta(minutes=6)):
        status, answer = await web.post("/webhooks/pagerduty", body, headers)
        assert status == 400 and "replay window" in answer["error"] and web.got.alerts == []


async def test_the_window_is_a_setting() -> None:
    async for web in run(settings(pagerduty_replay_window=30.0)):
        body = pd_body(now() - timedelta(minutes=1))
        assert (await web.post("/webhooks/pagerduty", body, pd_headers(body)))[0] == 400
