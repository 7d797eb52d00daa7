"""The health listener (HEALTH_PORT): /livez, /readyz and /metrics, apart from the webhook server."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.ops.metrics import BotMetrics
from bot.ops.readiness import Readiness
from bot.ops.watchdog import LoopWatchdog

__all__ = ["HealthServer"]

log = logging.getLogger(__name__)


class HealthServer:
    """Answers the kubelet's probes and Prometheus' scrapes. Its own port: the webhook port may face the internet,
    while probes and metrics (incident counts) stay inside the cluster."""

    def __init__(
        self, *, host: str, port: int, readiness: Readiness, metrics: BotMetrics, watchdog: LoopWatchdog
    ) -> None:
        self._host, self._port = host, port
        self._readiness = readiness
        self._metrics = metrics
        self._watchdog = watchdog
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> int:
        """Listen (port 0 picks a free one) and start the loop watchdog; the bound port."""
        app = web.Application()
        app.router.add_get("/livez", self._livez)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics_page)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self._watchdog.start()
        log.info("health and metrics on %s:%d (/livez, /readyz, /metrics)", self._host, self.port)
        return self.port

    async def stop(self) -> None:
        await self._watchdog.stop()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _livez(self, request: web.Request) -> web.Response:
        lag, limit = self._watchdog.lag, self._watchdog.limit
        body = {"live": lag <= limit, "loop_lag_seconds": round(lag, 3), "limit_seconds": limit}
        return web.json_response(body, status=200 if lag <= limit else 503)

    async def _readyz(self, request: web.Request) -> web.Response:
        results = await self._readiness.run()
        ready = all(r.ok for r in results.values())
        checks = {name: {"ok": r.ok, "detail": r.detail} for name, r in results.items()}
        return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)

    async def _metrics_page(self, request: web.Request) -> web.Response:
        body, content_type = self._metrics.exposition(request.headers.get("Accept"))
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response
