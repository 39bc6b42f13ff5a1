"""/api/v1/search-synonyms: the search's synonym list, for the admin (catalogue.search.synonyms)."""

from __future__ import annotations

from typing import Annotated, Optional

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from catalogue.api.resource_filters import one_value
from catalogue.domain import Role
from catalogue.etags import etag
from catalogue.problems import Problem
from catalogue.search import synonyms
from catalogue.search.synonyms import SynonymCreate, SynonymOut, SynonymPage, SynonymPatch
from catalogue.security.access import rule

ADMIN = rule({Role.ADMIN.value})
IfMatch = Annotated[Optional[str], HeaderParameter(name="If-Match", required=False)]


def _response(synonym: SynonymOut, status_code: int = 200) -> Response[SynonymOut]:
    return Response(synonym, status_code=status_code,
                    headers={"ETag": etag("search_synonym", synonym.id, synonym.version)})


class SearchSynonymController(Controller):
    path = "/api/v1/search-synonyms"
    tags = ["search"]

    @get("/", opt=ADMIN, summary="The search's synonyms, in alphabetical order of the word")
    async def list_synonyms(
        self,
        kind: Annotated[Optional[str], QueryParameter(
            name="kind", required=False, schema_extra=one_value({"enum": list(synonyms.KIND_LABELS)}))] = None,
        q: Annotated[Optional[str], QueryParameter(name="q", max_length=100, required=False)] = None,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(name="offset", ge=0, le=1_000_000)] = 0,
    ) -> SynonymPage:
        if kind is not None and kind not in synonyms.KIND_LABELS:
            raise Problem(400, f"Unknown kind {kind!r}.", errors=[{"field": "kind", "message": "unknown kind"}])
        return await synonyms.list_synonyms(kind, q, limit, offset)

    @get("/{synonym_id:int}", opt=ADMIN, summary="One synonym (with its ETag)")
    async def get_synonym(self, synonym_id: FromPath[int]) -> Response[SynonymOut]:
        return _response(await synonyms.get_synonym(synonym_id))

    @post("/", opt=ADMIN, summary="Add a synonym; the next search in every worker uses it")
    async def create_synonym(self, request: Request, data: JSONBody[SynonymCreate]) -> Response[SynonymOut]:
        return _response(await synonyms.create_synonym(data, request.user), 201)

    @patch("/{synonym_id:int}", opt=ADMIN, summary="Change a synonym (If-Match required)")
    async def update_synonym(self, request: Request, synonym_id: FromPath[int], data: JSONBody[SynonymPatch],
                             if_match: IfMatch = None) -> Response[SynonymOut]:
        return _response(await synonyms.update_synonym(synonym_id, data, if_match, request.user))

    @delete("/{synonym_id:int}", opt=ADMIN, summary="Delete a synonym (If-Match required)", status_code=204)
    async def delete_synonym(self, request: Request, synonym_id: FromPath[int], if_match: IfMatch = None) -> None:
        await synonyms.delete_synonym(synonym_id, if_match, request.user)


search_synonym_api_handlers: list = [SearchSynonymController]
