"""Small helpers the equipment modules share: reading values back the same way from both engines."""

from __future__ import annotations

import datetime
import json
from typing import Any

from catalogue.resources import now

__all__ = ["as_date", "as_datetime", "from_json", "now", "today"]


def today() -> datetime.date:
    return datetime.date.today()


def as_date(value: Any) -> datetime.date | None:
    if value is None or (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)):
        return value
    if isinstance(value, datetime.datetime):
        return value.date()
    return datetime.date.fromisoformat(str(value)[:10])


def as_datetime(value: Any) -> datetime.datetime | None:
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


def from_json(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(value, (dict, list)):
        return value
    return json.loads(value)
