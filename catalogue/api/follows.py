"""/api/v1/users/me/follows: the subjects, levels and units (and resources) the signed-in person
follows. Whoever follows a subject, level or unit is notified when a resource enters or leaves
the base package for it; whoever follows a resource, when it is to be phased out."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Request, delete, get, put
from litestar.params import FromPath, PathParameter
from msgspec import Struct

from catalogue import followers
from catalogue.base_package import topic_names
from catalogue.problems import Problem
from catalogue.security.access import SIGNED_IN, rule

TopicKind = Literal["subject", "level", "unit"]


class FollowedTopic(Struct, kw_only=True):
    kind: str  # subject, level or unit
    code: str
    name: str


class FollowedResource(Struct, kw_only=True):
    id: int
    name: str
    status: str


class Follows(Struct, kw_only=True):
    topics: list[FollowedTopic]
    resources: list[FollowedResource]


class TopicFollowing(Struct, kw_only=True):
    kind: str
    code: str
    following: bool


async def follows_of(user_id: int) -> Follows:
    names = await topic_names()
    topics = [FollowedTopic(kind=k, code=c, name=names.get((k, c), c)) for k, c in await followers.topics_of(user_id)]
    resources = [FollowedResource(id=r["id"], name=r["name"], status=r["status"])
                 for r in await followers.resources_followed(user_id)]
    return Follows(topics=topics, resources=resources)


async def _checked(kind: str, code: str) -> None:
    if kind not in followers.TOPIC_KINDS:
        raise Problem(422, "One follows a subject, a level or a unit.",
                      errors=[{"field": "kind", "message": "must be subject, level or unit"}])
    if len(code) > 64 or not await followers.known_topic(kind, code):
        raise Problem(422, f"No {kind} with the code {code!r}.",
                      errors=[{"field": "code", "message": f"unknown {kind} code"}])


# subject, level or unit: checked by _checked (a 422 naming the field), listed in the document
TopicKind = Annotated[str, PathParameter(schema_extra={"enum": list(followers.TOPIC_KINDS)})]


@get("/api/v1/users/me/follows", opt=rule(SIGNED_IN), tags=["users"],
     summary="What I follow: subjects, levels and units (told of base package changes) and resources")
async def my_follows(request: Request) -> Follows:
    return await follows_of(request.user.user_id)


@put("/api/v1/users/me/follows/{kind:str}/{code:str}", opt=rule(SIGNED_IN), tags=["users"],
     summary="Follow a subject, level or unit: be told when a resource enters or leaves the base package for it")
async def follow_topic(request: Request, kind: TopicKind, code: FromPath[str]) -> TopicFollowing:
    await _checked(kind, code)
    await followers.follow_topic(request.user.user_id, kind, code)
    return TopicFollowing(kind=kind, code=code, following=True)


@delete("/api/v1/users/me/follows/{kind:str}/{code:str}", opt=rule(SIGNED_IN), tags=["users"], status_code=200,
        summary="Stop following a subject, level or unit")
async def unfollow_topic(request: Request, kind: TopicKind, code: FromPath[str]) -> TopicFollowing:
    if kind not in followers.TOPIC_KINDS:
        await _checked(kind, code)
    await followers.unfollow_topic(request.user.user_id, kind, code)
    return TopicFollowing(kind=kind, code=code, following=False)


follow_api_handlers = [my_follows, follow_topic, unfollow_topic]
