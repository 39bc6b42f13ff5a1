"""The inbox of tasks, and the notifications."""

from __future__ import annotations

import datetime

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from catalogue.domain import CATALOGUE_INSIDERS, Role
from catalogue.problems import Problem
from catalogue.security.access import SIGNED_IN, rule
from equipment import standards
from frontend import labels
from frontend.pages import page_context
from frontend.workflow.common import PROPOSERS, confirmation, done, fmt_date, fmt_time
from workflows import service
from workflows.definitions import WORKFLOWS
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
