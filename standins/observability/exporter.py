"""An exporter the caller controls (a test, the demo): prometheus-client metrics in a private registry, served on
loopback for scraping."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from standins.loopback import serve_on_loopback

__all__ = ["Exporter"]


class Exporter:
    """GET /metrics in Prometheus' text format from `registry`; `scrapes` counts the scrapes served."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.scrapes = 0
        self.target = ""
        self._runner: web.AppRunner | None = None

    def gauge(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> Gauge:
        """A gauge in this exporter's registry, set by the caller."""
        return Gauge(name, documentation, labelnames, registry=self.registry)

    async def start(self) -> str:
        """Serve on a free loopback port; returns the scrape target "127.0.0.1:PORT"."""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        self._runner, port = await serve_on_loopback(app)
        self.target = f"127.0.0.1:{port}"
        return self.target

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, request: web.Request) -> web.Response:
        body = await asyncio.to_thread(generate_latest, self.registry)  # thousands of series take a while to render
        self.scrapes += 1
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
