"""The bot against real servers: Debian's Prometheus and Alertmanager, an exporter the test controls, the stand-ins."""

from tests.support.fixtures import exporter, prometheus, servers  # noqa: F401
