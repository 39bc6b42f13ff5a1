"""Timestamps as the service stores them: aware, in UTC, whichever engine returned them."""

from __future__ import annotations

import datetime
from typing import Any


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def as_utc(value: Any) -> datetime.datetime:
    """A timestamp as either engine returns it (a datetime, or text on SQLite), aware, in UTC."""
    if isinstance(value, datetime.datetime):
        stamp = value
    else:
        stamp = datetime.datetime.fromisoformat(str(value).replace(" ", "T"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=datetime.timezone.utc)
