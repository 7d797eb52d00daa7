"""Fake credentials in every format the bot must never show, and a check for any piece of one in a text."""

from __future__ import annotations

import random
import string

__all__ = ["FORMATS", "PEM_KEYS", "TOKENS", "leaked", "pem"]

_rng = random.Random(20261123)
_ALNUM = string.ascii_letters + string.digits
_B64 = _ALNUM + "+/"


def _pick(alphabet: str, n: int) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def _digits(n: int) -> str:
    return _pick(string.digits, n)


def pem(label: str, *, width: int = 64, lines: int = 12) -> str:
    """A private key block shaped like the real thing (random base64, so no real key)."""
    body = "\n".join(_pick(_B64, width) for _ in range(lines)) + "\n" + _pick(_B64, width - 4) + "===="[: 2]
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"


TOKENS: dict[str, str] = {
    "GitHub classic": "ghp_" + _pick(_ALNUM, 36),
    "GitHub fine-grained": "github_pat_" + _pick(_ALNUM, 22) + "_" + _pick(_ALNUM, 59),
    "Slack bot": f"xoxb-{_digits(13)}-{_digits(13)}-{_pick(_ALNUM, 24)}",
    "Slack refresh": "xoxe-1-" + _pick(_ALNUM, 60),
    "Slack rotating user": "xoxe.xoxp-1-" + _pick(_ALNUM, 60),
    "Slack client": f"xoxc-{_digits(12)}-{_digits(12)}-{_digits(13)}-{_pick('0123456789abcdef', 64)}",
    "Slack app-level": f"xapp-1-A{_pick(string.ascii_uppercase + string.digits, 10)}-{_digits(13)}-{_pick('0123456789abcdef', 64)}",
    "Anthropic": "sk-ant-api03-" + _pick(_ALNUM + "_-", 93) + "AA",
    "AWS access key id": "AKIA" + _pick(string.ascii_uppercase + string.digits, 16),
    "AWS temporary key id": "ASIA" + _pick(string.ascii_uppercase + string.digits, 16),
}
PEM_KEYS: dict[str, str] = {
    "RSA private key": pem("RSA PRIVATE KEY"),
    "PKCS#8 private key": pem("PRIVATE KEY"),
    "OpenSSH private key": pem("OPENSSH PRIVATE KEY", width=70),
    "EC private key": pem("EC PRIVATE KEY", lines=3),
}
FORMATS: dict[str, str] = {**TOKENS, **PEM_KEYS}


def _windows(secret: str, size: int = 8) -> set[str]:
    """Every run of `size` characters of the secret's material (a key's base64 lines, not its BEGIN/END lines)."""
    lines = [ln for ln in secret.splitlines() if not ln.startswith("-----")] or [secret]
    return {ln[i : i + size] for ln in lines for i in range(len(ln) - size + 1)}


def leaked(secret: str, text: str) -> list[str]:
    """The pieces of `secret` (eight characters or more: a whole token, or either half of a cut one) in `text`."""
    return sorted(w for w in _windows(secret) if w in text)
