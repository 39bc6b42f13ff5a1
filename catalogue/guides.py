"""Getting started with a resource («Kom i gang»): the sector office keeps a short guide per
resource (how to get access, how to log in, the first lesson, links to the vendor's own guides),
and each unit's ICT mentors add a note for their own unit («spør IKT-veilederen om klassekoder»).

Both are for signed-in staff: the guide speaks of the municipality's own routines (licences,
Feide groups, who to ask), which are not for the public page. A member of staff sees the guide and
the notes of their own units; the sector office and the admin see every unit's note. Text is plain
or the small safe subset of Markdown of catalogue.markdown_text; links are http or https only.
Every change is audited in the same transaction.

The competence overview for an ICT mentor is here too: for a unit, the resources in use there and
the staff who have shared tips (how many, the latest), to plan the unit's network meetings."""

from __future__ import annotations

import datetime
import json
from typing import Annotated, Any, Optional
from urllib.parse import urlsplit

from msgspec import Meta, Struct

from catalogue.db import write_transaction
from catalogue.domain import Role
from catalogue.etags import stale
from catalogue.markdown_text import render
from catalogue.problems import FieldErrors, Problem
from catalogue.resources import get_resource
from catalogue.search.sql import execute
from catalogue.security.access import Principal
from workflows import audit
from catalogue.timestamps import as_utc as _stamp, utcnow as _now

TABLES = frozenset({"resource_guide", "resource_unit_note"})  # made by migrations/catalogue/catalogue_0013
GUIDE_EDITORS = frozenset({Role.SECTOR_REVIEWER.value, Role.ADMIN.value})
SEES_EVERY_UNIT = frozenset({Role.SECTOR_REVIEWER.value, Role.ADMIN.value})
IN_USE = ("published", "phasing_out")
PART_MAX = 4000
NOTE_MAX = 2000
LINKS_MAX = 10
URL_MAX = 2048
TITLE_MAX = 200

Strict = dict(forbid_unknown_fields=True, kw_only=True)
Part = Annotated[str, Meta(max_length=PART_MAX)]


class GuideLink(Struct, **Strict):
    title: Annotated[str, Meta(max_length=TITLE_MAX, description="What the link is, e.g. «Leverandørens brukerveiledning»")]
    url: Annotated[str, Meta(max_length=URL_MAX, description="http or https")]


class GuideIn(Struct, **Strict):
    access: Part = ""
    login: Part = ""
    first_lesson: Part = ""
    links: Annotated[list[GuideLink], Meta(max_length=LINKS_MAX)] = []


class GuideOut(Struct, kw_only=True):
    resource_id: int
    access: str
    access_html: str
    login: str
    login_html: str
    first_lesson: str
    first_lesson_html: str
    links: list[GuideLink]
    version: int
    updated_by: str
    updated_at: datetime.datetime


class NoteIn(Struct, **Strict):
    body: Annotated[str, Meta(max_length=NOTE_MAX, description="Plain text or the small safe subset of Markdown")]


class NoteUnit(Struct, kw_only=True):
    code: str
    name: str


class NoteOut(Struct, kw_only=True):
    resource_id: int
    unit: NoteUnit
    body: str
    body_html: str
    version: int
    updated_by: str
    updated_at: datetime.datetime
    may_edit: bool


class CompetenceResource(Struct, kw_only=True):
    id: int
    name: str
    in_base_package: bool
    tips_from_unit: int  # visible tips by the unit's staff on this resource
    has_unit_note: bool


class Contributor(Struct, kw_only=True):
    user_id: int
    name: str
    tip_count: int
    latest_at: datetime.datetime
    latest_resource_id: int
    latest_resource_name: str


class Competence(Struct, kw_only=True):
    unit: NoteUnit
    resources: list[CompetenceResource]
    contributors: list[Contributor]


def _html(text: str) -> str:
    return render(text) if text else ""


def valid_url(url: str) -> bool:
    """An absolute http or https address with a host, no spaces and no credentials in it."""
    if not url or any(c.isspace() for c in url) or any(ord(c) < 32 for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "@" not in parts.netloc


# --- the guide ------------------------------------------------------------------------------------


def _guide_out(row: dict[str, Any]) -> GuideOut:
    links = [GuideLink(title=link["title"], url=link["url"]) for link in json.loads(row["links"] or "[]")]
    return GuideOut(resource_id=row["resource"], access=row["access"], access_html=row["access_html"],
                    login=row["login"], login_html=row["login_html"], first_lesson=row["first_lesson"],
                    first_lesson_html=row["first_lesson_html"], links=links, version=row["version"],
                    updated_by=row["updated_by"], updated_at=_stamp(row["updated_at"]))


async def _guide_row(resource_id: int) -> dict[str, Any] | None:
    rows = await execute("SELECT * FROM resource_guide WHERE resource = {}", resource_id)
    return rows[0] if rows else None


async def find_guide(resource_id: int, principal: Principal, *, seen: bool = False) -> GuideOut | None:
    """The guide, if there is one; ``seen``: the caller has just been shown the resource."""
    if not seen:
        await get_resource(resource_id, principal)  # 404 when the resource is hidden from the caller
    row = await _guide_row(resource_id)
    return _guide_out(row) if row else None


async def get_guide(resource_id: int, principal: Principal) -> GuideOut:
    guide = await find_guide(resource_id, principal)
    if guide is None:
        raise Problem(404, f"Resource {resource_id} has no getting-started guide yet.", type_slug="no-guide")
    return guide


def _check_guide(body: GuideIn) -> dict[str, Any]:
    errors = FieldErrors()
    texts = {name: getattr(body, name).strip() for name in ("access", "login", "first_lesson")}
    links = []
    for index, link in enumerate(body.links):
        title, url = link.title.strip(), link.url.strip()
        if not title:
            errors.add(f"links[{index}].title", "say what the link is")
        if not valid_url(url):
            errors.add(f"links[{index}].url", "an http or https address, such as https://leverandor.no/hjelp")
        links.append({"title": title, "url": url})
    if not any(texts.values()) and not links:
        errors.add("access", "write at least one part of the guide, or add a link")
    errors.raise_if_any()
    return {**texts, "links": links}


async def save_guide(resource_id: int, body: GuideIn, principal: Principal, expected_version: int | None) -> GuideOut:
    """Write or rewrite the guide. Without ``expected_version`` it may only be created (428 when a
    guide exists: read it first); with it, the guide must still be at that version (412)."""
    values = _check_guide(body)
    columns = {"access": values["access"], "access_html": _html(values["access"]), "login": values["login"],
               "login_html": _html(values["login"]), "first_lesson": values["first_lesson"],
               "first_lesson_html": _html(values["first_lesson"]),
               "links": json.dumps(values["links"], ensure_ascii=False)}
    await get_resource(resource_id, principal)
    stamp = _now()
    async with write_transaction():
        row = await _guide_row(resource_id)
        if row is None:
            if expected_version not in (None, 0):
                raise stale("guide")
            names = list(columns)
            await execute(f"INSERT INTO resource_guide (resource, {', '.join(names)}, version, updated_by, updated_at)"
                          f" VALUES ({{}}, {', '.join('{}' for _ in names)}, 1, {{}}, {{}})",
                          resource_id, *columns.values(), principal.label[:200], stamp)
            action = "guide.create"
        else:
            if expected_version is None:
                raise Problem(428, "The guide exists: send If-Match with the ETag from your last read.",
                              errors=[{"field": "If-Match", "message": "required"}])
            if expected_version != row["version"]:
                raise stale("guide")
            sets = ", ".join(f"{name} = {{}}" for name in columns)
            updated = await execute(
                f"UPDATE resource_guide SET {sets}, version = version + 1, updated_by = {{}}, updated_at = {{}}"
                " WHERE resource = {} AND version = {} RETURNING id", *columns.values(), principal.label[:200],
                stamp, resource_id, row["version"])
            if not updated:
                raise stale("guide")
            action = "guide.update"
        changed = sorted(k for k in ("access", "login", "first_lesson", "links")
                         if row is None or (row[k] != columns[k]))
        await audit.append(action, "resource", resource_id, {"fields": changed},
                           actor=principal.label, actor_user_id=principal.user_id)
    return _guide_out(await _guide_row(resource_id))


# --- the units' notes -----------------------------------------------------------------------------


async def _unit(code: str) -> dict[str, Any]:
    rows = await execute("SELECT id, code, name FROM unit WHERE code = {}", code)
    if not rows:
        raise Problem(404, f"No unit with code {code!r}.")
    return rows[0]


def sees_unit(principal: Principal, code: str) -> bool:
    return principal.has_any(SEES_EVERY_UNIT) or code in principal.unit_codes


def edits_unit(principal: Principal, code: str) -> bool:
    """The ICT mentors of the unit write its notes (and the admin, who runs the service)."""
    return Role.ADMIN.value in principal.roles or (
        Role.ICT_MENTOR.value in principal.roles and code in principal.unit_codes)


_NOTE_SELECT = ("SELECT n.*, unit.code AS unit_code, unit.name AS unit_name FROM resource_unit_note n"
                " JOIN unit ON unit.id = n.unit")


def _note_out(row: dict[str, Any], principal: Principal) -> NoteOut:
    return NoteOut(resource_id=row["resource"], unit=NoteUnit(code=row["unit_code"], name=row["unit_name"]),
                   body=row["body"], body_html=row["body_html"], version=row["version"],
                   updated_by=row["updated_by"], updated_at=_stamp(row["updated_at"]),
                   may_edit=edits_unit(principal, row["unit_code"]))


async def list_notes(resource_id: int, principal: Principal, *, seen: bool = False) -> list[NoteOut]:
    """The notes the caller sees: those of their own units (the sector office and admin: all)."""
    if not seen:
        await get_resource(resource_id, principal)
    rows = await execute(f"{_NOTE_SELECT} WHERE n.resource = {{}} ORDER BY unit.name, unit.code", resource_id)
    return [_note_out(r, principal) for r in rows if sees_unit(principal, r["unit_code"])]


async def _note_row(resource_id: int, unit_id: int) -> dict[str, Any] | None:
    rows = await execute(f"{_NOTE_SELECT} WHERE n.resource = {{}} AND n.unit = {{}}", resource_id, unit_id)
    return rows[0] if rows else None


async def find_note(resource_id: int, code: str, principal: Principal) -> tuple[dict[str, Any], NoteOut | None]:
    """The unit and its note (None when not written yet); 404 for a unit the caller does not see."""
    await get_resource(resource_id, principal)
    unit = await _unit(code)
    if not sees_unit(principal, code):
        raise Problem(404, f"No note of unit {code!r} for you.")
    row = await _note_row(resource_id, unit["id"])
    return unit, (_note_out(row, principal) if row else None)


async def get_note(resource_id: int, code: str, principal: Principal) -> NoteOut:
    _, note = await find_note(resource_id, code, principal)
    if note is None:
        raise Problem(404, f"Unit {code!r} has no note on resource {resource_id}.", type_slug="no-note")
    return note


async def _editable_unit(resource_id: int, code: str, principal: Principal) -> dict[str, Any]:
    await get_resource(resource_id, principal)
    unit = await _unit(code)
    if not edits_unit(principal, code):
        raise Problem(403, "ICT mentors write the notes of their own units only.", type_slug="outside-your-units")
    return unit


async def save_note(resource_id: int, code: str, body: NoteIn, principal: Principal,
                    expected_version: int | None) -> NoteOut:
    """Write the unit's note (create without ``expected_version``; change with it)."""
    text = body.body.strip()
    if not text:
        raise Problem(422, "body: write the note for the unit",
                      errors=[{"field": "body", "message": "write the note for the unit"}])
    unit = await _editable_unit(resource_id, code, principal)
    stamp = _now()
    async with write_transaction():
        row = await _note_row(resource_id, unit["id"])
        if row is None:
            if expected_version not in (None, 0):
                raise stale("note")
            await execute("INSERT INTO resource_unit_note (resource, unit, body, body_html, version, updated_by,"
                          " updated_at) VALUES ({}, {}, {}, {}, 1, {}, {})", resource_id, unit["id"], text,
                          render(text), principal.label[:200], stamp)
            action = "unit_note.create"
        else:
            if expected_version is None:
                raise Problem(428, "The note exists: send If-Match with the ETag from your last read.",
                              errors=[{"field": "If-Match", "message": "required"}])
            updated = await execute(
                "UPDATE resource_unit_note SET body = {}, body_html = {}, version = version + 1, updated_by = {},"
                " updated_at = {} WHERE id = {} AND version = {} RETURNING id", text, render(text),
                principal.label[:200], stamp, row["id"], expected_version)
            if not updated:
                raise stale("note")
            action = "unit_note.update"
        await audit.append(action, "resource", resource_id, {"unit": code},
                           actor=principal.label, actor_user_id=principal.user_id)
    return _note_out(await _note_row(resource_id, unit["id"]), principal)


async def delete_note(resource_id: int, code: str, principal: Principal) -> None:
    unit = await _editable_unit(resource_id, code, principal)
    async with write_transaction():
        removed = await execute("DELETE FROM resource_unit_note WHERE resource = {} AND unit = {} RETURNING id",
                                resource_id, unit["id"])
        if not removed:
            raise Problem(404, f"Unit {code!r} has no note on resource {resource_id}.", type_slug="no-note")
        await audit.append("unit_note.delete", "resource", resource_id, {"unit": code},
                           actor=principal.label, actor_user_id=principal.user_id)


# --- competence building --------------------------------------------------------------------------


async def competence_units(principal: Principal) -> list[NoteUnit]:
    """The units whose overview the caller may open: their own as ICT mentor, every active one for
    the sector office and the admin."""
    rows = await execute("SELECT code, name FROM unit WHERE active = {} ORDER BY name, code", True)
    return [NoteUnit(code=r["code"], name=r["name"]) for r in rows
            if principal.has_any(SEES_EVERY_UNIT) or (
                Role.ICT_MENTOR.value in principal.roles and r["code"] in principal.unit_codes)]


async def competence(code: str, principal: Principal) -> Competence:
    """For one unit: the resources in use there (the base package and those chosen for the unit)
    with the tips its staff wrote on each, and the staff who share tips (count, latest)."""
    unit = await _unit(code)
    if not principal.has_any(SEES_EVERY_UNIT) and not (
            Role.ICT_MENTOR.value in principal.roles and code in principal.unit_codes):
        raise Problem(403, "ICT mentors see the overview of their own units only.", type_slug="outside-your-units")
    statuses = ", ".join("{}" for _ in IN_USE)
    resources = await execute(
        f"SELECT r.id, r.name, r.in_base_package FROM resource r WHERE r.status IN ({statuses})"
        " AND (r.in_base_package = {} OR EXISTS (SELECT 1 FROM resource_facet f WHERE f.resource = r.id"
        " AND f.facet = {} AND f.value = {})) ORDER BY r.name, r.id", *IN_USE, True, "unit", code)
    staff_tips = await execute(
        "SELECT t.resource, t.author, t.created_at, r.name AS resource_name, u.display_name FROM resource_tip t"
        " JOIN app_user u ON u.id = t.author JOIN user_unit uu ON uu.\"user\" = t.author"
        " JOIN resource r ON r.id = t.resource"
        " WHERE uu.unit = {} AND u.active = {} AND t.status = {} ORDER BY t.created_at DESC, t.id DESC",
        unit["id"], True, "visible")
    notes = {r["resource"] for r in await execute("SELECT resource FROM resource_unit_note WHERE unit = {}",
                                                  unit["id"])}
    per_resource: dict[int, int] = {}
    people: dict[int, dict[str, Any]] = {}
    for row in staff_tips:
        per_resource[row["resource"]] = per_resource.get(row["resource"], 0) + 1
        person = people.get(row["author"])
        if person is None:  # the first row of each person is their latest
            people[row["author"]] = {"name": row["display_name"] or "", "count": 1, "at": row["created_at"],
                                     "resource": row["resource"], "resource_name": row["resource_name"]}
        else:
            person["count"] += 1
    contributors = [Contributor(user_id=uid, name=p["name"], tip_count=p["count"], latest_at=_stamp(p["at"]),
                                latest_resource_id=p["resource"], latest_resource_name=p["resource_name"])
                    for uid, p in people.items()]
    contributors.sort(key=lambda c: (-c.tip_count, -c.latest_at.timestamp(), c.name))
    return Competence(
        unit=NoteUnit(code=unit["code"], name=unit["name"]),
        resources=[CompetenceResource(id=r["id"], name=r["name"], in_base_package=bool(r["in_base_package"]),
                                      tips_from_unit=per_resource.get(r["id"], 0), has_unit_note=r["id"] in notes)
                   for r in resources],
        contributors=contributors)
