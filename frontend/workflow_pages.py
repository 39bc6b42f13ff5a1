"""Pages of the approval process: proposals and wishes, the inbox, the case page with the review
forms, and notifications. They call the workflow service directly as the signed-in user; a
Problem from the service becomes Norwegian field errors on the same page (403 and 404 propagate
and become error pages)."""

from __future__ import annotations

import copy
import datetime
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from catalogue import domain
from catalogue.domain import CATALOGUE_INSIDERS, Role
from catalogue.problems import Problem
from catalogue.resources import get_resource, organisation_number_is_valid
from catalogue.schemas import HTTP_URL_PATTERN, ResourcePatch
from catalogue.security.access import SIGNED_IN, Principal, rule
from catalogue.tables import AppUser, Unit
from frontend import labels
from frontend.catalogue_pages import taxonomy_names
from frontend.forms import FormErrors, as_list, errors_from_problem, form_data, norwegian
from frontend.pages import page_context
from workflows import attachments, engine, service, wishes
from workflows.definitions import CHECKLIST_LABELS, PROPOSER, WORKFLOWS
from workflows.duplicates import find_duplicates
from workflows.forms import CRITERIA_LABELS, check_for_approval, decode_form
from workflows.schemas import ActionRequest, ProposalCreate, WishCreate
from workflows.tables import CaseEvent, Notification, Wish

PROPOSERS = frozenset({Role.ICT_MENTOR.value, Role.ADMIN.value})
# who has an inbox: the reviewers, the DPO and admins, and ICT mentors (their drafts and returns)
TASK_HOLDERS = CATALOGUE_INSIDERS | {Role.ICT_MENTOR.value}
UPLOAD_LIMIT = 32 * 1024 * 1024  # the body limit of the upload route; the service enforces the file limit
OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
PAGE_LANGUAGES = ("nb", "nn", "se", "en")
# dates are typed as text (dd.mm.åååå or ISO): a browser's date picker varies, and what was typed
# must come back as typed when the page has errors
DATE_HINT = "Skriv datoen som dd.mm.åååå, for eksempel 01.08.2026."

# Confirmations after Post/Redirect/Get: the query names one of these, never free text.
CONFIRMATIONS = {
    "utkast-lagret": "Forslaget er lagret som utkast. Du kan sende det inn når det er klart.",
    "forslag-sendt": "Forslaget er sendt inn til vurdering.",
    "beslutning": "Beslutningen er registrert.",
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

DUPLICATE_REASONS = {"similar_name": "Lignende navn", "same_url": "Samme nettadresse",
                     "same_vendor": "Samme leverandør"}
WISH_STATUSES = {"open": "Venter på svar", "converted": "Gjort om til forslag", "declined": "Ikke foreslått"}
TECH_STATUSES = (("unknown", "Ukjent"), ("not_needed", "Ikke nødvendig"), ("planned", "Planlagt"),
                 ("done", "Ferdig"))
EVENT_LABELS = {
    "create": "Forslaget ble opprettet",
    "open": "Saken ble åpnet",
    "save_form": "Skjemaet ble lagret",
    "comment": "Kommentar",
    "edit": "Forslaget ble endret",
}
FORM_TITLES = {"pedagogical": "Pedagogisk vurdering", "privacy": "Personvernvurdering",
               "procurement": "Innkjøp og teknisk vurdering"}


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


def to_datetime(value: Any) -> datetime.datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.fromisoformat(str(value))
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def fmt_time(value: Any) -> str:
    moment = to_datetime(value)
    return moment.astimezone(OSLO).strftime("%d.%m.%Y kl. %H.%M") if moment else ""


def fmt_date(value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime.date):
        value = datetime.date.fromisoformat(str(value)[:10])
    return value.strftime("%d.%m.%Y")


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


# --- the step forms as data --------------------------------------------------------------------


@dataclass(frozen=True)
class StepField:
    """One input of a review form. ``name`` is the posted name and the path in the step's data
    (``form.record.dpa_date`` is ``record.dpa_date``), so the service's errors land on it."""

    name: str
    kind: str  # textarea optarea line int date yesno bool choice select radio list countries feide
    label: str
    options: tuple[tuple[str, str], ...] = ()
    hint: str | None = None
    max_length: int | None = None

    @property
    def path(self) -> list[str]:
        return self.name.split(".")[1:]


def _options(table: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(table.items())


PEDAGOGICAL_GROUPS = [
    ("Læreplanen", [
        StepField("form.curriculum_fit", "textarea", "Hvordan passer læremidlet med læreplanen (LK20)?",
                  hint="Nevn fag, trinn og kompetansemål læremidlet støtter.", max_length=5000),
    ]),
    ("Kvalitetskriterier", [StepField(f"form.criteria.{key}", "yesno", text) for key, text in CRITERIA_LABELS.items()]),
    ("Merknader", [
        StepField("form.criteria_notes", "textarea", "Merknader til kvalitetskriteriene", max_length=5000),
        StepField("form.overlap", "textarea", "Overlapp med læremidler vi allerede har",
                  hint="Nevn læremidler i katalogen som dekker det samme, og hvorfor dette likevel trengs.",
                  max_length=5000),
    ]),
]

PRIVACY_GROUPS = [
    ("Personopplysninger", [
        StepField("form.record.processes_personal_data", "yesno", "Behandler læremidlet personopplysninger?"),
        StepField("form.record.data_subjects", "list", "Hvem opplysningene gjelder", _options(domain.DATA_SUBJECTS)),
        StepField("form.record.data_categories", "list", "Hvilke opplysninger som behandles",
                  _options(domain.DATA_CATEGORIES)),
        StepField("form.record.special_categories", "bool",
                  "Behandles særlige kategorier av personopplysninger (art. 9), for eksempel om helse?"),
        StepField("form.record.feide_attributes", "feide", "Feide-attributter læremidlet henter",
                  _options(domain.FEIDE_ATTRIBUTES), hint="Kryss av for hvert attributt, og skriv hvorfor det trengs."),
        StepField("form.record.legal_basis", "choice", "Rettslig grunnlag", _options(domain.LEGAL_BASES)),
        StepField("form.record.processor", "line", "Databehandler",
                  hint="Leverandøren som behandler opplysningene på kommunens vegne.", max_length=200),
    ]),
    ("Databehandleravtale", [
        StepField("form.record.dpa_status", "select", "Status for databehandleravtalen", _options(domain.DPA_STATUSES)),
        StepField("form.record.dpa_date", "date", "Dato for avtalen", hint=DATE_HINT),
        StepField("form.record.dpa_reference", "line", "Referanse til avtalen",
                  hint="Saksnummer eller avtale-ID i arkivet.", max_length=100),
        StepField("form.record.dpa_expires", "date", "Avtalen utløper", hint=DATE_HINT),
    ]),
    ("Vurdering av personvernkonsekvenser (DPIA)", [
        StepField("form.screening.children_data", "yesno", "Behandles opplysninger om barn eller elever?"),
        StepField("form.screening.new_technology", "yesno",
                  "Tas ny teknologi i bruk, for eksempel kunstig intelligens eller biometri?"),
        StepField("form.screening.systematic_monitoring", "bool", "Innebærer bruken systematisk overvåking?"),
        StepField("form.screening.large_scale", "bool", "Behandles opplysninger i stort omfang?"),
        StepField("form.record.dpia_status", "select", "Status for DPIA", _options(domain.DPIA_STATUSES)),
        StepField("form.record.dpia_date", "date", "Dato for DPIA", hint=DATE_HINT),
        StepField("form.record.dpia_risk_level", "choice", "Risikonivå etter DPIA", _options(domain.RISK_LEVELS)),
        StepField("form.record.dpia_approved_by", "line", "DPIA godkjent av", max_length=200),
    ]),
    ("Lagring og overføring", [
        StepField("form.record.data_location", "select", "Hvor lagres opplysningene?",
                  _options(domain.DATA_LOCATIONS)),
        StepField("form.record.transfers_outside_eea", "bool", "Overføres opplysninger ut av EU/EØS?"),
        StepField("form.record.transfer_basis", "choice", "Overføringsgrunnlag", _options(domain.TRANSFER_BASES),
                  hint="Bare når opplysninger overføres ut av EU/EØS."),
        StepField("form.record.transfer_countries", "countries", "Land opplysningene overføres til",
                  hint="Landkoder med to bokstaver, skilt med komma, for eksempel US, GB.", max_length=200),
        StepField("form.record.retention", "optarea", "Lagringstid og sletting", max_length=2000),
        StepField("form.record.security_measures", "optarea", "Sikkerhetstiltak", max_length=2000),
    ]),
    ("Merknader", [
        StepField("form.notes", "textarea", "Merknader til personvernvurderingen", max_length=5000),
    ]),
]


def procurement_groups(units: list[tuple[str, str]]) -> list:
    return [
        ("Kostnad og lisenser", [
            StepField("form.annual_cost_nok", "int", "Årlig kostnad i kroner",
                      hint="Skriv 0 hvis læremidlet er gratis."),
            StepField("form.licence_count", "int", "Antall lisenser"),
            StepField("form.licence_from", "date", "Lisensen gjelder fra", hint=DATE_HINT),
            StepField("form.licence_to", "date", "Lisensen gjelder til", hint=DATE_HINT),
            StepField("form.budget_owner", "line", "Budsjettansvarlig", max_length=200),
        ]),
        ("Teknisk vurdering", [
            StepField("form.device_management", "select", "Enhetsstyring (MDM)", TECH_STATUSES),
            StepField("form.feide_activation", "select", "Aktivering i Feide", TECH_STATUSES),
            StepField("form.technical_fit", "textarea", "Teknisk vurdering",
                      hint="For eksempel enhetsstyring, Feide, nettverk og plattformer.", max_length=5000),
        ]),
        ("Hvem får læremidlet", [
            StepField("form.target", "radio", "Læremidlet skal inn i",
                      (("base_package", "Grunnpakken (alle enheter)"), ("units", "Bare utvalgte enheter"))),
            StepField("form.units", "list", "Enheter som får læremidlet", tuple(units),
                      hint="Bare når læremidlet ikke skal inn i grunnpakken."),
        ]),
    ]


async def step_groups(form: str) -> list:
    if form == "pedagogical":
        return PEDAGOGICAL_GROUPS
    if form == "privacy":
        return PRIVACY_GROUPS
    return procurement_groups(await active_units())


def _fields(groups: list) -> list[StepField]:
    return [f for _, fields in groups for f in fields]


def _get(data: Any, path: list[str]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _set(data: dict, path: list[str], value: Any) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value


def _feide_reason(attribute: str) -> str:
    return f"feide_reason.{attribute}"


DATE_PATTERNS = (r"^(\d{4})-(\d{1,2})-(\d{1,2})$", r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def parse_date(raw: str) -> str | None:
    """ISO (from a date input) or Norwegian dd.mm.åååå; None when it is no date."""
    for number, pattern in enumerate(DATE_PATTERNS):
        match = re.match(pattern, raw)
        if match:
            parts = [int(p) for p in match.groups()]
            year, month, day = parts if number == 0 else parts[::-1]
            try:
                return datetime.date(year, month, day).isoformat()
            except ValueError:
                return None
    return None


def parse_whole_number(raw: str) -> int | None:
    digits = re.sub(r"[\s\u00a0]", "", raw).removesuffix("kr").removesuffix(",-")
    return int(digits) if re.fullmatch(r"[0-9]{1,10}", digits) and int(digits) <= 1_000_000_000 else None


def parse_step_form(groups: list, posted: dict[str, Any], errors: FormErrors, carry: dict[str, Any]) -> dict[str, Any]:
    """The posted review form as the step's data, with Norwegian errors for what cannot be read.
    ``carry`` holds the parts of the data the page does not edit (kept as they were)."""
    data = copy.deepcopy(carry)
    for f in _fields(groups):
        raw = posted.get(f.name)
        text = text_of(raw)
        value: Any
        if f.kind in ("textarea", "optarea", "line"):
            if f.max_length and len(text) > f.max_length:
                errors.add(f.name, f"Teksten er for lang (høyst {f.max_length} tegn).")
            value = text if f.kind == "textarea" else (text or None)
        elif f.kind == "int":
            value = parse_whole_number(text) if text else None
            if text and value is None:
                errors.add(f.name, "Skriv et helt tall (0 eller større).")
        elif f.kind == "date":
            value = parse_date(text) if text else None
            if text and value is None:
                errors.add(f.name, "Skriv en gyldig dato som dd.mm.åååå, for eksempel 01.08.2026.")
        elif f.kind == "yesno":
            value = {"ja": True, "nei": False}.get(text)
        elif f.kind == "bool":
            value = text == "ja"
        elif f.kind in ("choice", "select", "radio"):
            codes = [code for code, _ in f.options]
            if text and text not in codes:
                errors.add(f.name, "Velg en gyldig verdi.")
                text = ""
            value = text or (None if f.kind == "choice" else codes[0])
        elif f.kind == "list":
            codes = {code for code, _ in f.options}
            value = [v for v in dict.fromkeys(as_list(raw)) if v in codes]
            if len(value) != len(set(as_list(raw))):
                errors.add(f.name, "Velg en gyldig verdi.")
        elif f.kind == "countries":
            value = [c.upper() for c in re.split(r"[\s,;]+", text) if c]
            if any(not re.fullmatch(r"[A-Z]{2}", c) for c in value):
                errors.add(f.name, "Skriv landkoder med to bokstaver, for eksempel US.")
                value = []
        elif f.kind == "feide":
            chosen = [a for a in dict.fromkeys(as_list(raw)) if a in dict(f.options)]
            value = []
            for attribute in chosen:
                reason = text_of(posted.get(_feide_reason(attribute)))
                if not reason:
                    errors.add(_feide_reason(attribute), "Skriv hvorfor læremidlet trenger attributtet.")
                elif len(reason) > 500:
                    errors.add(_feide_reason(attribute), "Teksten er for lang (høyst 500 tegn).")
                value.append({"attribute": attribute, "reason": reason or "-"})
        else:  # pragma: no cover - the field kinds are fixed above
            raise ValueError(f.kind)
        _set(data, f.path, value)
    return data


def values_from_data(groups: list, data: dict[str, Any]) -> dict[str, Any]:
    """What the inputs show for stored step data."""
    values: dict[str, Any] = {}
    for f in _fields(groups):
        stored = _get(data, f.path)
        if f.kind in ("yesno",):
            values[f.name] = stored if isinstance(stored, bool) else None
        elif f.kind == "bool":
            values[f.name] = bool(stored)
        elif f.kind == "list":
            values[f.name] = list(stored or [])
        elif f.kind == "countries":
            values[f.name] = ", ".join(stored or [])
        elif f.kind == "feide":
            values[f.name] = [a.get("attribute") for a in stored or []]
            for item in stored or []:
                values[_feide_reason(item.get("attribute"))] = item.get("reason", "")
        elif f.kind in ("select", "radio"):
            values[f.name] = stored if stored else f.options[0][0]
        elif f.kind == "date":
            values[f.name] = fmt_date(stored)
        else:
            values[f.name] = "" if stored is None else str(stored)
    return values


def values_from_post(groups: list, posted: dict[str, Any]) -> dict[str, Any]:
    """What the inputs show when the page comes back with errors: exactly what was typed."""
    values: dict[str, Any] = {}
    for f in _fields(groups):
        raw = posted.get(f.name)
        if f.kind == "yesno":
            values[f.name] = {"ja": True, "nei": False}.get(text_of(raw))
        elif f.kind == "bool":
            values[f.name] = text_of(raw) == "ja"
        elif f.kind in ("list", "feide"):
            values[f.name] = as_list(raw)
            if f.kind == "feide":
                for code, _ in f.options:
                    values[_feide_reason(code)] = posted.get(_feide_reason(code), "")
        else:
            values[f.name] = raw if isinstance(raw, str) else ""
    return values


def summary_rows(groups: list, data: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """A saved review form in words, for everyone who reads the case."""
    sections = []
    for title, fields in groups:
        rows = []
        for f in fields:
            stored = _get(data, f.path)
            names = dict(f.options)
            if f.kind in ("yesno", "bool"):
                text = {True: "Ja", False: "Nei"}.get(stored, "Ikke besvart")
            elif f.kind == "list":
                text = ", ".join(names.get(v, v) for v in stored or []) or "Ingen valgt"
            elif f.kind == "feide":
                text = "; ".join(f"{names.get(a.get('attribute'), a.get('attribute'))}: {a.get('reason')}"
                                 for a in stored or []) or "Ingen"
            elif f.kind in ("choice", "select", "radio"):
                text = names.get(stored, "Ikke oppgitt") if stored else "Ikke oppgitt"
            elif f.kind == "date":
                text = fmt_date(stored) or "Ikke oppgitt"
            elif f.kind == "int":
                text = (fmt_kroner(stored) if f.name.endswith("_nok") else str(stored)) if stored is not None \
                    else "Ikke oppgitt"
            elif f.kind == "countries":
                text = ", ".join(stored or []) or "Ingen"
            else:
                text = stored or "Ikke fylt ut"
            rows.append((f.label, text))
        sections.append((title, rows))
    return sections


def carried(form: str, data: dict[str, Any]) -> dict[str, Any]:
    """The parts of a step's data the page shows but does not edit."""
    if form == "pedagogical":
        return {"overlapping_resource_ids": list(data.get("overlapping_resource_ids") or [])}
    if form == "privacy":
        record = data.get("record") or {}
        return {"record": {"sub_processors": list(record.get("sub_processors") or []),
                           "dpo_advice": record.get("dpo_advice")}}
    return {}


def stored_form(form: str, row: dict[str, Any], resource) -> dict[str, Any]:
    """The step's saved data, or a starting point from the resource as it stands."""
    saved = row["step_data"].get(form)
    if saved:
        return saved
    if form == "privacy":
        return {"record": msgspec.to_builtins(resource.privacy)}
    if form == "procurement":
        estimate = (row["justification"] or {}).get("estimated_cost_nok")
        return {"annual_cost_nok": resource.annual_cost_nok if resource.annual_cost_nok is not None else estimate,
                "licence_count": resource.licence_count,
                "licence_to": resource.licence_expires.isoformat() if resource.licence_expires else None,
                "units": list(row["proposer_units"])}
    return {}


# --- resource fields shared by the proposal and its edit page -----------------------------------

RESOURCE_TEXT = ("name", "vendor.name", "vendor.organisation_number", "url", "kind", "description", "licence_model")
RESOURCE_LISTS = ("levels", "subjects", "kindergarten_areas", "platforms", "logins", "languages")
JUSTIFICATION_TEXT = ("justification.pedagogical_purpose", "justification.requested_by",
                      "justification.estimated_cost_nok", "justification.wish_id")
JUSTIFICATION_LISTS = ("justification.units",)


def posted_values(posted: dict[str, Any], texts: tuple[str, ...], lists: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {n: posted.get(n) if isinstance(posted.get(n), str) else "" for n in texts}
    values.update({n: as_list(posted.get(n)) for n in lists})
    return values


def resource_values(resource) -> dict[str, Any]:
    return {
        "name": resource.name, "vendor.name": resource.vendor.name if resource.vendor else "",
        "vendor.organisation_number": (resource.vendor.organisation_number or "") if resource.vendor else "",
        "url": resource.url, "kind": resource.kind, "description": resource.description,
        "licence_model": resource.licence_model,
        **{n: list(getattr(resource, n)) for n in RESOURCE_LISTS},
    }


def resource_body(values: dict[str, Any], errors: FormErrors) -> dict[str, Any]:
    """The resource part of a proposal from the form, checked the way a person needs to hear it."""
    name, vendor = text_of(values["name"]), text_of(values["vendor.name"])
    if not name:
        errors.add("name", "Skriv navnet på læremidlet.")
    elif len(name) > 200:
        errors.add("name", "Navnet kan ha høyst 200 tegn.")
    if not vendor:
        errors.add("vendor.name", "Skriv navnet på leverandøren.")
    elif len(vendor) > 200:
        errors.add("vendor.name", "Navnet kan ha høyst 200 tegn.")
    number = re.sub(r"\s", "", text_of(values["vendor.organisation_number"]))
    if number and not organisation_number_is_valid(number):
        errors.add("vendor.organisation_number", "Organisasjonsnummeret er ikke gyldig. Det har ni sifre.")
    url = text_of(values["url"])
    if not url:
        errors.add("url", "Skriv nettadressen til læremidlet.")
    elif len(url) > 2048 or not re.match(HTTP_URL_PATTERN, url):
        errors.add("url", "Skriv en nettadresse som begynner med https://.")
    kind = text_of(values["kind"])
    if kind not in domain.RESOURCE_KINDS:
        errors.add("kind", "Velg hva slags læremiddel det er.")
    licence = text_of(values["licence_model"])
    if licence not in domain.LICENCE_MODELS:
        errors.add("licence_model", "Velg lisensmodell.")
    description = text_of(values["description"])
    if len(description) > 20000:
        errors.add("description", "Beskrivelsen er for lang (høyst 20 000 tegn).")
    if values["kindergarten_areas"] and "barnehage" not in values["levels"]:
        errors.add("kindergarten_areas",
                   "Fagområder gjelder bare læremidler for barnehage. Kryss av for barnehage under trinn.")
    return {
        "name": name, "vendor": {"name": vendor, "organisation_number": number or None}, "url": url,
        "kind": kind, "description": description, "licence_model": licence,
        **{n: list(dict.fromkeys(values[n])) for n in RESOURCE_LISTS},
    }


async def resource_choices() -> dict[str, Any]:
    subjects, areas = await taxonomy_names()
    return {
        "kinds": list(domain.RESOURCE_KINDS.items()),
        "level_options": list(labels.LEVEL_NAMES.items()),
        "subject_options": list(subjects.items()),
        "area_options": list(areas.items()),
        "platform_options": list(domain.PLATFORMS.items()),
        "login_options": list(domain.LOGINS.items()),
        "language_options": [(code, domain.LANGUAGES[code]) for code in PAGE_LANGUAGES],
        "licence_options": list(domain.LICENCE_MODELS.items()),
    }


# --- proposals -----------------------------------------------------------------------------------


async def _unit_options_for(principal: Principal) -> list[tuple[str, str]]:
    """The proposer's own units first, then the others."""
    units = await active_units()
    own = [(code, f"{name} (din enhet)") for code, name in units if code in principal.unit_codes]
    return own + [(code, name) for code, name in units if code not in principal.unit_codes]


async def _proposal_page(request: Request, values: dict[str, Any], *, errors: FormErrors | None = None,
                         duplicates: list | None = None, wish=None, notice: str | None = None,
                         status: int = 200) -> Template:
    principal = request.user
    names = await unit_names()
    return Template(template_name="workflow/proposal_form.html", status_code=status, context=page_context(
        request, v=values, errors=errors, duplicates=duplicates or [], wish=wish, notice=notice,
        unit_options=await _unit_options_for(principal), unit_names=names,
        reason_labels=DUPLICATE_REASONS, insider=principal.has_any(CATALOGUE_INSIDERS), labels=labels,
        **await resource_choices(),
    ))


@get("/forslag/ny", opt=rule(PROPOSERS), include_in_schema=False)
async def proposal_form(request: Request) -> Template:
    """An ICT mentor proposes a resource, optionally from a wish (``?onske=ID``)."""
    principal = request.user
    values = posted_values({}, RESOURCE_TEXT + JUSTIFICATION_TEXT, RESOURCE_LISTS + JUSTIFICATION_LISTS)
    values["licence_model"] = "free"
    own = sorted(principal.unit_codes)
    if len(own) == 1:
        values["justification.units"] = own
    wish, notice = None, None
    wish_id = as_int(request.query_params.get("onske"))
    if wish_id is not None:
        wish = await wishes.get_wish(wish_id, principal)
        if wish.status != "open":
            notice = "Ønsket er allerede besvart, så forslaget blir ikke knyttet til det."
            wish = None
        else:
            values.update({
                "name": wish.name, "url": wish.url or "", "description": wish.description,
                "justification.pedagogical_purpose": wish.reason, "justification.requested_by": wish.requester,
                "justification.units": [wish.unit], "justification.wish_id": str(wish.id),
            })
    return await _proposal_page(request, values, wish=wish, notice=notice)


@post("/forslag/ny", opt=rule(PROPOSERS), include_in_schema=False)
async def proposal_create(request: Request) -> Response:
    """Create the proposal (a draft, or submitted at once) after a check for duplicates."""
    principal = request.user
    posted = await form_data(request)
    values = posted_values(posted, RESOURCE_TEXT + JUSTIFICATION_TEXT, RESOURCE_LISTS + JUSTIFICATION_LISTS)
    values["ikke_duplikat"] = text_of(posted.get("ikke_duplikat"))
    errors = FormErrors()
    resource = resource_body(values, errors)
    purpose = text_of(values["justification.pedagogical_purpose"])
    if not purpose:
        errors.add("justification.pedagogical_purpose", "Beskriv hva læremidlet skal brukes til.")
    elif len(purpose) > 5000:
        errors.add("justification.pedagogical_purpose", "Teksten er for lang (høyst 5000 tegn).")
    if not values["justification.units"]:
        errors.add("justification.units", "Velg minst én enhet som ønsker læremidlet.")
    requested_by = text_of(values["justification.requested_by"])
    if len(requested_by) > 500:
        errors.add("justification.requested_by", "Teksten er for lang (høyst 500 tegn).")
    cost_text = text_of(values["justification.estimated_cost_nok"])
    cost = parse_whole_number(cost_text) if cost_text else None
    if cost_text and cost is None:
        errors.add("justification.estimated_cost_nok", "Skriv et helt tall (0 eller større).")
    wish_id = as_int(values["justification.wish_id"])
    wish = None
    if wish_id is not None:
        wish = await wishes.get_wish(wish_id, principal)

    duplicates = []
    if resource["name"]:
        duplicates = await find_duplicates(resource["name"], resource["url"] or None,
                                           resource["vendor"]["name"] or None)
    if duplicates and values["ikke_duplikat"] != "ja":
        errors.add("ikke_duplikat", "Se over de lignende læremidlene, og bekreft at dette ikke er et duplikat.")

    justification = {"pedagogical_purpose": purpose, "units": values["justification.units"],
                     "estimated_cost_nok": cost, "requested_by": requested_by, "wish_id": wish_id}
    body = None
    if not errors:
        body = convert({"resource": resource, "justification": justification,
                        "submit": posted.get("handling") == "send"}, ProposalCreate, errors, "resource.")
    if errors or body is None:
        return await _proposal_page(request, values, errors=errors, duplicates=duplicates, wish=wish, status=422)
    try:
        case_id = await service.create_proposal(body, principal, request.app.state.settings)
    except Problem as problem:
        if problem.status_code not in (409, 412, 422):
            raise
        known = set(RESOURCE_TEXT + RESOURCE_LISTS + JUSTIFICATION_LISTS) | {
            "justification.pedagogical_purpose", "justification.requested_by", "justification.estimated_cost_nok"}
        errors = errors_from_problem(problem, known, {"resource.": "", "units": "justification.units"})
        return await _proposal_page(request, values, errors=errors, duplicates=duplicates, wish=wish, status=422)
    return done(f"/saker/{case_id}", "forslag-sendt" if body.submit else "utkast-lagret")


@get("/forslag", opt=rule(PROPOSERS), include_in_schema=False)
async def my_proposals(request: Request) -> Template:
    return await _proposals_page(request)


async def _proposals_page(request: Request, *, errors: FormErrors | None = None, posted: dict | None = None,
                          status: int = 200) -> Template:
    """The mentor's cases and the open wishes of their units."""
    principal = request.user
    cases, total = await service.list_cases(principal, kind=None, state=None, open_only=False, limit=100, offset=0)
    admin = Role.ADMIN.value in principal.roles
    open_wishes = [w for w in await wishes.list_wishes(principal, "open")
                   if admin or w.unit in principal.unit_codes]
    return Template(template_name="workflow/proposals.html", status_code=status, context=page_context(
        request, cases=cases, total=total, wishes=open_wishes, unit_names=await unit_names(),
        kind_labels={k: w.label_nb for k, w in WORKFLOWS.items()}, fmt_date=fmt_date, fmt_time=fmt_time,
        errors=errors, posted=posted or {}, message=confirmation(request),
    ))


@post("/onsker/{wish_id:int}/avslaa", opt=rule(PROPOSERS), include_in_schema=False)
async def decline_wish(request: Request, wish_id: FromPath[int]) -> Response:
    posted = await form_data(request)
    reason = text_of(posted.get("begrunnelse"))
    field = f"begrunnelse-{wish_id}"
    errors = FormErrors()
    if not reason:
        errors.add(field, "Skriv hvorfor ønsket ikke blir foreslått.")
    elif len(reason) > 5000:
        errors.add(field, "Teksten er for lang (høyst 5000 tegn).")
    if not errors:
        try:
            await wishes.decline_wish(wish_id, reason, request.user, as_int(posted.get("versjon")))
        except Problem as problem:
            if problem.status_code == 412:
                errors.general.append("Ønsket er endret av noen andre etter at du åpnet siden. Prøv igjen.")
            elif problem.status_code == 409:
                errors.general.append("Ønsket er allerede besvart.")
            else:
                raise
    if errors:
        return await _proposals_page(request, errors=errors, posted={"wish_id": wish_id, "begrunnelse": posted.get(
            "begrunnelse", "")}, status=409 if errors.general else 422)
    return done("/forslag", "onske-avslatt")


# --- wishes ------------------------------------------------------------------------------------

WISH_FIELDS = ("name", "url", "unit", "description", "reason")


async def _wish_units(principal: Principal) -> list[tuple[str, str]]:
    units = await active_units()
    own = [(code, name) for code, name in units if code in principal.unit_codes]
    return own or units


async def _wish_page(request: Request, values: dict[str, Any], *, errors: FormErrors | None = None,
                     status: int = 200) -> Template:
    return Template(template_name="workflow/wish_form.html", status_code=status, context=page_context(
        request, v=values, errors=errors, unit_options=await _wish_units(request.user)))


@get("/onsker/ny", opt=rule(SIGNED_IN), include_in_schema=False)
async def wish_form(request: Request) -> Template:
    """Anyone signed in may wish for a resource; the ICT mentors of the unit are told."""
    units = await _wish_units(request.user)
    values = {name: "" for name in WISH_FIELDS}
    if len(units) == 1:
        values["unit"] = units[0][0]
    return await _wish_page(request, values)


@post("/onsker/ny", opt=rule(SIGNED_IN), include_in_schema=False)
async def wish_create(request: Request) -> Response:
    posted = await form_data(request)
    values = {name: text_of(posted.get(name)) for name in WISH_FIELDS}
    errors = FormErrors()
    if not values["name"]:
        errors.add("name", "Skriv navnet på læremidlet.")
    elif len(values["name"]) > 200:
        errors.add("name", "Navnet kan ha høyst 200 tegn.")
    if values["url"] and (len(values["url"]) > 2048 or not re.match(HTTP_URL_PATTERN, values["url"])):
        errors.add("url", "Skriv en nettadresse som begynner med https://.")
    if not values["unit"]:
        errors.add("unit", "Velg enheten din.")
    if len(values["description"]) > 5000:
        errors.add("description", "Teksten er for lang (høyst 5000 tegn).")
    if not values["reason"]:
        errors.add("reason", "Skriv hvorfor du ønsker deg læremidlet.")
    elif len(values["reason"]) > 5000:
        errors.add("reason", "Teksten er for lang (høyst 5000 tegn).")
    body = None
    if not errors:
        body = convert({"name": values["name"], "unit": values["unit"], "url": values["url"] or None,
                        "description": values["description"], "reason": values["reason"]}, WishCreate, errors)
    if errors or body is None:
        return await _wish_page(request, values, errors=errors, status=422)
    try:
        await wishes.create_wish(body, request.user)
    except Problem as problem:
        if problem.status_code != 422:
            raise
        errors = errors_from_problem(problem, set(WISH_FIELDS))
        return await _wish_page(request, values, errors=errors, status=422)
    return done("/onsker", "onske-sendt")


@get("/onsker", opt=rule(SIGNED_IN), include_in_schema=False)
async def my_wishes(request: Request) -> Template:
    """The wishes the user sent, with their status and the mentors' answers."""
    rows = await Wish.select().where(Wish.requester == request.user.user_id).order_by(Wish.id, ascending=False)
    return Template(template_name="workflow/wishes.html", context=page_context(
        request, wishes=[wishes.wish_out(r) for r in rows], unit_names=await unit_names(),
        statuses=WISH_STATUSES, fmt_time=fmt_time, message=confirmation(request)))


# --- the inbox -----------------------------------------------------------------------------------


@get("/oppgaver", opt=rule(TASK_HOLDERS), include_in_schema=False)
async def task_list(request: Request) -> Template:
    """Cases waiting for the user: for a role they hold, assigned to them, or their own returns."""
    items = await service.tasks(request.user)
    return Template(template_name="workflow/tasks.html", context=page_context(
        request, tasks=items, kind_labels={k: w.label_nb for k, w in WORKFLOWS.items()}, fmt_date=fmt_date,
        role_label=lambda code: labels.label("role", code) if code else "Forslagsstiller"))


# --- the case page ---------------------------------------------------------------------------------


def _event_text(event: dict[str, Any], kind: str, people: dict[int, str]) -> str:
    workflow = WORKFLOWS[kind]
    action = event["action"]
    data = service._json(event["data"], {})
    if action in EVENT_LABELS:
        return EVENT_LABELS[action]
    if action == "assign":
        user_id = data.get("user_id")
        return f"Tildelt {people.get(user_id, 'en saksbehandler')}" if user_id else "Tildelingen ble fjernet"
    if action == "confirm":
        return f"Bekreftet: {CHECKLIST_LABELS.get(data.get('item'), data.get('item'))}"
    state = workflow.states.get(event["from_state"] or "")
    definition = (state.actions.get(action) if state else None) or workflow.proposer_actions.get(action)
    return definition.label_nb if definition else action


def _state_label(kind: str, state: str | None) -> str:
    if not state:
        return ""
    found = WORKFLOWS[kind].states.get(state)
    return found.label_nb if found else state


async def _history(row: dict[str, Any]) -> tuple[list[dict], list[dict], str | None]:
    events = await CaseEvent.select().where(CaseEvent.case == row["id"]).order_by(CaseEvent.id)
    assigned = [service._json(e["data"], {}).get("user_id") for e in events if e["action"] == "assign"]
    people = await service._people(assigned)
    history, comments, returned_because = [], [], None
    for event in events:
        if event["to_state"] == "returned":
            returned_because = event["reason"]
        moment = to_datetime(event["occurred_at"])
        item = {
            "when": fmt_time(moment), "iso": moment.isoformat() if moment else "",
            "who": event["actor_label"],
            "role": ("Forslagsstiller" if event["actor_role"] == "proposer"
                     else labels.label("role", event["actor_role"])) if event["actor_role"] else "",
            "what": _event_text(event, row["kind"], people),
            "from": _state_label(row["kind"], event["from_state"]),
            "to": _state_label(row["kind"], event["to_state"]),
            "reason": event["reason"] or "",
            "restrictions": (service._json(event["data"], {}) or {}).get("restrictions") or "",
        }
        history.append(item)
        if event["action"] == "comment":
            comments.append(item)
    return history, comments, returned_because


async def case_page(request: Request, case_id: int, *, errors: FormErrors | None = None,
                    posted: dict[str, Any] | None = None, source: str | None = None, status: int = 200) -> Template:
    """The case as the user may see it, with the forms for what they may do now. ``posted`` and
    ``source`` bring back what the user typed into the form named by ``source``."""
    principal = request.user
    posted = posted or {}
    row = await service.visible_case(case_id, principal)
    case = await service.case_out(row, principal)
    workflow = WORKFLOWS[row["kind"]]
    state = workflow.states[row["state"]]
    resource = await get_resource(row["resource"], insider(principal))
    subjects, areas = await taxonomy_names()
    names = await unit_names()

    proposer_names = set(workflow.proposer_actions) | (set(state.actions) if state.actor == PROPOSER else set())
    review_actions = [a for a in case.allowed_actions if a.name not in proposer_names]
    proposer_actions = [a for a in case.allowed_actions if a.name in proposer_names]
    may_fill = bool(state.form) and engine.is_actor(service.case_view(row), principal, state.actor)

    groups, values = [], {}
    if may_fill:
        groups = await step_groups(state.form)
        if source == "beslutning" and posted.get("steg") == row["state"]:
            values = values_from_post(groups, posted)
        else:
            values = values_from_data(groups, stored_form(state.form, row, resource))
    saved_forms = []
    for form in ("pedagogical", "privacy", "procurement"):
        data = row["step_data"].get(form)
        if data and not (may_fill and form == state.form):
            saved_forms.append({"title": FORM_TITLES[form], "sections": summary_rows(await step_groups(form), data)})

    can_assign = not state.is_final and state.actor not in (None, PROPOSER) and (
        state.actor in principal.roles or Role.ADMIN.value in principal.roles)
    history, comments, returned_because = await _history(row)
    # what the user typed into a form that is no longer offered (the case moved on meanwhile)
    decision_shown = bool(review_actions or proposer_actions or may_fill)
    lost_text = [t for t in (text_of(posted.get("reason")), text_of(posted.get("restrictions")),
                             text_of(posted.get("trekk_begrunnelse"))) if t] \
        if source == "beslutning" and not decision_shown else []
    justification = row["justification"] or {}
    return Template(template_name="workflow/case.html", status_code=status, context=page_context(
        request, c=case, r=resource, row=row, labels=labels, subjects=subjects, areas=areas, unit_names=names,
        justification=justification, errors=errors, posted=posted, source=source, message=confirmation(request),
        groups=groups, fv=values, kept=carried(state.form, stored_form(state.form, row, resource)) if may_fill else {},
        review_actions=review_actions, proposer_actions=proposer_actions,
        may_fill=may_fill, needs_restrictions=any(a.needs_restrictions for a in review_actions),
        can_edit=row["proposer"] == principal.user_id and row["state"] in ("draft", "returned"),
        can_assign=can_assign, holders=await role_holders(state.actor) if can_assign else [],
        step_role_label=labels.label("role", state.actor) if state.actor not in (None, PROPOSER) else None,
        comments=comments, history=history, files=await attachments.listing(case_id, principal),
        saved_forms=saved_forms, lost_text=lost_text,
        returned_because=returned_because if row["state"] == "returned" else None,
        fmt_date=fmt_date, fmt_time=fmt_time, fmt_kroner=fmt_kroner,
        max_upload_mb=request.app.state.settings.attachment_max_bytes // (1024 * 1024),
        is_published=resource.status == "published",
    ))


@get("/saker/{case_id:int}", opt=rule(SIGNED_IN), include_in_schema=False)
async def case_view(request: Request, case_id: FromPath[int]) -> Template:
    return await case_page(request, case_id)


def _errors_from_problem(problem: Problem, known: set[str], rename: dict[str, str] | None = None) -> tuple[FormErrors, int]:
    """A service problem as page errors and the status to answer with; 403/404 propagate."""
    if problem.status_code in (401, 403, 404):
        raise problem
    errors = FormErrors()
    if problem.status_code == 412:
        errors.general.append(STALE_CASE)
        return errors, 409
    if problem.status_code == 409:
        errors.general.append(NOT_NOW)
        return errors, 409
    errors = errors_from_problem(problem, known)
    for old, new in (rename or {}).items():
        if old in errors.by_field:
            errors.by_field[new] = errors.by_field.pop(old)
    return errors, 422


@post("/saker/{case_id:int}/beslutning", opt=rule(SIGNED_IN), include_in_schema=False)
async def case_decide(request: Request, case_id: FromPath[int]) -> Response:
    """Register a decision (or the proposer's submit and withdraw), or save the review form without
    deciding (the button ``knapp=lagre``). The page's case version guards against overwriting."""
    principal = request.user
    posted = await form_data(request)
    row = await service.visible_case(case_id, principal)
    state = WORKFLOWS[row["kind"]].states[row["state"]]
    expected = as_int(posted.get("versjon"))
    errors = FormErrors()

    def again(errs: FormErrors, status: int) -> Any:
        return case_page(request, case_id, errors=errs, posted=posted, source="beslutning", status=status)

    if posted.get("steg") not in (None, row["state"]) or (expected is not None and expected != row["version"]):
        errors.general.append(STALE_CASE)
        return await again(errors, 409)
    may_fill = bool(state.form) and engine.is_actor(service.case_view(row), principal, state.actor)
    form = None
    groups: list = []
    if may_fill:
        groups = await step_groups(state.form)
        resource = await get_resource(row["resource"], insider(principal))
        form = parse_step_form(groups, posted, errors, carried(state.form, stored_form(state.form, row, resource)))
    known = {f.name for f in _fields(groups)} | {_feide_reason(c) for c in domain.FEIDE_ATTRIBUTES} | {
        "action", "reason", "restrictions", "trekk_begrunnelse"}

    if posted.get("knapp") == "lagre":
        if errors:
            return await again(errors, 422)
        try:
            await service.save_form(case_id, form or {}, principal, expected)
        except Problem as problem:
            errs, status = _errors_from_problem(problem, known)
            return await again(errs, status)
        return done(f"/saker/{case_id}", "skjema-lagret")

    action_name = text_of(posted.get("action"))
    reason_field = "trekk_begrunnelse" if action_name == "withdraw" else "reason"
    reason = text_of(posted.get(reason_field))
    restrictions = text_of(posted.get("restrictions"))
    view = service.case_view(row)
    allowed = {a.name: a for a in engine.available_actions(view, principal)}
    if not action_name:
        errors.add("action", "Velg en beslutning.")
    elif action_name not in allowed:
        try:
            engine.resolve(view, principal, action_name)
        except engine.NotAllowed as exc:
            if exc.status == 403:  # not this person's decision: an error page, as for any other role check
                raise Problem(403, str(exc)) from None
        errors.general.append(NOT_NOW)
        return await again(errors, 409)
    else:
        chosen = allowed[action_name]
        if chosen.needs_reason and not reason:
            errors.add(reason_field, "Skriv en begrunnelse for beslutningen.")
        if chosen.needs_restrictions and not restrictions:
            errors.add("restrictions", "Beskriv begrensningene for bruk.")
        if restrictions and not chosen.needs_restrictions:
            # a decision without restrictions would drop them silently
            errors.add("restrictions", "Du har skrevet begrensninger, men valgt en beslutning uten begrensninger. "
                                       "Velg en beslutning med begrensninger, eller fjern teksten.")
        for name, text in ((reason_field, reason), ("restrictions", restrictions)):
            if len(text) > 5000:
                errors.add(name, "Teksten er for lang (høyst 5000 tegn).")
        definition = state.actions.get(action_name)
        if form is not None and definition is not None and definition.validates_form:
            # tell everything that is missing at once, not one service round at a time
            try:
                decoded = decode_form(state.form, form)
                check_for_approval(state.form, decoded, resource_licence_model=resource.licence_model)
            except Problem as problem:
                merge(errors, errors_from_problem(problem, known))
    if errors:
        return await again(errors, 422)
    request_body = ActionRequest(action=action_name, reason=reason, restrictions=restrictions,
                                 form=form if may_fill and action_name in state.actions else None)
    try:
        await service.apply_action(case_id, request_body, principal, expected, request.app.state.settings)
    except Problem as problem:
        errs, status = _errors_from_problem(problem, known, {"reason": reason_field})
        return await again(errs, status)
    return done(f"/saker/{case_id}", "beslutning")


@get("/saker/{case_id:int}/endre", opt=rule(SIGNED_IN), include_in_schema=False)
async def proposal_edit_form(request: Request, case_id: FromPath[int]) -> Response:
    """The proposer edits the proposed resource while the case is a draft or returned."""
    row = await _own_proposal(request, case_id)
    if row["state"] not in ("draft", "returned"):
        return done(f"/saker/{case_id}", "kan-ikke-endres")
    resource = await get_resource(row["resource"], insider(request.user))
    return await _edit_page(request, row, resource_values(resource))


async def _own_proposal(request: Request, case_id: int) -> dict[str, Any]:
    row = await service.visible_case(case_id, request.user)
    if row["proposer"] is None or row["proposer"] != request.user.user_id:
        raise Problem(403, "Only the proposer edits the proposal.")
    return row


async def _edit_page(request: Request, row: dict[str, Any], values: dict[str, Any], *,
                     errors: FormErrors | None = None, status: int = 200) -> Template:
    return Template(template_name="workflow/edit.html", status_code=status, context=page_context(
        request, row=row, v=values, errors=errors, **await resource_choices()))


@post("/saker/{case_id:int}/endre", opt=rule(SIGNED_IN), include_in_schema=False)
async def proposal_edit(request: Request, case_id: FromPath[int]) -> Response:
    row = await _own_proposal(request, case_id)
    posted = await form_data(request)
    values = posted_values(posted, RESOURCE_TEXT, RESOURCE_LISTS)
    errors = FormErrors()
    body = resource_body(values, errors)
    patch = convert(body, ResourcePatch, errors) if not errors else None
    if errors or patch is None:
        return await _edit_page(request, row, values, errors=errors, status=422)
    try:
        await service.edit_proposal_resource(case_id, patch, request.user, as_int(posted.get("versjon")))
    except Problem as problem:
        if problem.status_code in (401, 403, 404):
            raise
        if problem.status_code == 412:
            errors.general.append(STALE_CASE)
        elif problem.status_code == 409:
            errors.general.append(CONFIRMATIONS["kan-ikke-endres"])
        else:
            errors = errors_from_problem(problem, set(RESOURCE_TEXT + RESOURCE_LISTS))
        row = await _own_proposal(request, case_id)
        return await _edit_page(request, row, values, errors=errors,
                                status=422 if problem.status_code == 422 else 409)
    return done(f"/saker/{case_id}", "endret")


@post("/saker/{case_id:int}/sjekkliste", opt=rule(SIGNED_IN), include_in_schema=False)
async def checklist_confirm(request: Request, case_id: FromPath[int]) -> Response:
    """Confirm one phase-out checklist item the user's role answers for."""
    posted = await form_data(request)
    item = text_of(posted.get("punkt"))
    note = text_of(posted.get("merknad"))
    errors = FormErrors()
    if item not in CHECKLIST_LABELS:
        errors.general.append("Velg et punkt i sjekklisten.")
    elif len(note) > 5000:
        errors.add(f"merknad-{item}", "Teksten er for lang (høyst 5000 tegn).")
    if not errors:
        try:
            await service.confirm_item(case_id, item, note, request.user, as_int(posted.get("versjon")))
        except Problem as problem:
            errors, status = _errors_from_problem(problem, set())
            return await case_page(request, case_id, errors=errors, posted=posted, source="sjekkliste", status=status)
        return done(f"/saker/{case_id}", "bekreftet")
    return await case_page(request, case_id, errors=errors, posted=posted, source="sjekkliste",
                           status=422 if errors.by_field else 409)


@post("/saker/{case_id:int}/tildel", opt=rule(SIGNED_IN), include_in_schema=False)
async def case_assign(request: Request, case_id: FromPath[int]) -> Response:
    """Assign the current step to a holder of its role, or clear the assignment."""
    posted = await form_data(request)
    raw = text_of(posted.get("tildelt"))
    user_id = as_int(raw) if raw else None
    errors = FormErrors()
    if raw and (user_id is None or user_id < 1):
        errors.add("tildelt", "Velg en person i listen.")
        return await case_page(request, case_id, errors=errors, posted=posted, source="tildel", status=422)
    try:
        await service.assign(case_id, user_id, request.user, as_int(posted.get("versjon")))
    except Problem as problem:
        errors, status = _errors_from_problem(problem, {"tildelt"}, {"user_id": "tildelt"})
        if problem.status_code == 422:
            errors = FormErrors(by_field={"tildelt": "Personen har ikke rollen for dette steget."})
        return await case_page(request, case_id, errors=errors, posted=posted, source="tildel", status=status)
    return done(f"/saker/{case_id}", "tildelt" if user_id else "tildeling-fjernet")


@post("/saker/{case_id:int}/kommentar", opt=rule(SIGNED_IN), include_in_schema=False)
async def case_comment(request: Request, case_id: FromPath[int]) -> Response:
    """Comment on a case; the DPO gives advice this way."""
    posted = await form_data(request)
    text = text_of(posted.get("kommentar"))
    errors = FormErrors()
    if not text:
        errors.add("kommentar", "Skriv en kommentar.")
    elif len(text) > 5000:
        errors.add("kommentar", "Kommentaren er for lang (høyst 5000 tegn).")
    if errors:
        return await case_page(request, case_id, errors=errors, posted=posted, source="kommentar", status=422)
    await service.comment(case_id, text, request.user)
    return done(f"/saker/{case_id}", "kommentar", "#kommentarer")


UPLOAD_ERRORS = {
    413: "Filen er for stor. Den kan være på høyst {mb} MB.",
    415: "Filtypen er ikke tillatt. Last opp PDF, PNG, JPEG, ren tekst eller et kontordokument "
         "(docx, xlsx, pptx, odt, ods).",
    422: "Filen er tom. Velg en fil med innhold.",
}


@post("/saker/{case_id:int}/vedlegg", opt=rule(SIGNED_IN), include_in_schema=False,
      request_max_body_size=UPLOAD_LIMIT)
async def attachment_upload(request: Request, case_id: FromPath[int]) -> Response:
    """Attach a document (multipart field ``fil``): DPA, DPIA, accessibility statement."""
    posted = await form_data(request)
    upload = posted.get("fil")
    settings = request.app.state.settings
    errors = FormErrors()
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.add("fil", "Velg en fil å laste opp.")
        return await case_page(request, case_id, errors=errors, source="vedlegg", status=422)
    content = await upload.read(settings.attachment_max_bytes + 1)
    try:
        await attachments.add(case_id, upload.filename, content, request.user, settings.attachment_max_bytes)
    except Problem as problem:
        if problem.status_code not in UPLOAD_ERRORS:
            raise
        errors.add("fil", UPLOAD_ERRORS[problem.status_code].format(mb=settings.attachment_max_bytes // (1024 * 1024)))
        return await case_page(request, case_id, errors=errors, source="vedlegg", status=problem.status_code)
    return done(f"/saker/{case_id}", "vedlegg", "#vedlegg")


@get("/saker/{case_id:int}/vedlegg/{attachment_id:int}", opt=rule(SIGNED_IN), include_in_schema=False)
async def attachment_download(request: Request, case_id: FromPath[int], attachment_id: FromPath[int]) -> Response:
    meta, content = await attachments.content(case_id, attachment_id, request.user)
    return Response(content, media_type=meta.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.filename, safe='')}",
        "Cache-Control": "private, no-store",
    })


# --- notifications -------------------------------------------------------------------------------


@get("/varsler", opt=rule(SIGNED_IN), include_in_schema=False)
async def notification_list(request: Request) -> Template:
    """The user's notifications, newest first."""
    rows = await Notification.select(
        Notification.id, Notification.kind, Notification.subject, Notification.body, Notification.case,
        Notification.created_at, Notification.read_at,
    ).where(Notification.recipient == request.user.user_id).order_by(Notification.id, ascending=False).limit(200)
    return Template(template_name="workflow/notifications.html", context=page_context(
        request, notifications=rows, fmt_time=fmt_time, message=confirmation(request),
        proposer=request.user.has_any(PROPOSERS),
        unread=sum(1 for r in rows if r["read_at"] is None)))


@post("/varsler/{notification_id:int}/lest", opt=rule(SIGNED_IN), include_in_schema=False)
async def notification_read(request: Request, notification_id: FromPath[int]) -> Response:
    found = await Notification.select(Notification.id, Notification.read_at).where(
        (Notification.id == notification_id) & (Notification.recipient == request.user.user_id)).first()
    if found is None:
        raise Problem(404, f"No notification with id {notification_id}.")
    if found["read_at"] is None:
        await Notification.update({Notification.read_at: datetime.datetime.now(datetime.timezone.utc)}).where(
            Notification.id == notification_id)
    return done("/varsler", "lest")


workflow_page_handlers: list = [
    proposal_form, proposal_create, my_proposals, decline_wish,
    wish_form, wish_create, my_wishes,
    task_list,
    case_view, case_decide, proposal_edit_form, proposal_edit, checklist_confirm, case_assign, case_comment,
    attachment_upload, attachment_download,
    notification_list, notification_read,
]
