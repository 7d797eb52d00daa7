"""The real-server helpers: each server starts ready on loopback, does its job, and stops; missing ones skip or fail."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from standins.loopback import serve_on_loopback
from tests.support.fixtures import Servers, require
from tests.support.servers import AlertmanagerServer, RedisServer, ServerProcess, webhook_receiver_config


async def _refused(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return True
    writer.close()
    return False


async def _redis(port: int, *command: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"*{len(command)}\r\n".encode() + b"".join(f"${len(c)}\r\n{c}\r\n".encode() for c in command))
    await writer.drain()
    line = await reader.readline()
    if line.startswith(b"$") and line[1:2] != b"-":
        line = await reader.readline()
    writer.close()
    return line.strip()


async def _stopped(server: ServerProcess) -> None:
    await server.stop()
    assert server.process.returncode is not None
    assert await _refused(server.port)


async def test_alertmanager_runs_alone_and_keeps_alerts(alertmanager: AlertmanagerServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{alertmanager.url}/api/v2/status") as resp:
            assert (await resp.json())["cluster"]["status"] == "disabled"
        alert = {"labels": {"alertname": "CheckoutLatencyHigh", "service": "checkout"}}
        async with http.post(f"{alertmanager.url}/api/v2/alerts", json=[alert]) as resp:
            assert resp.status == 200
        async with http.get(f"{alertmanager.url}/api/v2/alerts") as resp:
            assert [a["labels"]["alertname"] for a in await resp.json()] == ["CheckoutLatencyHigh"]
    await _stopped(alertmanager)


async def test_alertmanager_posts_its_webhook_with_the_bearer_token(servers: Servers) -> None:
    received: asyncio.Queue[tuple[str | None, dict[str, Any]]] = asyncio.Queue()

    async def webhook(request: web.Request) -> web.Response:
        await received.put((request.headers.get("Authorization"), await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/webhooks/alertmanager", webhook)
    runner, port = await serve_on_loopback(app)
    try:
        config = webhook_receiver_config(f"http://127.0.0.1:{port}/webhooks/alertmanager", token="am-t0ken")
        alertmanager = await servers.alertmanager(config=config)
        alert = {"labels": {"alertname": "CheckoutLatencyHigh", "service": "checkout"},
                 "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=up&g0.tab=1"}  # fmt: skip
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{alertmanager.url}/api/v2/alerts", json=[alert]) as resp:
                assert resp.status == 200
        authorization, payload = await asyncio.wait_for(received.get(), 15)
    finally:
        await runner.cleanup()
    assert authorization == "Bearer am-t0ken"
    assert (payload["version"], payload["status"], payload["receiver"]) == ("4", "firing", "bot")
    (sent,) = payload["alerts"]
    assert sent["labels"]["service"] == "checkout" and sent["generatorURL"] == alert["generatorURL"]
    assert payload["externalURL"] == alertmanager.url


async def test_redis_answers_commands(redis_server: RedisServer) -> None:
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    assert await _redis(redis_server.port, "SET", "lease", "holder-1", "NX", "PX", "5000") == b"+OK"
    assert await _redis(redis_server.port, "SET", "lease", "holder-2", "NX", "PX", "5000") == b"$-1"
    assert await _redis(redis_server.port, "GET", "lease") == b"holder-1"
    await _stopped(redis_server)


@pytest.mark.parametrize(("binary", "variable"), [("prometheus", "REQUIRE_PROMETHEUS"),
                                                  ("prometheus-alertmanager", "REQUIRE_ALERTMANAGER"),
                                                  ("redis-server", "REQUIRE_REDIS")])  # fmt: skip
def test_a_missing_server_skips_unless_required(monkeypatch: pytest.MonkeyPatch, binary: str, variable: str) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv(variable, raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"apt-get install {binary}"):
        require(binary)
    monkeypatch.setenv(variable, "1")
    with pytest.raises(pytest.fail.Exception, match=f"{variable}=1 but no {binary} on PATH"):
        require(binary)
