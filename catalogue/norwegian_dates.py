"""Dates as people in Norway read and write them: shown as dd.mm.åååå (times as «kl. 14.30»,
Oslo time), and typed the same way everywhere a form asks for a date."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from typing import Any

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
DATE_HINT = "Skriv datoen som dd.mm.åååå, for eksempel 01.08.2026."
DATE_ERROR = "Skriv en gyldig dato som dd.mm.åååå, for eksempel 01.08.2026."
# dd.mm.åååå is what the forms ask for; an ISO date (pasted, or from an older bookmark) is read too
DATE_PATTERNS = (r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def to_datetime(value: Any) -> datetime.datetime | None:
    """An aware datetime; a naive one (as SQLite gives it back) was stored as UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.fromisoformat(str(value))
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def format_date(value: Any) -> str:
    """``31.07.2027`` for a date, a datetime or an ISO string; empty for nothing."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        value = to_datetime(value).astimezone(OSLO).date()
    elif not isinstance(value, datetime.date):
        value = datetime.date.fromisoformat(str(value)[:10])
    return value.strftime("%d.%m.%Y")


def format_time(value: Any) -> str:
    """``02.12.2026 kl. 14.30`` in Oslo time."""
    moment = to_datetime(value)
    return moment.astimezone(OSLO).strftime("%d.%m.%Y kl. %H.%M") if moment else ""


def parse_date(raw: str) -> str | None:
    """What a person typed as an ISO date string; None when it is no date."""
    for number, pattern in enumerate(DATE_PATTERNS):
        match = re.match(pattern, raw.strip())
        if match:
            parts = [int(p) for p in match.groups()]
            day, month, year = parts if number == 0 else parts[::-1]
            try:
                return datetime.date(year, month, day).isoformat()
            except ValueError:
                return None
    return None
