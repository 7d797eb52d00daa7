"""One megabyte of text in each shape known to make a regular expression backtrack, or a parser loop.

Each shape targets a pattern the bot applies to agent, alert or Slack text (its name says which), plus the
classic ones: long runs of one character, unclosed openers repeated, and a match that fails at the very end.
"""

from __future__ import annotations

import random

__all__ = ["SIZE", "SHAPES", "shapes"]

SIZE = 1_000_000


def _fill(unit: str) -> str:
    return (unit * (SIZE // len(unit) + 1))[:SIZE]


def _padded(head: str, pad: str, tail: str = "x") -> str:
    return head + pad * ((SIZE - len(head) - len(tail)) // len(pad)) + tail


def _random_printable() -> str:
    rng = random.Random(13)
    alphabet = "ab*_#:-<>|&`()[]{}.,;\n\t =/@!\\" + "xoxb-ghp_AKIA"
    return "".join(rng.choice(alphabet) for _ in range(SIZE))


SHAPES: dict[str, object] = {
    "bold openers `**a `": lambda: _fill("**a "),
    "newlines": lambda: _fill("\n"),
    "`.\\n` lines": lambda: _fill(".\n"),
    "CRLF lines": lambda: _fill("\r\n"),
    "spaces": lambda: _fill(" "),
    "one word": lambda: _fill("a"),
    "stars": lambda: _fill("*"),
    "heading then spaces": lambda: _padded("# a", " "),
    "heading hashes": lambda: _fill("# "),
    "heading then hashes and spaces": lambda: _padded("# a", " #"),
    "`root cause` with no colon": lambda: _fill("root cause "),
    "`Root cause` lines": lambda: _fill("Root cause -\n"),
    "punctuation then `root cause`": lambda: _padded("", "-\n", "root cause"),
    "`**Root cause**` lines with marks and no separator": lambda: _fill("__**Root cause**~~_` \n"),
    "`Root cause —` then a cause of marks": lambda: _padded("**Root cause** — ", "*_~", "x**"),
    "`tags` lines": lambda: _fill("tags\n"),
    "`tags:` then spaces": lambda: _padded("tags:", " ", "\n"),
    "mention openers `<@a`": lambda: _fill("<@a"),
    "link openers `<http://a`": lambda: _fill("<http://a"),
    "link label openers `<http://a|`": lambda: _fill("<http://a|"),
    "bare URLs": lambda: _fill("https://a."),
    "pipes": lambda: _fill("|"),
    "entities `&amp`": lambda: _fill("&amp"),
    "fences": lambda: _fill("```"),
    "fence lines": lambda: _fill("```\n"),
    "emoji": lambda: _fill(":a: "),
    "tag pairs `a:`": lambda: _fill("a:"),
    "long tag names": lambda: _fill("a" * 99 + " "),
    "status titles `[FIRING:1] (`": lambda: _fill("[FIRING:1] ("),
    "open parentheses": lambda: _fill("("),
    "bullets": lambda: _fill("- a "),
    "bullet then spaces": lambda: _padded("- a", " "),
    "`groupkey{`": lambda: _fill("groupkey{"),
    "`fingerprint `": lambda: _fill("fingerprint "),
    "`monitor` then spaces": lambda: _padded("monitor", " "),
    "`monitor id`": lambda: _fill("monitor id "),
    "`on {`": lambda: _fill("on {"),
    "`#1`": lambda: _fill("#1"),
    "Slack token prefixes": lambda: _fill("xoxb-"),
    "GitHub token prefixes": lambda: _fill("ghp_" + "a" * 15 + " "),
    "fine-grained prefixes": lambda: _fill("github_pat_"),
    "AWS prefixes": lambda: _fill("AKIA"),
    "PEM headers": lambda: _fill("-----BEGIN RSA PRIVATE KEY-----\n"),
    "PEM body without an end": lambda: "-----BEGIN PRIVATE KEY-----\n" + _fill("A" * 64 + "\n"),
    "PEM spaced body without an end": lambda: "-----BEGIN PRIVATE KEY----- " + _fill("AAAA "),
    "PEM headers each before a long body": lambda: _fill("-----BEGIN EC PRIVATE KEY-----" + "A" * 19_990 + "."),
    "PEM escaped lines": lambda: "-----BEGIN RSA PRIVATE KEY-----" + _fill("\\n" + "A" * 64),
    "PEM diff lines": lambda: "+-----BEGIN RSA PRIVATE KEY-----" + _fill("\n+" + "A" * 64),
    "Slack rotating prefixes": lambda: _fill("xoxe.xoxp-"),
    "Anthropic prefixes": lambda: _fill("sk-ant-"),
    "dashes": lambda: _fill("-"),
    "literal `\\n`": lambda: _fill("\\n"),
    "wide characters": lambda: _fill("é—…\u200b"),
    "random punctuation": _random_printable,
}


def shapes() -> list[tuple[str, str]]:
    """(name, one megabyte of text) for every shape."""
    return [(name, make()) for name, make in SHAPES.items()]  # type: ignore[operator]
