"""/api/v1: getting started with a resource (the guide; the units' notes) and the ICT mentor's
competence overview of a unit. Signed-in only; nothing of it is on the public API."""

from __future__ import annotations

from typing import Annotated, Optional

from litestar import Request, Response, delete, get, put
from litestar.params import FromPath, HeaderParameter, JSONBody

from catalogue import guides
from catalogue.domain import Role
from catalogue.etags import etag, expected_version
from catalogue.security.access import SIGNED_IN, rule

IfMatch = Annotated[Optional[str], HeaderParameter(name="If-Match", required=False)]
GUIDE_EDITORS = frozenset({Role.SECTOR_REVIEWER.value, Role.ADMIN.value})
NOTE_EDITORS = frozenset({Role.ICT_MENTOR.value, Role.ADMIN.value})
COMPETENCE_READERS = frozenset({Role.ICT_MENTOR.value, Role.SECTOR_REVIEWER.value, Role.ADMIN.value})


def _version(kind: str, key: object, header: str | None) -> int | None:
    """None when there is no If-Match (allowed only to create); else the version it names."""
    return None if header is None or not header.strip() else expected_version(kind, key, header)


@get("/api/v1/resources/{resource_id:int}/guide", opt=rule(SIGNED_IN), tags=["getting started"],
     summary="The getting-started guide of a resource, with its ETag (404 until one is written)")
async def get_guide(request: Request, resource_id: FromPath[int]) -> Response[guides.GuideOut]:
    guide = await guides.get_guide(resource_id, request.user)
    return Response(guide, headers={"ETag": etag("guide", resource_id, guide.version)})


@put("/api/v1/resources/{resource_id:int}/guide", opt=rule(GUIDE_EDITORS), tags=["getting started"],
     summary="Write the guide: access, logging in, the first lesson, the vendor's guides (If-Match to change it)")
async def put_guide(request: Request, resource_id: FromPath[int], data: JSONBody[guides.GuideIn],
                    if_match: IfMatch = None) -> Response[guides.GuideOut]:
    version = _version("guide", resource_id, if_match)
    guide = await guides.save_guide(resource_id, data, request.user, version)
    return Response(guide, status_code=201 if version is None else 200,
                    headers={"ETag": etag("guide", resource_id, guide.version)})


@get("/api/v1/resources/{resource_id:int}/unit-notes", opt=rule(SIGNED_IN), tags=["getting started"],
     summary="The units' notes on a resource the caller sees (their own units; the sector office all)")
async def list_notes(request: Request, resource_id: FromPath[int]) -> list[guides.NoteOut]:
    return await guides.list_notes(resource_id, request.user)


@get("/api/v1/resources/{resource_id:int}/unit-notes/{code:str}", opt=rule(SIGNED_IN), tags=["getting started"],
     summary="One unit's note on a resource, with its ETag")
async def get_note(request: Request, resource_id: FromPath[int], code: FromPath[str]) -> Response[guides.NoteOut]:
    note = await guides.get_note(resource_id, code, request.user)
    return Response(note, headers={"ETag": etag("note", f"{resource_id}/{code}", note.version)})


@put("/api/v1/resources/{resource_id:int}/unit-notes/{code:str}", opt=rule(NOTE_EDITORS), tags=["getting started"],
     summary="Write the unit's note (ICT mentors of the unit; If-Match to change it)")
async def put_note(request: Request, resource_id: FromPath[int], code: FromPath[str], data: JSONBody[guides.NoteIn],
                   if_match: IfMatch = None) -> Response[guides.NoteOut]:
    version = _version("note", f"{resource_id}/{code}", if_match)
    note = await guides.save_note(resource_id, code, data, request.user, version)
    return Response(note, status_code=201 if version is None else 200,
                    headers={"ETag": etag("note", f"{resource_id}/{code}", note.version)})


@delete("/api/v1/resources/{resource_id:int}/unit-notes/{code:str}", opt=rule(NOTE_EDITORS),
        tags=["getting started"], status_code=204, summary="Delete the unit's note")
async def delete_note(request: Request, resource_id: FromPath[int], code: FromPath[str]) -> None:
    await guides.delete_note(resource_id, code, request.user)


@get("/api/v1/units/{code:str}/competence", opt=rule(COMPETENCE_READERS), tags=["getting started"],
     summary="For a unit: resources in use and the staff who share tips (ICT mentors: their own units)")
async def unit_competence(request: Request, code: FromPath[str]) -> guides.Competence:
    return await guides.competence(code, request.user)


guide_api_handlers = [get_guide, put_guide, list_notes, get_note, put_note, delete_note, unit_competence]
