"""The demo world (the stand-ins, their people and the real bot) and `python -m bot demo` on top of it."""

from __future__ import annotations

from bot.demo.world import (
    ALERTS,
    BYSTANDER,
    LEAD,
    ONCALL,
    YOU,
    DemoWorld,
    Standins,
    post_sample_alert,
    start_standins,
    start_world,
)

__all__ = [
    "ALERTS", "BYSTANDER", "LEAD", "ONCALL", "YOU", "DemoWorld", "Standins", "post_sample_alert", "start_standins",
    "start_world",
]  # fmt: skip
