"""The shapes the webhook routes accept; anything else is answered 400 with the first problem found."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["AlertmanagerBody", "AnthropicBody", "BadBody", "PagerDutyBody", "read_body"]

M = TypeVar("M", bound=BaseModel)


class BadBody(ValueError):
    """The body is not JSON or not the expected shape; the message is safe to send back."""


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class PagerDutyEvent(_Loose):
    id: str = Field(min_length=1, max_length=200)
    event_type: str = Field(max_length=200)
    occurred_at: str = Field(max_length=100)  # covered by the signature: the replay window is checked against it
    data: dict[str, Any] | None = None


class PagerDutyBody(_Loose):
    event: PagerDutyEvent


class AlertmanagerAlert(_Loose):
    status: str
    labels: dict[str, str]
    annotations: dict[str, str] = {}


class AlertmanagerBody(_Loose):
    status: str
    alerts: list[AlertmanagerAlert]
    groupKey: str = ""
    groupLabels: dict[str, str] = {}
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}


class AnthropicData(_Loose):
    type: str = Field(min_length=1, max_length=200)
    id: str = Field(min_length=1, max_length=200)


class AnthropicBody(_Loose):
    data: AnthropicData


def read_body(raw: bytes | str, model: type[M]) -> tuple[dict[str, Any], M]:
    """The JSON body and its validated shape; raises BadBody with a short reason (never the body itself)."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise BadBody("body is not JSON") from exc
    if not isinstance(body, dict):
        raise BadBody("body is not a JSON object")
    try:
        return body, model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise BadBody(f"{where}: {first['msg']}"[:200]) from exc
