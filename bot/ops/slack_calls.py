"""Counting Slack Web API requests and 429s by method, at the one hook slack_sdk offers on every answer."""

from __future__ import annotations

import re
from typing import Optional

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.ops.metrics import BotMetrics

__all__ = ["SlackCallCounter"]

_METHOD = re.compile(r"[a-z][A-Za-z]*(?:\.[A-Za-z]+)+")


class SlackCallCounter(AsyncRetryHandler):
    """A retry handler that never retries: slack_sdk asks every handler about every answer (and every error), so
    the first one in the list sees each request once. Bolt's per-request client copies share the handlers."""

    def __init__(self, metrics: BotMetrics) -> None:
        super().__init__(max_retry_count=0)
        self._metrics = metrics

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: Optional[HttpResponse] = None,
        error: Optional[Exception] = None,
    ) -> bool:
        method = _method(request.url)
        self._metrics.slack_calls.labels(method).inc()
        if response is not None and response.status_code == 429:
            self._metrics.slack_rate_limited.labels(method).inc()
        return False


def _method(url: str) -> str:
    """The Web API method a URL calls; "other" for anything else (file upload URLs), so labels stay few."""
    name = url.rsplit("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return name if _METHOD.fullmatch(name) and "/api/" in url else "other"
