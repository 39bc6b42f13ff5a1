"""/api/v1 reference data: levels, subjects, kindergarten areas, units, vendors."""

from __future__ import annotations

from typing import Annotated, Optional

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from catalogue import taxonomy
from catalogue.domain import Role
from catalogue.etags import etag
from catalogue.schemas import (
    KindergartenAreaOut,
    LevelOut,
    SubjectOut,
    SubjectPatch,
    UnitCreate,
    UnitOut,
    UnitPatch,
    VendorOut,
)
from catalogue.security.access import SIGNED_IN, rule

ADMIN = rule({Role.ADMIN.value})
IfMatch = Annotated[Optional[str], HeaderParameter(name="If-Match", required=False)]


def _unit_response(unit: UnitOut, status_code: int = 200) -> Response[UnitOut]:
    return Response(unit, status_code=status_code, headers={"ETag": etag("unit", unit.code, unit.version)})


class TaxonomyController(Controller):
    path = "/api/v1"
    tags = ["taxonomy"]

    @get("/levels", opt=rule(SIGNED_IN), summary="Levels: kindergarten and trinn 1–10 with their bands")
    async def list_levels(self) -> list[LevelOut]:
        return await taxonomy.levels()

    @get("/subjects", opt=rule(SIGNED_IN), summary="Subjects with their current curriculum codes")
    async def list_subjects(self) -> list[SubjectOut]:
        return await taxonomy.subjects()

    @get("/subjects/{code:str}", opt=rule(SIGNED_IN), summary="One subject")
    async def get_subject(self, code: FromPath[str]) -> SubjectOut:
        return await taxonomy.subject(code)

    @patch("/subjects/{code:str}", opt=ADMIN, summary="Change a subject's name or curriculum code")
    async def update_subject(self, request: Request, code: FromPath[str], data: JSONBody[SubjectPatch]) -> SubjectOut:
        return await taxonomy.update_subject(code, data, request.user)

    @get("/kindergarten-areas", opt=rule(SIGNED_IN), summary="The kindergarten framework plan's areas")
    async def list_kindergarten_areas(self) -> list[KindergartenAreaOut]:
        return await taxonomy.kindergarten_areas()

    @get("/vendors", opt=rule(SIGNED_IN), summary="Vendors of resources")
    async def list_vendors(self) -> list[VendorOut]:
        return await taxonomy.vendors()


class UnitController(Controller):
    path = "/api/v1/units"
    tags = ["units"]

    @get("/", opt=rule(SIGNED_IN), summary="Kindergartens, schools and services")
    async def list_units(
        self,
        include_inactive: Annotated[bool, QueryParameter(name="include_inactive")] = False,
    ) -> list[UnitOut]:
        return await taxonomy.units(include_inactive)

    @get("/{code:str}", opt=rule(SIGNED_IN), summary="One unit (with its ETag)")
    async def get_unit(self, code: FromPath[str]) -> Response[UnitOut]:
        return _unit_response(await taxonomy.unit(code))

    @post("/", opt=ADMIN, summary="Add a unit")
    async def create_unit(self, request: Request, data: JSONBody[UnitCreate]) -> Response[UnitOut]:
        return _unit_response(await taxonomy.create_unit(data, request.user), 201)

    @patch("/{code:str}", opt=ADMIN, summary="Change a unit (If-Match required); deactivate instead of delete")
    async def update_unit(self, request: Request, code: FromPath[str], data: JSONBody[UnitPatch],
                          if_match: IfMatch = None) -> Response[UnitOut]:
        return _unit_response(await taxonomy.update_unit(code, data, if_match, request.user))
