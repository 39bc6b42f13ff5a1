"""Small helpers the equipment modules share: reading values back the same way from both engines."""

from __future__ import annotations

import datetime

from catalogue.resources import _date as as_date
from catalogue.resources import _datetime as as_datetime
from catalogue.resources import now
from workflows.service import _json as from_json

__all__ = ["as_date", "as_datetime", "from_json", "now", "today"]


def today() -> datetime.date:
    return datetime.date.today()

