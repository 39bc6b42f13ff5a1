"""The audit chain: every case action, resource change and role change appends one row, inside
the same transaction as the change. Each row's hash covers its content and the previous hash;
the head (last id and hash) is kept in app_meta so a deleted last row is noticed too."""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from catalogue.db import current_engine, is_sqlite
from catalogue.tables import AppMeta
from workflows.tables import AuditEntry

GENESIS = "0" * 64
HEAD_KEY = "audit_head"
_LOCK_KEY = 0x4C4B_0A0D  # PostgreSQL advisory lock serialising appends to the chain


def canonical(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, occurred_at: str, actor: str, actor_user_id: int | None, action: str,
               object_type: str, object_id: str, data: str) -> str:
    material = canonical([prev_hash, occurred_at, actor, actor_user_id, action, object_type, object_id, data])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


async def lock_chain() -> None:
    """Take the chain's lock in the current PostgreSQL transaction (held until it ends; taking it
    again is free). Whatever else a transaction locks that an append may also be waiting behind
    (the search index's counter row) must be locked after this, so two writers never wait for each
    other in opposite orders."""
    if not is_sqlite(current_engine()):
        await AuditEntry.raw("SELECT pg_advisory_xact_lock({})", _LOCK_KEY)


async def append(action: str, object_type: str, object_id: Any, data: dict[str, Any] | None = None, *,
                 actor: str, actor_user_id: int | None = None) -> str:
    """Append one entry. Must run inside the caller's write transaction, so the change and its
    audit row commit or roll back together. Returns the new entry's hash."""
    engine = current_engine()
    if engine.current_transaction.get() is None:
        raise RuntimeError("audit.append must run inside the transaction of the change it records")
    # SQLite's IMMEDIATE transaction already excludes other writers; PostgreSQL needs a lock
    await lock_chain()
    head = await AppMeta.select(AppMeta.value).where(AppMeta.key == HEAD_KEY).first()
    prev_hash = json.loads(head["value"])["hash"] if head else GENESIS
    occurred_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds")
    payload = canonical(data or {})
    digest = entry_hash(prev_hash, occurred_at, actor, actor_user_id, action, object_type, str(object_id), payload)
    inserted = await AuditEntry.insert(AuditEntry(
        occurred_at=occurred_at, actor=actor[:200], actor_user_id=actor_user_id, action=action,
        object_type=object_type, object_id=str(object_id), data=payload, prev_hash=prev_hash, entry_hash=digest,
    )).returning(AuditEntry.id)
    head_value = canonical({"id": inserted[0]["id"], "hash": digest})
    if head:
        await AppMeta.update({AppMeta.value: head_value}).where(AppMeta.key == HEAD_KEY)
    else:
        await AppMeta.insert(AppMeta(key=HEAD_KEY, value=head_value))
    return digest


@dataclass
class Verification:
    ok: bool
    entries: int
    broken_at: int | None = None
    problem: str = ""


async def verify(batch: int = 5000) -> Verification:
    """Walk the chain from the start; report the first entry whose link or content is wrong."""
    prev_hash = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = await AuditEntry.select().where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        if not rows:
            break
        for row in rows:
            count += 1
            if row["prev_hash"] != prev_hash:
                return Verification(False, count, row["id"], "does not link to the entry before it "
                                    "(an entry before it was changed or deleted)")
            expected = entry_hash(row["prev_hash"], row["occurred_at"], row["actor"], row["actor_user_id"],
                                  row["action"], row["object_type"], row["object_id"], row["data"])
            if expected != row["entry_hash"]:
                return Verification(False, count, row["id"], "its content does not match its hash (altered)")
            prev_hash = row["entry_hash"]
            last_id = row["id"]
    head = await AppMeta.select(AppMeta.value).where(AppMeta.key == HEAD_KEY).first()
    if head:
        recorded = json.loads(head["value"])
        if recorded["hash"] != prev_hash or recorded["id"] != last_id:
            return Verification(False, count, recorded["id"], "the newest entries were deleted")
    elif count:
        return Verification(False, count, None, "the chain's head record is missing")
    return Verification(True, count)


async def entries_for(object_type: str, object_id: Any) -> list[dict[str, Any]]:
    rows = await AuditEntry.select().where(
        (AuditEntry.object_type == object_type) & (AuditEntry.object_id == str(object_id))
    ).order_by(AuditEntry.id)
    return [{**r, "data": json.loads(r["data"])} for r in rows]
