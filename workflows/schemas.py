"""Request and response bodies of the workflow API."""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal, Optional

from msgspec import Meta, Struct

from catalogue.bounds import ID_MAX
from catalogue.schemas import HttpUrl, Name, ResourceCreate, Strict, UnitCode
from workflows.consultations import ConsultationRequest

Reason = Annotated[str, Meta(max_length=5000)]


class Justification(Struct, **Strict):
    """Why the proposer wants the resource."""

    pedagogical_purpose: Annotated[str, Meta(min_length=1, max_length=5000)]
    units: Annotated[list[UnitCode], Meta(min_length=1)]
    estimated_cost_nok: Optional[Annotated[int, Meta(ge=0, le=1_000_000_000)]] = None
    requested_by: Annotated[str, Meta(max_length=500)] = ""
    wish_id: Optional[Annotated[int, Meta(ge=1, le=ID_MAX)]] = None


class ProposalCreate(Struct, **Strict):
    resource: ResourceCreate
    justification: Justification
    submit: bool = False


class DuplicateCheck(Struct, **Strict):
    name: Name
    url: Optional[HttpUrl] = None
    vendor: Optional[Name] = None


class Duplicate(Struct, kw_only=True):
    resource_id: int
    name: str
    status: str
    vendor: Optional[str]
    url: str
    reasons: list[str]
    open_case_id: Optional[int] = None


class RestrictionDecision(Struct, **Strict):
    """In a renewal: lift a restriction in force, or change its wording, with the reason."""

    restriction_id: Annotated[int, Meta(ge=1, le=ID_MAX)]
    action: Literal["lift", "change"]
    reason: Reason
    text: Annotated[str, Meta(max_length=2000)] = ""


class ActionRequest(Struct, **Strict):
    action: Annotated[str, Meta(min_length=1, max_length=40)]
    reason: Reason = ""
    restrictions: Reason = ""
    form: Optional[dict[str, Any]] = None
    # the restrictions in force the decision lifts or changes (renewals); the rest are kept
    restriction_changes: list[RestrictionDecision] = []
    # a phase-out: the last day the resource is in use
    end_date: Optional[datetime.date] = None
    # sending the resource on consultation: what to try, the units whose staff are asked, the deadline
    consultation: Optional[ConsultationRequest] = None


class FormSave(Struct, **Strict):
    form: dict[str, Any]


class ChecklistConfirm(Struct, **Strict):
    item: Literal["vendor_data_deleted", "feide_access_removed", "licence_ended"]
    note: Reason = ""


class AssignRequest(Struct, **Strict):
    # required: null clears the assignment, an empty body is a mistake rather than a request to clear
    user_id: Optional[Annotated[int, Meta(ge=1, le=ID_MAX)]]


class CommentCreate(Struct, **Strict):
    text: Annotated[str, Meta(min_length=1, max_length=5000)]


class PersonRef(Struct, kw_only=True):
    id: int
    name: str


class ActionOut(Struct, kw_only=True):
    name: str
    label_nb: str
    needs_reason: bool
    needs_restrictions: bool
    target: str
    reason_label_nb: Optional[str] = None
    changes_restrictions: bool = False
    needs_end_date: bool = False


class ChecklistItemOut(Struct, kw_only=True):
    item: str
    label_nb: str
    role: str
    confirmed: bool
    confirmed_by: Optional[str] = None
    confirmed_at: Optional[str] = None


class CaseOut(Struct, kw_only=True):
    id: int
    kind: str
    kind_label_nb: str
    state: str
    state_label_nb: str
    outcome: Optional[str]
    title: str
    resource_id: int
    resource_status: str
    proposer: Optional[PersonRef]
    proposer_units: list[str]
    justification: dict[str, Any]
    step_role: Optional[str]
    step_form: Optional[str]
    step_data: dict[str, Any]
    restrictions: list[str]
    returned_from: Optional[str]
    assigned_to: Optional[PersonRef]
    step_due: Optional[datetime.date]
    overdue: bool
    end_date: Optional[datetime.date]
    checklist: list[ChecklistItemOut]
    allowed_actions: list[ActionOut]
    confirmable_items: list[str]
    can_comment: bool
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    closed_at: Optional[datetime.datetime] = None


class ProposalCreated(Struct, kw_only=True):
    case: CaseOut
    duplicates: list[Duplicate]


class CaseSummary(Struct, kw_only=True):
    id: int
    kind: str
    state: str
    state_label_nb: str
    title: str
    resource_id: int
    step_role: Optional[str]
    assigned_to: Optional[PersonRef]
    step_due: Optional[datetime.date]
    overdue: bool
    updated_at: datetime.datetime


class CasePage(Struct, kw_only=True):
    items: list[CaseSummary]
    total: int
    limit: int
    offset: int


class EventOut(Struct, kw_only=True):
    occurred_at: datetime.datetime
    actor: str
    actor_role: Optional[str]
    action: str
    from_state: Optional[str]
    to_state: Optional[str]
    reason: Optional[str]
    data: dict[str, Any]


class AuditOut(Struct, kw_only=True):
    id: int
    occurred_at: str
    actor: str
    action: str
    data: dict[str, Any]
    entry_hash: str


class CaseHistory(Struct, kw_only=True):
    events: list[EventOut]
    audit: list[AuditOut]


DocumentKind = Literal["dpa", "dpia", "accessibility_statement", "other"]
DOCUMENT_KINDS = {
    "dpa": "Databehandleravtale",
    "dpia": "Vurdering av personvernkonsekvenser (DPIA)",
    "accessibility_statement": "Tilgjengelighetserklæring",
    "other": "Annet dokument",
}


class AttachmentOut(Struct, kw_only=True):
    id: int
    filename: str
    kind: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime.datetime


class WishCreate(Struct, **Strict):
    name: Name
    unit: UnitCode
    url: Optional[HttpUrl] = None
    description: Annotated[str, Meta(max_length=5000)] = ""
    reason: Annotated[str, Meta(min_length=1, max_length=5000)]


class WishDecline(Struct, **Strict):
    reason: Annotated[str, Meta(min_length=1, max_length=5000)]


class WishOut(Struct, kw_only=True):
    id: int
    name: str
    unit: str
    url: Optional[str]
    description: str
    reason: str
    status: str
    requester: str
    handled_by: Optional[str]
    decline_reason: Optional[str]
    case_id: Optional[int]
    version: int
    created_at: datetime.datetime


class NotificationOut(Struct, kw_only=True):
    id: int
    kind: str
    subject: str
    body: str
    case_id: Optional[int]
    link: Optional[str]
    created_at: datetime.datetime
    read: bool
    delivery: str



class HandOver(Struct, **Strict):
    """Hand a leaving ICT mentor's open cases to another mentor of the units (all, or those named)."""

    to_user_id: Annotated[int, Meta(ge=1, le=ID_MAX)]
    case_ids: Optional[list[Annotated[int, Meta(ge=1, le=ID_MAX)]]] = None


class HandedOver(Struct, kw_only=True):
    moved: list[int]


class RevisionDueOut(Struct, kw_only=True):
    resource_id: int
    name: str
    due_date: datetime.date
    reasons: list[str]
    next_revision_date: Optional[datetime.date]
    licence_expires: Optional[datetime.date]
    dpa_expires: Optional[datetime.date]
    overdue: bool
    case_id: Optional[int]
    case_state: Optional[str]
    case_state_label_nb: Optional[str]
    case_step_due: Optional[datetime.date]


class RevisionOverview(Struct, kw_only=True):
    """Revisions overdue (their date passed, the resource not renewed) and coming up within ``days``."""

    today: datetime.date
    days: int
    overdue: list[RevisionDueOut]
    upcoming: list[RevisionDueOut]
