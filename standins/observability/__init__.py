"""Real observability servers on loopback for the demo and the tests: Debian's Prometheus, Alertmanager and Redis
(started from their binaries), and an exporter serving metrics the caller sets (prometheus-client)."""

from standins.observability.exporter import Exporter
from standins.observability.servers import (AlertmanagerServer, MissingBinary, PrometheusServer, RedisServer,
                                            ServerFailed, ServerProcess, find_binary, free_port, start_alertmanager,
                                            start_prometheus, start_redis, webhook_receiver_config)  # fmt: skip

__all__ = ["AlertmanagerServer", "Exporter", "MissingBinary", "PrometheusServer", "RedisServer", "ServerFailed",
           "ServerProcess", "find_binary", "free_port", "start_alertmanager", "start_prometheus", "start_redis",
           "webhook_receiver_config"]  # fmt: skip
