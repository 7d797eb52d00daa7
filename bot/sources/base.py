"""What every evidence source shares: the typed error, the tool interface, and one HTTP client per source."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Protocol, Self

import aiohttp
from yarl import URL

from bot.sources.inputs import InputError, known_arguments

__all__ = ["EvidenceSource", "HttpSource", "SourceError"]

_LARGE_BODY = 1 << 20  # parse bodies above this off the event loop
_MAX_MESSAGE = 2000
_STATUS_KINDS = {400: "bad_data", 401: "unauthorized", 403: "unauthorized", 404: "not_found", 422: "execution",
                 429: "rate_limited", 503: "unavailable", 504: "timeout"}  # fmt: skip


class SourceError(Exception):
    """A query that did not give evidence: the source's own message (or ours), typed, for an is_error tool result."""

    def __init__(self, source: str, error_type: str, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{source}: {error_type}: {message}")
        self.source = source
        self.error_type = error_type
        self.message = message
        self.status = status

    def as_dict(self) -> dict[str, Any]:
        """The tool result's JSON: Prometheus' own envelope keys, plus which source and HTTP status."""
        body: dict[str, Any] = {"error": self.message, "errorType": self.error_type, "source": self.source}
        if self.status is not None:
            body["status"] = self.status
        return body


class EvidenceSource(Protocol):
    """One provider behind one custom tool: the bot answers the tool call with run_tool(call.input)."""

    name: str  # "prometheus", "loki"
    tool_name: str  # the contract's tool: "query_prometheus", "query_logs"
    tool: dict[str, Any]  # the custom tool definition for the agent

    async def run_tool(self, arguments: Mapping[str, Any]) -> dict[str, Any]: ...
    async def check(self) -> str: ...
    async def aclose(self) -> None: ...


class HttpSource:
    """Owns one aiohttp session to one server (bearer token, timeout, body cap); errors become SourceError."""

    name = "source"
    tool_name = ""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 30.0,
                 max_body_bytes: int = 32 << 20) -> None:  # fmt: skip
        base = URL(url)
        if base.scheme not in ("http", "https") or not base.host:
            raise ValueError(f"{self.name} URL must be http(s)://host[:port][/prefix], got {url!r}")
        self._base = base
        self.display_url = str(base.with_user(None).with_password(None))  # never a credential in a message
        self._token = token or None
        self.timeout = timeout
        self._max_body = max_body_bytes
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:  # fmt: skip
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session (a later call opens a new one)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            headers = {"User-Agent": "incident-bot"}
            if self._token:
                headers["Authorization"] = f"Bearer {self._token}"
            self._session = aiohttp.ClientSession(headers=headers, trust_env=True,
                                                  timeout=aiohttp.ClientTimeout(total=self.timeout))  # fmt: skip
        return self._session

    def _error(self, error_type: str, message: str, status: int | None = None) -> SourceError:
        if self._token:
            message = message.replace(self._token, "***")
        if len(message) > _MAX_MESSAGE:  # e.g. an execution error listing every duplicate series
            message = message[: _MAX_MESSAGE - 1] + "…"
        return SourceError(self.name, error_type, message, status=status)

    def _arguments(self, arguments: Mapping[str, Any], allowed: tuple[str, ...]) -> tuple[Any, ...]:
        """A tool call's arguments in `allowed` order (None when left out); an unknown one is invalid input."""
        try:
            known_arguments(arguments, allowed, self.tool_name)
        except InputError as exc:
            raise self._error("invalid_input", str(exc)) from None
        return tuple(arguments.get(name) for name in allowed)

    async def _request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                       form: Mapping[str, str] | None = None) -> tuple[int, bytes]:  # fmt: skip
        """One request to base URL + path: (status, body), or SourceError when unreachable, too slow or too big."""
        url = self._base.joinpath(path.lstrip("/"))
        try:
            async with self._http().request(method, url, params=params, data=form) as resp:
                return resp.status, await self._read(resp)
        except TimeoutError:
            raise self._error("timeout", f"{self.name} at {self.display_url} did not answer within "
                                         f"{self.timeout:g} s") from None  # fmt: skip
        except aiohttp.ClientError as exc:
            raise self._error("unreachable", f"{self.name} at {self.display_url} is unreachable: "
                                             f"{exc or type(exc).__name__}") from None  # fmt: skip

    async def _read(self, resp: aiohttp.ClientResponse) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > self._max_body:
                raise self._error("too_large", f"{self.name} answered more than {self._max_body >> 20} MiB; "
                                               "narrow the query (fewer series, a shorter window)")  # fmt: skip
            chunks.append(chunk)
        return b"".join(chunks)

    async def _json(self, body: bytes, status: int) -> Any:
        """The body as JSON (parsed in a thread when large), or SourceError("bad_response")."""
        try:
            if len(body) > _LARGE_BODY:
                return await asyncio.to_thread(json.loads, body)
            return json.loads(body)
        except ValueError:
            raise self._error("bad_response", f"{self.name} answered HTTP {status} with a body that is not JSON: "
                                              f"{_snippet(body)}", status) from None  # fmt: skip

    def _status_error(self, status: int, body: bytes) -> SourceError:
        """An HTTP error with no typed body (a proxy's page, Loki's plain text): its status and text."""
        kind = _STATUS_KINDS.get(status, "server_error" if status >= 500 else "http_error")
        return self._error(kind, _snippet(body) or f"HTTP {status}", status)


def _snippet(body: bytes, limit: int = 1000) -> str:
    text = body.decode("utf-8", "replace").strip()
    return text if len(text) <= limit else text[:limit] + "…"
