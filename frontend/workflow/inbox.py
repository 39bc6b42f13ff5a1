"""The inbox of tasks, and the notifications."""

from __future__ import annotations

import datetime

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from catalogue import users
from catalogue.api.users import me_of
from catalogue.domain import CATALOGUE_INSIDERS, Role
from catalogue.problems import Problem
from catalogue.schemas import Email
from catalogue.security.access import PUBLIC, SIGNED_IN, rule
from equipment import standards
from frontend import labels
from frontend.forms import FormErrors, form_data
from frontend.pages import page_context
from frontend.workflow.common import PROPOSERS, confirmation, done, fmt_date, fmt_time, text_of
from workflows import service
from workflows.definitions import WORKFLOWS
from workflows.notify import EMAIL_ONLY_KINDS
from workflows.tables import Notification

# who has an inbox: the reviewers, the DPO and admins, and ICT mentors (their drafts and returns)
TASK_HOLDERS = CATALOGUE_INSIDERS | {Role.ICT_MENTOR.value}


# --- the inbox -----------------------------------------------------------------------------------


@get("/oppgaver", opt=rule(TASK_HOLDERS), include_in_schema=False)
async def task_list(request: Request) -> Template:
    """Cases waiting for the user: for a role they hold, assigned to them, or their own returns."""
    items = await service.tasks(request.user)
    return Template(template_name="workflow/tasks.html", context=page_context(
        request, tasks=items, kind_labels={k: w.label_nb for k, w in WORKFLOWS.items()}, fmt_date=fmt_date,
        role_label=lambda code: labels.label("role", code) if code else "Forslagsstiller",
        equipment_tasks=await standards.waiting_for(request.user)))


# --- notifications -------------------------------------------------------------------------------


@get("/varsler", opt=rule(SIGNED_IN), include_in_schema=False)
async def notification_list(request: Request) -> Template:
    """The user's notifications, newest first."""
    rows = await Notification.select(
        Notification.id, Notification.kind, Notification.subject, Notification.body, Notification.case,
        Notification.link, Notification.created_at, Notification.read_at,
    ).where((Notification.recipient == request.user.user_id) & Notification.kind.not_in(list(EMAIL_ONLY_KINDS))
            ).order_by(Notification.id, ascending=False).limit(200)
    me = await me_of(request.user)
    return Template(template_name="workflow/notifications.html", context=page_context(
        request, notifications=rows, fmt_time=fmt_time, message=confirmation(request),
        proposer=request.user.has_any(PROPOSERS), me=me, link_text=link_text,
        unread=sum(1 for r in rows if r["read_at"] is None)))


def link_text(link: str | None, kind: str) -> str:
    """What the link of a notification leads to, in words."""
    if not link:
        return ""
    if link.startswith("/saker/"):
        return "Gå til saken"
    if link.startswith("/ressurser/"):
        return "Se læremidlet"
    if link.startswith(("/onsker", "/forslag")):
        return "Se ønskene"
    return "Åpne"


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


# --- how notifications arrive: e-mail address and digest ------------------------------------------

SETTINGS_MESSAGES = {
    "lagret": "Innstillingene er lagret.",
    "lenke-sendt": "Vi har sendt en lenke til den nye adressen. Varslene sendes dit når du har fulgt lenken.",
    "fjernet": "E-postadressen er fjernet. Varslene vises bare her i tjenesten.",
}
MODES = (("immediate", "Én e-post for hvert varsel"), ("digest", "Én samlet e-post om dagen"),
         ("weekly", "Én samlet e-post i uken (mandager)"))


async def _settings_page(request: Request, *, errors: FormErrors | None = None, values: dict | None = None,
                         status: int = 200) -> Template:
    me = await me_of(request.user)
    settings = request.app.state.settings
    return Template(template_name="workflow/notification_settings.html", status_code=status, context=page_context(
        request, me=me, errors=errors, modes=MODES, sends_mail=bool(settings.smtp_host),
        digest_hour=settings.digest_hour,
        values=values or {"epost": me.email_pending or me.email or "", "modus": me.notification_mode},
        message=SETTINGS_MESSAGES.get(request.query_params.get("melding", ""))))


@get("/varsler/innstillinger", opt=rule(SIGNED_IN), include_in_schema=False)
async def notification_settings(request: Request) -> Template:
    """Where the user sets their e-mail address and chooses one e-mail per notification or a daily digest."""
    return await _settings_page(request)


@post("/varsler/innstillinger", opt=rule(SIGNED_IN), include_in_schema=False)
async def notification_settings_save(request: Request) -> Response:
    posted = await form_data(request)
    address = text_of(posted.get("epost"))
    mode = text_of(posted.get("modus"))
    values = {"epost": address, "modus": mode}
    errors = FormErrors()
    if mode not in dict(MODES):
        errors.add("modus", "Velg hvordan du vil få varslene.")
    if address and not valid_email(address):
        errors.add("epost", "Skriv en gyldig e-postadresse, for eksempel navn@kommune.no.")
    if errors:
        return await _settings_page(request, errors=errors, values=values, status=422)
    me = await me_of(request.user)
    outcome = "lagret"
    try:
        if address and address not in (me.email, me.email_pending):
            await users.request_email(request.user.user_id, address, request.user, request.app.state.settings)
            outcome = "lenke-sendt"
        elif not address and (me.email or me.email_pending):
            await users.request_email(request.user.user_id, None, request.user, request.app.state.settings)
            outcome = "fjernet"
    except Problem as problem:
        if problem.status_code != 409:
            raise
        errors.add("epost", "Tjenesten er ikke satt opp til å sende e-post, så adressen kan ikke bekreftes. "
                            "Varslene vises her i tjenesten.")
        return await _settings_page(request, errors=errors, values=values, status=409)
    if mode != me.notification_mode:
        await users.set_notification_mode(request.user.user_id, mode, request.user)
    return Redirect(f"/varsler/innstillinger?melding={outcome}", status_code=303)


def valid_email(address: str) -> bool:
    try:
        msgspec.convert(address, Email)
    except msgspec.ValidationError:
        return False
    return True


@get("/epost/bekreft", opt=rule(PUBLIC), include_in_schema=False)
async def email_confirm_page(request: Request) -> Template:
    """The page a verification link opens: it asks for one click (a mail scanner opening the link
    confirms nothing)."""
    token = (request.query_params.get("token") or "")[:200]
    pending = await users.pending_for_token(token) if token else None
    return Template(template_name="workflow/email_confirm.html", status_code=200 if pending else 404,
                    context=page_context(request, pending=pending, token=token, confirmed=False))


@post("/epost/bekreft", opt=rule(PUBLIC), include_in_schema=False)
async def email_confirm(request: Request) -> Template:
    posted = await form_data(request)
    token = text_of(posted.get("token"))[:200]
    pending = await users.pending_for_token(token) if token else None
    if pending is None:
        return Template(template_name="workflow/email_confirm.html", status_code=404,
                        context=page_context(request, pending=None, token="", confirmed=False))
    await users.verify_email(token)
    return Template(template_name="workflow/email_confirm.html",
                    context=page_context(request, pending=pending, token="", confirmed=True))
