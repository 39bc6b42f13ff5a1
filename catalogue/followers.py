"""People who follow a resource: they are told when it is to be phased out, with its end date."""

from __future__ import annotations

import datetime

from catalogue.db import write_transaction
from catalogue.tables import ResourceFollower


async def is_following(resource_id: int, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return await ResourceFollower.exists().where(
        (ResourceFollower.resource == resource_id) & (ResourceFollower.user == user_id))


async def follow(resource_id: int, user_id: int) -> bool:
    """Start following; False when the user already did (the unique key settles a race)."""
    async with write_transaction():
        if await is_following(resource_id, user_id):
            return False
        await ResourceFollower.insert(ResourceFollower(
            resource=resource_id, user=user_id, created_at=datetime.datetime.now(datetime.timezone.utc)))
    return True


async def unfollow(resource_id: int, user_id: int) -> bool:
    async with write_transaction():
        removed = await ResourceFollower.delete().where(
            (ResourceFollower.resource == resource_id) & (ResourceFollower.user == user_id)
        ).returning(ResourceFollower.id)
    return bool(removed)


async def followers_of(resource_id: int) -> list[int]:
    rows = await ResourceFollower.select(ResourceFollower.user).where(ResourceFollower.resource == resource_id)
    return [r["user"] for r in rows]


# --- subjects, levels and units: told when a resource enters or leaves the base package for them --

TOPIC_KINDS = ("subject", "level", "unit")
_TOPIC_TABLES = {"subject": "subject", "level": "level", "unit": "unit"}


async def known_topic(kind: str, code: str) -> bool:
    from catalogue.search.sql import execute

    if kind not in TOPIC_KINDS:
        return False
    rows = await execute(f"SELECT 1 AS found FROM {_TOPIC_TABLES[kind]} WHERE code = {{}}", code)
    return bool(rows)


async def topics_of(user_id: int) -> list[tuple[str, str]]:
    """What the user follows, as (kind, code), in a stable order."""
    from catalogue.search.sql import execute

    rows = await execute('SELECT kind, code FROM follow_topic WHERE "user" = {} ORDER BY kind, code', user_id)
    return [(r["kind"], r["code"]) for r in rows]


async def follow_topic(user_id: int, kind: str, code: str) -> bool:
    """Start following a subject, level or unit; False when the user already did."""
    from catalogue.search.sql import execute

    async with write_transaction():
        rows = await execute(
            'INSERT INTO follow_topic ("user", kind, code, created_at) VALUES ({}, {}, {}, {})'
            ' ON CONFLICT ("user", kind, code) DO NOTHING RETURNING id',
            user_id, kind, code, datetime.datetime.now(datetime.timezone.utc))
    return bool(rows)


async def unfollow_topic(user_id: int, kind: str, code: str) -> bool:
    from catalogue.search.sql import execute

    async with write_transaction():
        rows = await execute('DELETE FROM follow_topic WHERE "user" = {} AND kind = {} AND code = {} RETURNING id',
                             user_id, kind, code)
    return bool(rows)


async def set_topics(user_id: int, wanted: set[tuple[str, str]]) -> tuple[int, int]:
    """Follow exactly ``wanted`` (the page's form); returns how many were added and removed."""
    current = set(await topics_of(user_id))
    added = removed = 0
    for kind, code in sorted(wanted - current):
        added += await follow_topic(user_id, kind, code)
    for kind, code in sorted(current - wanted):
        removed += await unfollow_topic(user_id, kind, code)
    return added, removed


async def resources_followed(user_id: int) -> list[dict]:
    """The resources the user follows (id and name), by name; archived ones too, so they can be let go."""
    from catalogue.search.sql import execute

    rows = await execute('SELECT r.id, r.name, r.status FROM resource_follower f JOIN resource r ON r.id = f.resource'
                         ' WHERE f."user" = {}', user_id)
    return sorted(rows, key=lambda r: (r["name"].casefold(), r["id"]))
