"""GitHub's REST API for one repository: the token, retries on rate limits, errors that read well (never the token).

The PR store (bot/prs/github.py) and the deploys provider (bot/sources/github.py) both talk to GitHub through it."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp

from bot.settings import Settings

__all__ = ["DIFF", "JSON", "GitHubApi", "GitHubError", "github_configured"]

JSON = "application/vnd.github+json"
DIFF = "application/vnd.github.diff"
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
T = TypeVar("T")


def github_configured(settings: Settings) -> bool:
    """Whether GITHUB_TOKEN and GITHUB_REPO are both set: PRs, deploys and diffs come from GitHub."""
    return bool(settings.github_token and settings.github_repo)


class GitHubError(Exception):
    """A request GitHub refused or never answered; the message is readable and holds no token."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubApi:
    """Requests to /repos/<owner>/<name>/…, retried when GitHub asks us to wait (Retry-After, an exhausted limit)."""

    def __init__(self, *, token: str, repo: str, api_url: str = "https://api.github.com",
                 session: aiohttp.ClientSession | None = None, retries: int = 2, max_retry_wait: float = 60.0,
                 timeout: float = 60.0) -> None:  # fmt: skip
        if not _REPO_RE.match(repo):
            raise ValueError(f"GitHub repository must be 'owner/name', got {repo!r}")
        self.repo = repo
        self._token = token
        self._base = api_url.rstrip("/") + f"/repos/{repo}"
        self._session = session
        self._own_session = session is None
        self._retries = retries
        self._max_retry_wait = max_retry_wait
        self._timeout = timeout

    async def aclose(self) -> None:
        """Close the HTTP session if this object made it."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, path: str, *, body: Any = None, params: dict[str, str] | None = None,
                   accept: str = JSON, missing_ok: bool = False) -> Any:  # fmt: skip
        """One request under the repository: JSON ("" if empty), or the text of a diff; None on 404 if missing_ok."""

        async def read(resp: aiohttp.ClientResponse) -> str:
            return await resp.text(errors="replace")

        text = await self._send(method, path, body=body, params=params, accept=accept, missing_ok=missing_ok,
                                read=read)  # fmt: skip
        if text is None:
            return None
        return json.loads(text) if text and accept == JSON else text

    async def text_upto(self, path: str, *, accept: str, max_bytes: int,
                        params: dict[str, str] | None = None) -> tuple[str, bool]:  # fmt: skip
        """A GET answered as text, read no further than max_bytes; (the text, whether there was more)."""

        async def read(resp: aiohttp.ClientResponse) -> tuple[bytes, bool]:
            kept = bytearray()
            async for chunk in resp.content.iter_chunked(1 << 16):
                kept += chunk
                if len(kept) > max_bytes:
                    return bytes(kept[:max_bytes]), True  # the rest is never read: the connection is dropped
            return bytes(kept), False

        data, more = await self._send("GET", path, params=params, accept=accept, read=read)
        return data.decode("utf-8", "replace"), more

    async def _send(self, method: str, path: str, *, read: Callable[[aiohttp.ClientResponse], Awaitable[T]],
                    body: Any = None, params: dict[str, str] | None = None, accept: str = JSON,
                    missing_ok: bool = False) -> T | None:  # fmt: skip
        headers = {"Authorization": f"Bearer {self._token}", "Accept": accept, "X-GitHub-Api-Version": "2022-11-28",
                   "User-Agent": "incident-bot"}  # fmt: skip
        for attempt in range(self._retries + 1):
            try:
                async with self._http().request(method, self._base + path, json=body, params=params,
                                                headers=headers) as resp:  # fmt: skip
                    status, wait = resp.status, _retry_wait(resp)
                    if status < 300:
                        return await read(resp)
                    text = (await resp.content.read(64 << 10)).decode("utf-8", "replace")
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise GitHubError(self._redact(f"GitHub unreachable: {exc or type(exc).__name__}")) from None
            if wait is not None and wait <= self._max_retry_wait and attempt < self._retries:
                await asyncio.sleep(wait)
                continue
            if status == 404 and missing_ok:
                return None
            raise GitHubError(self._redact(_error_message(status, text)), status=status)
        raise AssertionError("unreachable")

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout), trust_env=True)
        return self._session

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


def _retry_wait(resp: aiohttp.ClientResponse) -> float | None:
    """Seconds GitHub asks us to wait (Retry-After, or an exhausted rate limit's reset), else None."""
    if resp.status not in (403, 429):
        return None
    if (after := resp.headers.get("Retry-After", "")).strip().isdigit():
        return float(after)
    if resp.headers.get("X-RateLimit-Remaining") == "0" and resp.headers.get("X-RateLimit-Reset", "").isdigit():
        return max(0.0, float(resp.headers["X-RateLimit-Reset"]) - time.time())
    return None


def _error_message(status: int, text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return f"GitHub {status}: {text.strip()[:300] or 'no message'}"
    details = [e.get("message") or f"{e.get('field')} {e.get('code')}" for e in data.get("errors") or []
               if isinstance(e, dict)]  # fmt: skip
    return f"GitHub {status}: {data.get('message', 'no message')}" + (f" ({'; '.join(details)})" if details else "")
