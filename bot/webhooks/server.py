"""The webhook server: alerts from PagerDuty and Alertmanager, session news from the Managed Agents API."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timezone

from aiohttp import web
from anthropic import AsyncAnthropic

from bot.alerts import Alert, parse_alertmanager_webhook, parse_pagerduty_webhook
from bot.settings import Settings
from bot.webhooks.models import AlertmanagerBody, AnthropicBody, BadBody, PagerDutyBody, read_body
from bot.webhooks.verify import RecentIds, bearer_ok, pagerduty_signature_ok, seconds_since

__all__ = ["MAX_BODY", "OnAlert", "OnSessionEvent", "WebhookServer"]

log = logging.getLogger(__name__)

OnAlert = Callable[[Alert], Awaitable[None]]
OnSessionEvent = Callable[[str, str], Awaitable[None]]  # (session id, webhook event type)
MAX_BODY = 1024 * 1024


def _answer(code: int, /, **fields: object) -> web.Response:
    return web.json_response(fields, status=code)


def _standard_webhooks(secret: str) -> type[Exception]:
    """Check that the signing secret is usable; return the error class a failed verification raises."""
    try:  # the SDK's unwrap() needs it too: it comes with `anthropic[webhooks]`
        from standardwebhooks import Webhook, WebhookVerificationError
    except ImportError as exc:
        raise RuntimeError("ANTHROPIC_WEBHOOK_SECRET needs `pip install 'anthropic[webhooks]'`") from exc
    try:
        Webhook(secret)
    except Exception:  # the original error could quote the secret: say only what is wrong
        raise ValueError("ANTHROPIC_WEBHOOK_SECRET is not a valid whsec_… signing secret") from None
    return WebhookVerificationError


class WebhookServer:
    """Routes /webhooks/{pagerduty,alertmanager,anthropic} and /healthz; a route is on when its secret is set."""

    def __init__(
        self,
        settings: Settings,
        *,
        on_alert: OnAlert,
        on_session_event: OnSessionEvent,
        anthropic: AsyncAnthropic | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._on_alert = on_alert
        self._on_session_event = on_session_event
        self._anthropic = anthropic
        self._owns_anthropic = False
        self._runner: web.AppRunner | None = None
        self._pagerduty_ids = RecentIds()
        self._anthropic_ids = RecentIds()
        self._unknown_types: set[str] = set()
        self._bad_signature: type[Exception] = ValueError  # standardwebhooks' error class, once start() loaded it

    def routes(self) -> list[str]:
        """The webhook paths that are on (their secret or token is configured)."""
        s = self.settings
        secrets = (
            ("pagerduty", s.pagerduty_webhook_secret),
            ("alertmanager", s.alertmanager_token),
            ("anthropic", s.anthropic_webhook_secret),
        )
        return [f"/webhooks/{name}" for name, secret in secrets if secret]

    async def start(self) -> int:
        """Listen on settings.webhook_host:webhook_port (0 picks a free port); return the bound port."""
        if self._runner is not None:
            raise RuntimeError("the webhook server is already running")
        if self.settings.webhook_port is None:
            raise ValueError("WEBHOOK_PORT is not set, so the webhook server is off")
        if self.settings.anthropic_webhook_secret:
            self._bad_signature = _standard_webhooks(self.settings.anthropic_webhook_secret)
            if self._anthropic is None:
                self._anthropic = AsyncAnthropic(
                    api_key=self.settings.anthropic_api_key or "unused", base_url=self.settings.anthropic_base_url
                )
                self._owns_anthropic = True
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get("/healthz", self._healthz)
        handlers = {"/webhooks/pagerduty": self._pagerduty, "/webhooks/alertmanager": self._alertmanager,
                    "/webhooks/anthropic": self._managed_agents}  # fmt: skip
        for path in self.routes():
            app.router.add_post(path, handlers[path])
        runner = web.AppRunner(app)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.settings.webhook_host, self.settings.webhook_port).start()
        except BaseException:
            await runner.cleanup()
            await self._close_client()
            raise
        self._runner = runner
        port = int(runner.addresses[0][1])
        log.info("webhook server listening on %s:%d; on: %s", self.settings.webhook_host, port,
                 ", ".join(self.routes()) or "no webhook routes (no secrets set)")  # fmt: skip
        return port

    async def stop(self) -> None:
        """Stop listening (finishing requests in flight) and close the client this server made, if any."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self._close_client()

    async def _close_client(self) -> None:
        if self._owns_anthropic and self._anthropic is not None:
            await self._anthropic.close()
            self._anthropic, self._owns_anthropic = None, False

    async def _healthz(self, request: web.Request) -> web.Response:
        return _answer(200, status="ok")

    async def _pagerduty(self, request: web.Request) -> web.Response:
        raw = await request.read()
        signature = request.headers.get("X-PagerDuty-Signature", "")
        if not pagerduty_signature_ok(raw, signature, self.settings.pagerduty_webhook_secret):
            log.warning("pagerduty webhook refused: missing or wrong X-PagerDuty-Signature")
            return _answer(401, error="bad signature")
        try:
            body, shape = read_body(raw, PagerDutyBody)
        except BadBody as exc:
            return _answer(400, error=str(exc))
        event = shape.event
        stale = self._outside_replay_window(event.id, event.occurred_at)
        if stale:
            return _answer(400, error=stale)
        if event.event_type != "incident.triggered":
            log.info("pagerduty webhook %s (%s) ignored", event.id, event.event_type)
            return _answer(202, status="ignored")
        if not self._pagerduty_ids.add(event.id):
            log.info("pagerduty webhook %s delivered again; already handled", event.id)
            return _answer(202, status="duplicate")
        alert = parse_pagerduty_webhook(body)
        alerts = [alert] if alert is not None else []
        return await self._deliver(alerts, "pagerduty", forget=lambda: self._pagerduty_ids.discard(event.id))

    def _outside_replay_window(self, event_id: str, occurred_at: str) -> str:
        """Why a delivery is refused as a possible replay (its signed time is not recent), or "" when it is fresh."""
        window = self.settings.pagerduty_replay_window
        age = seconds_since(occurred_at, self._clock())
        if age is None:
            return "event.occurred_at is not an ISO-8601 time"
        if abs(age) <= window:
            return ""
        off = f"{age:.0f} s old" if age > 0 else f"{-age:.0f} s in the future"
        log.warning("pagerduty webhook %s refused: event.occurred_at %r is %s, outside the %.0f s replay window",
                    event_id, occurred_at[:40], off, window)  # fmt: skip
        return f"event.occurred_at is {off}, outside the {window:.0f} s replay window: refused as a possible replay"

    async def _alertmanager(self, request: web.Request) -> web.Response:
        if not bearer_ok(request.headers.get("Authorization", ""), self.settings.alertmanager_token):
            log.warning("alertmanager webhook refused: missing or wrong bearer token")
            return web.json_response({"error": "bad token"}, status=401, headers={"WWW-Authenticate": "Bearer"})
        try:
            body, _ = read_body(await request.read(), AlertmanagerBody)
        except BadBody as exc:
            return _answer(400, error=str(exc))
        alerts = parse_alertmanager_webhook(body)
        if not alerts:
            log.info("alertmanager webhook with no alert in it (status %s) ignored", body.get("status"))
            return _answer(202, status="ignored")
        return await self._deliver(alerts, "alertmanager", forget=lambda: None)

    async def _managed_agents(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _answer(400, error="body is not UTF-8 JSON")
        headers = {k.lower(): v for k, v in request.headers.items()}
        assert self._anthropic is not None  # made in start()
        try:
            self._anthropic.beta.webhooks.unwrap(text, headers=headers, key=self.settings.anthropic_webhook_secret)
        except json.JSONDecodeError:  # only raised once the signature matched
            return _answer(400, error="body is not JSON")
        except (self._bad_signature, ValueError, TypeError):  # also a malformed webhook-signature header
            log.warning("anthropic webhook refused: missing, stale or wrong signature")
            return _answer(401, error="bad signature")
        try:
            _, shape = read_body(text, AnthropicBody)
        except BadBody as exc:
            return _answer(400, error=str(exc))
        delivery, kind, session_id = headers.get("webhook-id", ""), shape.data.type, shape.data.id
        if not self._anthropic_ids.add(delivery):
            return _answer(202, status="duplicate")
        if not kind.startswith("session."):
            if kind not in self._unknown_types:
                self._unknown_types.add(kind)
                log.info("anthropic webhooks of type %s are ignored", kind)
            return _answer(202, status="ignored")
        try:
            await self._on_session_event(session_id, kind)
        except Exception:
            self._anthropic_ids.discard(delivery)
            log.exception("handling anthropic webhook %s (%s) failed", delivery, kind, extra={"session": session_id})
            return _answer(500, error="could not handle the event")
        log.info("anthropic webhook %s: %s", delivery, kind, extra={"session": session_id})
        return _answer(202, status="accepted")

    async def _deliver(self, alerts: Sequence[Alert], source: str, *, forget: Callable[[], None]) -> web.Response:
        try:
            for alert in alerts:
                await self._on_alert(alert)
        except Exception:
            forget()  # the sender retries on 5xx; let that retry through
            log.exception("opening an incident for a %s webhook failed", source)
            return _answer(500, error="could not open an incident")
        keys = ", ".join(a.dedupe_key for a in alerts)[:300]
        log.info("%s webhook: %d alert(s) handed on (%s)", source, len(alerts), keys)
        return _answer(202, status="accepted", alerts=len(alerts))
