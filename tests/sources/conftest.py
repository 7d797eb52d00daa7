"""The evidence sources' tests use the real servers' fixtures."""

from tests.support.fixtures import alertmanager, exporter, prometheus, redis_server, servers  # noqa: F401
