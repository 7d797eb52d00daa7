"""The kinds of values settings take (numbers, durations, lists, ports, money), each with the message that says
how to fix a bad one. bot/settings.py declares the settings with them; nothing here reads the environment."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo
from pydantic_settings import NoDecode

__all__ = ["Count", "Csv", "Dollars", "Duration", "Flag", "LogFormat", "Port", "Positive", "SettingsError", "variable"]

RENAMED = {"model": "AGENT_MODEL"}  # every other setting's variable is its field name in capitals


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def variable(field: str) -> str:
    """The environment variable a field is read from."""
    return RENAMED.get(field, field.upper())


def _csv(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _positive(value: Any, info: ValidationInfo) -> Any:
    name = variable(str(info.field_name))
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError as exc:
            raise SettingsError(f"{name} must be a number, not {value!r}") from exc
    if isinstance(value, int | float) and value <= 0:
        raise SettingsError(f"{name} must be positive")
    return value


def _duration(value: Any, info: ValidationInfo) -> Any:
    """Seconds, or a number with a unit: 90s, 10m, 1h."""
    units = {"s": 1, "m": 60, "h": 3600}
    raw = value.strip().lower() if isinstance(value, str) else ""
    if raw and raw[-1] in units:
        return _positive(raw[:-1], info) * units[raw[-1]]
    return _positive(value, info)


def _count(value: Any, info: ValidationInfo) -> Any:
    """A whole number, 0 or more."""
    raw = value.strip() if isinstance(value, str) else str(value)
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise SettingsError(f"{variable(str(info.field_name))} must be a whole number (0 turns the limit off), "
                            f"not {value!r}")  # fmt: skip
    return int(raw)


def _port(value: Any, info: ValidationInfo) -> Any:
    if value is None:
        return None
    raw = value.strip() if isinstance(value, str) else str(value)
    if not raw.isdigit() or not 0 <= int(raw) <= 65535:
        raise SettingsError(f"{variable(str(info.field_name))} must be a port number (0-65535), not {value!r}")
    return int(raw)


def _log_format(value: Any) -> Any:
    raw = value.strip().lower() if isinstance(value, str) else value
    if raw not in ("text", "json"):
        raise SettingsError(f"LOG_FORMAT must be text or json, not {value!r}")
    return raw


def _flag(value: Any) -> Any:
    return value.strip().lower() in ("1", "true", "yes", "on") if isinstance(value, str) else value


Csv = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_csv)]
Positive = Annotated[float, BeforeValidator(_positive)]
Duration = Annotated[float, BeforeValidator(_duration)]
Count = Annotated[int, BeforeValidator(_count)]
Port = Annotated[int | None, BeforeValidator(_port)]
Flag = Annotated[bool, BeforeValidator(_flag)]
LogFormat = Annotated[str, BeforeValidator(_log_format)]
Dollars = Annotated[Decimal, Field(ge=0, decimal_places=2)]  # to the cent: 25, 2.50
