"""/api/v1: tips on resources (experience sharing), useful marks, reports and moderation. Signed-in
only; nothing of it is on the public API."""

from __future__ import annotations

from typing import Annotated, Optional

from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from catalogue import tips
from catalogue.domain import Role
from catalogue.etags import etag, expected_version
from catalogue.security.access import SIGNED_IN, rule

IfMatch = Annotated[Optional[str], HeaderParameter(name="If-Match", required=False)]
MODERATORS = frozenset({Role.ICT_MENTOR.value, Role.SECTOR_REVIEWER.value, Role.ADMIN.value})


def _with_etag(tip: tips.TipOut, status_code: int = 200) -> Response[tips.TipOut]:
    return Response(tip, status_code=status_code, headers={"ETag": etag("tip", tip.id, tip.version)})


@get("/api/v1/resources/{resource_id:int}/tips", opt=rule(SIGNED_IN), tags=["tips"],
     summary="Tips on a resource, the most useful first")
async def list_tips(
    request: Request, resource_id: FromPath[int],
    level: Annotated[Optional[str], QueryParameter(name="level", required=False, max_length=16,
                                                   description="Only tips for this level")] = None,
    subject: Annotated[Optional[str], QueryParameter(name="subject", required=False, max_length=16,
                                                     description="Only tips for this subject code")] = None,
    limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
    offset: Annotated[int, QueryParameter(name="offset", ge=0, le=1_000_000)] = 0,
) -> tips.TipPage:
    return await tips.list_tips(resource_id, request.user, level=level, subject=subject, limit=limit, offset=offset)


@post("/api/v1/resources/{resource_id:int}/tips", opt=rule(SIGNED_IN), tags=["tips"],
      summary="Share a tip on a resource in use (plain text or a small safe subset of Markdown)")
async def create_tip(request: Request, resource_id: FromPath[int],
                     data: JSONBody[tips.TipCreate]) -> Response[tips.TipOut]:
    tip_id = await tips.create_tip(resource_id, data, request.user)
    return _with_etag(await tips.get_tip(tip_id, request.user), 201)


@get("/api/v1/tips/{tip_id:int}", opt=rule(SIGNED_IN), tags=["tips"], summary="One tip, with its ETag")
async def get_tip(request: Request, tip_id: FromPath[int]) -> Response[tips.TipOut]:
    return _with_etag(await tips.get_tip(tip_id, request.user))


@patch("/api/v1/tips/{tip_id:int}", opt=rule(SIGNED_IN), tags=["tips"],
       summary="The author edits their tip; If-Match required")
async def update_tip(request: Request, tip_id: FromPath[int], data: JSONBody[tips.TipPatch],
                     if_match: IfMatch = None) -> Response[tips.TipOut]:
    version = expected_version("tip", tip_id, if_match)
    await tips.update_tip(tip_id, data, request.user, version)
    return _with_etag(await tips.get_tip(tip_id, request.user))


@delete("/api/v1/tips/{tip_id:int}", opt=rule(SIGNED_IN), tags=["tips"], status_code=204,
        summary="The author deletes their tip (or the admin, on the author's request)")
async def delete_tip(request: Request, tip_id: FromPath[int]) -> None:
    await tips.delete_tip(tip_id, request.user)


@post("/api/v1/tips/{tip_id:int}/useful", opt=rule(SIGNED_IN), tags=["tips"], status_code=200,
      summary="Mark someone else's tip as useful (once)")
async def mark_useful(request: Request, tip_id: FromPath[int]) -> Response[tips.TipOut]:
    await tips.mark_useful(tip_id, request.user)
    return _with_etag(await tips.get_tip(tip_id, request.user))


@delete("/api/v1/tips/{tip_id:int}/useful", opt=rule(SIGNED_IN), tags=["tips"], status_code=200,
        summary="Take back the useful mark")
async def unmark_useful(request: Request, tip_id: FromPath[int]) -> Response[tips.TipOut]:
    await tips.unmark_useful(tip_id, request.user)
    return _with_etag(await tips.get_tip(tip_id, request.user))


@post("/api/v1/tips/{tip_id:int}/reports", opt=rule(SIGNED_IN), tags=["tips"], status_code=201,
      summary="Report a tip to its moderators, with a reason")
async def report_tip(request: Request, tip_id: FromPath[int], data: JSONBody[tips.ReportCreate]) -> dict:
    return {"id": await tips.report_tip(tip_id, data, request.user)}


@post("/api/v1/tips/{tip_id:int}/hide", opt=rule(MODERATORS), tags=["tips"], status_code=200,
      summary="Hide a tip with a reason the author sees (ICT mentors: their units' staff)")
async def hide_tip(request: Request, tip_id: FromPath[int],
                   data: JSONBody[tips.ModerationRequest]) -> Response[tips.TipOut]:
    await tips.hide_tip(tip_id, data, request.user)
    return _with_etag(await tips.get_tip(tip_id, request.user))


@post("/api/v1/tips/{tip_id:int}/restore", opt=rule(MODERATORS), tags=["tips"], status_code=200,
      summary="Show a hidden tip again")
async def restore_tip(request: Request, tip_id: FromPath[int]) -> Response[tips.TipOut]:
    await tips.restore_tip(tip_id, request.user)
    return _with_etag(await tips.get_tip(tip_id, request.user))


@get("/api/v1/tip-moderation", opt=rule(MODERATORS), tags=["tips"],
     summary="Open reports and hidden tips the caller moderates")
async def moderation_queue(request: Request) -> tips.ModerationQueue:
    return await tips.moderation_queue(request.user)


@post("/api/v1/tip-reports/{report_id:int}/dismiss", opt=rule(MODERATORS), tags=["tips"], status_code=204,
      summary="Close a report: the tip stays")
async def dismiss_report(request: Request, report_id: FromPath[int]) -> None:
    await tips.dismiss_report(report_id, request.user)


@delete("/api/v1/users/{user_id:int}/tips", opt=rule({Role.ADMIN.value}), tags=["tips"], status_code=200,
        summary="Delete every tip a person wrote, on their request")
async def delete_user_tips(request: Request, user_id: FromPath[int]) -> dict:
    return {"deleted": await tips.delete_tips_of(user_id, request.user)}


tip_api_handlers = [list_tips, create_tip, get_tip, update_tip, delete_tip, mark_useful, unmark_useful, report_tip,
                    hide_tip, restore_tip, moderation_queue, dismiss_report, delete_user_tips]
