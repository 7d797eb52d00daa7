"""The exporter for tests lives in standins/observability (the demo serves it too); this name stays for tests."""

from standins.observability.exporter import Exporter

__all__ = ["Exporter"]
