"""Shared checks for the Block Kit builders: limits, slack_sdk re-validation, and where text shows up."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from blocks import Message, check_message

# What our builders may put inside <...> themselves: mentions of ids from Slack, date tokens, links to known URLs.
_OURS = re.compile(r"<(@U[A-Z0-9]+|!date\^[^|>]*\|[^>]*|https?://[^|>\s]+\|[^>]*)>")
_LOOSE_AMP = re.compile(r"&(?!amp;|lt;|gt;)")


def _walk(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            elif key != "value":  # a button value is JSON for the bot, not text for people
                yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def texts(msg: Message) -> list[str]:
    """Every text a person can see: the fallback and every text field of every block."""
    return [msg.text, *_walk(msg.blocks)]


def visible(msg: Message) -> str:
    """All visible text of a message joined into one string."""
    return "\n".join(texts(msg))


@pytest.fixture
def assert_fits() -> Callable[[Message], None]:
    """Assert a message passes check_message and slack_sdk's own block validation."""

    def check(msg: Message) -> None:
        assert isinstance(msg.text, str) and msg.text, "a message needs fallback text"
        assert all(type(b) is dict for b in msg.blocks)
        assert check_message(msg) == []
        for b in msg.blocks:
            Block.parse(b).to_dict()  # raises SlackObjectFormationError on a broken limit

    return check


@pytest.fixture
def assert_no_ping() -> Callable[[Message], None]:
    """Assert agent text arrived escaped: no raw <...> from it and no bare & anywhere."""

    def check(msg: Message) -> None:
        for text in texts(msg):
            for raw in ("<!channel>", "<@U123>", "<http://evil"):
                assert raw not in text
            assert "<" not in _OURS.sub("", text), text
            assert ">" not in _OURS.sub("", text).replace("\n>", "\n"), text
            assert not _LOOSE_AMP.search(text), text
        assert "&lt;!channel&gt;" in visible(msg)

    return check


@pytest.fixture
def all_text() -> Callable[[Message], str]:
    """All visible text of a message, as one string."""
    return visible
