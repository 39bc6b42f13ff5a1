"""/api/v1/equipment: kinds, the standard and its changes, unit counts, holdings, imports, the
gap and plan (JSON, XLSX, CSV) and the year's figures for the annual report."""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal, Optional

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, HeaderParameter, JSONBody, PathParameter, QueryParameter

from catalogue.etags import etag
from catalogue.problems import Problem
from catalogue.security.access import SIGNED_IN, rule
from equipment import domain, export, holdings, imports, kinds, plan, standards
from equipment.common import today
from equipment.schemas import (
    AnnualFigures,
    ChangeAction,
    HoldingCreate,
    HoldingOut,
    HoldingPage,
    HoldingPatch,
    ImportOut,
    KindCreate,
    KindOut,
    KindPatch,
    KindRef,
    MunicipalityPlanOut,
    StandardChangeCreate,
    StandardChangeOut,
    StandardChangePage,
    StandardChangePatch,
    StandardEventOut,
    StandardOut,
    StandardVersionOut,
    UnitCountsBody,
    UnitCountsOut,
    UnitPlanOut,
)

IfMatch = Annotated[Optional[str], HeaderParameter(name="If-Match", required=False)]
OnDate = Annotated[Optional[datetime.date], QueryParameter(name="date", required=False,
                                                           description="the day the plan is made on (today)")]
Years = Annotated[int, QueryParameter(name="years", ge=1, le=plan.MAX_YEARS)]
Format = Annotated[Literal["xlsx", "csv"], QueryParameter(name="format")]
Table = Annotated[Literal["gap", "plan", "units"], QueryParameter(name="table")]
UnitTypeFilter = Annotated[Optional[Literal["barnehage", "skole", "tjeneste"]],
                           QueryParameter(name="unit_type", required=False)]
MAX_IMPORT_BYTES = 5 * 1024 * 1024

READERS = rule(SIGNED_IN)
KIND_EDITORS = rule(domain.KIND_EDITORS)
PLANNERS = rule(domain.PLANNERS)
EQUIPMENT_USERS = rule(domain.EQUIPMENT_USERS)
HOLDING_EDITORS = rule(domain.HOLDING_EDITORS)
COUNT_EDITORS = rule(domain.COUNT_EDITORS)
CHANGE_READERS = rule(domain.CHANGE_READERS)
PROPOSERS = rule(domain.STANDARD_PROPOSERS)


def _kind(kind: KindOut, status_code: int = 200) -> Response[KindOut]:
    return Response(kind, status_code=status_code, headers={"ETag": etag("equipment-kind", kind.code, kind.version)})


def _change(change: StandardChangeOut, status_code: int = 200) -> Response[StandardChangeOut]:
    return Response(change, status_code=status_code,
                    headers={"ETag": standards.change_etag(change.id, change.version),
                             "Location": f"/api/v1/equipment/standard-changes/{change.id}"})


def _holding(holding: HoldingOut, status_code: int = 200) -> Response[HoldingOut]:
    return Response(holding, status_code=status_code, headers={"ETag": holdings.holding_etag(holding.id, holding.version)})


def _download(content: bytes, fmt: str, name: str) -> Response[bytes]:
    return Response(content, media_type=export.media_type(fmt), headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


class KindController(Controller):
    path = "/api/v1/equipment/kinds"
    tags = ["equipment"]

    @get("/", opt=READERS, summary="Equipment kinds with lifetime, typical price and the resources that need them")
    async def list_kinds(self, request: Request,
                         include_inactive: Annotated[bool, QueryParameter(name="include_inactive")] = False
                         ) -> list[KindOut]:
        return await kinds.list_kinds(request.user, include_inactive)

    @post("/", opt=KIND_EDITORS, summary="Add an equipment kind")
    async def create_kind(self, request: Request, data: JSONBody[KindCreate]) -> Response[KindOut]:
        return _kind(await kinds.create_kind(data, request.user), 201)

    @get("/{code:str}", opt=READERS, summary="One equipment kind (with its ETag)")
    async def get_kind(self, request: Request, code: FromPath[str]) -> Response[KindOut]:
        return _kind(await kinds.get_kind(code, request.user))

    @patch("/{code:str}", opt=KIND_EDITORS, summary="Change a kind (If-Match required); retire it with active=false")
    async def update_kind(self, request: Request, code: FromPath[str], data: JSONBody[KindPatch],
                          if_match: IfMatch = None) -> Response[KindOut]:
        return _kind(await kinds.update_kind(code, data, if_match, request.user))

    @put("/{code:str}/resources/{resource_id:int}", opt=KIND_EDITORS, status_code=200,
         summary="Say that a learning resource needs this kind")
    async def link(self, request: Request, code: FromPath[str], resource_id: FromPath[int]) -> Response[KindOut]:
        await kinds.link_resource(code, resource_id, request.user)
        return _kind(await kinds.get_kind(code, request.user))

    @delete("/{code:str}/resources/{resource_id:int}", opt=KIND_EDITORS, status_code=200,
            summary="Remove the link between a kind and a resource")
    async def unlink(self, request: Request, code: FromPath[str], resource_id: FromPath[int]) -> Response[KindOut]:
        await kinds.unlink_resource(code, resource_id, request.user)
        return _kind(await kinds.get_kind(code, request.user))


@get("/api/v1/equipment/resources/{resource_id:int}/kinds", opt=READERS, tags=["equipment"],
     summary="The equipment a learning resource needs")
async def resource_kinds(request: Request, resource_id: FromPath[int]) -> list[KindRef]:
    return await kinds.kinds_for_resource(resource_id, request.user)


class StandardController(Controller):
    path = "/api/v1/equipment/standards"
    tags = ["equipment"]

    @get("/", opt=READERS, summary="The standard of every unit type in force on a date (today)")
    async def list_standards(self, on: OnDate = None) -> list[StandardOut]:
        loaded = await standards.load_standards()
        return [standards.standard_out(loaded, t, on or today()) for t in domain.UNIT_TYPES]

    @get("/{unit_type:str}", opt=READERS, summary="A unit type's standard in force on a date, with its ETag")
    async def get_standard(self, unit_type: FromPath[str], on: OnDate = None) -> Response[StandardOut]:
        found = await standards.standard(unit_type, on)
        return Response(found, headers={"ETag": standards.standard_etag(unit_type, found.revision)})

    @get("/{unit_type:str}/history", opt=READERS, summary="Every approved revision of a unit type's standard")
    async def standard_history(self, unit_type: FromPath[str]) -> list[StandardVersionOut]:
        return await standards.history(unit_type)

    @post("/{unit_type:str}/changes", opt=PROPOSERS,
          summary="Propose a new standard for the unit type; If-Match with the standard's ETag (412 if replaced)")
    async def propose(self, request: Request, unit_type: FromPath[str], data: JSONBody[StandardChangeCreate],
                      if_match: IfMatch = None) -> Response[StandardChangeOut]:
        change_id = await standards.create_change(unit_type, data, if_match, request.user)
        return _change(await standards.change_out(change_id, request.user), 201)


class StandardChangeController(Controller):
    path = "/api/v1/equipment/standard-changes"
    tags = ["equipment"]

    @get("/", opt=CHANGE_READERS, summary="Changes of the standard (cases of the standard_change workflow)")
    async def list_changes(
        self, request: Request, unit_type: UnitTypeFilter = None,
        open_only: Annotated[bool, QueryParameter(name="open")] = False,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=100)] = 20,
        offset: Annotated[int, QueryParameter(name="offset", ge=0, le=1_000_000)] = 0,
    ) -> StandardChangePage:
        items, total = await standards.list_changes(request.user, unit_type=unit_type, open_only=open_only,
                                                    limit=limit, offset=offset)
        return StandardChangePage(items=items, total=total, limit=limit, offset=offset)

    @get("/{change_id:int}", opt=CHANGE_READERS, summary="One change, with the actions the caller may take")
    async def get_change(self, request: Request, change_id: FromPath[int]) -> Response[StandardChangeOut]:
        return _change(await standards.change_out(change_id, request.user))

    @patch("/{change_id:int}", opt=PROPOSERS, summary="The proposer edits a draft or returned change (If-Match)")
    async def edit_change(self, request: Request, change_id: FromPath[int], data: JSONBody[StandardChangePatch],
                          if_match: IfMatch = None) -> Response[StandardChangeOut]:
        await standards.edit_change(change_id, data, if_match, request.user)
        return _change(await standards.change_out(change_id, request.user))

    @post("/{change_id:int}/actions", opt=CHANGE_READERS, status_code=200,
          summary="submit, approve, return, reject, resubmit, withdraw; If-Match required")
    async def act(self, request: Request, change_id: FromPath[int], data: JSONBody[ChangeAction],
                  if_match: IfMatch = None) -> Response[StandardChangeOut]:
        await standards.apply_action(change_id, data, if_match, request.user)
        return _change(await standards.change_out(change_id, request.user))

    @get("/{change_id:int}/history", opt=CHANGE_READERS, summary="What happened on the change, in order")
    async def history(self, request: Request, change_id: FromPath[int]) -> list[StandardEventOut]:
        return await standards.events(change_id, request.user)


class UnitEquipmentController(Controller):
    path = "/api/v1/equipment/units"
    tags = ["equipment"]

    @get("/{code:str}", opt=EQUIPMENT_USERS, summary="A unit's counts, gap against the standard and plan per year")
    async def unit_plan(self, request: Request, code: FromPath[str], on: OnDate = None,
                        years: Years = plan.DEFAULT_YEARS) -> UnitPlanOut:
        return await plan.unit_plan(code, request.user, on, years)

    @get("/{code:str}/export", opt=EQUIPMENT_USERS, summary="A unit's gap and plan as XLSX or CSV")
    async def unit_export(self, request: Request, code: FromPath[str], fmt: Format = "xlsx", table: Table = "gap",
                          on: OnDate = None, years: Years = plan.DEFAULT_YEARS) -> Response[bytes]:
        content = await export.unit_export(code, request.user, fmt, table, on, years)
        return _download(content, fmt, export.filename(f"utstyr-{code}", on or today(), fmt, table))

    @get("/{code:str}/counts", opt=EQUIPMENT_USERS, summary="The unit's counts, with their ETag")
    async def get_counts(self, request: Request, code: FromPath[str]) -> Response[UnitCountsOut]:
        found = await holdings.counts(await holdings.seen_unit(code, request.user))
        return Response(found, headers={"ETag": holdings.counts_etag(code, found.version)})

    @put("/{code:str}/counts", opt=COUNT_EDITORS,
         summary="Set children, pupils, departments and class rooms (If-Match; version 0 before the first count)")
    async def set_counts(self, request: Request, code: FromPath[str], data: JSONBody[UnitCountsBody],
                         if_match: IfMatch = None) -> Response[UnitCountsOut]:
        found = await holdings.set_counts(code, data, if_match, request.user)
        return Response(found, headers={"ETag": holdings.counts_etag(code, found.version)})

    @get("/{code:str}/holdings", opt=EQUIPMENT_USERS, summary="The unit's holdings, a page at a time")
    async def list_holdings(
        self, request: Request, code: FromPath[str],
        kind: Annotated[Optional[str], QueryParameter(name="kind", required=False, max_length=64)] = None,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=500)] = 50,
        offset: Annotated[int, QueryParameter(name="offset", ge=0, le=1_000_000)] = 0,
    ) -> HoldingPage:
        unit = await holdings.seen_unit(code, request.user)
        items, total = await holdings.list_holdings(unit, kind=kind, limit=limit, offset=offset)
        return HoldingPage(items=items, total=total, limit=limit, offset=offset)

    @post("/{code:str}/holdings", opt=HOLDING_EDITORS, summary="Register devices the unit has")
    async def add_holding(self, request: Request, code: FromPath[str], data: JSONBody[HoldingCreate]
                          ) -> Response[HoldingOut]:
        return _holding(await holdings.add_holding(code, data, request.user), 201)

    @post("/{code:str}/imports", opt=HOLDING_EDITORS, status_code=201, request_max_body_size=MAX_IMPORT_BYTES,
          summary="Upload a holdings sheet (multipart 'file', CSV or XLSX; 'mode' replace or append); "
                  "dry_run=true (the default) checks and keeps it, false also applies it")
    async def upload(
        self, request: Request, code: FromPath[str],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
        dry_run: Annotated[bool, QueryParameter(name="dry_run")] = True,
    ) -> ImportOut:
        upload = data.get("file")
        if not isinstance(upload, UploadFile):
            raise Problem(422, "Send the sheet in the multipart field 'file'.",
                          errors=[{"field": "file", "message": "required"}])
        mode = data.get("mode") or "replace"
        content = await upload.read(MAX_IMPORT_BYTES + 1)
        if len(content) > MAX_IMPORT_BYTES:
            raise Problem(413, "The sheet is larger than 5 MB.")
        checked = await imports.dry_run(code, content, upload.filename or "", upload.content_type,
                                        mode if isinstance(mode, str) else "", request.user)
        if dry_run:
            return checked
        if checked.errors:
            raise Problem(422, f"The sheet has {len(checked.errors)} error(s); nothing was written.",
                          type_slug="import-invalid", import_id=checked.id,
                          errors=[{"field": "file", "row": e.row, "column": e.column, "message": e.message}
                                  for e in checked.errors])
        return await imports.apply(checked.id, request.user)


class HoldingController(Controller):
    path = "/api/v1/equipment"
    tags = ["equipment"]

    @get("/holdings/{holding_id:int}", opt=EQUIPMENT_USERS, summary="One holding (with its ETag)")
    async def get_holding(self, request: Request, holding_id: FromPath[int]) -> Response[HoldingOut]:
        return _holding(await holdings.get_holding(holding_id, request.user))

    @patch("/holdings/{holding_id:int}", opt=HOLDING_EDITORS, summary="Change a holding (If-Match required)")
    async def update_holding(self, request: Request, holding_id: FromPath[int], data: JSONBody[HoldingPatch],
                             if_match: IfMatch = None) -> Response[HoldingOut]:
        return _holding(await holdings.update_holding(holding_id, data, if_match, request.user))

    @delete("/holdings/{holding_id:int}", opt=HOLDING_EDITORS, status_code=204,
            summary="Remove devices the unit no longer has (If-Match required)")
    async def delete_holding(self, request: Request, holding_id: FromPath[int], if_match: IfMatch = None) -> None:
        await holdings.delete_holding(holding_id, if_match, request.user)

    @get("/imports/{import_id:int}", opt=HOLDING_EDITORS, summary="A holdings import and what its dry run found")
    async def get_import(self, request: Request, import_id: FromPath[int]) -> ImportOut:
        return await imports.get_import(import_id, request.user)

    @post("/imports/{import_id:int}/apply", opt=HOLDING_EDITORS, status_code=200,
          summary="Apply a checked import (409 if it had errors, was applied, or the holdings changed since)")
    async def apply_import(self, request: Request, import_id: FromPath[int]) -> ImportOut:
        return await imports.apply(import_id, request.user)

    @get("/plan", opt=PLANNERS, summary="The municipality's gap and plan: every unit, kind and budget year")
    async def municipality_plan(self, request: Request, on: OnDate = None, years: Years = plan.DEFAULT_YEARS,
                                unit_type: UnitTypeFilter = None) -> MunicipalityPlanOut:
        return await plan.municipality_plan(request.user, on, years, unit_type)

    @get("/plan/export", opt=PLANNERS, summary="The municipality's gap and plan as XLSX or CSV")
    async def plan_export(self, request: Request, fmt: Format = "xlsx", table: Table = "gap", on: OnDate = None,
                          years: Years = plan.DEFAULT_YEARS, unit_type: UnitTypeFilter = None) -> Response[bytes]:
        content = await export.municipality_export(request.user, fmt, table, on, years, unit_type)
        return _download(content, fmt, export.filename("utstyrsplan", on or today(), fmt, table))

    @get("/annual-figures/{year:int}", opt=PLANNERS, summary="The year's equipment figures for the annual report")
    async def annual_figures(self, year: Annotated[int, PathParameter(schema_extra={"minimum": 2000})]) -> AnnualFigures:
        if not 2000 <= year <= today().year:
            raise Problem(422, f"year: from 2000 to {today().year}",
                          errors=[{"field": "year", "message": f"from 2000 to {today().year}"}])
        return await plan.annual_figures(year)


equipment_handlers = [KindController, resource_kinds, StandardController, StandardChangeController,
                      UnitEquipmentController, HoldingController]
