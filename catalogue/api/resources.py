"""/api/v1/resources: the catalogue."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

import msgspec

from litestar import Controller, MediaType, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from catalogue import followers
from catalogue import resources as service
from catalogue import restrictions
from catalogue.api.resource_filters import resource_filters
from catalogue.domain import CATALOGUE_EDITORS, CATALOGUE_INSIDERS
from catalogue.etags import etag, expected_version
from catalogue.restrictions import Change
from catalogue.schemas import (
    Following,
    ResourceCreate,
    ResourceOut,
    ResourcePatch,
    RestrictionChange,
    RestrictionCreate,
    RestrictionLift,
    RestrictionOut,
)
from catalogue.search.listing import SearchQuery, search_resources_json
from catalogue.search.schemas import SearchPage
from catalogue.security.access import SIGNED_IN, Principal, rule
from catalogue.visibility import ResourceFilters

IfMatch = Annotated[Optional[str], HeaderParameter(name="If-Match", required=False)]


def _with_etag(resource: ResourceOut, status_code: int = 200, extra: dict | None = None) -> Response[ResourceOut]:
    headers = {"ETag": etag("resource", resource.id, resource.version)}
    headers.update(extra or {})
    return Response(resource, status_code=status_code, headers=headers)


def _as_seen_by(resource: ResourceOut, principal: Principal) -> ResourceOut:
    """The resource as the page shows it to the caller: the figures and references of the
    reviewers' part («Fullstendig personvernprotokoll») only for the reviewer roles."""
    if principal.has_any(CATALOGUE_INSIDERS):
        return resource
    privacy = msgspec.structs.replace(resource.privacy, dpa_reference=None, dpia_approved_by=None, dpo_advice=None)
    return msgspec.structs.replace(resource, annual_cost_nok=None, licence_count=None, privacy=privacy)


class ResourceController(Controller):
    path = "/api/v1/resources"
    tags = ["resources"]

    @get("/", opt=rule(SIGNED_IN), summary="Search and list resources, with facet counts",
         dependencies={"filters": Provide(resource_filters)})
    async def list_resources(
        self,
        request: Request,
        filters: NamedDependency[ResourceFilters],
        q: Annotated[Optional[str], QueryParameter(
            name="q", required=False, max_length=1000,
            description="Free text over name, vendor, description, subjects, kind and tags (Norwegian"
                        " stemming, compounds, the last word as a prefix, one typo in names)")] = None,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=100)] = 20,
        offset: Annotated[int, QueryParameter(name="offset", ge=0, le=1_000_000)] = 0,
        sort: Annotated[Optional[Literal["relevance", "name", "-name", "newest", "updated"]], QueryParameter(
            name="sort", required=False,
            description="relevance (the default with q), name (the default without), -name, newest, updated")] = None,
        facets: Annotated[bool, QueryParameter(
            name="facets", description="Count each filter's values given the rest of the query")] = True,
    ) -> Response[SearchPage]:
        query = SearchQuery(q=q, filters=filters, limit=limit, offset=offset, sort=sort, facets=facets)
        return Response(await search_resources_json(query, request.user), media_type=MediaType.JSON)

    @get("/{resource_id:int}", opt=rule(SIGNED_IN),
         summary="Get one resource (with its ETag); costs, licence count, DPA reference, DPIA approver and DPO"
                 " advice for the reviewer roles only, as on the page")
    async def get_resource(self, request: Request, resource_id: FromPath[int]) -> Response[ResourceOut]:
        return _with_etag(_as_seen_by(await service.get_resource(resource_id, request.user), request.user))

    @post("/", opt=rule(CATALOGUE_EDITORS), summary="Create a resource")
    async def create_resource(self, request: Request, data: JSONBody[ResourceCreate]) -> Response[ResourceOut]:
        principal: Principal = request.user
        resource_id = await service.create_resource(data, principal)
        resource = await service.get_resource(resource_id, principal)
        return _with_etag(resource, 201, {"Location": f"/api/v1/resources/{resource_id}"})

    @patch("/{resource_id:int}", opt=rule(CATALOGUE_EDITORS), summary="Update part of a resource (If-Match required)")
    async def patch_resource(self, request: Request, resource_id: FromPath[int], data: JSONBody[ResourcePatch],
                             if_match: IfMatch = None) -> Response[ResourceOut]:
        expected = expected_version("resource", resource_id, if_match)
        await service.patch_resource(resource_id, data, expected, request.user)
        return _with_etag(await service.get_resource(resource_id, request.user))

    @post("/{resource_id:int}/archive", opt=rule(CATALOGUE_EDITORS), status_code=200,
          summary="Archive a resource (If-Match required); nothing is ever deleted")
    async def archive_resource(self, request: Request, resource_id: FromPath[int],
                               if_match: IfMatch = None) -> Response[ResourceOut]:
        expected = expected_version("resource", resource_id, if_match)
        await service.archive_resource(resource_id, expected, request.user)
        return _with_etag(await service.get_resource(resource_id, request.user))

    # --- restrictions on use: decided with a reason, their history kept ---------------------------

    @get("/{resource_id:int}/restrictions", opt=rule(SIGNED_IN),
         summary="Every restriction the resource has had: in force, changed or lifted, with who and why")
    async def restriction_history(self, request: Request, resource_id: FromPath[int]) -> list[RestrictionOut]:
        await service.get_resource(resource_id, request.user)  # 404 when hidden from the caller
        return await restrictions.history(resource_id)

    @post("/{resource_id:int}/restrictions", opt=rule(CATALOGUE_EDITORS),
          summary="Add a restriction on use, with the reason for it")
    async def add_restriction(self, request: Request, resource_id: FromPath[int],
                              data: JSONBody[RestrictionCreate]) -> RestrictionOut:
        return await restrictions.decide(resource_id, request.user, add=(data.text, data.reason))

    @put("/{resource_id:int}/restrictions/{restriction_id:int}", opt=rule(CATALOGUE_EDITORS),
         summary="Change the wording of a restriction in force, with the reason (the old wording stays in the history)")
    async def change_restriction(self, request: Request, resource_id: FromPath[int], restriction_id: FromPath[int],
                                 data: JSONBody[RestrictionChange]) -> RestrictionOut:
        return await restrictions.decide(resource_id, request.user,
                                         change=Change(restriction_id, "change", data.reason, data.text))

    @post("/{resource_id:int}/restrictions/{restriction_id:int}/lift", opt=rule(CATALOGUE_EDITORS), status_code=200,
          summary="Lift a restriction, with the reason")
    async def lift_restriction(self, request: Request, resource_id: FromPath[int], restriction_id: FromPath[int],
                               data: JSONBody[RestrictionLift]) -> RestrictionOut:
        return await restrictions.decide(resource_id, request.user, change=Change(restriction_id, "lift", data.reason))

    # --- following: told when the resource is to be phased out ------------------------------------

    @get("/{resource_id:int}/follow", opt=rule(SIGNED_IN), summary="Whether I follow the resource")
    async def following(self, request: Request, resource_id: FromPath[int]) -> Following:
        await service.get_resource(resource_id, request.user)
        return Following(following=await followers.is_following(resource_id, request.user.user_id))

    @put("/{resource_id:int}/follow", opt=rule(SIGNED_IN),
         summary="Follow the resource: be told when it is to be phased out, and its end date")
    async def follow(self, request: Request, resource_id: FromPath[int]) -> Following:
        await service.get_resource(resource_id, request.user)
        await followers.follow(resource_id, request.user.user_id)
        return Following(following=True)

    @delete("/{resource_id:int}/follow", opt=rule(SIGNED_IN), status_code=200, summary="Stop following the resource")
    async def unfollow(self, request: Request, resource_id: FromPath[int]) -> Following:
        await service.get_resource(resource_id, request.user)
        await followers.unfollow(resource_id, request.user.user_id)
        return Following(following=False)
