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
