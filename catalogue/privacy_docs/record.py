"""The record of processing activities (behandlingsprotokoll, GDPR Art. 30(1)), generated from
every resource in use that processes personal data, now or as it stood on a given day.

One processing activity per resource in use (published, or being phased out: data is still
processed until it is phased out). A resource in use whose privacy record lacks a field the
record needs is listed as a gap naming the field, and so is one for which nobody has said whether
it processes personal data; none is left out silently."""

from __future__ import annotations

import collections
import datetime
import hashlib
import zoneinfo
from typing import Any, Optional

import msgspec
from msgspec import Struct

from catalogue import domain
from catalogue.db import write_transaction
from catalogue.gc_pause import gc_paused, paused_gc
from catalogue.problems import field_error
from catalogue.privacy_docs.history import first_recorded, live_snapshots, snapshots_as_of
from catalogue.spreadsheets import CSV_TYPE, XLSX_TYPE, Column, SheetData as Sheet, csv_bytes, xlsx_bytes
from catalogue.search.sql import execute
from catalogue.security.access import Principal
from catalogue.settings import Settings
from workflows import audit

TIMEZONE = zoneinfo.ZoneInfo("Europe/Oslo")  # a day means a day in Norway
IN_USE = ("published", "phasing_out")


# --- the record's shape -----------------------------------------------------------------------


class Contact(Struct, kw_only=True):
    name: str
    contact: str


class DpaRef(Struct, kw_only=True):
    status: str
    date: Optional[str]
    reference: Optional[str]
    expires: Optional[str]


class DpiaRef(Struct, kw_only=True):
    status: str
    date: Optional[str]
    risk_level: Optional[str]


class Recipient(Struct, kw_only=True):
    name: str
    role: str  # processor, sub_processor
    country: Optional[str] = None
    purpose: str = ""


class FeideUse(Struct, kw_only=True):
    attribute: str
    reason: str


class Activity(Struct, kw_only=True):
    """One processing activity: a resource in use that processes personal data."""

    resource_id: int
    name: str
    status: str
    vendor: Optional[str]
    purpose: str
    data_subjects: list[str]
    data_categories: list[str]
    special_categories: bool
    feide_attributes: list[FeideUse]
    recipients: list[Recipient]
    data_location: str
    transfers_outside_eea: bool
    transfer_countries: list[str]
    transfer_basis: Optional[str]
    retention: Optional[str]
    security_measures: Optional[str]
    legal_basis: Optional[str]
    dpa: DpaRef
    dpia: DpiaRef
    in_base_package: bool
    units: list[str]
    demo_data: bool


class Gap(Struct, kw_only=True):
    """A field the record needs and does not have. ``resource_id`` is None for the record's own
    fields (the controller's and the DPO's contact, from the settings)."""

    resource_id: Optional[int]
    resource_name: str
    field: str
    label_nb: str
    problem_nb: str


class Counts(Struct, kw_only=True):
    in_use: int
    processing: int
    not_processing: int
    not_assessed: int
    gaps: int
    resources_with_gaps: int


class ProcessingRecord(Struct, kw_only=True):
    as_of: Optional[datetime.date]
    generated_at: datetime.datetime
    history_starts: Optional[datetime.datetime]
    controller: Contact
    dpo: Contact
    counts: Counts
    activities: list[Activity]
    gaps: list[Gap]


# --- building it ------------------------------------------------------------------------------


def parse_as_of(raw: str | None, today: datetime.date | None = None) -> datetime.date | None:
    """``as_of`` from a query: empty means now; a date as YYYY-MM-DD, not in the future."""
    if raw is None or not raw.strip():
        return None
    try:
        day = datetime.date.fromisoformat(raw.strip())
    except ValueError:
        raise field_error("as_of", "must be a date written YYYY-MM-DD") from None
    if day > (today or local_today()):
        raise field_error("as_of", "cannot be in the future")
    return day


def local_today() -> datetime.date:
    return datetime.datetime.now(TIMEZONE).date()


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The first instant after ``day`` in Norway, in UTC: the record as it stood that evening."""
    following = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), TIMEZONE)
    return following.astimezone(datetime.timezone.utc)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


PROBLEMS = {
    "purpose": ("Formålet med behandlingen", "Formålet mangler: læremidlet har ingen beskrivelse."),
    "privacy.processes_personal_data": ("Behandler personopplysninger",
                                        "Det er ikke vurdert om læremidlet behandler personopplysninger."),
    "privacy.data_subjects": ("Kategorier av registrerte", "Det er ikke oppgitt hvem opplysningene gjelder."),
    "privacy.data_categories": ("Kategorier av personopplysninger",
                                "Det er ikke oppgitt hvilke opplysninger som behandles."),
    "privacy.legal_basis": ("Behandlingsgrunnlag", "Behandlingsgrunnlaget er ikke oppgitt."),
    "privacy.processor": ("Kategorier av mottakere", "Databehandleren er ikke oppgitt."),
    "privacy.data_location": ("Lagringssted", "Det er ukjent hvor opplysningene lagres."),
    "privacy.transfer_basis": ("Garantier ved overføring",
                               "Opplysninger overføres ut av EU/EØS uten oppgitt overføringsgrunnlag."),
    "privacy.transfer_countries": ("Overføring til tredjeland",
                                   "Opplysninger overføres ut av EU/EØS, men landene er ikke oppgitt."),
    "privacy.retention": ("Planlagte tidsfrister for sletting", "Lagringstid og sletting er ikke beskrevet."),
    "privacy.security_measures": ("Sikkerhetstiltak", "Sikkerhetstiltakene er ikke beskrevet."),
    "privacy.dpa_status": ("Databehandleravtale", "Det er ikke inngått databehandleravtale."),
    "privacy.dpa_reference": ("Databehandleravtale", "Databehandleravtalen mangler referanse eller dato."),
    "privacy.dpia_status": ("DPIA", "Det er ikke avgjort om det trengs en DPIA, eller den er ikke ferdig."),
    "privacy.dpia_date": ("DPIA", "Den gjennomførte DPIA-en mangler dato eller risikonivå."),
    "history": ("Historikk", "Personvernopplysningene slik de var denne dagen, er ikke kjent "
                             "(endret før tjenesten førte historikk)."),
    "CONTROLLER_CONTACT": ("Behandlingsansvarlig", "Kontaktopplysninger til behandlingsansvarlig mangler "
                                                   "(innstillingen CONTROLLER_CONTACT)."),
    "DPO_EMAIL": ("Personvernombud", "Kontaktopplysninger til personvernombudet mangler "
                                     "(innstillingene DPO_NAME og DPO_EMAIL)."),
}


def missing_fields(snapshot: dict[str, Any]) -> list[str]:
    """The record's fields this resource lacks, by API field name (in the order of PROBLEMS)."""
    privacy = snapshot["privacy"]
    unknown = set(snapshot.get("unknown") or [])
    if "privacy" in unknown:
        return ["history"]
    if privacy.get("processes_personal_data") is None:
        return ["privacy.processes_personal_data"]
    found = []
    if not _text(snapshot.get("description")):
        found.append("purpose")
    for name in ("data_subjects", "data_categories"):
        if not privacy.get(name):
            found.append(f"privacy.{name}")
    for name in ("legal_basis", "processor"):
        if not _text(privacy.get(name)):
            found.append(f"privacy.{name}")
    if (privacy.get("data_location") or "unknown") == "unknown":
        found.append("privacy.data_location")
    if privacy.get("transfers_outside_eea"):
        if privacy.get("transfer_basis") in (None, "none"):
            found.append("privacy.transfer_basis")
        if not privacy.get("transfer_countries"):
            found.append("privacy.transfer_countries")
    for name in ("retention", "security_measures"):
        if not _text(privacy.get(name)):
            found.append(f"privacy.{name}")
    dpa = privacy.get("dpa_status") or "missing"
    if dpa in ("missing", "in_progress"):
        found.append("privacy.dpa_status")
    elif dpa == "signed" and not (_text(privacy.get("dpa_reference")) and privacy.get("dpa_date")):
        found.append("privacy.dpa_reference")
    dpia = privacy.get("dpia_status") or "not_assessed"
    if dpia in ("not_assessed", "required", "in_progress"):
        found.append("privacy.dpia_status")
    elif dpia == "completed" and not (privacy.get("dpia_date") and privacy.get("dpia_risk_level")):
        found.append("privacy.dpia_date")
    if unknown & {"units", "status", "name"}:
        found.append("history")
    return found


def _activity(resource_id: int, s: dict[str, Any]) -> Activity:
    p = s["privacy"]
    recipients = []
    if _text(p.get("processor")):
        recipients.append(Recipient(name=p["processor"], role="processor"))
    recipients += [Recipient(name=sp.get("name", ""), role="sub_processor", country=sp.get("country"),
                             purpose=sp.get("purpose") or "") for sp in p.get("sub_processors") or []]
    return Activity(
        resource_id=resource_id, name=s["name"], status=s["status"],
        vendor=(s.get("vendor") or {}).get("name"), purpose=_text(s.get("description")),
        data_subjects=list(p.get("data_subjects") or []), data_categories=list(p.get("data_categories") or []),
        special_categories=bool(p.get("special_categories")),
        feide_attributes=[FeideUse(attribute=a.get("attribute", ""), reason=a.get("reason", ""))
                          for a in p.get("feide_attributes") or []],
        recipients=recipients, data_location=p.get("data_location") or "unknown",
        transfers_outside_eea=bool(p.get("transfers_outside_eea")),
        transfer_countries=list(p.get("transfer_countries") or []), transfer_basis=p.get("transfer_basis"),
        retention=p.get("retention"), security_measures=p.get("security_measures"),
        legal_basis=p.get("legal_basis"),
        dpa=DpaRef(status=p.get("dpa_status") or "missing", date=p.get("dpa_date"),
                   reference=p.get("dpa_reference"), expires=p.get("dpa_expires")),
        dpia=DpiaRef(status=p.get("dpia_status") or "not_assessed", date=p.get("dpia_date"),
                     risk_level=p.get("dpia_risk_level")),
        in_base_package=bool(s.get("in_base_package")), units=list(s.get("units") or []),
        demo_data=bool(s.get("demo")),
    )


def _contacts(settings: Settings) -> tuple[Contact, Contact]:
    dpo_contact = " · ".join(x for x in (settings.dpo_email, settings.dpo_phone) if x)
    return (Contact(name=settings.controller, contact=settings.controller_contact),
            Contact(name=settings.dpo_name, contact=dpo_contact))


def _sort_key(item: tuple[int, dict[str, Any]]) -> tuple[str, int]:
    return (item[1]["name"].casefold(), item[0])


@gc_paused
async def build_record(settings: Settings, as_of: datetime.date | None = None) -> ProcessingRecord:
    """The record now (``as_of`` None: from the tables) or as it stood at the end of ``as_of``
    (from the history)."""
    if as_of is None:
        snapshots = await live_snapshots("r.status IN ('published', 'phasing_out')", facets=("unit",))
    else:
        snapshots = await snapshots_as_of(end_of_day(as_of))
    controller, dpo = _contacts(settings)
    gaps: list[Gap] = []
    if not controller.contact:
        gaps.append(_gap(None, "", "CONTROLLER_CONTACT"))
    if not (settings.dpo_name and settings.dpo_email):
        gaps.append(_gap(None, "", "DPO_EMAIL"))
    activities = []
    in_use = processing = not_processing = not_assessed = 0
    flagged: set[int] = set()
    for resource_id, snapshot in sorted(snapshots.items(), key=_sort_key):
        if snapshot.get("status") not in IN_USE:
            continue
        in_use += 1
        privacy = snapshot["privacy"]
        missing = missing_fields(snapshot)
        processes = privacy.get("processes_personal_data")
        if "privacy" in set(snapshot.get("unknown") or []) or processes is None:
            not_assessed += 1
        elif processes is False:
            not_processing += 1
            continue
        else:
            processing += 1
            activities.append(_activity(resource_id, snapshot))
        for name in missing:
            gaps.append(_gap(resource_id, snapshot["name"], name))
            flagged.add(resource_id)
    counts = Counts(in_use=in_use, processing=processing, not_processing=not_processing,
                    not_assessed=not_assessed, gaps=len(gaps), resources_with_gaps=len(flagged))
    return ProcessingRecord(as_of=as_of, generated_at=datetime.datetime.now(datetime.timezone.utc),
                            history_starts=await first_recorded(), controller=controller, dpo=dpo,
                            counts=counts, activities=activities, gaps=gaps)


def _gap(resource_id: int | None, name: str, field: str) -> Gap:
    label, problem = PROBLEMS[field]
    return Gap(resource_id=resource_id, resource_name=name, field=field, label_nb=label, problem_nb=problem)


# --- the files --------------------------------------------------------------------------------

# Datatilsynet's template for a controller's record: the controller and the DPO, then the
# columns of Art. 30(1) b–g in its order, then the template's optional columns (legal basis, DPA,
# DPIA) and the catalogue's own (units, status, id).
COLUMNS = [
    Column("Behandlingsaktivitet", 30),
    Column("Behandlingsansvarlig", 22),
    Column("Kontaktopplysninger til behandlingsansvarlig", 30),
    Column("Personvernombud", 30),
    Column("Formålet med behandlingen", 50),
    Column("Kategorier av registrerte", 24),
    Column("Kategorier av personopplysninger", 36),
    Column("Særlige kategorier av personopplysninger (art. 9)", 18),
    Column("Feide-attributter og hvorfor de trengs", 40),
    Column("Kategorier av mottakere (databehandler og underdatabehandlere)", 36),
    Column("Lagringssted", 16),
    Column("Overføring til tredjeland", 22),
    Column("Garantier ved overføring (art. 46)", 28),
    Column("Planlagte tidsfrister for sletting", 36),
    Column("Tekniske og organisatoriske sikkerhetstiltak (art. 32)", 40),
    Column("Behandlingsgrunnlag", 30),
    Column("Databehandleravtale", 30),
    Column("Vurdering av personvernkonsekvenser (DPIA)", 30),
    Column("Brukes av", 30),
    Column("Status", 14),
    Column("Ressurs-ID", 10),
]
GAP_COLUMNS = [Column("Læremiddel", 30), Column("Ressurs-ID", 10), Column("Felt", 30),
               Column("Felt (API)", 30), Column("Mangel", 60)]


def _labels(table: dict[str, str], codes: list[str]) -> str:
    return ", ".join(table.get(c, c) for c in codes)


def _dpa_text(dpa: DpaRef) -> str:
    parts = [domain.DPA_STATUSES.get(dpa.status, dpa.status)]
    if dpa.date:
        parts.append(f"datert {dpa.date}")
    if dpa.reference:
        parts.append(f"ref. {dpa.reference}")
    if dpa.expires:
        parts.append(f"utløper {dpa.expires}")
    return ", ".join(parts)


def _dpia_text(dpia: DpiaRef) -> str:
    parts = [domain.DPIA_STATUSES.get(dpia.status, dpia.status)]
    if dpia.date:
        parts.append(f"datert {dpia.date}")
    if dpia.risk_level:
        parts.append(f"{domain.RISK_LEVELS.get(dpia.risk_level, dpia.risk_level).lower()} risiko")
    return ", ".join(parts)


def activity_row(a: Activity, record: ProcessingRecord, unit_names: dict[str, str]) -> list[Any]:
    """One activity as the cells of the sheet and the CSV, in COLUMNS' order."""
    recipients = "; ".join(
        f"{r.name} (databehandler)" if r.role == "processor"
        else f"{r.name} (underdatabehandler{', ' + r.country if r.country else ''}){': ' + r.purpose if r.purpose else ''}"
        for r in a.recipients)
    transfer = "Nei"
    if a.transfers_outside_eea:
        transfer = "Ja" + (f": {', '.join(a.transfer_countries)}" if a.transfer_countries else "")
    used_by = "Grunnpakken (alle enheter)" if a.in_base_package else \
        ", ".join(unit_names.get(u, u) for u in a.units)
    return [
        a.name, record.controller.name, record.controller.contact,
        " · ".join(x for x in (record.dpo.name, record.dpo.contact) if x),
        a.purpose, _labels(domain.DATA_SUBJECTS, a.data_subjects), _labels(domain.DATA_CATEGORIES, a.data_categories),
        "Ja" if a.special_categories else "Nei",
        "; ".join(f"{domain.FEIDE_ATTRIBUTES.get(f.attribute, f.attribute)}: {f.reason}" for f in a.feide_attributes),
        recipients, domain.DATA_LOCATIONS.get(a.data_location, a.data_location), transfer,
        domain.TRANSFER_BASES.get(a.transfer_basis, a.transfer_basis) if a.transfers_outside_eea and a.transfer_basis
        else "",
        a.retention or "", a.security_measures or "",
        domain.LEGAL_BASES.get(a.legal_basis, a.legal_basis) if a.legal_basis else "",
        _dpa_text(a.dpa), _dpia_text(a.dpia), used_by,
        domain.RESOURCE_STATUSES.get(a.status, a.status), a.resource_id,
    ]


def gap_row(g: Gap) -> list[Any]:
    return [g.resource_name or "(hele protokollen)", g.resource_id, g.label_nb, g.field, g.problem_nb]


ABOUT_COLUMNS = [Column("Opplysning", 34), Column("Verdi", 80)]


def about_rows(record: ProcessingRecord) -> list[list[Any]]:
    """What the file is: whose record, as of when, and how many activities and gaps it holds."""
    generated = f"{record.generated_at.astimezone(TIMEZONE):%Y-%m-%d %H:%M}"
    starts = f"{record.history_starts.astimezone(TIMEZONE):%Y-%m-%d}" if record.history_starts else ""
    return [
        ["Protokoll over behandlingsaktiviteter", "GDPR artikkel 30 nr. 1"],
        ["Behandlingsansvarlig", record.controller.name],
        ["Kontaktopplysninger", record.controller.contact],
        ["Personvernombud", " · ".join(x for x in (record.dpo.name, record.dpo.contact) if x)],
        ["Slik protokollen sto per", record.as_of.isoformat() if record.as_of else generated],
        ["Laget", generated],
        ["Historikk ført fra", starts],
        ["Læremidler i bruk", record.counts.in_use],
        ["Behandlingsaktiviteter (behandler personopplysninger)", record.counts.processing],
        ["Behandler ikke personopplysninger", record.counts.not_processing],
        ["Ikke vurdert", record.counts.not_assessed],
        ["Mangler", record.counts.gaps],
    ]


def record_xlsx(record: ProcessingRecord, unit_names: dict[str, str]) -> bytes:
    return xlsx_bytes([
        Sheet("Behandlingsaktiviteter", COLUMNS, (activity_row(a, record, unit_names) for a in record.activities)),
        Sheet("Mangler", GAP_COLUMNS, (gap_row(g) for g in record.gaps)),
        Sheet("Om protokollen", ABOUT_COLUMNS, about_rows(record)),
    ])


def record_csv(record: ProcessingRecord, unit_names: dict[str, str]) -> bytes:
    return csv_bytes([c.title for c in COLUMNS], (activity_row(a, record, unit_names) for a in record.activities))


FORMATS = {"json": "application/json", "csv": CSV_TYPE, "xlsx": XLSX_TYPE}


async def unit_names() -> dict[str, str]:
    return {r["code"]: r["name"] for r in await execute("SELECT code, name FROM unit")}


_files: "collections.OrderedDict[tuple, tuple[bytes, int, int]]" = collections.OrderedDict()
FILES_KEPT = 4  # the newest files made, per worker (a spreadsheet of 10,000 resources is about 1 MB)


async def _file_key(settings: Settings, as_of: datetime.date | None, fmt: str) -> tuple:
    """What a file depends on: the history of privacy records (every change of what the record
    shows writes a row), the search index's generation, the units' names and the settings."""
    row = (await execute(
        "SELECT (SELECT MAX(id) FROM privacy_history) AS history,"
        " (SELECT generation FROM search_state WHERE id = 1) AS generation,"
        " (SELECT COUNT(*) FROM unit) AS units, (SELECT SUM(version) FROM unit) AS unit_versions"))[0]
    return (settings.database_url, fmt, as_of, row["history"], row["generation"], row["units"], row["unit_versions"],
            local_today() if as_of is None else None,
            (settings.controller, settings.controller_contact, settings.dpo_name, settings.dpo_email, settings.dpo_phone))


async def export_record(settings: Settings, as_of: datetime.date | None, fmt: str,
                        actor: Principal) -> tuple[bytes, str, str]:
    """The whole record as one file (content, media type, file name). The export is recorded in
    the audit log, with the file's SHA-256, before the file is handed out. A file is made once
    while nothing it shows has changed."""
    if fmt not in FORMATS:
        raise field_error("format", "must be one of json, csv, xlsx")
    key = await _file_key(settings, as_of, fmt)
    if key in _files:
        content, activities, gaps = _files[key]
        _files.move_to_end(key)
    else:
        with paused_gc():
            record = await build_record(settings, as_of)
            if fmt == "json":
                content = msgspec.json.encode(record)
            else:
                names = await unit_names()
                content = record_xlsx(record, names) if fmt == "xlsx" else record_csv(record, names)
        activities, gaps = len(record.activities), len(record.gaps)
        _files[key] = (content, activities, gaps)
        while len(_files) > FILES_KEPT:
            _files.popitem(last=False)
    day = as_of or local_today()
    async with write_transaction():
        await audit.append("processing_record.export", "processing_record", day.isoformat(), {
            "format": fmt, "as_of": as_of.isoformat() if as_of else None, "activities": activities,
            "gaps": gaps, "bytes": len(content), "sha256": hashlib.sha256(content).hexdigest(),
        }, actor=actor.label, actor_user_id=actor.user_id)
    return content, FORMATS[fmt], f"behandlingsprotokoll-{day.isoformat()}.{fmt}"
