"""The one thing every builder returns: fallback text plus Block Kit blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Message"]


@dataclass(frozen=True, slots=True)
class Message:
    """A Slack message: `text` is the notification fallback, `blocks` are plain Block Kit dicts."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        """The `text` and `blocks` arguments for chat.postMessage / chat.update."""
        return {"text": self.text, "blocks": self.blocks}
