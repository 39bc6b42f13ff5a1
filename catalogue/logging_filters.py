"""Tokens and authorization codes never reach the logs."""

from __future__ import annotations

import logging
import re

_SECRET_QUERY = re.compile(r"((?:^|[?&\s])(?:code|state|token|access_token|id_token|session_state)=)[^&\s\"]+")
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


def redact(text: str) -> str:
    text = _SECRET_QUERY.sub(r"\1[redacted]", text)
    text = _BEARER.sub(r"\1[redacted]", text)
    return _JWT.sub("[redacted-jwt]", text)


def _clean(value):
    return redact(value) if isinstance(value, str) else value


def redact_record(record: logging.LogRecord) -> None:
    """Redact the message and each of its arguments where they are, keeping their number and
    types: formatters that read ``record.args`` themselves (uvicorn's access log takes the path
    from them) still find what they expect."""
    if isinstance(record.args, tuple):
        record.args = tuple(_clean(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _clean(v) for k, v in record.args.items()}
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is not ours to fix here
        return
    cleaned = redact(message)
    if cleaned != message:  # the secret is in the text itself, or made of several arguments
        record.msg, record.args = cleaned, ()


_installed = False


def install_log_redaction() -> None:
    """Redact every log record as it is made, whatever logger or handler it goes to (handlers
    that frameworks install later included). The database driver's debug output, which carries
    query parameters, is kept off."""
    global _installed
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.getLogger("aiosqlite").level))
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
