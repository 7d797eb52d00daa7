"""Real servers for the demo and the tests: Debian's prometheus, prometheus-alertmanager and redis-server on free
loopback ports.

Each runs from its own temporary folder (config, data, log), is awaited until its readiness check answers
(Prometheus' and Alertmanager's /-/ready, Redis' PING) and is stopped with SIGTERM, then SIGKILL on timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yaml

__all__ = ["PACKAGES", "AlertmanagerServer", "MissingBinary", "PrometheusServer", "RedisServer", "ServerFailed",
           "ServerProcess", "find_binary", "free_port", "start_alertmanager", "start_prometheus", "start_redis",
           "webhook_receiver_config"]  # fmt: skip

PACKAGES = {"prometheus": "prometheus", "prometheus-alertmanager": "prometheus-alertmanager",
            "redis-server": "redis-server"}  # fmt: skip
_POLL = 0.05  # seconds between readiness checks, spent waiting on the process (so an early exit is seen at once)


class MissingBinary(RuntimeError):
    """The server's binary is not installed; the message says how to get it."""


class ServerFailed(RuntimeError):
    """The server exited or never became ready; the message carries the end of its log."""


def find_binary(name: str) -> str:
    """The binary's path, or MissingBinary naming the Debian package."""
    path = shutil.which(name)
    if path is None:
        package = PACKAGES.get(name, name)
        raise MissingBinary(f"no {name} on PATH: `apt-get install {package}` (Debian) to run this test")
    return path


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it); a lost race is retried by the starters."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """One running server: its process, port, folder and log."""

    name: str
    port: int
    folder: Path
    process: asyncio.subprocess.Process
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log, for failure messages."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def pause(self) -> None:
        """SIGSTOP: the server keeps its port but answers nothing (a hung server)."""
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after pause()."""
        os.kill(self.pid, signal.SIGCONT)

    async def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.resume()
            self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()


async def _http_ok(url: str) -> bool:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http, http.get(url) as resp:
            return resp.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def _ready_endpoint(port: int) -> bool:
    """Prometheus' and Alertmanager's /-/ready answers 200 once they serve."""
    return await _http_ok(f"http://127.0.0.1:{port}/-/ready")


async def _redis_pong(port: int) -> bool:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(b"PING\r\n")
        await writer.drain()
        return (await asyncio.wait_for(reader.readline(), 2)).strip() == b"+PONG"
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _launch(name: str, folder: Path, argv: Callable[[int], list[str]], ready: Callable[[int], Awaitable[bool]],
                  *, timeout: float, attempts: int = 3) -> tuple[int, asyncio.subprocess.Process, Path]:  # fmt: skip
    """Start the server on a free port and wait until ready; a port lost to a race is retried on another."""
    folder.mkdir(parents=True, exist_ok=True)
    failure = ""
    for attempt in range(attempts):
        port = free_port()
        log = folder / f"{name}.{attempt}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(*argv(port), stdin=asyncio.subprocess.DEVNULL, stdout=out,
                                                           stderr=asyncio.subprocess.STDOUT, cwd=folder,
                                                           start_new_session=True)  # fmt: skip
        server = ServerProcess(name, port, folder, process, log)
        exited = asyncio.ensure_future(process.wait())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not exited.done():
            if await ready(port):
                return port, process, log
            await asyncio.wait({exited}, timeout=_POLL)
        await server.stop()
        failure = f"{name} exited with {process.returncode}" if process.returncode is not None else \
            f"{name} not ready within {timeout:g} s"  # fmt: skip
        failure += f"; its log ({log}):\n{server.log_tail()}"
        if "address already in use" not in failure.lower():
            break
    raise ServerFailed(failure)


@dataclass
class PrometheusServer(ServerProcess):
    """A real Prometheus; `url` is its HTTP API base."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query straight to the API (not through the bot): the vector's samples."""
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{self.url}/api/v1/query", data={"query": expr}) as resp:
                body = await resp.json()
        if body.get("status") != "success":
            raise AssertionError(f"Prometheus refused {expr!r}: {body}")
        return list(body["data"]["result"])

    async def wait_for(self, expr: str, predicate: Callable[[list[dict[str, Any]]], bool],
                       timeout: float = 20.0) -> list[dict[str, Any]]:  # fmt: skip
        """Poll an instant query until predicate(samples) holds (Prometheus has no push to await)."""
        deadline = time.monotonic() + timeout
        samples: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            samples = await self.query(expr)
            if predicate(samples):
                return samples
            await asyncio.sleep(0.2)
        raise TimeoutError(f"Prometheus never held {expr!r} as expected within {timeout:g} s; last: {samples}")


@dataclass
class AlertmanagerServer(ServerProcess):
    """A real Alertmanager, alone (no cluster)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def webhooks_sent(self) -> int:
        """Webhook notifications Alertmanager counts as delivered (its own metrics: sent less failed)."""
        async with aiohttp.ClientSession() as http, http.get(f"{self.url}/metrics") as resp:
            text = await resp.text()
        total = failed = 0.0
        for line in text.splitlines():
            name, _, value = line.rpartition(" ")
            if name.startswith('alertmanager_notifications_total{integration="webhook"'):
                total += float(value)
            elif name.startswith('alertmanager_notifications_failed_total{integration="webhook"'):
                failed += float(value)
        return int(total - failed)

    async def wait_for_webhooks(self, count: int, timeout: float = 20.0) -> int:
        """Poll Alertmanager's counter until it has delivered `count` webhook notifications (it has no push)."""
        deadline = time.monotonic() + timeout
        while (sent := await self.webhooks_sent()) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"Alertmanager delivered {sent} webhook notification(s), not {count}, "
                                   f"within {timeout:g} s")  # fmt: skip
            await asyncio.sleep(0.2)
        return sent


@dataclass
class RedisServer(ServerProcess):
    """A real Redis without persistence."""

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def _write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


async def start_prometheus(folder: Path, *, targets: Sequence[str] = (), scrape_interval: str = "1s",
                           rules: str | None = None, evaluation_interval: str = "1s",
                           alertmanagers: Sequence[str] = (), timeout: float = 30.0) -> PrometheusServer:  # fmt: skip
    """Prometheus scraping `targets` (host:port, job "exporter"), with optional rules (YAML) and Alertmanagers."""
    binary = find_binary("prometheus")
    folder.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": evaluation_interval},
        "scrape_configs": [{"job_name": "exporter", "static_configs": [{"targets": list(targets)}]}] if targets else [],
    }
    if rules is not None:
        (folder / "rules.yml").write_text(rules)
        config["rule_files"] = [str(folder / "rules.yml")]
    if alertmanagers:
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": list(alertmanagers)}]}]}
    config_file = _write_yaml(folder / "prometheus.yml", config)

    def argv(port: int) -> list[str]:
        return [binary, f"--config.file={config_file}", f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}", f"--web.external-url=http://127.0.0.1:{port}/",
                "--log.level=warn"]  # fmt: skip

    port, process, log = await _launch("prometheus", folder, argv, _ready_endpoint, timeout=timeout)
    return PrometheusServer("prometheus", port, folder, process, log)


def webhook_receiver_config(url: str, *, token: str | None = None, group_wait: str = "0s",
                            group_interval: str = "1s", repeat_interval: str = "1h") -> str:  # fmt: skip
    """An Alertmanager config sending every alert to one webhook (bearer token via http_config.authorization)."""
    receiver: dict[str, Any] = {"url": url, "send_resolved": True}
    if token:
        receiver["http_config"] = {"authorization": {"type": "Bearer", "credentials": token}}
    return yaml.safe_dump({
        "route": {"receiver": "bot", "group_by": ["alertname"], "group_wait": group_wait,
                  "group_interval": group_interval, "repeat_interval": repeat_interval},
        "receivers": [{"name": "bot", "webhook_configs": [receiver]}],
    }, sort_keys=False)  # fmt: skip


async def start_alertmanager(folder: Path, *, config: str | None = None, timeout: float = 30.0) -> AlertmanagerServer:
    """Alertmanager alone (--cluster.listen-address=), with `config` YAML (default: one receiver that sends nothing)."""
    binary = find_binary("prometheus-alertmanager")
    folder.mkdir(parents=True, exist_ok=True)
    config_file = folder / "alertmanager.yml"
    config_file.write_text(config or yaml.safe_dump({"route": {"receiver": "none"}, "receivers": [{"name": "none"}]}))

    def argv(port: int) -> list[str]:
        return [binary, f"--config.file={config_file}", f"--storage.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}", f"--web.external-url=http://127.0.0.1:{port}/",
                "--cluster.listen-address=", "--log.level=warn"]  # fmt: skip

    port, process, log = await _launch("alertmanager", folder, argv, _ready_endpoint, timeout=timeout)
    return AlertmanagerServer("alertmanager", port, folder, process, log)


async def start_redis(folder: Path, *, timeout: float = 30.0) -> RedisServer:
    """redis-server on loopback, no persistence, answering PING."""
    binary = find_binary("redis-server")

    def argv(port: int) -> list[str]:
        return [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"]  # fmt: skip

    port, process, log = await _launch("redis", folder, argv, _redis_pong, timeout=timeout)
    return RedisServer("redis", port, folder, process, log)
