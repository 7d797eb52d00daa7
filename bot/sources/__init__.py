"""Evidence from the team's own systems (Prometheus, Loki), each provider behind the same small interface."""

from bot.sources.base import EvidenceSource, SourceError
from bot.sources.bounded import Caps
from bot.sources.loki import LokiSource
from bot.sources.prometheus import PrometheusSource

__all__ = ["Caps", "EvidenceSource", "LokiSource", "PrometheusSource", "SourceError"]
