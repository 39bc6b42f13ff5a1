"""What every page of the approval process shares: confirmations, messages, formatting, and
small lookups."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.response import Redirect

from catalogue.domain import Role
from catalogue.norwegian_dates import format_date as fmt_date  # noqa: F401 - used by the pages
from catalogue.norwegian_dates import format_time as fmt_time  # noqa: F401
from catalogue.norwegian_dates import to_datetime  # noqa: F401
from catalogue.problems import Problem
from catalogue.security.access import Principal
from catalogue.tables import AppUser, Unit
from frontend.forms import FormErrors, errors_from_problem

PROPOSERS = frozenset({Role.ICT_MENTOR.value, Role.ADMIN.value})

# Confirmations after Post/Redirect/Get: the query names one of these, never free text.
CONFIRMATIONS = {
    "utkast-lagret": "Forslaget er lagret som utkast. Du kan sende det inn når det er klart.",
    "forslag-sendt": "Forslaget er sendt inn til vurdering.",
    "beslutning": "Beslutningen er registrert.",
    "kompetansemaal": "Kompetansemålene er lagret i forslaget.",
    "skjema-lagret": "Skjemaet er lagret. Ingen beslutning er registrert ennå.",
    "endret": "Forslaget er oppdatert.",
    "bekreftet": "Punktet i sjekklisten er bekreftet.",
    "tildelt": "Saken er tildelt.",
    "tildeling-fjernet": "Tildelingen er fjernet.",
    "kommentar": "Kommentaren er lagt til.",
    "vedlegg": "Vedlegget er lastet opp.",
    "onske-sendt": "Ønsket ditt er sendt til IKT-veilederne ved enheten.",
    "onske-avslatt": "Ønsket er avslått, og den som ønsket seg læremidlet, har fått beskjed.",
    "lest": "Varselet er merket som lest.",
    "kan-ikke-endres": "Forslaget kan bare endres mens det er et utkast eller er sendt tilbake til deg.",
}
STALE_CASE = ("Saken er endret av noen andre etter at du åpnet den. Se over saken slik den er nå, og send inn "
              "på nytt. Det du skrev, er tatt vare på.")
NOT_NOW = "Handlingen er ikke mulig slik saken står nå. Se over saken og prøv igjen."


# --- small helpers -------------------------------------------------------------------------


def confirmation(request: Request) -> str | None:
    return CONFIRMATIONS.get(request.query_params.get("melding", ""))


def done(path: str, code: str, anchor: str = "") -> Redirect:
    """Post/Redirect/Get with a confirmation the next page shows."""
    return Redirect(path=f"{path}?melding={code}{anchor}", status_code=303)


def as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def text_of(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def fmt_kroner(value: Any) -> str:
    return f"{value:,}".replace(",", " ") + " kr" if isinstance(value, int) else ""


def insider(principal: Principal) -> Principal:
    """Whoever may see a case may see its resource, whatever the resource's status (as the API's
    case resource does)."""
    return Principal(user_id=principal.user_id, name=principal.name, roles=frozenset({Role.ADMIN.value}))


async def unit_names() -> dict[str, str]:
    return {r["code"]: r["name"] for r in await Unit.select(Unit.code, Unit.name).order_by(Unit.name)}


async def active_units() -> list[tuple[str, str]]:
    rows = await Unit.select(Unit.code, Unit.name).where(Unit.active == True).order_by(Unit.name)  # noqa: E712
    return [(r["code"], r["name"]) for r in rows]


async def role_holders(role: str) -> list[tuple[int, str]]:
    rows = await AppUser.raw(
        "SELECT u.id, u.display_name FROM app_user u JOIN user_role r ON r.\"user\" = u.id"
        " WHERE r.role = {} AND u.active = {} ORDER BY u.display_name, u.id", role, True)
    return [(r["id"], r["display_name"] or f"Bruker {r['id']}") for r in rows]


def convert(data: Any, type_: type, errors: FormErrors, strip_prefix: str = "") -> Any:
    """msgspec.convert, with a failure recorded on the field it names."""
    try:
        return msgspec.convert(data, type_)
    except msgspec.ValidationError as exc:
        message, _, path = str(exc).partition(" - at `$.")
        name = re.sub(r"\[\d+\]", "", path.rstrip("`"))
        if strip_prefix and name.startswith(strip_prefix):
            name = name[len(strip_prefix):]
        problem = Problem(422, message, errors=[{"field": name, "message": message}] if name else None)
        merge(errors, errors_from_problem(problem, {name}))
        return None


# Service messages frontend.forms does not word for people yet; these are tried first.
def merge(errors: FormErrors, more: FormErrors) -> None:
    for key, text in more.by_field.items():
        errors.add(key, text)
    errors.general.extend(t for t in more.general if t not in errors.general)
