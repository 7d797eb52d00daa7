"""Who may decide: APPROVERS user ids, and members of APPROVERS user groups resolved at click time."""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["Approvers"]

log = logging.getLogger(__name__)


class Approvers:
    """Answers "may this user decide?"; group membership is cached briefly (usergroups.users.list is Tier 2)."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        users: frozenset[str],
        groups: frozenset[str],
        cache_seconds: float = 60.0,
    ) -> None:
        self._client = client
        self.users = users
        self.groups = groups
        self._ttl = cache_seconds
        self._members: dict[str, tuple[float, frozenset[str]]] = {}

    @property
    def configured(self) -> bool:
        return bool(self.users or self.groups)

    def describe(self) -> str:
        """The approvers as Slack mentions, for refusal messages."""
        names = [f"<@{u}>" for u in sorted(self.users)] + [f"<!subteam^{g}>" for g in sorted(self.groups)]
        return ", ".join(names) or "nobody (APPROVERS is empty)"

    async def _group_members(self, group: str) -> frozenset[str]:
        cached = self._members.get(group)
        if cached and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        try:
            resp = await self._client.usergroups_users_list(usergroup=group)
            members = frozenset(resp.get("users", []))
        except SlackApiError as exc:
            log.warning("could not list members of user group %s: %s", group, exc.response.get("error"))
            return cached[1] if cached else frozenset()
        self._members[group] = (time.monotonic(), members)
        return members

    async def allows(self, user_id: str) -> bool:
        """True when the user is an approver, directly or through a user group."""
        if user_id in self.users:
            return True
        for group in sorted(self.groups):
            if user_id in await self._group_members(group):
                return True
        return False
