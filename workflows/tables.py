"""Piccolo tables of the approval process: cases, their events, wishes, attachments, the
notification outbox and the hash-chained audit log."""

from __future__ import annotations

from piccolo.columns import JSON, Bytea, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from catalogue.tables import AppUser, Resource


class Case(Table, tablename="workflow_case"):
    """One run of a workflow (proposal, revision, phase_out) about one resource."""

    kind = Varchar(length=16, index=True)
    resource = ForeignKey(references=Resource, on_delete=OnDelete.restrict, index=True)
    state = Varchar(length=32, index=True)
    outcome = Varchar(length=32, null=True, default=None)
    title = Varchar(length=200)
    proposer = ForeignKey(references=AppUser, on_delete=OnDelete.set_null, null=True, default=None)
    proposer_units = JSON(default="[]")
    justification = JSON(default="{}")
    step_data = JSON(default="{}")
    restrictions = JSON(default="[]")
    returned_from = Varchar(length=32, null=True, default=None)
    assigned_to = ForeignKey(references=AppUser, on_delete=OnDelete.set_null, null=True, default=None)
    step_due = Date(null=True, default=None)
    overdue_notified_step = Varchar(length=64, null=True, default=None)
    reminded_step = Varchar(length=64, null=True, default=None)
    end_date = Date(null=True, default=None)  # a phase-out: the last day the resource is in use
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)


class CaseEvent(Table, tablename="case_event"):
    """What happened on a case, in order: submissions, decisions with reasons, returns,
    assignments, comments, and the structured data each review step captured."""

    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    occurred_at = Timestamptz()
    actor = ForeignKey(references=AppUser, on_delete=OnDelete.set_null, null=True, default=None)
    actor_label = Varchar(length=200)
    actor_role = Varchar(length=32, null=True, default=None)
    action = Varchar(length=40)
    from_state = Varchar(length=32, null=True, default=None)
    to_state = Varchar(length=32, null=True, default=None)
    reason = Text(null=True, default=None)
    data = JSON(default="{}")


class Wish(Table, tablename="wish"):
    """A staff member's wish for a resource, sent to the ICT mentors of their unit."""

    requester = ForeignKey(references=AppUser, on_delete=OnDelete.set_null, null=True, default=None)
    requester_label = Varchar(length=200)
    unit_code = Varchar(length=64, index=True)
    name = Varchar(length=200)
    url = Varchar(length=2048, null=True, default=None)
    description = Text(default="")
    reason = Text(default="")
    status = Varchar(length=16, default="open")
    handled_by = Varchar(length=200, null=True, default=None)
    decline_reason = Text(null=True, default=None)
    case = ForeignKey(references=Case, on_delete=OnDelete.set_null, null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Attachment(Table, tablename="case_attachment"):
    """A document on a case (DPA, DPIA, accessibility statement), stored in the database so
    every worker can serve it."""

    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    filename = Varchar(length=255)
    content_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    document_kind = Varchar(length=32, default="other")  # dpa, dpia, accessibility_statement, other
    content = Bytea()
    uploaded_by = Varchar(length=200)
    uploaded_at = Timestamptz()


class Notification(Table, tablename="notification"):
    """The outbox: written in the same transaction as the change it tells about, delivered later."""

    recipient = ForeignKey(references=AppUser, on_delete=OnDelete.cascade, index=True)
    email = Varchar(length=320, null=True, default=None)
    kind = Varchar(length=32)
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, null=True, default=None)
    subject = Varchar(length=300)
    body = Text()
    link = Varchar(length=500, null=True, default=None)  # the page where the recipient acts
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)
    delivery = Varchar(length=16, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    last_error = Text(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)


class AuditEntry(Table, tablename="audit_log"):
    """Append-only, hash-chained: each row carries the previous row's hash."""

    occurred_at = Varchar(length=40)
    actor = Varchar(length=200)
    actor_user_id = Integer(null=True, default=None)
    action = Varchar(length=64, index=True)
    object_type = Varchar(length=32)
    object_id = Varchar(length=64, index=True)
    data = Text(default="{}")
    prev_hash = Varchar(length=64)
    entry_hash = Varchar(length=64)


TABLES = (Case, CaseEvent, Wish, Attachment, Notification, AuditEntry)
