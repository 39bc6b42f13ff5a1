"""Administration pages for the system owner: users, their roles and units, the municipality's
units, and the subjects' curriculum codes. Every route is for ``admin`` only."""

from __future__ import annotations

import datetime
import re
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from catalogue import taxonomy
from catalogue import users as user_service
from catalogue.api.users import _dt, _one, _users
from catalogue.demo import DEMO_ISSUER
from catalogue.domain import ALL_ROLES, ROLE_LABELS, UNIT_KINDS, Role
from catalogue.norwegian_dates import DATE_ERROR, DATE_HINT, format_date, format_time, parse_date
from catalogue.problems import Problem
from catalogue.schemas import Email, SubjectPatch, UnitCreate, UnitPatch, UserOut
from catalogue.security.access import Principal, rule
from catalogue.tables import AppUser, RoleChange, Unit, UserRole
from frontend import labels
from frontend.forms import FormErrors, as_list, form_data, norwegian
from frontend.pages import page_context
from workflows import service as workflow_service
from workflows.tables import AuditEntry

ADMIN = rule({Role.ADMIN.value})
PAGE_SIZE = 25
ROLE_OPTIONS = [(r.value, ROLE_LABELS[r]) for r in Role]
ROLE_NAMES = {r.value: t for r, t in ROLE_LABELS.items()}
UNIT_KIND_OPTIONS = list(UNIT_KINDS.items())

# Confirmations after a redirect: a fixed text per key; the named object is looked up, never echoed.
CONFIRMATIONS = {
    "rolle-gitt": "Rollen «{role}» er gitt.",
    "rolle-fantes": "Brukeren hadde allerede rollen «{role}».",
    "rolle-fjernet": "Rollen «{role}» er fjernet.",
    "rolle-manglet": "Brukeren hadde ikke rollen «{role}».",
    "enhet-knyttet": "Brukeren er knyttet til {unit}.",
    "enhet-fantes": "Brukeren var allerede knyttet til {unit}.",
    "enhet-frakoblet": "Brukeren er ikke lenger knyttet til {unit}.",
    "enhet-manglet": "Brukeren var ikke knyttet til {unit}.",
    "deaktivert": "Brukeren er deaktivert og logget ut.",
    "aktivert": "Brukeren er aktivert igjen.",
    "status-uendret": "Brukerens status var allerede slik.",
    "enhet-opprettet": "Enheten {unit} er lagt til.",
    "enhet-lagret": "Endringene i {unit} er lagret.",
    "fag-lagret": "Læreplankodene for {subject} er lagret.",
    "epost-sendt": "Vi har sendt en lenke til adressen. Den tas i bruk når lenken er fulgt.",
    "epost-fjernet": "E-postadressen er fjernet.",
    "saker-overfort": "De åpne sakene er overført.",
}

# Field errors people can act on, worded for the field they belong to.
REQUIRED = {
    "code": "Skriv en kode for enheten.",
    "name": "Skriv navnet på enheten.",
    "kind": "Velg hva slags enhet det er.",
    "role": "Velg en rolle.",
    "unit": "Velg en enhet.",
}
FORMAT = {
    "code": "Koden kan bare ha små bokstaver (a–z), tall og bindestrek, minst to tegn, for eksempel «nordby-skole».",
    "curriculum_code": "Skriv læreplankoden slik Udir skriver den, for eksempel MAT01-06.",
    "previous_curriculum_code": "Skriv læreplankoden slik Udir skriver den, for eksempel MAT01-05.",
    "curriculum_valid_from": DATE_ERROR,
    "pupil_count": "Skriv antallet som et helt tall fra 0 til 100 000, eller la feltet stå tomt.",
}
STALE_UNIT = ("Enheten er endret av noen andre etter at du åpnet den, så endringene dine er ikke lagret. "
              "Sammenlign med det som er lagret nå, og lagre på nytt hvis du fortsatt vil gjøre endringen.")
REFUSALS = {
    "last admin": "Brukeren er den siste aktive systemeieren og kan ikke miste rollen. "
                  "Gi rollen til en annen først.",
    "own account": "Du kan ikke deaktivere din egen konto.",
}


# --- helpers -------------------------------------------------------------------------------


def _utc(moment: datetime.datetime) -> datetime.datetime:
    """Aware UTC; a naive time read back from SQLite was stored as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def _when(value: Any) -> dict[str, str] | None:
    """A timestamp for a <time> element: ISO for machines, Norwegian local time for people."""
    moment = _dt(value)
    if moment is None:
        return None
    moment = _utc(moment)
    return {"iso": moment.isoformat(timespec="seconds"), "text": format_time(moment)}


def _message(name: str, message: str, value: Any = None) -> str:
    if name in REQUIRED and (value in (None, "", []) or message == "required"):
        return REQUIRED[name]
    if value == "" and re.search(r"length >= \d", message):
        return "Fyll ut feltet."
    longest = re.search(r"length <= (\d+)", message)
    if longest:
        return f"Teksten er for lang (høyst {longest.group(1)} tegn)."
    if name in FORMAT and re.search(r"regex|length|date|ISO 8601|Expected|>=|<=", message):
        return FORMAT[name]
    return norwegian(message)


def _form_errors(problem: Problem, known: set[str], values: dict[str, Any] | None = None,
                 key: str = "") -> FormErrors:
    """A problem's field errors on this form's fields (``key`` prefixes the field names when one
    page holds several forms with the same fields)."""
    errors = FormErrors()
    for item in problem.errors or []:
        name = re.sub(r"\[\d+\]", "", str(item.get("field", "")))
        text = _message(name, str(item.get("message", "")), (values or {}).get(name))
        if name in known:
            errors.add(key + name, text)
        else:
            errors.general.append(text)
    if not errors:
        errors.general.append(norwegian(problem.detail))
    return errors


def _convert(struct: type, values: dict[str, Any]) -> Any:
    """Validate every field of a form at once (msgspec stops at the first error), then build the
    request Struct the service takes."""
    problems = []
    for field in msgspec.structs.fields(struct):
        if field.name not in values:
            continue
        try:
            msgspec.convert(values[field.name], field.type)
        except msgspec.ValidationError as exc:
            problems.append({"field": field.name, "message": str(exc)})
    if problems:
        raise Problem(422, "The form has errors.", errors=problems)
    return msgspec.convert(values, struct)


def _after(path: str, message: str, **names: str) -> Redirect:
    """Post/Redirect/Get: back to a page, which shows the confirmation for ``message``."""
    return Redirect(path=f"{path}?{urlencode({'melding': message, **names})}", status_code=303)


async def _unit_names(codes: set[str] | None = None) -> dict[str, str]:
    query = Unit.select(Unit.code, Unit.name)
    if codes is not None:
        if not codes:
            return {}
        query = query.where(Unit.code.is_in(sorted(codes)))
    return {r["code"]: r["name"] for r in await query}


async def _confirmation(request: Request) -> str | None:
    params = request.query_params
    template = CONFIRMATIONS.get(params.get("melding") or "")
    if template is None:
        return None
    values: dict[str, str] = {}
    if "{role}" in template:
        values["role"] = ROLE_NAMES.get(params.get("rolle") or "", "")
    if "{unit}" in template:
        code = params.get("enhet") or ""
        values["unit"] = (await _unit_names({code})).get(code, "") if code else ""
    if "{subject}" in template:
        code = params.get("fag") or ""
        names, _ = await _subject_names()
        values["subject"] = names.get(code, "")
    if any(not v for v in values.values()):
        return None
    return template.format(**values)


async def _subject_names() -> tuple[dict[str, str], list]:
    subjects = await taxonomy.subjects()
    return {s.code: s.name_nb for s in subjects}, subjects


def issuer_label(issuer: str) -> str:
    """Which identity provider an issuer is, in words."""
    if issuer == DEMO_ISSUER:
        return "Demobruker"
    if issuer == user_service.LOCAL_ISSUER:
        return "Lokal bruker (skript)"
    if "dataporten.no" in issuer or "feide" in issuer:
        return "Feide"
    if "microsoftonline.com" in issuer or "login.microsoft" in issuer:
        return "Entra ID"
    return "Annen leverandør"


def _user_row(user: UserOut, unit_names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": user.id, "name": user.display_name, "email": user.email, "issuer": user.issuer,
        "issuer_label": issuer_label(user.issuer), "subject": user.subject, "active": user.active,
        "roles": [ROLE_NAMES.get(r, r) for r in user.roles],
        "units": [unit_names.get(u, u) for u in user.units],
    }


# --- overview ------------------------------------------------------------------------------


@get("/admin", opt=ADMIN, include_in_schema=False)
async def admin_home(request: Request) -> Template:
    """Where the system owner starts: what there is, and where to change it."""
    rows = await AppUser.raw(
        "SELECT (SELECT COUNT(*) FROM app_user) AS users,"
        " (SELECT COUNT(*) FROM app_user WHERE active = {}) AS active_users,"
        " (SELECT COUNT(DISTINCT r.\"user\") FROM user_role r JOIN app_user u ON u.id = r.\"user\""
        "  WHERE r.role = {} AND u.active = {}) AS admins,"
        " (SELECT COUNT(*) FROM unit) AS units,"
        " (SELECT COUNT(*) FROM unit WHERE active = {}) AS active_units,"
        " (SELECT COUNT(*) FROM subject) AS subjects",
        True, Role.ADMIN.value, True, True)
    counts = {k: int(v) for k, v in rows[0].items()}
    return Template(template_name="admin/index.html", context=page_context(request, counts=counts))


# --- users ---------------------------------------------------------------------------------


@get("/admin/brukere", opt=ADMIN, include_in_schema=False)
async def users_page(request: Request) -> Template:
    """Everyone known to the service: search by name, filter by role, a page at a time."""
    params = request.query_params
    q = (params.get("q") or "").strip()[:100]
    role = params.get("rolle") or ""
    if role not in ALL_ROLES:
        role = ""
    try:
        page = max(1, min(10_000, int(params.get("side", "1"))))
    except ValueError:
        page = 1
    clauses, args = ["1 = 1"], []
    if q:
        clauses.append("LOWER(u.display_name) LIKE {}")
        args.append("%" + q.lower().replace("%", "").replace("_", "") + "%")
    if role:
        clauses.append("EXISTS (SELECT 1 FROM user_role r WHERE r.\"user\" = u.id AND r.role = {})")
        args.append(role)
    items, total = await _users(" AND ".join(clauses), args, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    unit_names = await _unit_names({c for u in items for c in u.units})

    def url(side: int) -> str:
        pairs = [(k, v) for k, v in (("q", q), ("rolle", role)) if v] + ([("side", str(side))] if side > 1 else [])
        return "/admin/brukere" + (f"?{urlencode(pairs)}" if pairs else "")

    return Template(template_name="admin/users.html", context=page_context(
        request, rows=[_user_row(u, unit_names) for u in items], total=total, q=q, role=role,
        role_options=ROLE_OPTIONS, page=page, pages=pages,
        previous_url=url(page - 1) if page > 1 else None, next_url=url(page + 1) if page < pages else None,
    ))


async def _history(user_id: int, unit_names: dict[str, str]) -> list[dict[str, Any]]:
    """Role and unit changes, and deactivations, newest first."""
    events = []
    for r in await RoleChange.select().where(RoleChange.user == user_id).order_by(RoleChange.id):
        role = ROLE_NAMES.get(r["role"] or "", r["role"])
        unit = unit_names.get(r["unit_code"] or "", r["unit_code"])
        text = {
            "grant_role": f"Fikk rollen «{role}»",
            "revoke_role": f"Rollen «{role}» ble fjernet",
            "add_unit": f"Ble knyttet til {unit}",
            "remove_unit": f"Ble koblet fra {unit}",
        }.get(r["action"], r["action"])
        events.append((_dt(r["changed_at"]), text, r["changed_by"]))
    status_rows = await AuditEntry.select(AuditEntry.occurred_at, AuditEntry.action, AuditEntry.actor).where(
        (AuditEntry.object_type == "user") & (AuditEntry.object_id == str(user_id))
        & AuditEntry.action.is_in(["user.activate", "user.deactivate"])).order_by(AuditEntry.id)
    for r in status_rows:
        text = "Kontoen ble deaktivert" if r["action"] == "user.deactivate" else "Kontoen ble aktivert"
        events.append((_dt(r["occurred_at"]), text, r["actor"]))
    by = {"first login": "Første innlogging (automatisk)", "system": "Systemet"}
    order = sorted(range(len(events)), key=lambda i: (_utc(events[i][0]), i), reverse=True)
    return [{"when": _when(events[i][0]), "text": events[i][1], "by": by.get(events[i][2], events[i][2])}
            for i in order]


async def _render_user(request: Request, user_id: int, *, errors: FormErrors | None = None,
                       refusal: str | None = None, values: dict[str, Any] | None = None,
                       status_code: int = 200, confirm_role: dict[str, str] | None = None) -> Template:
    user = await _one(user_id)
    all_units = await taxonomy.units(include_inactive=True)
    unit_names = {u.code: u.name for u in all_units}
    grants = {r["role"]: r for r in await UserRole.select(
        UserRole.role, UserRole.granted_by, UserRole.granted_at).where(UserRole.user == user_id)}
    roles = [{"code": code, "label": ROLE_NAMES.get(code, code), "granted_by": grants.get(code, {}).get("granted_by"),
              "granted_at": _when(grants.get(code, {}).get("granted_at"))} for code in user.roles]
    units = [{"code": code, "name": unit_names.get(code, code),
              "kind": UNIT_KINDS.get(next((u.kind for u in all_units if u.code == code), ""), "")}
             for code in user.units]
    principal: Principal = request.user
    open_cases = await workflow_service.open_cases_of(user_id)
    case_units = {u for c in open_cases for u in c["proposer_units"]}
    successors = [(uid, name) for uid, name in await _mentors_of(case_units) if uid != user_id]
    removed = request.query_params.get("rolle") if request.query_params.get("melding") == "rolle-fjernet" else None
    undo = {"code": removed, "label": ROLE_NAMES[removed]} if removed in ALL_ROLES and removed not in user.roles else None
    return Template(template_name="admin/user.html", status_code=status_code, context=page_context(
        request, person=_user_row(user, unit_names), email=user.email, email_pending=user.email_pending,
        open_cases=open_cases, successors=successors, unit_names=unit_names,
        sends_mail=bool(request.app.state.settings.smtp_host), created=_when(user.created_at),
        last_seen=_when(user.last_seen_at), roles=roles, units=units,
        role_options=[(code, text) for code, text in ROLE_OPTIONS if code not in user.roles],
        unit_options=[(u.code, u.name) for u in all_units if u.active and u.code not in user.units],
        history=await _history(user_id, unit_names), is_self=principal.user_id == user_id,
        errors=errors, refusal=refusal, values=values or {}, confirmation=await _confirmation(request),
        undo=undo, confirm_role=confirm_role,
    ))


@get("/admin/brukere/{user_id:int}", opt=ADMIN, include_in_schema=False)
async def user_page(request: Request, user_id: FromPath[int]) -> Template:
    """One person: roles, units, whether they may sign in, and who changed what."""
    return await _render_user(request, user_id)


def _refusal(problem: Problem) -> str:
    for item in problem.errors or []:
        if item.get("message") in REFUSALS:
            return REFUSALS[item["message"]]
    return "Endringen kunne ikke gjøres. Last siden på nytt og prøv igjen."


@post("/admin/brukere/{user_id:int}/roller", opt=ADMIN, include_in_schema=False)
async def grant_role(request: Request, user_id: FromPath[int]) -> Response:
    """Give the user a role; recorded with who gave it."""
    data = await form_data(request)
    role = data.get("role") if isinstance(data.get("role"), str) else ""
    await _one(user_id)
    if role not in ALL_ROLES:
        errors = FormErrors()
        errors.add("role", REQUIRED["role"])
        return await _render_user(request, user_id, errors=errors, values={"role": role}, status_code=422)
    granted = await user_service.grant_role(user_id, role, request.user.label)
    return _after(f"/admin/brukere/{user_id}", "rolle-gitt" if granted else "rolle-fantes", rolle=role)


@post("/admin/brukere/{user_id:int}/roller/fjern", opt=ADMIN, include_in_schema=False)
async def revoke_role(request: Request, user_id: FromPath[int]) -> Response:
    """Take a role from the user; the last active admin keeps theirs (shown as a refusal)."""
    data = await form_data(request)
    role = data.get("role") if isinstance(data.get("role"), str) else ""
    await _one(user_id)
    if role not in ALL_ROLES:
        return await _render_user(request, user_id, refusal="Velg en rolle å fjerne.", status_code=422)
    if role == Role.ADMIN.value and user_id == request.user.user_id and data.get("bekreft") != "ja":
        # nobody can undo this for you afterwards: ask first
        return await _render_user(request, user_id, confirm_role={"code": role, "label": ROLE_NAMES[role]})
    try:
        removed = await user_service.revoke_role(user_id, role, request.user.label)
    except Problem as problem:
        if problem.status_code == 404:
            raise
        return await _render_user(request, user_id, refusal=_refusal(problem), status_code=409)
    return _after(f"/admin/brukere/{user_id}", "rolle-fjernet" if removed else "rolle-manglet", rolle=role)


@post("/admin/brukere/{user_id:int}/enheter", opt=ADMIN, include_in_schema=False)
async def add_unit(request: Request, user_id: FromPath[int]) -> Response:
    """Affiliate the user with a unit."""
    data = await form_data(request)
    code = data.get("unit") if isinstance(data.get("unit"), str) else ""
    await _one(user_id)
    try:
        if not code:
            raise ValueError("no unit chosen")
        added = await user_service.add_unit(user_id, code, request.user.label)
    except ValueError:
        errors = FormErrors()
        errors.add("unit", REQUIRED["unit"])
        return await _render_user(request, user_id, errors=errors, values={"unit": code}, status_code=422)
    return _after(f"/admin/brukere/{user_id}", "enhet-knyttet" if added else "enhet-fantes", enhet=code)


@post("/admin/brukere/{user_id:int}/enheter/fjern", opt=ADMIN, include_in_schema=False)
async def remove_unit(request: Request, user_id: FromPath[int]) -> Response:
    """End the user's affiliation with a unit."""
    data = await form_data(request)
    code = data.get("unit") if isinstance(data.get("unit"), str) else ""
    await _one(user_id)
    removed = await user_service.remove_unit(user_id, code, request.user.label) if code else False
    if not removed and not (await _unit_names({code}) if code else None):
        return await _render_user(request, user_id, refusal="Fant ikke enheten.", status_code=422)
    return _after(f"/admin/brukere/{user_id}", "enhet-frakoblet" if removed else "enhet-manglet", enhet=code)


@post("/admin/brukere/{user_id:int}/status", opt=ADMIN, include_in_schema=False)
async def user_status(request: Request, user_id: FromPath[int]) -> Response:
    """Deactivate (signing them out everywhere) or reactivate a user; nobody deactivates themselves."""
    data = await form_data(request)
    value = data.get("active")
    if value not in ("ja", "nei", "true", "false"):
        await _one(user_id)
        return await _render_user(request, user_id, refusal="Velg om brukeren skal være aktiv.", status_code=422)
    active = value in ("ja", "true")
    try:
        changed = await user_service.set_active(user_id, active, request.user)
    except Problem as problem:
        if problem.status_code == 404:
            raise
        await _one(user_id)
        return await _render_user(request, user_id, refusal=_refusal(problem), status_code=409)
    message = ("aktivert" if active else "deaktivert") if changed else "status-uendret"
    return _after(f"/admin/brukere/{user_id}", message)


@post("/admin/brukere/{user_id:int}/epost", opt=ADMIN, include_in_schema=False)
async def user_email(request: Request, user_id: FromPath[int]) -> Response:
    """Set a user's e-mail address: a link is sent to it, and it is used once followed. Empty removes it."""
    data = await form_data(request)
    address = data.get("epost").strip() if isinstance(data.get("epost"), str) else ""
    await _one(user_id)
    if address:
        try:
            msgspec.convert(address, Email)
        except msgspec.ValidationError:
            errors = FormErrors()
            errors.add("epost", "Skriv en gyldig e-postadresse, for eksempel navn@kommune.no.")
            return await _render_user(request, user_id, errors=errors, values={"epost": address}, status_code=422)
    try:
        await user_service.request_email(user_id, address or None, request.user, request.app.state.settings)
    except Problem as problem:
        if problem.status_code == 404:
            raise
        return await _render_user(request, user_id, values={"epost": address}, status_code=409,
                                  refusal="Tjenesten er ikke satt opp til å sende e-post (SMTP_HOST), så adressen "
                                          "kan ikke bekreftes.")
    return _after(f"/admin/brukere/{user_id}", "epost-sendt" if address else "epost-fjernet")


@post("/admin/brukere/{user_id:int}/overfor", opt=ADMIN, include_in_schema=False)
async def user_hand_over(request: Request, user_id: FromPath[int]) -> Response:
    """Hand a leaving ICT mentor's open cases (those ticked) to another mentor of the units."""
    data = await form_data(request)
    await _one(user_id)
    target = data.get("til")
    chosen = [int(c) for c in as_list(data.get("saker")) if str(c).isdigit()]
    errors = FormErrors()
    if not (isinstance(target, str) and target.isdigit()):
        errors.add("til", "Velg IKT-veilederen som skal overta sakene.")
    if not chosen:
        errors.add("saker", "Kryss av for sakene som skal overføres.")
    if errors:
        return await _render_user(request, user_id, errors=errors, values={"til": target, "saker": chosen},
                                  status_code=422)
    try:
        await workflow_service.hand_over(user_id, int(target), request.user, chosen)
    except Problem as problem:
        if problem.status_code == 404:
            raise
        errors.add("til", "IKT-veilederen er ikke knyttet til enhetene til alle sakene du valgte. "
                          "Velg en annen, eller færre saker.")
        return await _render_user(request, user_id, errors=errors, values={"til": target, "saker": chosen},
                                  status_code=422)
    return _after(f"/admin/brukere/{user_id}", "saker-overfort")


async def _mentors_of(units: set[str]) -> list[tuple[int, str]]:
    """Active ICT mentors of any of these units."""
    if not units:
        return []
    marks = ", ".join("{}" for _ in units)
    rows = await AppUser.raw(
        "SELECT DISTINCT u.id, u.display_name FROM app_user u JOIN user_role r ON r.\"user\" = u.id"
        " JOIN user_unit uu ON uu.\"user\" = u.id JOIN unit ON unit.id = uu.unit"
        f" WHERE r.role = {{}} AND u.active = {{}} AND unit.code IN ({marks}) ORDER BY u.display_name, u.id",
        Role.ICT_MENTOR.value, True, *sorted(units))
    return [(r["id"], r["display_name"] or f"Bruker {r['id']}") for r in rows]


# --- units ---------------------------------------------------------------------------------

UNIT_FIELDS = {"code", "name", "kind", "levels", "address", "pupil_count"}


def _pupil_count(raw: Any) -> Any:
    """The form's pupil count: empty is unknown (None), digits a number, anything else is kept
    as typed so validation names the field."""
    text = str(raw or "").strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    return int(text) if text.isdigit() else text


async def _level_options() -> list[tuple[str, str]]:
    return [(level.code, level.name_nb) for level in await taxonomy.levels()]


def _unit_rows(units: list) -> list[dict[str, Any]]:
    return [{"code": u.code, "name": u.name, "kind": UNIT_KINDS.get(u.kind, u.kind),
             "levels": labels.levels_text(u.levels), "address": u.address, "active": u.active,
             "pupil_count": u.pupil_count} for u in units]


async def _render_units(request: Request, *, values: dict[str, Any] | None = None,
                        errors: FormErrors | None = None, status_code: int = 200) -> Template:
    units = await taxonomy.units(include_inactive=True)
    return Template(template_name="admin/units.html", status_code=status_code, context=page_context(
        request, rows=_unit_rows(units), values=values or {"levels": []}, errors=errors,
        kind_options=UNIT_KIND_OPTIONS, level_options=await _level_options(),
        confirmation=await _confirmation(request),
    ))


@get("/admin/enheter", opt=ADMIN, include_in_schema=False)
async def units_page(request: Request) -> Template:
    """The municipality's kindergartens, schools and services, and a form to add one."""
    return await _render_units(request)


@post("/admin/enheter", opt=ADMIN, include_in_schema=False)
async def create_unit(request: Request) -> Response:
    """Add a unit; errors come back on the form with what was typed."""
    data = await form_data(request)
    values = {
        "code": str(data.get("code") or "").strip(),
        "name": str(data.get("name") or "").strip(),
        "kind": str(data.get("kind") or ""),
        "levels": as_list(data.get("levels")),
        "address": str(data.get("address") or "").strip(),
        "pupil_count": _pupil_count(data.get("pupil_count")),
    }
    try:
        body = _convert(UnitCreate, values)
        created = await taxonomy.create_unit(body, request.user)
    except Problem as problem:
        if problem.status_code == 404:
            raise
        return await _render_units(request, values=values, errors=_form_errors(problem, UNIT_FIELDS, values),
                                   status_code=422)
    return _after("/admin/enheter", "enhet-opprettet", enhet=created.code)


async def _render_unit(request: Request, code: str, *, values: dict[str, Any] | None = None,
                       errors: FormErrors | None = None, refusal: str | None = None,
                       status_code: int = 200) -> Template:
    current = await taxonomy.unit(code)
    form = values or {"name": current.name, "kind": current.kind, "levels": current.levels,
                      "address": current.address, "active": current.active, "pupil_count": current.pupil_count}
    return Template(template_name="admin/unit.html", status_code=status_code, context=page_context(
        request, unit=current, current=_unit_rows([current])[0], values=form,
        version=current.version, errors=errors, refusal=refusal, stale=refusal is not None,
        kind_options=UNIT_KIND_OPTIONS, level_options=await _level_options(),
        confirmation=await _confirmation(request),
    ))


@get("/admin/enheter/{code:str}", opt=ADMIN, include_in_schema=False)
async def unit_page(request: Request, code: FromPath[str]) -> Template:
    """Edit one unit; the form carries the version it was read at."""
    return await _render_unit(request, code)


@post("/admin/enheter/{code:str}", opt=ADMIN, include_in_schema=False)
async def update_unit(request: Request, code: FromPath[str]) -> Response:
    """Save a unit if nobody changed it since the form was read (the hidden version)."""
    data = await form_data(request)
    active = data.get("active")
    values = {
        "name": str(data.get("name") or "").strip(),
        "kind": str(data.get("kind") or ""),
        "levels": as_list(data.get("levels")),
        "address": str(data.get("address") or "").strip(),
        "active": True if active == "ja" else False if active == "nei" else None,
    }
    pupils = _pupil_count(data.get("pupil_count"))
    version = str(data.get("version") or "")
    try:
        patch = {k: v for k, v in values.items() if v is not None}
        if "pupil_count" in data:
            patch["pupil_count"] = pupils
        values["pupil_count"] = pupils
        body = _convert(UnitPatch, patch)
        version_tag = f'"unit:{code}:{version if version.isdigit() else 0}"'
        saved = await taxonomy.update_unit(code, body, version_tag, request.user)
    except Problem as problem:
        if problem.status_code == 404:
            raise
        if problem.status_code in (412, 428):
            return await _render_unit(request, code, values=values, refusal=STALE_UNIT, status_code=409)
        return await _render_unit(request, code, values=values, status_code=422,
                                  errors=_form_errors(problem, UNIT_FIELDS | {"active"}, values))
    return _after(f"/admin/enheter/{saved.code}", "enhet-lagret", enhet=saved.code)


# --- subjects ------------------------------------------------------------------------------

SUBJECT_FIELDS = ("curriculum_code", "previous_curriculum_code", "curriculum_valid_from", "curriculum_note")


def _subject_values(subject) -> dict[str, Any]:
    return {
        "curriculum_code": subject.curriculum_code or "",
        "previous_curriculum_code": subject.previous_curriculum_code or "",
        "curriculum_valid_from": format_date(subject.curriculum_valid_from),
        "curriculum_note": subject.curriculum_note or "",
    }


async def _render_subjects(request: Request, *, code: str | None = None, values: dict[str, Any] | None = None,
                           errors: FormErrors | None = None, status_code: int = 200) -> Template:
    _, subjects = await _subject_names()
    forms = []
    for subject in subjects:
        forms.append({"code": subject.code, "name": subject.name_nb,
                      "stored": _subject_values(subject),
                      "form": values if subject.code == code and values is not None else _subject_values(subject),
                      "levels": labels.levels_text([str(n) for n in range(subject.level_from, subject.level_to + 1)]),
                      "valid_from": subject.curriculum_valid_from})
    return Template(template_name="admin/subjects.html", status_code=status_code, context=page_context(
        request, subjects=forms, errors=errors, confirmation=await _confirmation(request), date_hint=DATE_HINT,
    ))


@get("/admin/fag", opt=ADMIN, include_in_schema=False)
async def subjects_page(request: Request) -> Template:
    """Subjects and their LK20 curriculum codes, which Udir revises from time to time."""
    return await _render_subjects(request)


@post("/admin/fag/{code:str}", opt=ADMIN, include_in_schema=False)
async def update_subject(request: Request, code: FromPath[str]) -> Response:
    """Save a subject's curriculum codes. Field names carry the subject code (``MAT-curriculum_code``)
    so that every form on the page has its own ids; plain names are accepted too."""
    await taxonomy.subject(code)  # 404 for an unknown subject
    data = await form_data(request)
    key = f"{code}-"

    def posted(name: str) -> str:
        value = data.get(key + name, data.get(name, ""))
        return value.strip() if isinstance(value, str) else ""

    values = {name: posted(name) for name in SUBJECT_FIELDS}
    patch = {
        "curriculum_code": values["curriculum_code"].upper() or None,
        "previous_curriculum_code": values["previous_curriculum_code"].upper() or None,
        "curriculum_valid_from": parse_date(values["curriculum_valid_from"]) or values["curriculum_valid_from"] or None,
        "curriculum_note": values["curriculum_note"],
    }
    try:
        body = _convert(SubjectPatch, patch)
        await taxonomy.update_subject(code, body, request.user)
    except Problem as problem:
        if problem.status_code == 404:
            raise
        return await _render_subjects(request, code=code, values=values, status_code=422,
                                      errors=_form_errors(problem, set(SUBJECT_FIELDS), values, key=key))
    return Redirect(path=f"/admin/fag?{urlencode({'melding': 'fag-lagret', 'fag': code})}#fag-{code}",
                    status_code=303)


admin_page_handlers: list = [
    admin_home, users_page, user_page, grant_role, revoke_role, add_unit, remove_unit, user_status, user_email,
    user_hand_over,
    units_page, create_unit, unit_page, update_unit, subjects_page, update_subject,
]
