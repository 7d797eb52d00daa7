"""How many incidents (each a paid agent session) people, channels and alerting integrations may open an hour, and
what a refusal tells the person who reads it."""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone

from bot.ratelimit import Limit, MemoryRateLimiter, RateLimiter, Refusal
from bot.settings import Settings

__all__ = ["OpeningLimits", "refusal_text"]

HOUR = 3600.0


class OpeningLimits:
    """People count per person and per channel; integrations (webhooks, bots posting alerts) share their own limit."""

    def __init__(self, settings: Settings, limiter: RateLimiter | None = None) -> None:
        self.settings = settings
        self.limiter: RateLimiter = limiter or MemoryRateLimiter()

    async def admit(self, *, person: str | None, channel: str | None) -> Refusal | None:
        """Count one new incident, opened by `person` (None: an integration) from `channel`; a Refusal if full."""
        s = self.settings
        if not person:
            return await self.limiter.acquire([Limit("alerts", s.alert_incidents_per_hour, HOUR)])
        limits = [Limit(f"user:{person}", s.incidents_per_user_per_hour, HOUR)]
        if channel:
            limits.append(Limit(f"channel:{channel}", s.incidents_per_channel_per_hour, HOUR))
        return await self.limiter.acquire(limits)


def _incidents(n: int) -> str:
    return f"{n} incident{'' if n == 1 else 's'}"


def refusal_text(refusal: Refusal, *, now: float | None = None) -> str:
    """What the refused person reads: what was refused, why, when the next one is possible, what to do meanwhile."""
    at = math.ceil(refusal.retry_at)
    minutes = max(1, math.ceil((at - (time.time() if now is None else now)) / 60))
    clock = datetime.fromtimestamp(at, timezone.utc).strftime("%H:%M")
    when = f"<!date^{at}^{{time}}|{clock} UTC> (in {minutes} min)"  # Slack shows it in the reader's time zone
    most, kind = refusal.limit.most, refusal.limit.key.partition(":")[0]
    if kind == "user":
        return (f"No incident opened: you have opened {_incidents(most)} in the last hour, the most allowed "
                f"(INCIDENTS_PER_USER_PER_HOUR). You can open the next one at {when}. Until then, add what you see "
                "to an open incident's thread.")  # fmt: skip
    if kind == "channel":
        return (f"No incident opened: {_incidents(most)} were opened from this channel in the last hour, the most "
                f"allowed (INCIDENTS_PER_CHANNEL_PER_HOUR). The next one can be opened at {when}. Until then, add "
                "what you see to an open incident's thread.")  # fmt: skip
    return (f"No incident opened for this alert: alerts opened {_incidents(most)} in the last hour, the most allowed "
            f"(ALERT_INCIDENTS_PER_HOUR). The next alert can open one at {when}. Look at this alert yourself, or "
            "open an incident for it with /incident.")  # fmt: skip
