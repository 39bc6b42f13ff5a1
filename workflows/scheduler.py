"""The revision scheduler, the overdue watch and the reminders of returned cases, and the
sector office's overview of revisions coming up. Both are safe to run twice and from several
workers at once: a resource can have only one open case (a unique index), and an overdue notice
is recorded per step and due date."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
from dataclasses import dataclass, field

from catalogue.db import write_transaction
from catalogue.norwegian_dates import format_date
from catalogue.problems import Problem
from catalogue.settings import Settings
from catalogue.tables import Resource
from catalogue.security.access import Principal
from workflows import consultations, notify
from workflows.definitions import PROPOSER, WORKFLOWS
from workflows.notify import deliver_pending, send_digests
from workflows.schemas import ActionRequest
from workflows.service import _date, _step_due_for, apply_action, load_case, open_case, today
from workflows.tables import Case

log = logging.getLogger("catalogue.scheduler")


@dataclass
class RunReport:
    opened: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    consultations_closed: list[int] = field(default_factory=list)


def _is_duplicate_key(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return "unique" in text or "uniqueviolation" in text


async def due_resources(settings: Settings, day: datetime.date) -> list[dict]:
    """Published resources whose revision is due: the revision date has come, or the licence or
    the DPA expires within the lead time; and no case is open about them already."""
    horizon = day + datetime.timedelta(days=settings.revision_lead_days)
    return await Resource.raw(
        "SELECT r.id, r.name, r.next_revision_date, r.licence_expires, p.dpa_expires FROM resource r"
        " LEFT JOIN privacy_record p ON p.resource = r.id"
        " WHERE r.status = {} AND (r.next_revision_date <= {} OR r.licence_expires <= {} OR p.dpa_expires <= {})"
        " AND NOT EXISTS (SELECT 1 FROM workflow_case c WHERE c.resource = r.id AND c.closed_at IS NULL)"
        " ORDER BY r.id",
        "published", day, horizon, horizon)


def _reason(row: dict, day: datetime.date, settings: Settings) -> str:
    horizon = day + datetime.timedelta(days=settings.revision_lead_days)
    reasons = []
    if _date(row["next_revision_date"]) and _date(row["next_revision_date"]) <= day:
        reasons.append(f"revisjonsdato {format_date(row['next_revision_date'])}")
    if _date(row["licence_expires"]) and _date(row["licence_expires"]) <= horizon:
        reasons.append(f"lisensen utløper {format_date(row['licence_expires'])}")
    if _date(row["dpa_expires"]) and _date(row["dpa_expires"]) <= horizon:
        reasons.append(f"databehandleravtalen utløper {format_date(row['dpa_expires'])}")
    return "Revisjon forfaller: " + ", ".join(reasons)


async def open_due_revisions(settings: Settings, day: datetime.date | None = None) -> list[int]:
    day = day or today()
    opened = []
    for row in await due_resources(settings, day):
        try:
            async with write_transaction():
                case_id = await open_case("revision", row["id"], row["name"], None, settings,
                                          reason=_reason(row, day, settings))
        except Exception as exc:
            if _is_duplicate_key(exc):
                continue  # another worker or run opened it first
            raise
        opened.append(case_id)
    return opened


async def flag_overdue(settings: Settings, day: datetime.date | None = None) -> list[int]:
    """Notify once per step and due date when a review step passes its due date. A due date further
    ahead than the service ever sets one can only have been set by a clock that has since been set
    back: the step gets its period again from today, so its overdue notice is not held back for the
    length of the jump."""
    day = day or today()
    longest = datetime.timedelta(days=max(settings.step_due_days, settings.return_due_days))
    rows = await Case.select(Case.id, Case.kind, Case.state, Case.step_due, Case.overdue_notified_step).where(
        Case.closed_at.is_null() & Case.step_due.is_not_null())
    flagged = []
    for row in rows:
        due = _date(row["step_due"])
        again = _step_due_for(row["kind"], row["state"], settings, day)
        if due and again and due > day + longest:
            due = again
            async with write_transaction():
                await Case.update({Case.step_due: due}).where(
                    (Case.id == row["id"]) & (Case.state == row["state"]) & (Case.step_due == row["step_due"]))
            log.warning("case %s: its step was due %s, further ahead than any period the service sets"
                        " (a clock set back?); due %s now", row["id"], row["step_due"], due)
        marker = f"{row['state']}:{due.isoformat()}" if due else None
        if not due or due >= day or row["overdue_notified_step"] == marker:
            continue
        async with write_transaction():
            updated = await Case.update({Case.overdue_notified_step: marker}).where(
                (Case.id == row["id"]) & (Case.state == row["state"])
                & ((Case.overdue_notified_step != marker) | Case.overdue_notified_step.is_null())
            ).returning(Case.id)
            if not updated:
                continue
            case = await load_case(row["id"])
            step = WORKFLOWS[case["kind"]].states[case["state"]]
            if case["assigned_to"]:
                recipients = [case["assigned_to"]]
            elif step.actor and step.actor != PROPOSER:
                recipients = await notify.users_with_role(step.actor)
            else:
                recipients = [case["proposer"]]
            await notify.enqueue(recipients, "overdue", f"Forfalt: {case['title']}",
                                 f"Saken «{case['title']}» skulle vært behandlet innen {format_date(due)} "
                                 f"({step.label_nb}).", case["id"])
        flagged.append(row["id"])
    return flagged


async def remind_returned(settings: Settings, day: datetime.date | None = None) -> list[int]:
    """Remind the proposer once, RETURN_REMINDER_DAYS before a returned case falls due (the overdue
    notice follows if the date passes)."""
    day = day or today()
    returned = [name for name, state in WORKFLOWS["proposal"].states.items() if state.due == "return"]
    rows = await Case.select(Case.id, Case.state, Case.step_due, Case.reminded_step).where(
        Case.closed_at.is_null() & Case.step_due.is_not_null() & Case.state.is_in(returned))
    reminded = []
    for row in rows:
        due = _date(row["step_due"])
        marker = f"{row['state']}:{due.isoformat()}"
        if row["reminded_step"] == marker or not (due - datetime.timedelta(days=settings.return_reminder_days)
                                                  <= day <= due):
            continue
        async with write_transaction():
            updated = await Case.update({Case.reminded_step: marker}).where(
                (Case.id == row["id"]) & (Case.state == row["state"])
                & ((Case.reminded_step != marker) | Case.reminded_step.is_null())).returning(Case.id)
            if not updated:
                continue
            case = await load_case(row["id"])
            await notify.enqueue([case["proposer"]], "reminder", f"Påminnelse: {case['title']}",
                                 f"Saken «{case['title']}» er sendt tilbake til deg og venter på svar innen "
                                 f"{due.strftime('%d.%m.%Y')}. Endre forslaget og send det inn på nytt, "
                                 "eller trekk det.", case["id"])
        reminded.append(row["id"])
    return reminded


# Who closes a consultation when its deadline has passed: the sector office's step, taken by the scheduler.
CONSULTATION_CLOSER = Principal(name="høringsfristen", roles=frozenset({"sector_reviewer"}))


async def close_due_consultations(settings: Settings, day: datetime.date | None = None) -> list[int]:
    """Close each consultation whose deadline has passed, through the engine (the case goes back
    to the pedagogical review with the answers summarised); safe to run twice."""
    closed = []
    for case_id in await consultations.due_for_closing(day or today()):
        try:
            await apply_action(case_id, ActionRequest(action="close_consultation"), CONSULTATION_CLOSER, None,
                               settings)
        except Problem:
            continue  # closed meanwhile by the reviewer or another worker
        closed.append(case_id)
    return closed


async def run_once(settings: Settings, day: datetime.date | None = None) -> RunReport:
    report = RunReport(opened=await open_due_revisions(settings, day), overdue=await flag_overdue(settings, day),
                       reminded=await remind_returned(settings, day))
    report.consultations_closed = await close_due_consultations(settings, day)
    return report


# --- the sector office's overview of revisions --------------------------------------------------


@dataclass
class RevisionDue:
    resource_id: int
    name: str
    due_date: datetime.date
    reasons: list[str]  # revision_date, licence_expires, dpa_expires
    next_revision_date: datetime.date | None
    licence_expires: datetime.date | None
    dpa_expires: datetime.date | None
    overdue: bool
    case_id: int | None
    case_state: str | None
    case_state_label_nb: str | None
    case_step_due: datetime.date | None


async def revision_overview(settings: Settings, day: datetime.date | None = None,
                            days: int = 90) -> list[RevisionDue]:
    """Published resources whose revision falls due within ``days`` or is overdue (the due date
    passed and the resource is not renewed yet), earliest first. A revision is due on the revision
    date, or REVISION_LEAD_DAYS before the licence or the DPA expires, whichever comes first."""
    day = day or today()
    lead = datetime.timedelta(days=settings.revision_lead_days)
    horizon = day + datetime.timedelta(days=days)
    rows = await Resource.raw(
        "SELECT r.id, r.name, r.next_revision_date, r.licence_expires, p.dpa_expires,"
        " c.id AS case_id, c.kind AS case_kind, c.state AS case_state, c.step_due AS case_step_due"
        " FROM resource r LEFT JOIN privacy_record p ON p.resource = r.id"
        " LEFT JOIN workflow_case c ON c.resource = r.id AND c.closed_at IS NULL"
        " WHERE r.status = {} AND (r.next_revision_date <= {} OR r.licence_expires <= {} OR p.dpa_expires <= {})",
        "published", horizon, horizon + lead, horizon + lead)
    found = []
    for row in rows:
        dates = {"revision_date": _date(row["next_revision_date"])}
        for name in ("licence_expires", "dpa_expires"):
            if _date(row[name]):
                dates[name] = _date(row[name]) - lead
        dates = {k: v for k, v in dates.items() if v}
        due = min(dates.values())
        if due > horizon:
            continue
        state = WORKFLOWS[row["case_kind"]].states[row["case_state"]] if row["case_id"] else None
        found.append(RevisionDue(
            resource_id=row["id"], name=row["name"], due_date=due,
            reasons=[k for k, v in dates.items() if v <= horizon], next_revision_date=_date(row["next_revision_date"]),
            licence_expires=_date(row["licence_expires"]), dpa_expires=_date(row["dpa_expires"]),
            overdue=due < day, case_id=row["case_id"], case_state=row["case_state"],
            case_state_label_nb=state.label_nb if state else None, case_step_due=_date(row["case_step_due"])))
    found.sort(key=lambda r: (r.due_date, r.name.casefold(), r.resource_id))
    return found


async def periodic(settings: Settings) -> None:
    """The in-process scheduler: revisions and overdue steps every interval, mail more often.
    Every worker runs this loop, but only the one holding the jobs lock does the work (see
    workflows.jobs_lock); the others try to take the lock each round and take over when its holder
    is gone."""
    from workflows.jobs_lock import JobsLock

    interval = settings.scheduler_interval_seconds
    mail_every = max(1, min(60, interval))
    elapsed = interval
    lock = JobsLock(settings)
    try:
        while True:
            try:
                if await lock.acquire():
                    if elapsed >= interval:
                        report = await run_once(settings)
                        if report.opened or report.overdue or report.reminded:
                            log.info("scheduler opened %d revision(s), flagged %d overdue step(s), "
                                     "sent %d reminder(s)", len(report.opened), len(report.overdue),
                                     len(report.reminded))
                        elapsed = 0
                    await send_digests(settings)
                    await deliver_pending(settings)
            except Exception:  # keep the loop alive; the next round tries again
                log.exception("scheduler round failed")
            await asyncio.sleep(mail_every)
            elapsed += mail_every
    finally:
        await lock.release()


@contextlib.asynccontextmanager
async def running(settings: Settings):
    """Run the periodic task for the lifetime of the app (disabled when the interval is 0)."""
    if settings.scheduler_interval_seconds <= 0:
        yield
        return
    task = asyncio.create_task(periodic(settings))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
