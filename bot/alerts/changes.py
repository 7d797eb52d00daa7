"""What a grouped notification adds to what an incident already knows: a repeat adds nothing, a grown group adds
its new alerts."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from bot.alerts.model import Alert

__all__ = ["GroupChange", "group_change", "members_digest", "source_name"]

_NAMES = {"alertmanager": "Alertmanager", "pagerduty": "PagerDuty", "grafana": "Grafana", "datadog": "Datadog"}
_NOTED = 5  # new alerts named in the thread's note


def source_name(alert: Alert) -> str:
    """The alert's tool, as people call it."""
    return _NAMES.get(alert.source, "The alert's source")


@dataclass(frozen=True, slots=True)
class GroupChange:
    """The alerts of a notification the incident has not seen yet (each as the payload lists it)."""

    joined: list[dict[str, Any]]
    unlisted: int  # new alerts beyond the payload's list (it is bounded)
    digest: str  # names this change, so a note is posted once

    @property
    def empty(self) -> bool:
        return not self.joined and not self.unlisted

    def note(self, source: str) -> str:
        """The thread's note: how many joined, and who they are."""
        count = len(self.joined) + self.unlisted
        names = ["; ".join(f"{k}={v}" for k, v in sorted(a.get("labels", {}).items())) or "(no labels of its own)"
                 for a in self.joined[:_NOTED]]  # fmt: skip
        more = f" and {count - len(names)} more" if count > len(names) else ""
        return f"{count} more alert{'s' if count != 1 else ''} joined this incident's group in {source}: " \
               f"{', '.join(names)}{more}"  # fmt: skip


def members_digest(members: Collection[str]) -> str:
    """A short name for a set of alerts (kept on the root, so a repeat after a restart is still a repeat)."""
    return hashlib.sha256("\n".join(sorted(members)).encode()).hexdigest()[:32]


def group_change(alert: Alert, seen: Collection[str]) -> GroupChange:
    """What `alert` (a grouped notification) adds to the members already `seen`."""
    listed = (alert.payload or {}).get("alerts")
    listed = listed if isinstance(listed, list) else []
    new = [i for i, member in enumerate(alert.members) if member not in seen]
    joined = [listed[i] for i in new if i < len(listed) and isinstance(listed[i], dict)]
    digest = hashlib.sha256("\n".join(alert.members[i] for i in new).encode()).hexdigest()[:16]
    return GroupChange(joined=joined, unlisted=len(new) - len(joined), digest=digest)
