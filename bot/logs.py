"""Logging: incident and session ids on every line, tokens and keys never."""

from __future__ import annotations

import logging

from bot.secrets import redact

__all__ = ["RedactSecrets", "setup_logging"]


class RedactSecrets(logging.Filter):
    """Redacts secrets from every record and gives every record a `session` field."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "session"):
            record.session = "-"
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def setup_logging(*, verbose: bool = True, json_lines: bool = False) -> None:
    """Log to stderr at INFO (WARNING when not verbose), with the session id on each line; as one JSON object a
    line (time, level, logger, session, message, and the traceback if any) when `json_lines`."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactSecrets())
    handler.setFormatter(_json_lines() if json_lines else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(session)s] %(message)s"))  # fmt: skip
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)


def _json_lines() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter("{levelname}{name}{session}{message}", style="{", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger"}, json_ensure_ascii=False)  # fmt: skip
