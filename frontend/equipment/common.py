"""What the equipment pages share: labels, number formats, and field errors in Norwegian."""

from __future__ import annotations

import datetime
import re
from typing import Any

from litestar import Request

from catalogue.domain import ROLE_LABELS, UNIT_KINDS
from catalogue.problems import Problem
from equipment import domain
from frontend.forms import FormErrors, errors_from_problem, norwegian
from frontend.pages import page_context
from frontend.workflow.common import fmt_date, fmt_kroner, fmt_time

ROLE_NAMES = {r.value: t for r, t in ROLE_LABELS.items()}
PLURAL = {"per_department": ("avdeling", "avdelinger"), "per_children": ("barn", "barn"),
          "per_pupil": ("elev", "elever"), "per_classroom": ("klasserom", "klasserom")}

# Equipment problems and their Norwegian wording (checked before the catalogue's general ones).
MESSAGES = [
    (r"cannot be in the future", "Datoen kan ikke være fram i tid."),
    (r"cannot take effect in the past", "Standarden kan ikke gjelde fra en dato som har vært."),
    (r"unknown equipment kind", "Velg en utstyrstype fra listen."),
    (r"no longer in use", "Utstyrstypen er ikke lenger i bruk."),
    (r"counts per_|standard counts", "Denne enhetstypen kan ikke telle slik; velg et annet grunnlag."),
    (r"each kind and basis", "Hver utstyrstype kan bare stå én gang med samme grunnlag."),
    (r">= 1\b", "Skriv et helt tall som er 1 eller større."),
    (r">= 0\b", "Skriv et helt tall som er 0 eller større."),
    (r"<= \d+", "Tallet er for stort."),
    (r"not one of your units", "Du er ikke IKT-veileder for denne enheten."),
    (r"already in use", "Koden er allerede i bruk."),
    (r"the column is missing", "Kolonnen mangler i regnearket."),
    (r"unknown unit", "Ukjent enhet."),
    (r"count cannot be negative", "Antallet kan ikke være negativt."),
    (r"count must be at least 1", "Antallet må være minst 1."),
    (r"count is too large", "Antallet er for stort."),
    (r"as a whole number|number of devices", "Skriv antallet som et helt tall."),
    (r"write the date", "Skriv datoen som ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ."),
    (r"investeringsmidler", "Skriv «programmets investeringsmidler» eller «enhetens budsjett»."),
    (r"no rows below the header", "Regnearket har ingen rader under overskriftene."),
    (r"invalid character", "Teksten har et ugyldig tegn."),
]
ROW_FOR = [
    (r"the row is for (\S+), a unit you do not serve", "Raden gjelder {0}, som du ikke er IKT-veileder for."),
    (r"the row is for (\S+), not (\S+)", "Raden gjelder {0}, ikke {1}."),
]


def message(text: str) -> str:
    for pattern, words in ROW_FOR:
        found = re.fullmatch(pattern, text)
        if found:
            return words.format(*found.groups())
    for pattern, words in MESSAGES:
        if re.search(pattern, text, re.IGNORECASE):
            return words
    return norwegian(text)


def form_errors(problem: Problem, known: set[str]) -> FormErrors:
    """A problem's field errors on this form's fields; others go to the summary's general list."""
    return errors_from_problem(problem, known, translate=message)


def posted_version(data: dict[str, Any], name: str = "version") -> int:
    """The version a form was read at (its hidden field); 0 when missing, so the write is refused."""
    value = str(data.get(name) or "")
    return int(value) if value.isdigit() else 0


def basis_text(quantity: int, basis: str, per_n: int) -> str:
    """'2 per avdeling', '1 per 3 elever', '1 per enhet'."""
    if basis == "per_unit":
        return f"{quantity} per enhet"
    one, many = PLURAL[basis]
    return f"{quantity} per {one}" if per_n == 1 else f"{quantity} per {per_n} {many}"


def percent(ratio: float | None) -> str:
    return "–" if ratio is None else f"{round(ratio * 100):d} %"


def parse_date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def context(request: Request, **values: Any) -> dict[str, Any]:
    """page_context with the equipment pages' formats and labels."""
    return page_context(request, fmt_date=fmt_date, fmt_time=fmt_time, kr=fmt_kroner, percent=percent,
                        basis_text=basis_text, unit_kinds=UNIT_KINDS, unit_types=domain.UNIT_TYPES,
                        categories=domain.CATEGORIES, funding=domain.FUNDING, bases=domain.BASES,
                        planner=request.user.has_any(domain.PLANNERS), **values)
