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


class RedactSecrets(logging.Filter):
    """Rewrites a record's message so query-string codes, bearer tokens and JWTs are hidden."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix here
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_FILTER = RedactSecrets()


def install_log_redaction() -> None:
    """Attach the filter to the loggers that see request lines and our own messages."""
    for name in ("uvicorn.access", "uvicorn.error", "catalogue", "litestar", "httpx", ""):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
