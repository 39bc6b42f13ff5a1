"""Attachments on cases: the DPA, the DPIA, a vendor's accessibility statement. The type is
decided from the content, not from what the client claims, and must be on the allow-list."""

from __future__ import annotations

import datetime
import hashlib
import re
from typing import Any

from catalogue.db import write_transaction
from catalogue.problems import Problem
from catalogue.resources import now
from catalogue.security.access import Principal
from workflows import audit
from workflows.schemas import DOCUMENT_KINDS, AttachmentOut
from workflows.service import visible_case
from workflows.tables import Attachment

OFFICE_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}
ALLOWED = {"application/pdf", "image/png", "image/jpeg", "text/plain", *OFFICE_TYPES.values()}


def sniff(filename: str, content: bytes) -> str | None:
    """The content type by the file's own bytes, or None when it is not an allowed type."""
    suffix = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"PK\x03\x04") and suffix in OFFICE_TYPES:
        return OFFICE_TYPES[suffix]
    if suffix in (".txt", ".csv", ".md", "") and b"\x00" not in content:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "text/plain"
    return None


def safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "_", name).strip(" .")
    return (name or "vedlegg")[:200]


def _out(row: dict[str, Any]) -> AttachmentOut:
    uploaded = row["uploaded_at"]
    if not isinstance(uploaded, datetime.datetime):
        uploaded = datetime.datetime.fromisoformat(str(uploaded))
    return AttachmentOut(id=row["id"], filename=row["filename"], kind=row["document_kind"],
                         content_type=row["content_type"],
                         size=row["size"], sha256=row["sha256"], uploaded_by=row["uploaded_by"], uploaded_at=uploaded)


async def add(case_id: int, filename: str, content: bytes, principal: Principal, max_bytes: int,
              kind: str = "other") -> AttachmentOut:
    """Store a document on the case; ``kind`` says what it is (a DPA or DPIA is what a privacy
    approval looks for)."""
    row = await visible_case(case_id, principal)
    from workflows.service import may_comment

    if not may_comment(row, principal):
        raise Problem(403, "You may read this case but not add documents to it.")
    if kind not in DOCUMENT_KINDS:
        raise Problem(422, f"Unknown document kind {kind!r}.",
                      errors=[{"field": "kind", "message": f"one of {', '.join(DOCUMENT_KINDS)}"}])
    if not content:
        raise Problem(422, "The file is empty.", errors=[{"field": "file", "message": "empty"}])
    if len(content) > max_bytes:
        raise Problem(413, f"The file is larger than {max_bytes // (1024 * 1024)} MB.",
                      errors=[{"field": "file", "message": "too large"}])
    name = safe_filename(filename)
    content_type = sniff(name, content)
    if content_type not in ALLOWED:
        raise Problem(415, "Only PDF, PNG, JPEG, plain text and office documents (docx, xlsx, pptx, odt, ods).",
                      errors=[{"field": "file", "message": "type not allowed"}])
    digest = hashlib.sha256(content).hexdigest()
    async with write_transaction():
        inserted = await Attachment.insert(Attachment(
            case=case_id, filename=name, content_type=content_type, size=len(content), sha256=digest,
            document_kind=kind,
            content=content, uploaded_by=principal.label, uploaded_at=now(),
        )).returning(Attachment.id)
        await audit.append("case.attach", "case", case_id,
                           {"attachment_id": inserted[0]["id"], "filename": name, "sha256": digest, "size": len(content),
                            "kind": kind},
                           actor=principal.label, actor_user_id=principal.user_id)
    return await one(case_id, inserted[0]["id"], principal)


async def listing(case_id: int, principal: Principal) -> list[AttachmentOut]:
    await visible_case(case_id, principal)
    rows = await Attachment.select(Attachment.id, Attachment.filename, Attachment.document_kind,
                                   Attachment.content_type, Attachment.size,
                                   Attachment.sha256, Attachment.uploaded_by, Attachment.uploaded_at).where(
        Attachment.case == case_id).order_by(Attachment.id)
    return [_out(r) for r in rows]


async def one(case_id: int, attachment_id: int, principal: Principal) -> AttachmentOut:
    return next((a for a in await listing(case_id, principal) if a.id == attachment_id), None) or \
        _missing(attachment_id)


def _missing(attachment_id: int):
    raise Problem(404, f"No attachment with id {attachment_id}.")


async def content(case_id: int, attachment_id: int, principal: Principal) -> tuple[AttachmentOut, bytes]:
    await visible_case(case_id, principal)
    row = await Attachment.select().where((Attachment.id == attachment_id) & (Attachment.case == case_id)).first()
    if row is None:
        _missing(attachment_id)
    return _out(row), bytes(row["content"])
