"""The root cause an agent message states, however a model marks it up: `Root cause: …`, `**Root cause:** …`,
`Root cause — …`; the label's markdown is left out, the cause's own is kept."""

from __future__ import annotations

import re

__all__ = ["root_cause"]

# Every run is bounded and none can cross a line before "root cause" (`\W*` would, and then every line start rescans
# every newline after it): linear time on any text (tests/security/test_no_backtracking.py).
_LABEL = re.compile(
    r"^(?:[^\w\n]|_){0,20}root cause[*_~`\s]{0,20}[:\-–—][*_~\s]{0,20}([^\n]+)", re.IGNORECASE | re.MULTILINE
)


def root_cause(text: str) -> str | None:
    """The cause on the first line labelled "Root cause", without the label's emphasis; None if no line is."""
    found = _LABEL.search(text)
    if found is None:
        return None
    cause = found.group(1).strip()
    body = cause.rstrip("*_~")
    # "**Root cause: heap**" closes the label's emphasis at the end; "the **heap**" closes its own.
    if body != cause and cause[len(body) :] not in body:
        cause = body.rstrip()
    return cause or None
