"""A local Loki (query endpoints, strict LogQL subset) for the log evidence tests."""

from .server import LokiStandin, RecordedRequest

__all__ = ["LokiStandin", "RecordedRequest"]
