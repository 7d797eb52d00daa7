"""The bot's Prometheus metrics, in a registry of its own per Bot: several bots in one process never collide."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from bot.run.state import IncidentState

__all__ = ["BotMetrics", "Watched"]

# Seconds. An ack past 3 s is one Slack gave up on; a thread update past a minute is one a person gave up on.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
DECISIONS = frozenset({"approved", "rejected", "allowed", "denied", "expired"})


class Watched(Protocol):
    """What the scrape reads of an incident run."""

    @property
    def state(self) -> IncidentState: ...

    @property
    def following(self) -> bool: ...


class BotMetrics:
    """Every metric one bot exports; the event path only increments counters and appends arrival times."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        events = Counter("incident_bot_events_processed", "Events folded into an incident's state, by source "
                         "(session: from the Managed Agents API; bot: the bot's own, such as ticks and reminders)",
                         ["source"], registry=r)  # fmt: skip
        self.session_events, self.bot_events = events.labels("session"), events.labels("bot")
        self.slack_calls = Counter("incident_bot_slack_calls", "Slack Web API requests, retries included, by method",
                                   ["method"], registry=r)  # fmt: skip
        self.slack_rate_limited = Counter("incident_bot_slack_rate_limited", "Slack Web API answers of 429, by method",
                                          ["method"], registry=r)  # fmt: skip
        self.acks = Histogram("incident_bot_socket_mode_ack_seconds", "From a Socket Mode envelope's receipt to its "
                              "ack, by envelope type", ["type"], buckets=LATENCY_BUCKETS, registry=r)  # fmt: skip
        self.unacked = Counter("incident_bot_socket_mode_unacked", "Socket Mode envelopes handled without an ack "
                               "(no listener matched, or the listener failed first)", ["type"], registry=r)  # fmt: skip
        self.event_to_slack = Histogram("incident_bot_event_to_slack_seconds", "From an event's arrival here to the "
                                        "end of the Slack writes that show it", buckets=LATENCY_BUCKETS, registry=r)  # fmt: skip
        self.decided = Counter("incident_bot_approvals_decided", "Approvals and confirmations decided on this replica, "
                               "by outcome", ["outcome"], registry=r)  # fmt: skip
        self.lease_takeovers = Counter("incident_bot_lease_takeovers", "Sessions this replica took over from another "
                                       "after that replica's lease expired", registry=r)  # fmt: skip
        self.loop_lag = Gauge("incident_bot_event_loop_lag_seconds", "How late the event loop last ran a timer",
                              registry=r)  # fmt: skip

    def folded(self, *, local: bool) -> None:
        """One event folded into an incident's state."""
        (self.bot_events if local else self.session_events).inc()

    def shown(self, arrivals: Sequence[float]) -> None:
        """The Slack writes showing events that arrived at these times (time.monotonic()) just finished."""
        now = time.monotonic()
        for arrived in arrivals:
            self.event_to_slack.observe(now - arrived)

    def decision(self, action: str) -> None:
        """An audit action taken on this replica; counted when it decides an approval or a confirmation."""
        if action in DECISIONS:
            self.decided.labels(action).inc()

    def watch(self, runs: Callable[[], Iterable[Watched]]) -> None:
        """Export the gauges read from the incident runs themselves at each scrape (nothing on the event path)."""
        self.registry.register(_Incidents(runs))

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The metrics in the format the scraper asked for (Prometheus text or OpenMetrics) and its content type."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


class _Incidents(Collector):
    """Incidents open, sessions followed and decisions pending, counted over the runs when scraped."""

    def __init__(self, runs: Callable[[], Iterable[Watched]]) -> None:
        self._runs = runs

    def collect(self) -> Iterator[Metric]:
        runs = list(self._runs())
        live = [r.state for r in runs if not r.state.finished]
        yield GaugeMetricFamily("incident_bot_incidents_open", "Incidents on this replica whose session can still act",
                                value=len(live))  # fmt: skip
        yield GaugeMetricFamily("incident_bot_sessions_followed", "Sessions whose event stream this replica follows",
                                value=sum(1 for r in runs if r.following))  # fmt: skip
        pending = GaugeMetricFamily("incident_bot_approvals_pending", "Approvals and confirmations waiting for a "
                                    "person, by kind", labels=["kind"])  # fmt: skip
        pending.add_metric(["approval"], sum(len(s.pending_approvals()) for s in live))
        pending.add_metric(["confirmation"], sum(len(s.pending_confirmations()) for s in live))
        yield pending
