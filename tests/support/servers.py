"""The real servers for tests live in standins/observability (the demo starts them too); this name stays for tests."""

from standins.observability.servers import (PACKAGES, AlertmanagerServer, MissingBinary, PrometheusServer,
                                            RedisServer, ServerFailed, ServerProcess, find_binary, free_port,
                                            start_alertmanager, start_prometheus, start_redis,
                                            webhook_receiver_config)  # fmt: skip

__all__ = ["PACKAGES", "AlertmanagerServer", "MissingBinary", "PrometheusServer", "RedisServer", "ServerFailed",
           "ServerProcess", "find_binary", "free_port", "start_alertmanager", "start_prometheus", "start_redis",
           "webhook_receiver_config"]  # fmt: skip
