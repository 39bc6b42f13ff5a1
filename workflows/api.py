"""/api/v1 for the approval process: cases, tasks, wishes, notifications, attachments."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Annotated, Any, Literal, Optional

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, HeaderParameter, JSONBody, QueryParameter

from catalogue.domain import CATALOGUE_INSIDERS, Role
from catalogue.etags import etag, expected_version
from catalogue.problems import Problem
from catalogue.resources import get_resource
from catalogue.schemas import ResourceOut, ResourcePatch
from catalogue.security.access import SIGNED_IN, Principal, rule
from catalogue.tables import AppUser
from workflows import attachments, audit, notify, scheduler, service, wishes
from workflows.duplicates import find_duplicates
from workflows.schemas import (
    ActionRequest,
    AssignRequest,
    AttachmentOut,
    AuditOut,
    CaseHistory,
    CaseOut,
    CasePage,
    CaseSummary,
    ChecklistConfirm,
    CommentCreate,
    Duplicate,
    DuplicateCheck,
    EventOut,
    FormSave,
    HandedOver,
    HandOver,
    NotificationOut,
    ProposalCreate,
    ProposalCreated,
    RevisionDueOut,
    RevisionOverview,
    WishCreate,
    WishDecline,
    WishOut,
)
from workflows.tables import CaseEvent, Notification

IfMatch = Annotated[Optional[str], HeaderParameter(name="If-Match", required=False)]
PROPOSERS = rule({Role.ICT_MENTOR.value, Role.ADMIN.value})
# the check names drafts and open cases, which staff do not see
DUPLICATE_CHECKERS = {Role.ICT_MENTOR.value, *CATALOGUE_INSIDERS}
CASE_READERS = rule(SIGNED_IN)  # object-level: service.visible_case answers 404 to those who may not see


async def _case_response(case_id: int, principal: Principal, status_code: int = 200) -> Response[CaseOut]:
    row = await service.visible_case(case_id, principal)
    out = await service.case_out(row, principal)
    return Response(out, status_code=status_code, headers={"ETag": etag("case", out.id, out.version)})


def _dt(value: Any) -> datetime.datetime:
    return value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(str(value))


class CaseController(Controller):
    path = "/api/v1/cases"
    tags = ["cases"]

    @post("/duplicates", opt=rule(DUPLICATE_CHECKERS), status_code=200,
          summary="Likely duplicates of a resource someone is about to propose")
    async def duplicates(self, request: Request, data: JSONBody[DuplicateCheck]) -> list[Duplicate]:
        return await find_duplicates(data.name, data.url, data.vendor, principal=request.user)

    @post("/", opt=PROPOSERS, summary="Propose a resource (a draft, or submitted at once with submit=true)")
    async def create(self, request: Request, data: JSONBody[ProposalCreate]) -> Response[ProposalCreated]:
        settings = request.app.state.settings
        case_id = await service.create_proposal(data, request.user, settings)
        row = await service.visible_case(case_id, request.user)
        out = await service.case_out(row, request.user)
        duplicates = await find_duplicates(data.resource.name, data.resource.url, data.resource.vendor.name,
                                           exclude_resource_id=out.resource_id, principal=request.user)
        return Response(ProposalCreated(case=out, duplicates=duplicates), status_code=201,
                        headers={"ETag": etag("case", out.id, out.version), "Location": f"/api/v1/cases/{case_id}"})

    @get("/", opt=CASE_READERS, summary="Cases the caller may see")
    async def list_cases(
        self,
        request: Request,
        kind: Annotated[Optional[Literal["proposal", "revision", "phase_out"]], QueryParameter(name="kind", required=False)] = None,
        case_state: Annotated[Optional[str], QueryParameter(name="state", required=False, max_length=40)] = None,
        open_only: Annotated[bool, QueryParameter(name="open")] = False,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=100)] = 20,
        offset: Annotated[int, QueryParameter(name="offset", ge=0, le=1_000_000)] = 0,
    ) -> CasePage:
        items, total = await service.list_cases(request.user, kind=kind, state=case_state, open_only=open_only,
                                                limit=limit, offset=offset)
        return CasePage(items=items, total=total, limit=limit, offset=offset)

    @get("/{case_id:int}", opt=CASE_READERS, summary="One case, with the actions the caller may take")
    async def get_case(self, request: Request, case_id: FromPath[int]) -> Response[CaseOut]:
        return await _case_response(case_id, request.user)

    @get("/{case_id:int}/resource", opt=CASE_READERS, summary="The resource the case is about, as it stands")
    async def case_resource(self, request: Request, case_id: FromPath[int]) -> Response[ResourceOut]:
        row = await service.visible_case(case_id, request.user)
        # whoever may see the case may see its resource, whatever the resource's status
        reader = Principal(user_id=request.user.user_id, name=request.user.name, roles=frozenset({Role.ADMIN.value}))
        resource = await get_resource(row["resource"], reader)
        return Response(resource, headers={"ETag": etag("resource", resource.id, resource.version)})

    @post("/{case_id:int}/actions", opt=CASE_READERS, status_code=200,
          summary="Take an action (submit, approve, approve_with_restrictions, return, reject, …); If-Match required")
    async def act(self, request: Request, case_id: FromPath[int], data: JSONBody[ActionRequest],
                  if_match: IfMatch = None) -> Response[CaseOut]:
        expected = expected_version("case", case_id, if_match)
        await service.apply_action(case_id, data, request.user, expected, request.app.state.settings)
        return await _case_response(case_id, request.user)

    @put("/{case_id:int}/form", opt=CASE_READERS, summary="Save the current step's form without deciding")
    async def save_form(self, request: Request, case_id: FromPath[int], data: JSONBody[FormSave],
                        if_match: IfMatch = None) -> Response[CaseOut]:
        expected = expected_version("case", case_id, if_match)
        await service.save_form(case_id, data.form, request.user, expected)
        return await _case_response(case_id, request.user)

    @post("/{case_id:int}/checklist", opt=CASE_READERS, status_code=200,
          summary="Confirm a phase-out checklist item")
    async def confirm(self, request: Request, case_id: FromPath[int], data: JSONBody[ChecklistConfirm],
                      if_match: IfMatch = None) -> Response[CaseOut]:
        expected = expected_version("case", case_id, if_match)
        await service.confirm_item(case_id, data.item, data.note, request.user, expected)
        return await _case_response(case_id, request.user)

    @post("/{case_id:int}/assign", opt=CASE_READERS, status_code=200,
          summary="Assign the current step to a holder of its role (user_id null clears it)")
    async def assign(self, request: Request, case_id: FromPath[int], data: JSONBody[AssignRequest],
                     if_match: IfMatch = None) -> Response[CaseOut]:
        expected = expected_version("case", case_id, if_match)
        await service.assign(case_id, data.user_id, request.user, expected)
        return await _case_response(case_id, request.user)

    @post("/{case_id:int}/comments", opt=CASE_READERS, status_code=201, summary="Comment on a case")
    async def comment(self, request: Request, case_id: FromPath[int], data: JSONBody[CommentCreate]) -> Response[CaseOut]:
        await service.comment(case_id, data.text, request.user)
        return await _case_response(case_id, request.user, 201)

    @put("/{case_id:int}/resource", opt=CASE_READERS,
         summary="The proposer edits the proposed resource (draft or returned); If-Match of the case")
    async def edit_resource(self, request: Request, case_id: FromPath[int], data: JSONBody[ResourcePatch],
                            if_match: IfMatch = None) -> Response[CaseOut]:
        expected = expected_version("case", case_id, if_match)
        await service.edit_proposal_resource(case_id, data, request.user, expected)
        return await _case_response(case_id, request.user)

    @get("/{case_id:int}/history", opt=CASE_READERS, summary="Everything that happened on the case")
    async def history(self, request: Request, case_id: FromPath[int]) -> CaseHistory:
        await service.visible_case(case_id, request.user)
        events = await CaseEvent.select().where(CaseEvent.case == case_id).order_by(CaseEvent.id)
        entries = await audit.entries_for("case", case_id)
        return CaseHistory(
            events=[EventOut(occurred_at=_dt(e["occurred_at"]), actor=e["actor_label"], actor_role=e["actor_role"],
                             action=e["action"], from_state=e["from_state"], to_state=e["to_state"],
                             reason=e["reason"], data=service._json(e["data"], {})) for e in events],
            audit=[AuditOut(id=a["id"], occurred_at=a["occurred_at"], actor=a["actor"], action=a["action"],
                            data=a["data"], entry_hash=a["entry_hash"]) for a in entries],
        )

    @get("/{case_id:int}/attachments", opt=CASE_READERS, summary="Documents on the case")
    async def list_attachments(self, request: Request, case_id: FromPath[int]) -> list[AttachmentOut]:
        return await attachments.listing(case_id, request.user)

    @post("/{case_id:int}/attachments", opt=CASE_READERS, status_code=201,
          request_max_body_size=32 * 1024 * 1024,
          summary="Attach a document (multipart field 'file', and 'kind': dpa, dpia, accessibility_statement or"
                  " other); PDF, images, text and office files")
    async def add_attachment(
        self, request: Request, case_id: FromPath[int],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> AttachmentOut:
        upload = data.get("file")
        if not isinstance(upload, UploadFile):
            raise Problem(422, "Send the document in the multipart field 'file'.",
                          errors=[{"field": "file", "message": "required"}])
        kind = data.get("kind") or "other"
        if not isinstance(kind, str):
            raise Problem(422, "The field 'kind' is text.", errors=[{"field": "kind", "message": "not text"}])
        settings = request.app.state.settings
        content = await upload.read(settings.attachment_max_bytes + 1)
        return await attachments.add(case_id, upload.filename or "vedlegg", content, request.user,
                                     settings.attachment_max_bytes, kind=kind)

    @get("/{case_id:int}/attachments/{attachment_id:int}", opt=CASE_READERS, summary="Download a document")
    async def download(self, request: Request, case_id: FromPath[int], attachment_id: FromPath[int]) -> Response[bytes]:
        meta, content = await attachments.content(case_id, attachment_id, request.user)
        return Response(content, media_type=meta.content_type, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(meta.filename)}",
            "Digest": f"sha-256={meta.sha256}",
            "Cache-Control": "private, no-store",
        })


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


class TaskController(Controller):
    path = "/api/v1/tasks"
    tags = ["cases"]

    @get("/", opt=rule(SIGNED_IN), summary="My inbox: cases waiting for a role I hold, or assigned to me")
    async def tasks(self, request: Request) -> list[CaseSummary]:
        return await service.tasks(request.user)


class WishController(Controller):
    path = "/api/v1/wishes"
    tags = ["wishes"]

    @post("/", opt=rule(SIGNED_IN), summary="Wish for a resource; the ICT mentors of the unit are told")
    async def create(self, request: Request, data: JSONBody[WishCreate]) -> Response[WishOut]:
        wish = await wishes.create_wish(data, request.user)
        return Response(wish, status_code=201, headers={"ETag": etag("wish", wish.id, wish.version)})

    @get("/", opt=rule(SIGNED_IN), summary="Wishes I sent, or (ICT mentors) the wishes of my units")
    async def list_wishes(
        self, request: Request,
        status: Annotated[Optional[Literal["open", "converted", "declined"]], QueryParameter(name="status", required=False)] = None,
    ) -> list[WishOut]:
        return await wishes.list_wishes(request.user, status)

    @get("/{wish_id:int}", opt=rule(SIGNED_IN), summary="One wish")
    async def get_wish(self, request: Request, wish_id: FromPath[int]) -> Response[WishOut]:
        wish = await wishes.get_wish(wish_id, request.user)
        return Response(wish, headers={"ETag": etag("wish", wish.id, wish.version)})

    @post("/{wish_id:int}/decline", opt=PROPOSERS, status_code=200, summary="Decline a wish with a reason")
    async def decline(self, request: Request, wish_id: FromPath[int], data: JSONBody[WishDecline],
                      if_match: IfMatch = None) -> Response[WishOut]:
        expected = expected_version("wish", wish_id, if_match) if if_match else None
        wish = await wishes.decline_wish(wish_id, data.reason, request.user, expected)
        return Response(wish, headers={"ETag": etag("wish", wish.id, wish.version)})


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]

    @get("/", opt=rule(SIGNED_IN), summary="My notifications, newest first")
    async def mine(
        self, request: Request,
        unread: Annotated[bool, QueryParameter(name="unread")] = False,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
    ) -> list[NotificationOut]:
        query = Notification.select().where((Notification.recipient == request.user.user_id)
                                            & Notification.kind.not_in(list(notify.EMAIL_ONLY_KINDS)))
        if unread:
            query = query.where(Notification.read_at.is_null())
        rows = await query.order_by(Notification.id, ascending=False).limit(limit)
        return [NotificationOut(id=r["id"], kind=r["kind"], subject=r["subject"], body=r["body"], case_id=r["case"],
                                link=r["link"],
                                created_at=_dt(r["created_at"]), read=r["read_at"] is not None,
                                delivery=r["delivery"]) for r in rows]

    @post("/{notification_id:int}/read", opt=rule(SIGNED_IN), status_code=204, summary="Mark as read")
    async def mark_read(self, request: Request, notification_id: FromPath[int]) -> None:
        updated = await Notification.update({Notification.read_at: datetime.datetime.now(datetime.timezone.utc)}).where(
            (Notification.id == notification_id) & (Notification.recipient == request.user.user_id)
        ).returning(Notification.id)
        if not updated:
            raise Problem(404, f"No notification with id {notification_id}.")


class HandOverController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @post("/{user_id:int}/hand-over", opt=rule({Role.ADMIN.value}), status_code=200,
          summary="Hand a leaving ICT mentor's open cases to another mentor of the cases' units")
    async def hand_over(self, request: Request, user_id: FromPath[int], data: JSONBody[HandOver]) -> HandedOver:
        if not await AppUser.exists().where(AppUser.id == user_id):
            raise Problem(404, f"No user with id {user_id}.")
        moved = await service.hand_over(user_id, data.to_user_id, request.user, data.case_ids)
        return HandedOver(moved=moved)


REVISION_READERS = rule({Role.SECTOR_REVIEWER.value, Role.ADMIN.value})


class RevisionController(Controller):
    path = "/api/v1/revisions"
    tags = ["cases"]

    @get("/", opt=REVISION_READERS, summary="Revisions overdue and coming up within `days` (the sector office's overview)")
    async def overview(
        self, request: Request,
        days: Annotated[int, QueryParameter(name="days", ge=1, le=366)] = 90,
    ) -> RevisionOverview:
        items = [RevisionDueOut(**dataclasses.asdict(r))
                 for r in await scheduler.revision_overview(request.app.state.settings, days=days)]
        return RevisionOverview(today=service.today(), days=days, overdue=[r for r in items if r.overdue],
                                upcoming=[r for r in items if not r.overdue])


workflow_handlers = [CaseController, TaskController, WishController, NotificationController, HandOverController,
                     RevisionController]
