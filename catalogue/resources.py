"""The resource catalogue: validation, storage, listing and optimistic concurrency."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any, Iterable

import msgspec

from catalogue import domain, restrictions
from catalogue.curriculum.aims import check_aims
from catalogue.db import current_engine, is_sqlite, write_transaction
from catalogue.etags import stale
from catalogue.facet_values import facet_values
from catalogue.privacy_docs.history import record_change
from catalogue.problems import FieldErrors, Problem
from catalogue.schemas import (
    AccessibilityRecordBody,
    PrivacyRecordBody,
    ResourceCreate,
    ResourceOut,
    ResourcePatch,
    VendorOut,
    VendorRef,
)
from catalogue.search.index import index_resource
from catalogue.security.access import Principal
from catalogue.tables import (
    AccessibilityRecord,
    Level,
    PrivacyRecord,
    Resource,
    ResourceFacet,
    Vendor,
)
from catalogue.visibility import UNIT_SCOPED_STATUSES, visible_statuses
from workflows import audit

PRIVACY_FIELDS = tuple(PrivacyRecordBody.__struct_fields__)
ACCESSIBILITY_FIELDS = tuple(AccessibilityRecordBody.__struct_fields__)
JSON_PRIVACY_FIELDS = {"data_subjects", "data_categories", "feide_attributes", "sub_processors",
                       "transfer_countries"}


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


# --- validation -----------------------------------------------------------------------------


def organisation_number_is_valid(number: str) -> bool:
    """The Norwegian mod-11 check of a 9-digit organisation number."""
    if not re.fullmatch(r"[0-9]{9}", number):
        return False
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    remainder = sum(int(d) * w for d, w in zip(number, weights)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(number[8])


def check_vendor(vendor: VendorRef, errors: FieldErrors, prefix: str = "vendor") -> None:
    if vendor.organisation_number and not organisation_number_is_valid(vendor.organisation_number):
        errors.add(f"{prefix}.organisation_number", "not a valid Norwegian organisation number")
    if vendor.country == "NO" and vendor.organisation_number is None:
        pass  # small Norwegian vendors may be entered before their number is known


def check_privacy(record: PrivacyRecordBody, errors: FieldErrors, prefix: str = "privacy") -> None:
    """Internal consistency of a privacy record; the workflow adds stricter rules for approval."""
    p = prefix
    if record.processes_personal_data is False:
        for name in ("data_subjects", "data_categories", "feide_attributes"):
            if getattr(record, name):
                errors.add(f"{p}.{name}", "must be empty when the resource processes no personal data")
        if record.special_categories:
            errors.add(f"{p}.special_categories", "cannot be true when no personal data is processed")
    if record.dpa_status == "signed":
        if not record.dpa_reference:
            errors.add(f"{p}.dpa_reference", "required when the DPA is signed")
        if record.dpa_date is None:
            errors.add(f"{p}.dpa_date", "required when the DPA is signed")
    if record.dpa_date and record.dpa_expires and record.dpa_expires < record.dpa_date:
        errors.add(f"{p}.dpa_expires", "cannot be before the DPA date")
    if record.dpia_status == "completed":
        if record.dpia_date is None:
            errors.add(f"{p}.dpia_date", "required when the DPIA is completed")
        if record.dpia_risk_level is None:
            errors.add(f"{p}.dpia_risk_level", "required when the DPIA is completed")
    if record.transfers_outside_eea and record.transfer_basis is None:
        errors.add(f"{p}.transfer_basis", "required when data is transferred outside the EEA")
    if not record.transfers_outside_eea and record.transfer_basis is not None:
        errors.add(f"{p}.transfer_basis", "only applies when data is transferred outside the EEA")
    if record.data_location == "outside_eea" and not record.transfers_outside_eea:
        errors.add(f"{p}.transfers_outside_eea", "must be true when data is stored outside the EEA")
    attributes = [a.attribute for a in record.feide_attributes]
    if len(attributes) != len(set(attributes)):
        errors.add(f"{p}.feide_attributes", "each attribute may be listed once")


async def known_codes() -> dict[str, set[str]]:
    """The codes that levels, subjects, kindergarten areas and units may take now."""
    rows = await Level.raw(
        "SELECT 'level' AS k, code FROM level UNION ALL SELECT 'subject', code FROM subject"
        " UNION ALL SELECT 'area', code FROM kindergarten_area"
        " UNION ALL SELECT 'unit', code FROM unit WHERE active = {}",
        True,
    )
    codes: dict[str, set[str]] = {"level": set(), "subject": set(), "area": set(), "unit": set()}
    for row in rows:
        codes[row["k"]].add(row["code"])
    return codes


def dedupe(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def check_references(values: dict[str, list[str]], codes: dict[str, set[str]], errors: FieldErrors) -> None:
    for field_name, facet in (("levels", "level"), ("subjects", "subject"),
                              ("kindergarten_areas", "area"), ("units", "unit")):
        for index, code in enumerate(values.get(field_name) or []):
            if code not in codes[facet]:
                errors.add(f"{field_name}[{index}]", f"unknown code {code!r}")
    if values.get("kindergarten_areas") and "barnehage" not in (values.get("levels") or []):
        errors.add("kindergarten_areas", "only applies to resources for kindergarten (level 'barnehage')")


def check_dates(licence_expires: datetime.date | None, errors: FieldErrors) -> None:
    if licence_expires and licence_expires.year < 2000:
        errors.add("licence_expires", "is not a plausible date")


# --- storage --------------------------------------------------------------------------------


_VENDOR_LOCK_CLASS = 0x4C4B  # advisory locks (class, hash of the vendor's key) around get-or-create


async def vendor_id_for(ref: VendorRef) -> int:
    """Match by organisation number, then by name (case-insensitively); create otherwise. On
    PostgreSQL two transactions naming the same new vendor at once are made to take turns (a lock
    on the vendor's key until the first commits), so the second finds the row instead of failing on
    the unique organisation number."""
    if not is_sqlite(current_engine()):
        await Vendor.raw("SELECT pg_advisory_xact_lock({}, hashtext({}))", _VENDOR_LOCK_CLASS,
                         ref.organisation_number or ref.name.strip().casefold())
    if ref.organisation_number:
        row = await Vendor.select(Vendor.id).where(Vendor.organisation_number == ref.organisation_number).first()
        if row:
            return row["id"]
    key = ref.name.strip().casefold()
    rows = await Vendor.select(Vendor.id, Vendor.organisation_number).where(Vendor.name_key == key)
    for row in rows:
        # Same name, but another organisation number, is another legal entity.
        if row["organisation_number"] and ref.organisation_number and row["organisation_number"] != ref.organisation_number:
            continue
        if ref.organisation_number and not row["organisation_number"]:
            await Vendor.update({Vendor.organisation_number: ref.organisation_number}).where(Vendor.id == row["id"])
        return row["id"]
    inserted = await Vendor.insert(
        Vendor(name=ref.name.strip(), name_key=key, organisation_number=ref.organisation_number, country=ref.country, created_at=now())
    ).returning(Vendor.id)
    return inserted[0]["id"]


def _privacy_columns(record: PrivacyRecordBody) -> dict[str, Any]:
    values = msgspec.to_builtins(record)
    out = {}
    for name in PRIVACY_FIELDS:
        value = getattr(record, name)
        if name in JSON_PRIVACY_FIELDS:
            value = json.dumps(values[name], ensure_ascii=False)
        out[name] = value
    return out


def _accessibility_columns(record: AccessibilityRecordBody) -> dict[str, Any]:
    return {name: getattr(record, name) for name in ACCESSIBILITY_FIELDS}


async def _write_facets(resource_id: int, values: dict[str, list[str]], replace: bool) -> None:
    for field_name, facet in domain.FACET_FIELDS.items():
        if field_name not in values:
            continue
        if replace:
            await ResourceFacet.delete().where(
                (ResourceFacet.resource == resource_id) & (ResourceFacet.facet == facet)
            )
        rows = [ResourceFacet(resource=resource_id, facet=facet, value=value, position=i)
                for i, value in enumerate(dedupe(values[field_name]))]
        if rows:
            await ResourceFacet.insert(*rows)


SCALAR_FIELDS = ("name", "url", "kind", "description", "status", "in_base_package", "licence_model",
                 "annual_cost_nok", "licence_count", "licence_expires", "restrictions", "guidance_url",
                 "next_revision_date")


async def create_resource(body: ResourceCreate, actor: Principal, *, is_demo: bool = False,
                          status: str | None = None) -> int:
    errors = FieldErrors()
    check_vendor(body.vendor, errors)
    if body.privacy:
        check_privacy(body.privacy, errors)
    facet_values = {f: list(getattr(body, f)) for f in domain.FACET_FIELDS}
    check_references(facet_values, await known_codes(), errors)
    check_dates(body.licence_expires, errors)
    await check_aims(body.competence_aims, errors)
    errors.raise_if_any()
    stamp = now()
    async with write_transaction():
        vendor_id = await vendor_id_for(body.vendor)
        columns = {name: getattr(body, name) for name in SCALAR_FIELDS}
        if status:
            columns["status"] = status
        restriction_lines = restrictions.initial_lines(columns.get("restrictions"))
        columns["restrictions"] = "\n".join(restriction_lines) or None
        inserted = await Resource.insert(
            Resource(
                **columns,
                vendor=vendor_id,
                competence_aims=json.dumps(dedupe(body.competence_aims)),
                tags=json.dumps(dedupe(t.strip().lower() for t in body.tags), ensure_ascii=False),
                version=1,
                is_demo=is_demo,
                created_at=stamp,
                updated_at=stamp,
                created_by=actor.label,
                updated_by=actor.label,
            )
        ).returning(Resource.id)
        resource_id = inserted[0]["id"]
        await _write_facets(resource_id, facet_values, replace=False)
        await restrictions.record_initial(resource_id, restriction_lines, actor)
        await PrivacyRecord.insert(
            PrivacyRecord(resource=resource_id, **_privacy_columns(body.privacy or PrivacyRecordBody()))
        )
        await AccessibilityRecord.insert(
            AccessibilityRecord(resource=resource_id,
                                **_accessibility_columns(body.accessibility or AccessibilityRecordBody()))
        )
        await index_resource(resource_id)
        await record_change(resource_id, actor=actor.label, source="resource.create")
        await audit.append("resource.create", "resource", resource_id,
                           {"name": body.name, "status": columns["status"], "demo": is_demo},
                           actor=actor.label, actor_user_id=actor.user_id)
    return resource_id


def _json_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return json.loads(value)


def _date(value: Any) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.datetime):
        return value.date()
    return datetime.date.fromisoformat(str(value)[:10])


def _datetime(value: Any) -> datetime.datetime | None:
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


async def get_resource(resource_id: int, principal: Principal) -> ResourceOut:
    """One resource as the caller may see it; 404 when it does not exist *or* is hidden from them."""
    row = await Resource.select(*Resource.all_columns(), Resource.vendor.all_columns()).where(
        Resource.id == resource_id
    ).first()
    statuses = visible_statuses(principal)
    if row is None or (statuses is not None and row["status"] not in statuses):
        raise Problem(404, f"No resource with id {resource_id}.")
    facets = (await facet_values([resource_id]))[resource_id]
    if statuses is not None and row["status"] in UNIT_SCOPED_STATUSES and \
            not principal.unit_codes.intersection(facets["units"]):
        raise Problem(404, f"No resource with id {resource_id}.")
    privacy = await PrivacyRecord.select().where(PrivacyRecord.resource == resource_id).first()
    accessibility = await AccessibilityRecord.select().where(AccessibilityRecord.resource == resource_id).first()
    return _resource_out(row, facets, privacy, accessibility)


def _privacy_out(row: dict | None) -> PrivacyRecordBody:
    if row is None:
        return PrivacyRecordBody()
    values = {}
    for name in PRIVACY_FIELDS:
        value = row.get(name)
        if name in JSON_PRIVACY_FIELDS:
            value = _json_list(value)
        elif name in {"dpa_date", "dpa_expires", "dpia_date"}:
            value = _date(value)
        elif name in {"special_categories", "transfers_outside_eea"}:
            value = bool(value)
        elif name == "processes_personal_data" and value is not None:
            value = bool(value)
        values[name] = value
    return msgspec.convert(values, PrivacyRecordBody, strict=False)


def _accessibility_out(row: dict | None) -> AccessibilityRecordBody:
    if row is None:
        return AccessibilityRecordBody()
    values = {name: row.get(name) for name in ACCESSIBILITY_FIELDS}
    values["assessed_on"] = _date(values["assessed_on"])
    return msgspec.convert(values, AccessibilityRecordBody, strict=False)


def _vendor_out(row: dict) -> VendorOut | None:
    if row.get("vendor.id") is None:
        return None
    return VendorOut(id=row["vendor.id"], name=row["vendor.name"],
                     organisation_number=row["vendor.organisation_number"], country=row["vendor.country"])


def _resource_out(row: dict, facets: dict[str, list[str]], privacy: dict | None,
                  accessibility: dict | None) -> ResourceOut:
    return ResourceOut(
        id=row["id"],
        name=row["name"],
        vendor=_vendor_out(row),
        url=row["url"],
        kind=row["kind"],
        description=row["description"],
        status=row["status"],
        in_base_package=bool(row["in_base_package"]),
        competence_aims=_json_list(row["competence_aims"]),
        tags=_json_list(row["tags"]),
        licence_model=row["licence_model"],
        annual_cost_nok=row["annual_cost_nok"],
        licence_count=row["licence_count"],
        licence_expires=_date(row["licence_expires"]),
        restrictions=row["restrictions"],
        guidance_url=row["guidance_url"],
        next_revision_date=_date(row["next_revision_date"]),
        privacy=_privacy_out(privacy),
        accessibility=_accessibility_out(accessibility),
        version=row["version"],
        demo_data=bool(row["is_demo"]),
        created_at=_datetime(row["created_at"]),
        updated_at=_datetime(row["updated_at"]),
        archived_at=_datetime(row["archived_at"]),
        **facets,
    )


# --- updates --------------------------------------------------------------------------------


async def patch_resource(resource_id: int, body: ResourcePatch, expected_version: int | None,
                         actor: Principal) -> int:
    """Apply a partial update if the resource is still at ``expected_version``. Returns the new
    version. Exactly one of several concurrent updates from the same version wins; the others get 412."""
    errors = FieldErrors()
    given = {name: getattr(body, name) for name in body.__struct_fields__
             if getattr(body, name) is not msgspec.UNSET}
    if not given:
        raise Problem(422, "The update changes nothing.", errors=[{"field": "body", "message": "no fields given"}])
    if "restrictions" in given:
        # restrictions change only by a decision with a reason, which their history keeps
        raise Problem(422, "Restrictions are added, changed and lifted with a reason at "
                           f"/api/v1/resources/{resource_id}/restrictions.",
                      errors=[{"field": "restrictions", "message": "decided with a reason at the restrictions endpoint"}])
    if "vendor" in given:
        check_vendor(given["vendor"], errors)
    if "privacy" in given:
        check_privacy(given["privacy"], errors)
    facet_values = {f: given[f] for f in domain.FACET_FIELDS if f in given}
    if facet_values:
        if "kindergarten_areas" in facet_values and "levels" not in facet_values:
            facet_values_check = dict(facet_values)
            current = await ResourceFacet.select(ResourceFacet.value).where(
                (ResourceFacet.resource == resource_id) & (ResourceFacet.facet == "level"))
            facet_values_check["levels"] = [r["value"] for r in current]
        else:
            facet_values_check = facet_values
        check_references(facet_values_check, await known_codes(), errors)
    if "licence_expires" in given:
        check_dates(given["licence_expires"], errors)
    if "competence_aims" in given:
        await check_aims(given["competence_aims"], errors)
    errors.raise_if_any()

    async with write_transaction():
        current = await Resource.select(Resource.version, Resource.status).where(Resource.id == resource_id).first()
        if current is None or current["status"] == "archived":
            raise Problem(404, f"No resource with id {resource_id}.")
        version = current["version"] if expected_version is None else expected_version
        columns: dict[Any, Any] = {Resource.version: version + 1, Resource.updated_at: now(),
                                   Resource.updated_by: actor.label}
        for name in SCALAR_FIELDS:
            if name in given:
                columns[getattr(Resource, name)] = given[name]
        if "competence_aims" in given:
            columns[Resource.competence_aims] = json.dumps(dedupe(given["competence_aims"]))
        if "tags" in given:
            columns[Resource.tags] = json.dumps(dedupe(t.strip().lower() for t in given["tags"]), ensure_ascii=False)
        if "vendor" in given:
            columns[Resource.vendor] = await vendor_id_for(given["vendor"])
        updated = await Resource.update(columns).where(
            (Resource.id == resource_id) & (Resource.version == version)
        ).returning(Resource.version)
        if not updated:
            raise stale("resource")
        await _write_facets(resource_id, facet_values, replace=True)
        if "privacy" in given:
            await PrivacyRecord.update(_privacy_record_update(given["privacy"])).where(
                PrivacyRecord.resource == resource_id)
        if "accessibility" in given:
            await AccessibilityRecord.update(
                {getattr(AccessibilityRecord, k): v for k, v in _accessibility_columns(given["accessibility"]).items()}
            ).where(AccessibilityRecord.resource == resource_id)
        await index_resource(resource_id)
        await record_change(resource_id, actor=actor.label, source="resource.update")
        await audit.append("resource.update", "resource", resource_id,
                           {"version": version + 1, "changed": msgspec.to_builtins(given)},
                           actor=actor.label, actor_user_id=actor.user_id)
    return version + 1


def _privacy_record_update(record: PrivacyRecordBody) -> dict:
    return {getattr(PrivacyRecord, k): v for k, v in _privacy_columns(record).items()}


async def archive_resource(resource_id: int, expected_version: int | None, actor: Principal) -> int:
    """Archive instead of delete: the resource leaves every list but stays in history."""
    async with write_transaction():
        current = await Resource.select(Resource.version, Resource.status).where(Resource.id == resource_id).first()
        if current is None or current["status"] == "archived":
            raise Problem(404, f"No resource with id {resource_id}.")
        version = current["version"] if expected_version is None else expected_version
        stamp = now()
        updated = await Resource.update({
            Resource.status: "archived", Resource.archived_at: stamp, Resource.updated_at: stamp,
            Resource.updated_by: actor.label, Resource.version: version + 1,
        }).where((Resource.id == resource_id) & (Resource.version == version)).returning(Resource.version)
        if not updated:
            raise stale("resource")
        await index_resource(resource_id)
        await record_change(resource_id, actor=actor.label, source="resource.archive")
        await audit.append("resource.archive", "resource", resource_id, {"version": version + 1},
                           actor=actor.label, actor_user_id=actor.user_id)
    return version + 1
