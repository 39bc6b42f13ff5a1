"""Experience sharing: staff write tips on the resources in use (how they used it, for which level
and subject, what worked, what to watch out for), mark each other's tips as useful and report
tips to the moderators. ICT mentors moderate the tips of their own units' staff, the sector office
all of them; a hidden tip keeps its text and the author sees why it was hidden.

Tips are for signed-in people only: nothing here is on a public page or the public API. A tip
whose author has been deactivated stays, attributed to «tidligere ansatt», unless it is deleted on
request (the admin deletes a person's tips). Visible tips are words of their resource's search
document (weighted as the description); every change to what is visible re-indexes the resource
in the same transaction."""

from __future__ import annotations

import datetime
import json
from typing import Annotated, Any, Literal, Optional, Union

import msgspec
import nh3
from msgspec import UNSET, Meta, Struct, UnsetType

from catalogue.db import current_engine, is_sqlite, write_transaction
from catalogue.domain import Role
from catalogue.etags import stale
from catalogue.markdown_text import render
from catalogue.problems import FieldErrors, Problem
from catalogue.resources import get_resource, known_codes
from catalogue.schemas import CompetenceAim
from catalogue.search import index_resource, index_resources
from catalogue.search.sql import execute
from catalogue.security.access import Principal
from workflows import audit, notify
from catalogue.timestamps import as_utc as _stamp, utcnow as _now

TABLES = frozenset({"resource_tip", "tip_useful", "tip_report"})  # made by migrations/catalogue/catalogue_0012
FORMER_STAFF = "tidligere ansatt"
IN_USE = ("published", "phasing_out")
MODERATORS_OF_ALL = frozenset({Role.SECTOR_REVIEWER.value, Role.ADMIN.value})
BODY_MAX = 5000
PART_MAX = 2000
REASON_MAX = 2000
MODERATION_PAGE = "/erfaringer"

Strict = dict(forbid_unknown_fields=True, kw_only=True)
Body = Annotated[str, Meta(max_length=BODY_MAX, description="How the resource was used: plain text or Markdown")]
Part = Annotated[str, Meta(max_length=PART_MAX)]
Codes = Annotated[list[Annotated[str, Meta(min_length=1, max_length=16)]], Meta(max_length=20)]
Aims = Annotated[list[CompetenceAim], Meta(max_length=20)]
Reason = Annotated[str, Meta(max_length=REASON_MAX)]


class TipCreate(Struct, **Strict):
    body: Body
    worked: Part = ""
    watch_out: Part = ""
    levels: Codes = []
    subjects: Codes = []
    competence_aims: Aims = []


class TipPatch(Struct, **Strict):
    body: Union[Body, UnsetType] = UNSET
    worked: Union[Part, UnsetType] = UNSET
    watch_out: Union[Part, UnsetType] = UNSET
    levels: Union[Codes, UnsetType] = UNSET
    subjects: Union[Codes, UnsetType] = UNSET
    competence_aims: Union[Aims, UnsetType] = UNSET


class ModerationRequest(Struct, **Strict):
    reason: Reason


class ReportCreate(Struct, **Strict):
    reason: Reason


class TipAuthor(Struct, kw_only=True):
    id: Optional[int]  # None once the author is deactivated: the tip is «tidligere ansatt»'s
    name: str


class TipOut(Struct, kw_only=True):
    id: int
    resource_id: int
    author: TipAuthor
    body: str
    body_html: str
    worked: str
    worked_html: str
    watch_out: str
    watch_out_html: str
    levels: list[str]
    subjects: list[str]
    competence_aims: list[str]
    status: Literal["visible", "hidden"]
    hidden_reason: Optional[str]  # shown to the author and the moderators
    useful_count: int
    marked_useful: bool  # by the caller
    mine: bool
    may_mark_useful: bool
    may_moderate: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime
    version: int


class TipPage(Struct, kw_only=True):
    items: list[TipOut]
    total: int
    limit: int
    offset: int


class ReportOut(Struct, kw_only=True):
    id: int
    tip_id: int
    resource_id: int
    resource_name: str
    reason: str
    reporter: str
    created_at: datetime.datetime
    tip: TipOut


class ModerationQueue(Struct, kw_only=True):
    reports: list[ReportOut]
    hidden: list[TipOut]


def _list(value: Any) -> list[str]:
    if not value:
        return []
    return list(value) if isinstance(value, list) else json.loads(value)


def _marks(count: int) -> str:
    return ", ".join("{}" for _ in range(count))


# --- who may do what ------------------------------------------------------------------------------


async def units_of(user_ids: list[int]) -> dict[int, set[str]]:
    """The units each author serves (an ICT mentor moderates the tips of their own units' staff)."""
    wanted = sorted({i for i in user_ids if i})
    if not wanted:
        return {}
    rows = await execute("SELECT uu.\"user\" AS id, unit.code FROM user_unit uu JOIN unit ON unit.id = uu.unit"
                         f" WHERE uu.\"user\" IN ({_marks(len(wanted))})", *wanted)
    found: dict[int, set[str]] = {}
    for row in rows:
        found.setdefault(row["id"], set()).add(row["code"])
    return found


def may_moderate(principal: Principal, author_units: set[str]) -> bool:
    if principal.has_any(MODERATORS_OF_ALL):
        return True
    return Role.ICT_MENTOR.value in principal.roles and bool(author_units & principal.unit_codes)


def moderates_any(principal: Principal) -> bool:
    return principal.has_any(MODERATORS_OF_ALL) or (
        Role.ICT_MENTOR.value in principal.roles and bool(principal.unit_codes))


# --- reading --------------------------------------------------------------------------------------

_SELECT = ("SELECT t.*, u.display_name AS author_name, u.active AS author_active FROM resource_tip t"
           " LEFT JOIN app_user u ON u.id = t.author")


async def _outs(rows: list[dict[str, Any]], principal: Principal) -> list[TipOut]:
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    if "marked_by_me" in rows[0]:  # asked with the rows (list_tips)
        marked = {r["id"] for r in rows if r["marked_by_me"]}
    else:
        marked = {r["tip"] for r in await execute(
            f"SELECT tip FROM tip_useful WHERE \"user\" = {{}} AND tip IN ({_marks(len(ids))})",
            principal.user_id, *ids)} if principal.user_id else set()
    units = await units_of([r["author"] for r in rows]) if not principal.has_any(MODERATORS_OF_ALL) \
        and Role.ICT_MENTOR.value in principal.roles else {}
    out = []
    for r in rows:
        mine = r["author"] is not None and r["author"] == principal.user_id
        moderator = may_moderate(principal, units.get(r["author"], set()))
        active = bool(r["author_active"]) and r["author"] is not None
        out.append(TipOut(
            id=r["id"], resource_id=r["resource"],
            author=TipAuthor(id=r["author"] if active else None,
                             name=(r["author_name"] or FORMER_STAFF) if active else FORMER_STAFF),
            body=r["body"], body_html=r["body_html"], worked=r["worked"], worked_html=r["worked_html"],
            watch_out=r["watch_out"], watch_out_html=r["watch_out_html"], levels=_list(r["levels"]),
            subjects=_list(r["subjects"]), competence_aims=_list(r["competence_aims"]), status=r["status"],
            hidden_reason=r["hidden_reason"] if (mine or moderator) else None, useful_count=r["useful_count"],
            marked_useful=r["id"] in marked, mine=mine, may_mark_useful=not mine and r["status"] == "visible",
            may_moderate=moderator and not mine, created_at=_stamp(r["created_at"]),
            updated_at=_stamp(r["updated_at"]), version=r["version"]))
    return out


async def list_tips(resource_id: int, principal: Principal, *, level: str | None = None,
                    subject: str | None = None, limit: int = 50, offset: int = 0, seen: bool = False) -> TipPage:
    """The tips on a resource the caller may see, the most useful first: every visible tip, and
    the caller's own hidden ones (with the reason). ``seen``: the caller has just been shown the
    resource (its page), so it is not looked up again."""
    if not seen:
        await get_resource(resource_id, principal)  # 404 when the resource is hidden from the caller
    clauses = ["t.resource = {}", "(t.status = {} OR t.author = {})"]
    args: list[Any] = [resource_id, "visible", principal.user_id or 0]
    if level:
        clauses.append("t.levels LIKE {}")
        args.append(f'%"{level}"%')
    if subject:
        clauses.append("t.subjects LIKE {}")
        args.append(f'%"{subject}"%')
    where = " AND ".join(clauses)
    # the page and the count of all in one statement; past the end, the count is asked on its own
    columns = ("SELECT COUNT(*) OVER () AS n_all, EXISTS(SELECT 1 FROM tip_useful m WHERE m.tip = t.id"
               " AND m.\"user\" = {}) AS marked_by_me, ")
    rows = await execute(f"{_SELECT.replace('SELECT ', columns, 1)} WHERE {where}"
                         " ORDER BY t.useful_count DESC, t.created_at DESC, t.id DESC LIMIT {} OFFSET {}",
                         principal.user_id or 0, *args, limit, offset)
    if rows:
        total = int(rows[0]["n_all"])
    elif offset:
        total = int((await execute(f"SELECT COUNT(*) AS n FROM resource_tip t WHERE {where}", *args))[0]["n"])
    else:
        total = 0
    return TipPage(items=await _outs(rows, principal), total=total, limit=limit, offset=offset)


async def _row(tip_id: int) -> dict[str, Any] | None:
    rows = await execute(f"{_SELECT} WHERE t.id = {{}}", tip_id)
    return rows[0] if rows else None


async def _visible_row(tip_id: int, principal: Principal) -> tuple[dict[str, Any], set[str]]:
    """The tip and its author's units; 404 when the caller may not see the tip or its resource."""
    row = await _row(tip_id)
    if row is None:
        raise Problem(404, f"No tip with id {tip_id}.")
    try:
        await get_resource(row["resource"], principal)
    except Problem:
        raise Problem(404, f"No tip with id {tip_id}.") from None
    units = (await units_of([row["author"]])).get(row["author"], set()) if row["author"] else set()
    if row["status"] != "visible" and row["author"] != principal.user_id and not may_moderate(principal, units):
        raise Problem(404, f"No tip with id {tip_id}.")
    return row, units


async def get_tip(tip_id: int, principal: Principal) -> TipOut:
    row, _ = await _visible_row(tip_id, principal)
    return (await _outs([row], principal))[0]


# --- writing --------------------------------------------------------------------------------------


async def _check(values: dict[str, Any], errors: FieldErrors) -> None:
    if "body" in values and not values["body"].strip():
        errors.add("body", "write how you used the resource")
    codes = await known_codes()
    for field, kind in (("levels", "level"), ("subjects", "subject")):
        for index, code in enumerate(values.get(field) or []):
            if code not in codes[kind]:
                errors.add(f"{field}[{index}]", f"unknown {kind} {code!r}")


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for field in ("body", "worked", "watch_out"):
        if field in values:
            text = values[field].strip()
            columns[field] = text
            columns[f"{field}_html"] = render(text) if text else ""
    for field in ("levels", "subjects", "competence_aims"):
        if field in values:
            columns[field] = json.dumps(list(dict.fromkeys(values[field])))
    return columns


async def create_tip(resource_id: int, body: TipCreate, principal: Principal) -> int:
    """A signed-in person's tip on a resource in use; 422 naming each field at fault."""
    resource = await get_resource(resource_id, principal)
    if resource.status not in IN_USE:
        raise Problem(409, "Tips are shared on resources in use only.", type_slug="resource-not-in-use")
    values = msgspec.to_builtins(body)
    errors = FieldErrors()
    await _check(values, errors)
    errors.raise_if_any()
    columns = _columns(values)
    stamp = _now()
    async with write_transaction():
        names = list(columns)
        rows = await execute(
            f"INSERT INTO resource_tip (resource, author, {', '.join(names)}, status, useful_count, version,"
            f" created_at, updated_at) VALUES ({{}}, {{}}, {_marks(len(names))}, {{}}, 0, 1, {{}}, {{}}) RETURNING id",
            resource_id, principal.user_id, *columns.values(), "visible", stamp, stamp)
        tip_id = int(rows[0]["id"])
        await audit.append("tip.create", "tip", tip_id, {"resource_id": resource_id},
                           actor=principal.label, actor_user_id=principal.user_id)
        await index_resource(resource_id)
    return tip_id


def _check_version(row: dict[str, Any], expected: int | None) -> None:
    if expected is not None and row["version"] != expected:
        raise stale("tip")


async def update_tip(tip_id: int, patch: TipPatch, principal: Principal, expected_version: int | None) -> None:
    """The author edits their own tip (a hidden tip stays hidden until a moderator restores it)."""
    values = {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not UNSET}
    errors = FieldErrors()
    await _check(values, errors)
    errors.raise_if_any()
    async with write_transaction():
        row, _ = await _visible_row(tip_id, principal)
        if row["author"] != principal.user_id:
            raise Problem(403, "Only the author edits a tip.", type_slug="not-your-tip")
        _check_version(row, expected_version)
        columns = _columns(values)
        sets = ", ".join(f"{name} = {{}}" for name in columns)
        updated = await execute(
            f"UPDATE resource_tip SET {sets + ', ' if sets else ''}version = version + 1, updated_at = {{}}"
            " WHERE id = {} AND version = {} RETURNING id", *columns.values(), _now(), tip_id, row["version"])
        if not updated:
            raise stale("tip")
        await audit.append("tip.edit", "tip", tip_id, {"fields": sorted(values)},
                           actor=principal.label, actor_user_id=principal.user_id)
        await index_resource(row["resource"])


async def delete_tip(tip_id: int, principal: Principal) -> None:
    """The author deletes their own tip, or the admin does it on the author's request."""
    async with write_transaction():
        row, _ = await _visible_row(tip_id, principal)
        if row["author"] != principal.user_id and Role.ADMIN.value not in principal.roles:
            raise Problem(403, "Only the author (or the admin, on their request) deletes a tip.",
                          type_slug="not-your-tip")
        await execute("DELETE FROM resource_tip WHERE id = {}", tip_id)
        await audit.append("tip.delete", "tip", tip_id, {"resource_id": row["resource"], "author": row["author"]},
                           actor=principal.label, actor_user_id=principal.user_id)
        await index_resource(row["resource"])


async def delete_tips_of(user_id: int, principal: Principal) -> int:
    """Delete every tip a person wrote (on their request, after they have left); returns how many."""
    async with write_transaction():
        rows = await execute("DELETE FROM resource_tip WHERE author = {} RETURNING id, resource", user_id)
        if rows:
            await audit.append("tip.delete_all", "user", user_id, {"tips": len(rows)},
                               actor=principal.label, actor_user_id=principal.user_id)
            await index_resources(sorted({r["resource"] for r in rows}))
    return len(rows)


def _is_duplicate(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return "unique" in text


async def mark_useful(tip_id: int, principal: Principal) -> int:
    """Mark someone else's tip as useful, once; returns the tip's count of marks."""
    try:
        async with write_transaction():
            row, _ = await _visible_row(tip_id, principal)
            if row["status"] != "visible":
                raise Problem(409, "A hidden tip cannot be marked.", type_slug="tip-hidden")
            if row["author"] == principal.user_id:
                raise Problem(409, "You cannot mark your own tip as useful.", type_slug="own-tip")
            if await execute("SELECT 1 AS x FROM tip_useful WHERE tip = {} AND \"user\" = {}", tip_id,
                             principal.user_id):
                raise Problem(409, "You have already marked this tip as useful.", type_slug="already-marked")
            await execute("INSERT INTO tip_useful (tip, \"user\", created_at) VALUES ({}, {}, {})", tip_id,
                          principal.user_id, _now())
            rows = await execute("UPDATE resource_tip SET useful_count = useful_count + 1 WHERE id = {}"
                                 " RETURNING useful_count", tip_id)
    except Problem:
        raise
    except Exception as exc:
        if _is_duplicate(exc):  # the same person marking twice at once: one mark counts
            raise Problem(409, "You have already marked this tip as useful.", type_slug="already-marked") from None
        raise
    return int(rows[0]["useful_count"])


async def unmark_useful(tip_id: int, principal: Principal) -> int:
    async with write_transaction():
        row, _ = await _visible_row(tip_id, principal)
        removed = await execute("DELETE FROM tip_useful WHERE tip = {} AND \"user\" = {} RETURNING id", tip_id,
                                principal.user_id)
        if not removed:
            return int(row["useful_count"])
        rows = await execute("UPDATE resource_tip SET useful_count = useful_count - 1 WHERE id = {}"
                             " RETURNING useful_count", tip_id)
    return int(rows[0]["useful_count"])


async def _moderators_for(author_units: set[str]) -> list[int]:
    """Who hears of a report: the ICT mentors of the author's units and the sector office."""
    ids = set(await notify.users_with_role(Role.SECTOR_REVIEWER.value))
    if author_units:
        codes = sorted(author_units)
        rows = await execute(
            "SELECT DISTINCT uu.\"user\" AS id FROM user_unit uu JOIN unit ON unit.id = uu.unit"
            " JOIN user_role r ON r.\"user\" = uu.\"user\" AND r.role = {}"
            f" WHERE unit.code IN ({_marks(len(codes))})", Role.ICT_MENTOR.value, *codes)
        ids.update(r["id"] for r in rows)
    return sorted(ids)


async def report_tip(tip_id: int, body: ReportCreate, principal: Principal) -> int:
    """Anyone signed in may report a tip to its moderators, with a reason; one open report each."""
    reason = body.reason.strip()
    if not reason:
        raise Problem(422, "reason: say what is wrong with the tip",
                      errors=[{"field": "reason", "message": "say what is wrong with the tip"}])
    try:
        async with write_transaction():
            row, units = await _visible_row(tip_id, principal)
            if row["author"] == principal.user_id:
                raise Problem(409, "Edit or delete your own tip instead of reporting it.", type_slug="own-tip")
            if row["status"] != "visible":
                raise Problem(409, "The tip is already hidden.", type_slug="tip-hidden")
            if await execute("SELECT 1 AS x FROM tip_report WHERE tip = {} AND reporter = {} AND status = {}",
                             tip_id, principal.user_id, "open"):
                raise Problem(409, "You have already reported this tip.", type_slug="already-reported")
            rows = await execute("INSERT INTO tip_report (tip, reporter, reason, status, created_at)"
                                 " VALUES ({}, {}, {}, {}, {}) RETURNING id", tip_id, principal.user_id, reason,
                                 "open", _now())
            report_id = int(rows[0]["id"])
            await audit.append("tip.report", "tip", tip_id, {"report_id": report_id},
                               actor=principal.label, actor_user_id=principal.user_id)
            resource = await execute("SELECT name FROM resource WHERE id = {}", row["resource"])
            await notify.enqueue([i for i in await _moderators_for(units) if i != row["author"]], "tip_report",
                                 f"Tips meldt: {resource[0]['name']}",
                                 f"Et tips om «{resource[0]['name']}» er meldt til moderering.\nBegrunnelse: {reason}",
                                 link=MODERATION_PAGE)
    except Problem:
        raise
    except Exception as exc:
        if _is_duplicate(exc):
            raise Problem(409, "You have already reported this tip.", type_slug="already-reported") from None
        raise
    return report_id


async def _moderated_row(tip_id: int, principal: Principal) -> dict[str, Any]:
    row, units = await _visible_row(tip_id, principal)
    if not may_moderate(principal, units):
        raise Problem(403, "You moderate the tips of your own units' staff only.", type_slug="outside-your-units")
    if row["author"] == principal.user_id:
        raise Problem(403, "Someone else moderates your own tips.", type_slug="own-tip")
    return row


async def hide_tip(tip_id: int, body: ModerationRequest, principal: Principal) -> None:
    """Hide a tip with a reason the author sees; its open reports are settled."""
    reason = body.reason.strip()
    if not reason:
        raise Problem(422, "reason: say why the tip is hidden",
                      errors=[{"field": "reason", "message": "say why the tip is hidden"}])
    async with write_transaction():
        row = await _moderated_row(tip_id, principal)
        if row["status"] == "hidden":
            raise Problem(409, "The tip is already hidden.", type_slug="tip-hidden")
        stamp = _now()
        await execute("UPDATE resource_tip SET status = {}, hidden_reason = {}, hidden_by = {}, hidden_at = {},"
                      " version = version + 1 WHERE id = {}", "hidden", reason, principal.label[:200], stamp, tip_id)
        await execute("UPDATE tip_report SET status = {}, handled_by = {}, handled_at = {}"
                      " WHERE tip = {} AND status = {}", "upheld", principal.label[:200], stamp, tip_id, "open")
        await audit.append("tip.hide", "tip", tip_id, {"reason": reason, "resource_id": row["resource"]},
                           actor=principal.label, actor_user_id=principal.user_id)
        resource = await execute("SELECT name FROM resource WHERE id = {}", row["resource"])
        await notify.enqueue([row["author"]], "tip_hidden", f"Tipset ditt er skjult: {resource[0]['name']}",
                             f"Tipset ditt om «{resource[0]['name']}» er skjult av en moderator.\n"
                             f"Begrunnelse: {reason}\nDu kan endre tipset eller slette det.",
                             link=f"/ressurser/{row['resource']}#tips")
        await index_resource(row["resource"])


async def restore_tip(tip_id: int, principal: Principal) -> None:
    async with write_transaction():
        row = await _moderated_row(tip_id, principal)
        if row["status"] == "visible":
            raise Problem(409, "The tip is not hidden.", type_slug="tip-visible")
        await execute("UPDATE resource_tip SET status = {}, hidden_reason = NULL, hidden_by = NULL, hidden_at = NULL,"
                      " version = version + 1 WHERE id = {}", "visible", tip_id)
        await audit.append("tip.restore", "tip", tip_id, {"resource_id": row["resource"]},
                           actor=principal.label, actor_user_id=principal.user_id)
        resource = await execute("SELECT name FROM resource WHERE id = {}", row["resource"])
        await notify.enqueue([row["author"]], "tip_restored", f"Tipset ditt vises igjen: {resource[0]['name']}",
                             f"Tipset ditt om «{resource[0]['name']}» vises igjen.",
                             link=f"/ressurser/{row['resource']}#tips")
        await index_resource(row["resource"])


async def dismiss_report(report_id: int, principal: Principal) -> None:
    """The moderator finds nothing wrong with the tip: the report is closed, the tip stays."""
    async with write_transaction():
        rows = await execute("SELECT id, tip, status FROM tip_report WHERE id = {}", report_id)
        if not rows:
            raise Problem(404, f"No report with id {report_id}.")
        await _moderated_row(rows[0]["tip"], principal)
        if rows[0]["status"] != "open":
            raise Problem(409, "The report is already handled.", type_slug="report-handled")
        await execute("UPDATE tip_report SET status = {}, handled_by = {}, handled_at = {} WHERE id = {}",
                      "dismissed", principal.label[:200], _now(), report_id)
        await audit.append("tip.report_dismissed", "tip", rows[0]["tip"], {"report_id": report_id},
                           actor=principal.label, actor_user_id=principal.user_id)


async def moderation_queue(principal: Principal) -> ModerationQueue:
    """Open reports and hidden tips the caller moderates (their units' staff, or everyone's); empty
    for an ICT mentor who serves no unit yet."""
    report_rows = await execute(
        "SELECT p.id, p.tip, p.reason, p.created_at, u.display_name AS reporter_name, u.active AS reporter_active"
        " FROM tip_report p LEFT JOIN app_user u ON u.id = p.reporter WHERE p.status = {} ORDER BY p.id", "open")
    hidden_rows = await execute(f"{_SELECT} WHERE t.status = {{}} ORDER BY t.hidden_at DESC, t.id DESC", "hidden")
    tip_ids = sorted({r["tip"] for r in report_rows})
    tips = {r["id"]: r for r in (await execute(f"{_SELECT} WHERE t.id IN ({_marks(len(tip_ids))})", *tip_ids)
                                 if tip_ids else [])}
    tips.update({r["id"]: r for r in hidden_rows})
    units = await units_of([r["author"] for r in tips.values()])
    allowed = {i for i, r in tips.items() if may_moderate(principal, units.get(r["author"], set()))
               and r["author"] != principal.user_id}
    outs = {t.id: t for t in await _outs([tips[i] for i in sorted(allowed)], principal)}
    names = {r["id"]: r["name"] for r in await execute(
        f"SELECT id, name FROM resource WHERE id IN ({_marks(len(outs))})", *[t.resource_id for t in outs.values()])
    } if outs else {}
    reports = [ReportOut(id=r["id"], tip_id=r["tip"], resource_id=outs[r["tip"]].resource_id,
                         resource_name=names.get(outs[r["tip"]].resource_id, ""), reason=r["reason"],
                         reporter=(r["reporter_name"] or FORMER_STAFF) if r["reporter_active"] else FORMER_STAFF,
                         created_at=_stamp(r["created_at"]), tip=outs[r["tip"]])
               for r in report_rows if r["tip"] in outs and outs[r["tip"]].status == "visible"]
    hidden = [outs[r["id"]] for r in hidden_rows if r["id"] in outs]
    return ModerationQueue(reports=reports, hidden=hidden)


async def resource_names(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await execute(f"SELECT id, name FROM resource WHERE id IN ({_marks(len(ids))})", *ids)
    return {r["id"]: r["name"] for r in rows}


# --- the search's text source ---------------------------------------------------------------------

_tables_ready = False


async def _ready() -> bool:
    """Whether migration catalogue_0012 has made the tables (an older migration may re-index first)."""
    global _tables_ready
    if not _tables_ready:
        if is_sqlite(current_engine()):
            rows = await execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'resource_tip'")
        else:
            rows = await execute("SELECT to_regclass('resource_tip') AS name")
            rows = [r for r in rows if r["name"]]
        _tables_ready = bool(rows)
    return _tables_ready


async def search_text(ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """The words of the visible tips of each resource, for its search document ("body": weighted
    as the description, below the name, vendor and tags)."""
    if not ids or not await _ready():
        return {}
    rows = await execute(f"SELECT resource, body_html, worked_html, watch_out_html FROM resource_tip"
                         f" WHERE status = {{}} AND resource IN ({_marks(len(ids))})", "visible", *ids)
    found: dict[int, dict[str, list[str]]] = {}
    for row in rows:
        texts = found.setdefault(row["resource"], {"body": []})["body"]
        for column in ("body_html", "worked_html", "watch_out_html"):
            if row[column]:
                texts.append(nh3.clean(row[column], tags=set()))
    return found
