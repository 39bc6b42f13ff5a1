"""The catalogue as CSV (as Norwegian Excel opens it), XLSX or JSON, with the search's query and
filters and the visibility of the person asking. The spreadsheet's headings are the ones the
spreadsheet import reads, so an exported sheet can be edited and imported again."""

from __future__ import annotations

import datetime
import json
from typing import Any

from catalogue import domain
from catalogue.search.listing import SearchQuery, search_resources
from catalogue.security.access import Principal
from catalogue.spreadsheets import CSV_TYPE, XLSX_TYPE, SheetData, csv_bytes, xlsx_bytes
from catalogue.visibility import ResourceFilters

FORMATS = ("csv", "xlsx", "json")
HEADER = ["Navn", "Leverandør", "Org.nr", "Nettadresse", "Type", "Beskrivelse", "Trinn", "Fag", "Fagområder",
          "Plattform", "Pålogging", "Språk", "Databehandleravtale", "Avtaledato", "Avtalereferanse", "Grunnpakke",
          "Lisensmodell", "Årlig kostnad", "Antall lisenser", "Status i katalogen", "Sist endret", "Id"]
WIDTHS = [30, 26, 12, 36, 20, 50, 16, 28, 20, 18, 14, 14, 16, 12, 16, 10, 18, 12, 12, 16, 12, 8]
PAGE = 100


async def matching_ids(q: str | None, filters: ResourceFilters, principal: Principal, sort: str | None) -> list[int]:
    """Every resource the search finds for this person, in the search's order."""
    ids: list[int] = []
    offset = 0
    while True:
        page = await search_resources(SearchQuery(q=q, filters=filters, limit=PAGE, offset=offset, sort=sort,
                                                  facets=False), principal)
        ids += [item.id for item in page.items]
        offset += PAGE
        if offset >= page.total or not page.items:
            return ids


async def load(ids: list[int]) -> list[dict[str, Any]]:
    """The resources' exported fields, read in batches."""
    from catalogue.tables import PrivacyRecord, Resource, ResourceFacet, Subject, KindergartenArea, Vendor

    subjects = {r["code"]: r["name_nb"] for r in await Subject.select(Subject.code, Subject.name_nb)}
    areas = {r["code"]: r["name_nb"] for r in await KindergartenArea.select(KindergartenArea.code,
                                                                            KindergartenArea.name_nb)}
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = await Resource.select(
            Resource.id, Resource.name, Resource.url, Resource.kind, Resource.description, Resource.status,
            Resource.in_base_package, Resource.licence_model, Resource.annual_cost_nok, Resource.licence_count,
            Resource.updated_at, Resource.vendor.name.as_alias("vendor_name"),
            Resource.vendor.organisation_number.as_alias("organisation_number")).where(Resource.id.is_in(chunk))
        for row in rows:
            out[row["id"]] = {**row, "facets": {}, "privacy": {}}
        for facet in await ResourceFacet.select(ResourceFacet.resource, ResourceFacet.facet, ResourceFacet.value
                                                ).where(ResourceFacet.resource.is_in(chunk)).order_by(
                ResourceFacet.resource).order_by(ResourceFacet.position):
            out[facet["resource"]]["facets"].setdefault(facet["facet"], []).append(facet["value"])
        for record in await PrivacyRecord.select(PrivacyRecord.resource, PrivacyRecord.dpa_status,
                                                 PrivacyRecord.dpa_date, PrivacyRecord.dpa_reference
                                                 ).where(PrivacyRecord.resource.is_in(chunk)):
            out[record["resource"]]["privacy"] = record
    result = []
    for resource_id in ids:
        row = out.get(resource_id)
        if row is None:
            continue
        facets = row["facets"]
        privacy = row["privacy"]
        result.append({
            "id": row["id"], "name": row["name"], "vendor": row["vendor_name"] or "",
            "organisation_number": row["organisation_number"], "url": row["url"], "kind": row["kind"],
            "kind_label": domain.RESOURCE_KINDS.get(row["kind"], row["kind"]), "description": row["description"],
            "levels": facets.get("level", []), "subjects": facets.get("subject", []),
            "subject_names": [subjects.get(c, c) for c in facets.get("subject", [])],
            "kindergarten_areas": facets.get("area", []),
            "kindergarten_area_names": [areas.get(c, c) for c in facets.get("area", [])],
            "platforms": facets.get("platform", []), "logins": facets.get("login", []),
            "languages": facets.get("language", []), "dpa_status": privacy.get("dpa_status"),
            "dpa_date": _day(privacy.get("dpa_date")), "dpa_reference": privacy.get("dpa_reference"),
            "in_base_package": bool(row["in_base_package"]), "licence_model": row["licence_model"],
            "annual_cost_nok": row["annual_cost_nok"], "licence_count": row["licence_count"],
            "status": row["status"], "updated_at": _moment(row["updated_at"]),
        })
    return result


def _day(value: Any) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _moment(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


def _levels(codes: list[str]) -> str:
    return ", ".join(codes)


def _row(r: dict[str, Any]) -> list[Any]:
    def labels(values: list[str], names: dict[str, str]) -> str:
        return ", ".join(names.get(v, v) for v in values)

    return [r["name"], r["vendor"], r["organisation_number"], r["url"], r["kind_label"], r["description"],
            _levels(r["levels"]), "; ".join(r["subject_names"]), "; ".join(r["kindergarten_area_names"]),
            labels(r["platforms"], domain.PLATFORMS), labels(r["logins"], domain.LOGINS),
            labels(r["languages"], domain.LANGUAGES), domain.DPA_STATUSES.get(r["dpa_status"] or "", ""),
            r["dpa_date"], r["dpa_reference"], r["in_base_package"], domain.LICENCE_MODELS.get(r["licence_model"], ""),
            r["annual_cost_nok"], r["licence_count"], domain.RESOURCE_STATUSES.get(r["status"], r["status"]),
            r["updated_at"].date(), r["id"]]


def render(resources: list[dict[str, Any]], fmt: str) -> bytes:
    if fmt == "json":
        items = [{k: v for k, v in r.items() if not k.endswith(("_label", "_names"))} for r in resources]
        return json.dumps({"count": len(items), "items": items}, ensure_ascii=False, default=str,
                          indent=1).encode("utf-8")
    rows = [_row(r) for r in resources]
    if fmt == "xlsx":
        return xlsx_bytes([SheetData.of("Læremidler", HEADER, rows, WIDTHS)])
    return csv_bytes(HEADER, rows)


def media_type(fmt: str) -> str:
    return {"csv": CSV_TYPE, "xlsx": XLSX_TYPE, "json": "application/json"}[fmt]


async def export(q: str | None, filters: ResourceFilters, principal: Principal, fmt: str,
                 sort: str | None = None) -> bytes:
    return render(await load(await matching_ids(q, filters, principal, sort)), fmt)
