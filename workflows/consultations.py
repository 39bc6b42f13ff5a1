"""Consultation (høring) during the pedagogical review: the sector office invites staff (and ICT
mentors) of chosen units, levels or subjects to try a proposed resource and answer by a deadline,
rating it from 1 to 5 on a few criteria of the pedagogical checklist and commenting. A level
invites the staff of every unit that has it and those who follow it; a subject, those who follow
it (the catalogue knows no timetables: following a subject is how staff say they teach it). The case waits in its ``consultation`` step
(workflows.definitions) until the reviewer closes it or the deadline passes (the scheduler closes
it then); the summary (counts, averages, comments) is kept in the case for the decision.

The tables are made by migrations/workflows/workflows_0012; this module is called by
workflows.service inside the transaction of the case's action."""

from __future__ import annotations

import datetime
import json
from typing import Annotated, Any, Literal, Optional

import msgspec
from msgspec import Meta, Struct

from catalogue.db import write_transaction
from catalogue.domain import CATALOGUE_INSIDERS, Role
from catalogue.problems import FieldErrors, Problem
from catalogue.search.sql import execute
from catalogue.security.access import Principal
from workflows import audit, notify

TABLES = frozenset({"consultation", "consultation_invite", "consultation_answer"})
CRITERIA = {
    "curriculum_fit": "Passer med læreplanen og undervisningen",
    "ease_of_use": "Lett å ta i bruk for elever og lærere",
    "value_beyond_print": "Gir merverdi utover en trykt bok",
    "universal_design": "Alle elever kan bruke det (universell utforming)",
    "bokmal_nynorsk": "Fungerer på bokmål og nynorsk",
}
Criterion = Literal[tuple(CRITERIA)]  # type: ignore[valid-type]
Rating = Annotated[int, Meta(ge=1, le=5, description="1 (poor) to 5 (very good)")]
MAX_DAYS = 90
INVITED_ROLES = (Role.STAFF.value, Role.ICT_MENTOR.value)
Strict = dict(forbid_unknown_fields=True, kw_only=True)


class ConsultationRequest(Struct, **Strict):
    """What the sector office asks when it sends a resource on consultation."""

    question: Annotated[str, Meta(min_length=1, max_length=2000, description="What the staff should try")]
    deadline: datetime.date
    units: Annotated[list[Annotated[str, Meta(min_length=2, max_length=64)]], Meta(max_length=200)] = \
        msgspec.field(default_factory=list)
    levels: Annotated[list[Annotated[str, Meta(min_length=1, max_length=16)]], Meta(
        max_length=30, description="invite the staff of the units that have these levels and those who follow them")] = \
        msgspec.field(default_factory=list)
    subjects: Annotated[list[Annotated[str, Meta(min_length=1, max_length=16)]], Meta(
        max_length=60, description="invite the staff who follow these subjects")] = msgspec.field(default_factory=list)
    criteria: Annotated[list[Criterion], Meta(min_length=1, max_length=len(CRITERIA))] = msgspec.field(
        default_factory=lambda: list(CRITERIA))


class AnswerRequest(Struct, **Strict):
    ratings: dict[Criterion, Rating]
    comment: Annotated[str, Meta(max_length=5000)] = ""


class CriterionSummary(Struct, kw_only=True):
    criterion: str
    label_nb: str
    answers: int
    average: Optional[float]


class CommentOut(Struct, kw_only=True):
    name: str
    comment: str


class ConsultationOut(Struct, kw_only=True):
    id: int
    case_id: int
    resource_id: int
    resource_name: str
    resource_description: str
    resource_url: str
    state: Literal["open", "closed"]
    question: str
    deadline: datetime.date
    criteria: list[CriterionSummary]
    units: list[str]
    levels: list[str]
    subjects: list[str]
    invited: bool  # the caller
    may_answer: bool
    my_answer: Optional[AnswerRequest]
    # the summary, for the sector office and the case's readers
    invited_count: Optional[int] = None
    answered_count: Optional[int] = None
    response_rate: Optional[float] = None
    comments: Optional[list[CommentOut]] = None


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _marks(count: int) -> str:
    return ", ".join("{}" for _ in range(count))


def check_request(spec: ConsultationRequest | None, today: datetime.date, known: dict[str, set[str]],
                  errors: FieldErrors) -> None:
    """422 naming each field of a consultation request at fault."""
    if spec is None:
        errors.add("consultation", "say what to try, whom to ask and the deadline")
        return
    if not spec.question.strip():
        errors.add("consultation.question", "say what the staff should try")
    if spec.deadline <= today:
        errors.add("consultation.deadline", "the deadline must be after today")
    elif spec.deadline > today + datetime.timedelta(days=MAX_DAYS):
        errors.add("consultation.deadline", f"the deadline may be at most {MAX_DAYS} days ahead")
    if not (spec.units or spec.levels or spec.subjects):
        errors.add("consultation.units", "invite at least one unit, level or subject")
    for field, kind in (("units", "unit"), ("levels", "level"), ("subjects", "subject")):
        for index, code in enumerate(getattr(spec, field)):
            if code not in known[kind]:
                errors.add(f"consultation.{field}[{index}]", f"unknown {kind} {code!r}")


async def invited_people(units: list[str], levels: list[str], subjects: list[str]) -> set[int]:
    """The active staff and ICT mentors a consultation invites: those of the chosen units and of
    every active unit that has a chosen level, and those who follow a chosen level or subject."""
    unit_codes = set(units)
    if levels:
        wanted = set(levels)
        for unit in await execute("SELECT code, levels FROM unit WHERE active = {}", True):
            raw = unit["levels"]
            if wanted & set(json.loads(raw) if isinstance(raw, str) else raw or []):
                unit_codes.add(unit["code"])
    roles = f"r.role IN ({_marks(len(INVITED_ROLES))})"
    people: set[int] = set()
    codes = sorted(unit_codes)
    for start in range(0, len(codes), 300):
        chunk = codes[start:start + 300]
        people |= {p["id"] for p in await execute(
            "SELECT DISTINCT uu.\"user\" AS id FROM user_unit uu JOIN unit ON unit.id = uu.unit"
            " JOIN app_user u ON u.id = uu.\"user\" AND u.active = {}"
            " JOIN user_role r ON r.\"user\" = uu.\"user\""
            f" WHERE unit.code IN ({_marks(len(chunk))}) AND {roles}", True, *chunk, *INVITED_ROLES)}
    topics = [("level", code) for code in levels] + [("subject", code) for code in subjects]
    if topics:
        people |= {p["id"] for p in await execute(
            "SELECT DISTINCT t.\"user\" AS id FROM follow_topic t"
            " JOIN app_user u ON u.id = t.\"user\" AND u.active = {}"
            " JOIN user_role r ON r.\"user\" = t.\"user\""
            f" WHERE ({' OR '.join('(t.kind = {} AND t.code = {})' for _ in topics)}) AND {roles}",
            True, *[v for topic in topics for v in topic], *INVITED_ROLES)}
    return people


async def open_consultation(row: dict[str, Any], spec: ConsultationRequest, principal: Principal) -> int:
    """Start the consultation (inside the case action's transaction): invite the staff and ICT
    mentors of the units, levels and subjects, give each a task and a notification."""
    units = list(dict.fromkeys(spec.units))
    levels, subjects = list(dict.fromkeys(spec.levels)), list(dict.fromkeys(spec.subjects))
    criteria = list(dict.fromkeys(spec.criteria))
    stamp = _now()
    rows = await execute(
        'INSERT INTO consultation ("case", resource, state, question, deadline, criteria, units, levels, subjects,'
        " opened_by, opened_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id", row["id"],
        row["resource"], "open", spec.question.strip(), spec.deadline, json.dumps(criteria), json.dumps(units),
        json.dumps(levels), json.dumps(subjects), principal.label[:200], stamp)
    consultation_id = int(rows[0]["id"])
    invited = sorted(await invited_people(units, levels, subjects) - {principal.user_id})
    for start in range(0, len(invited), 300):
        chunk = invited[start:start + 300]
        await execute('INSERT INTO consultation_invite (consultation, "user", invited_at) VALUES '
                      + ", ".join("({}, {}, {})" for _ in chunk),
                      *[v for user_id in chunk for v in (consultation_id, user_id, stamp)])
    deadline = spec.deadline.strftime("%d.%m.%Y")
    await notify.enqueue(invited, "consultation", f"Høring: prøv {row['title']} innen {deadline}",
                         f"Sektorkontoret ber deg prøve «{row['title']}» og svare innen {deadline}.\n"
                         f"{spec.question.strip()}", link=f"/horinger/{consultation_id}")
    await audit.append("consultation.open", "consultation", consultation_id,
                       {"case_id": row["id"], "units": units, "levels": levels, "subjects": subjects,
                        "invited": len(invited),
                        "deadline": spec.deadline.isoformat()}, actor=principal.label, actor_user_id=principal.user_id)
    return consultation_id


async def _summary(consultation: dict[str, Any]) -> dict[str, Any]:
    criteria = json.loads(consultation["criteria"])
    invited = await execute("SELECT COUNT(*) AS n FROM consultation_invite WHERE consultation = {}", consultation["id"])
    answers = await execute(
        "SELECT a.ratings, a.comment, u.display_name, u.active FROM consultation_answer a"
        " JOIN app_user u ON u.id = a.\"user\" WHERE a.consultation = {} ORDER BY a.answered_at, a.id",
        consultation["id"])
    invited_count = int(invited[0]["n"])
    per: dict[str, list[int]] = {c: [] for c in criteria}
    comments = []
    for answer in answers:
        for criterion, value in json.loads(answer["ratings"]).items():
            per.setdefault(criterion, []).append(int(value))
        if answer["comment"].strip():
            comments.append({"name": answer["display_name"] if answer["active"] else "tidligere ansatt",
                             "comment": answer["comment"]})
    return {
        "consultation_id": consultation["id"], "invited": invited_count, "answered": len(answers),
        "response_rate": round(len(answers) / invited_count, 3) if invited_count else None,
        "criteria": [{"criterion": c, "label_nb": CRITERIA.get(c, c), "answers": len(per.get(c, [])),
                      "average": round(sum(per[c]) / len(per[c]), 2) if per.get(c) else None} for c in criteria],
        "comments": comments, "deadline": _date(consultation["deadline"]).isoformat(),
        "question": consultation["question"], "units": json.loads(consultation["units"]),
        "levels": json.loads(consultation["levels"]), "subjects": json.loads(consultation["subjects"]),
    }


async def close_consultation(case_id: int, principal: Principal) -> dict[str, Any] | None:
    """Close the case's open consultation (inside the case action's transaction); returns its
    summary for the case's record."""
    rows = await execute('SELECT * FROM consultation WHERE "case" = {} AND state = {}', case_id, "open")
    if not rows:
        return None
    consultation = rows[0]
    await execute("UPDATE consultation SET state = {}, closed_by = {}, closed_at = {} WHERE id = {}",
                  "closed", principal.label[:200], _now(), consultation["id"])
    summary = await _summary(consultation)
    summary["closed_by"] = principal.label
    await audit.append("consultation.close", "consultation", consultation["id"],
                       {"case_id": case_id, "invited": summary["invited"], "answered": summary["answered"]},
                       actor=principal.label, actor_user_id=principal.user_id)
    return summary


async def _load(consultation_id: int) -> dict[str, Any]:
    rows = await execute(
        "SELECT c.*, r.name AS resource_name, r.description AS resource_description, r.url AS resource_url"
        " FROM consultation c JOIN resource r ON r.id = c.resource WHERE c.id = {}", consultation_id)
    if not rows:
        raise Problem(404, f"No consultation with id {consultation_id}.")
    return rows[0]


async def _is_invited(consultation_id: int, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return bool(await execute('SELECT 1 AS x FROM consultation_invite WHERE consultation = {} AND "user" = {}',
                              consultation_id, user_id))


def _reads_summary(principal: Principal) -> bool:
    return principal.has_any(CATALOGUE_INSIDERS)


def is_open(row: dict[str, Any], today: datetime.date) -> bool:
    return row["state"] == "open" and _date(row["deadline"]) >= today


async def get_consultation(consultation_id: int, principal: Principal, today: datetime.date) -> ConsultationOut:
    """For the invited (the resource, the question, their answer) and the sector office and other
    insiders (also the summary); 404 for everyone else."""
    row = await _load(consultation_id)
    invited = await _is_invited(consultation_id, principal.user_id)
    if not invited and not _reads_summary(principal):
        raise Problem(404, f"No consultation with id {consultation_id}.")
    mine = await execute('SELECT ratings, comment FROM consultation_answer WHERE consultation = {} AND "user" = {}',
                         consultation_id, principal.user_id or 0)
    summary = await _summary(row)
    out = ConsultationOut(
        id=row["id"], case_id=row["case"], resource_id=row["resource"], resource_name=row["resource_name"],
        resource_description=row["resource_description"] or "", resource_url=row["resource_url"], state=row["state"],
        question=row["question"], deadline=_date(row["deadline"]),
        criteria=[CriterionSummary(**{k: c[k] for k in ("criterion", "label_nb", "answers", "average")})
                  if _reads_summary(principal) else
                  CriterionSummary(criterion=c["criterion"], label_nb=c["label_nb"], answers=0, average=None)
                  for c in summary["criteria"]],
        units=json.loads(row["units"]), levels=json.loads(row["levels"]), subjects=json.loads(row["subjects"]),
        invited=invited, may_answer=invited and is_open(row, today),
        my_answer=msgspec.convert({"ratings": json.loads(mine[0]["ratings"]), "comment": mine[0]["comment"]},
                                  AnswerRequest) if mine else None)
    if _reads_summary(principal):
        out.invited_count, out.answered_count = summary["invited"], summary["answered"]
        out.response_rate = summary["response_rate"]
        out.comments = [CommentOut(**c) for c in summary["comments"]]
    return out


async def answer(consultation_id: int, body: AnswerRequest, principal: Principal, today: datetime.date) -> None:
    """An invited person answers (or changes their answer) while the consultation is open."""
    async with write_transaction():
        row = await _load(consultation_id)
        if not await _is_invited(consultation_id, principal.user_id):
            raise Problem(404, f"No consultation with id {consultation_id}.")
        if not is_open(row, today):
            raise Problem(409, "The consultation is closed; answers are no longer taken.",
                          type_slug="consultation-closed")
        criteria = json.loads(row["criteria"])
        errors = FieldErrors()
        for criterion in criteria:
            if criterion not in body.ratings:
                errors.add(f"ratings.{criterion}", "rate from 1 to 5")
        for criterion in body.ratings:
            if criterion not in criteria:
                errors.add(f"ratings.{criterion}", "not asked in this consultation")
        errors.raise_if_any()
        stamp = _now()
        ratings = json.dumps({c: body.ratings[c] for c in criteria})
        updated = await execute('UPDATE consultation_answer SET ratings = {}, comment = {}, updated_at = {}'
                                ' WHERE consultation = {} AND "user" = {} RETURNING id', ratings,
                                body.comment.strip(), stamp, consultation_id, principal.user_id)
        if not updated:
            await execute('INSERT INTO consultation_answer (consultation, "user", ratings, comment, answered_at,'
                          ' updated_at) VALUES ({}, {}, {}, {}, {}, {})', consultation_id, principal.user_id,
                          ratings, body.comment.strip(), stamp, stamp)
        await audit.append("consultation.answer", "consultation", consultation_id, {"changed": bool(updated)},
                           actor=principal.label, actor_user_id=principal.user_id)


class MyConsultation(Struct, kw_only=True):
    id: int
    resource_name: str
    deadline: datetime.date
    state: str
    answered: bool
    open: bool


async def mine(principal: Principal, today: datetime.date) -> list[MyConsultation]:
    """The consultations the caller is invited to, open ones first (their tasks)."""
    rows = await execute(
        "SELECT c.id, c.state, c.deadline, r.name, (SELECT COUNT(*) FROM consultation_answer a"
        " WHERE a.consultation = c.id AND a.\"user\" = i.\"user\") AS answered"
        " FROM consultation_invite i JOIN consultation c ON c.id = i.consultation JOIN resource r ON r.id = c.resource"
        " WHERE i.\"user\" = {} ORDER BY c.deadline DESC, c.id DESC", principal.user_id or 0)
    out = [MyConsultation(id=r["id"], resource_name=r["name"], deadline=_date(r["deadline"]), state=r["state"],
                          answered=bool(r["answered"]), open=is_open(r, today)) for r in rows]
    out.sort(key=lambda c: (not c.open, c.deadline if c.open else datetime.date.max, -c.id))
    return out


async def due_for_closing(today: datetime.date) -> list[int]:
    """Cases whose consultation's deadline has passed (the scheduler closes them)."""
    rows = await execute('SELECT "case" FROM consultation WHERE state = {} AND deadline < {} ORDER BY id',
                         "open", today)
    return [r["case"] for r in rows]


async def figures(start: datetime.datetime, end: datetime.datetime, unit_code: str | None = None) -> dict[str, Any]:
    """For the annual report: consultations held (opened in the period; for a unit, those its staff
    were invited to), invitations and answers (of the unit's staff, for a unit)."""
    scope, args = "", [start, end]
    people = ""
    if unit_code:
        people = (' AND "user" IN (SELECT uu."user" FROM user_unit uu JOIN unit ON unit.id = uu.unit'
                  " WHERE unit.code = {})")
        scope = f" AND EXISTS (SELECT 1 FROM consultation_invite i WHERE i.consultation = c.id{people})"
    sql = (f"SELECT c.id, (SELECT COUNT(*) FROM consultation_invite i WHERE i.consultation = c.id{people}) AS invited,"
           f" (SELECT COUNT(*) FROM consultation_answer a WHERE a.consultation = c.id{people}) AS answered"
           f" FROM consultation c WHERE c.opened_at >= {{}} AND c.opened_at < {{}}{scope}")
    # the unit's code fills the two counts' placeholders before the period's, and the scope's after
    rows = await execute(sql, unit_code, unit_code, start, end, unit_code) if unit_code else await execute(sql, *args)
    invited = sum(int(r["invited"]) for r in rows)
    answered = sum(int(r["answered"]) for r in rows)
    return {"consultations": len(rows), "invited": invited, "answered": answered,
            "response_rate": round(answered / invited, 3) if invited else None}
