"""The catalogue from a municipality's spreadsheet (CSV or XLSX): a dry run says, row by row, what
would be created, updated, left as it is or refused, and why; applying writes the same, in one
transaction. A row matches an existing resource by its address, else by its name; a second
import of the same file finds every row unchanged.

Headings are the ones municipalities write (``navn``, ``leverandør``, ``nettadresse``, ``type``,
``trinn``, ``fag``, ``plattform``, ``pålogging``, ``databehandleravtale``, …, in any order and
case); levels as people write them ("1.–4. trinn", "5-7", "mellomtrinnet", "barnehage", "alle
trinn"); subjects by name, code or curriculum code. New resources enter as drafts unless the
sheet (``i bruk``) or the importer says they are already in use. Messages are in Norwegian: the
report is read by the person who made the sheet."""

from __future__ import annotations

import datetime
import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import msgspec

from catalogue import domain, spreadsheets
from catalogue.schemas import PrivacyRecordBody, ResourceCreate, ResourcePatch, VendorRef

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("navn", "ressurs", "læremiddel", "tittel", "produkt", "name"),
    "vendor": ("leverandør", "leverandor", "forlag", "produsent", "vendor"),
    "organisation_number": ("organisasjonsnummer", "org.nr.", "org.nr", "orgnr", "org nr", "organisation_number"),
    "url": ("nettadresse", "url", "lenke", "adresse", "nettside"),
    "kind": ("type", "ressurstype", "kategori", "kind"),
    "description": ("beskrivelse", "om ressursen", "description"),
    "levels": ("trinn", "klassetrinn", "årstrinn", "levels"),
    "subjects": ("fag", "subjects"),
    "kindergarten_areas": ("fagområde", "fagområder", "fagområder i barnehagen", "kindergarten_areas"),
    "platforms": ("plattform", "plattformer", "platforms"),
    "logins": ("pålogging", "innlogging", "login", "logins"),
    "languages": ("språk", "målform", "languages"),
    "dpa": ("databehandleravtale", "databehandleravtale ja/nei", "dba", "databehandleravtale (ja/nei)"),
    "dpa_date": ("avtaledato", "databehandleravtale dato", "dba dato", "dato for databehandleravtale"),
    "dpa_reference": ("avtalereferanse", "databehandleravtale referanse", "dba referanse", "referanse"),
    "in_base_package": ("grunnpakke", "grunnpakken", "i grunnpakken", "grunnpakke ja/nei"),
    "licence_model": ("lisensmodell", "lisens", "licence_model"),
    "annual_cost_nok": ("årlig kostnad", "kostnad per år", "kostnad", "pris", "annual_cost_nok"),
    "licence_count": ("antall lisenser", "lisenser", "licence_count"),
    "in_use": ("i bruk", "i bruk ja/nei", "status"),
}
REQUIRED = ("name", "vendor", "url", "kind")
LIST_FIELDS = ("levels", "subjects", "kindergarten_areas", "platforms", "logins", "languages")

YES = {"ja", "j", "yes", "y", "x", "1", "true", "sant"}
NO = {"nei", "n", "no", "0", "false", "usant", ""}
LEVEL_WORDS = {
    "alle": [str(n) for n in range(1, 11)], "grunnskolen": [str(n) for n in range(1, 11)],
    "barnetrinnet": [str(n) for n in range(1, 8)], "barneskolen": [str(n) for n in range(1, 8)],
    "småtrinnet": ["1", "2", "3", "4"], "småskoletrinnet": ["1", "2", "3", "4"], "småskolen": ["1", "2", "3", "4"],
    "mellomtrinnet": ["5", "6", "7"], "ungdomstrinnet": ["8", "9", "10"], "ungdomsskolen": ["8", "9", "10"],
    "barnehage": ["barnehage"], "barnehagen": ["barnehage"], "bhg": ["barnehage"],
}
PLATFORM_WORDS = {"nett": "web", "nettleser": "web", "web": "web", "nettside": "web", "ipad": "ipad",
                  "chromebook": "chromebook", "windows": "windows", "pc": "windows", "mac": "mac",
                  "macos": "mac", "android": "android"}
LOGIN_WORDS = {"feide": "feide", "microsoft": "microsoft", "google": "google", "egen konto": "vendor_account",
               "egen konto hos leverandør": "vendor_account", "leverandørkonto": "vendor_account",
               "ingen": "none", "ingen innlogging": "none", "ingen pålogging": "none"}
DPA_WORDS = {"ja": "signed", "inngått": "signed", "signert": "signed", "signed": "signed",
             "nei": "missing", "mangler": "missing", "missing": "missing", "under arbeid": "in_progress",
             "ikke nødvendig": "not_required", "ikke relevant": "not_required"}


def norm(text: Any) -> str:
    return re.sub(r"[\s_]+", " ", str(text if text is not None else "").strip().casefold())


@dataclass
class Outcome:
    """What happens to one row."""

    row: int
    action: str  # create, update, unchanged, refused
    name: str = ""
    resource_id: int | None = None
    reasons: list[str] = field(default_factory=list)  # why refused, or what changes
    body: Any = None  # ResourceCreate, or ResourcePatch for an update


@dataclass
class Plan:
    rows: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the sheet as a whole cannot be imported
    notes: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


def column_map(headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """Our field → the heading it is under; and the headings we do not know."""
    aliases = {norm(a): name for name, names in COLUMNS.items() for a in names}
    found: dict[str, str] = {}
    unknown = []
    for header in headers:
        name = aliases.get(norm(header))
        if name and name not in found:
            found[name] = header
        elif header:
            unknown.append(header)
    return found, unknown


def closest_heading(heading: str) -> str | None:
    choices = [a for names in COLUMNS.values() for a in names]
    match = difflib.get_close_matches(norm(heading), choices, n=1, cutoff=0.6)
    return match[0] if match else None


def _split(value: Any) -> list[str]:
    return [p.strip() for p in re.split(r"[;,\n]|\bog\b|/", str(value)) if p.strip()]


def parse_levels(value: Any) -> list[str]:
    """Levels as people write them; ValueError names the part not understood."""
    codes: list[str] = []
    text = str(value).replace("–", "-").replace("—", "-")
    for part in _split(text):
        key = norm(part)
        key = re.sub(r"\b(trinn|trinnet|klasse|kl|årstrinn)\b\.?", "", key).strip()
        if key in ("", "alle trinn"):
            key = "alle"
        if key in LEVEL_WORDS:
            codes += LEVEL_WORDS[key]
            continue
        key = key.replace(".", "").replace(" ", "")
        match = re.fullmatch(r"(\d{1,2})(?:-(\d{1,2}))?", key)
        if match:
            low, high = int(match[1]), int(match[2] or match[1])
            if 1 <= low <= high <= 10:
                codes += [str(n) for n in range(low, high + 1)]
                continue
        raise ValueError(f"ukjent trinn «{part}»; skriv for eksempel «1.–4. trinn», «5-7», «mellomtrinnet», "
                         "«barnehage» eller «alle trinn»")
    return list(dict.fromkeys(codes))


def _match_names(value: Any, lookup: dict[str, str], what: str) -> list[str]:
    """Codes for a cell of names or codes, separated by commas or semicolons; a name that holds a
    comma itself ("Kristendom, religion, livssyn og etikk") is found by joining the parts again."""
    whole = lookup.get(norm(value))
    if whole:
        return [whole]
    parts = [p.strip() for p in re.split(r"[;,\n]", str(value)) if p.strip()]
    codes, i = [], 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            code = lookup.get(norm(", ".join(parts[i:j])))
            if code:
                codes.append(code)
                i = j
                break
        else:
            suggestion = difflib.get_close_matches(norm(parts[i]), list(lookup), n=1, cutoff=0.7)
            hint = f" (mente du «{suggestion[0]}»?)" if suggestion else ""
            raise ValueError(f"ukjent {what} «{parts[i]}»{hint}")
    return list(dict.fromkeys(codes))


def _words(value: Any, words: dict[str, str], what: str) -> list[str]:
    codes = []
    for part in _split(value):
        code = words.get(norm(part))
        if code is None:
            raise ValueError(f"ukjent {what} «{part}»; bruk {', '.join(sorted(set(words)))}")
        codes.append(code)
    return list(dict.fromkeys(codes))


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    key = norm(value)
    if key in YES:
        return True
    if key in NO:
        return False
    raise ValueError(f"skriv ja eller nei, ikke «{value}»")


def _number(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        cleaned = re.sub(r"[\s\u00a0]|kr\.?|,-|nok", "", value.casefold())
        if re.fullmatch(r"\d+", cleaned):
            value = int(cleaned)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"skriv et helt tall, ikke «{value}»")
    return value


def _day(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    try:
        if match:
            return datetime.date(int(match[3]), int(match[2]), int(match[1]))
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"skriv datoen som dd.mm.åååå, ikke «{value}»") from None


def _privacy_fields(values: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The privacy record's DPA fields from the row, and a note when a signed DPA lacks its date or
    reference (then it is recorded as in progress, which the privacy adviser completes)."""
    status = values["dpa"]
    fields: dict[str, Any] = {"dpa_status": status}
    if values.get("dpa_date"):
        fields["dpa_date"] = values["dpa_date"].isoformat()
    if values.get("dpa_reference"):
        fields["dpa_reference"] = values["dpa_reference"]
    if status == "signed" and not (values.get("dpa_date") and values.get("dpa_reference")):
        fields["dpa_status"] = "in_progress"
        return fields, ("databehandleravtalen føres som «under arbeid» til dato og referanse er lagt inn "
                        "(kolonnene «avtaledato» og «avtalereferanse»)")
    return fields, None


def _label_lookup(labels: dict[str, str]) -> dict[str, str]:
    lookup = {norm(code): code for code in labels}
    lookup.update({norm(label): code for code, label in labels.items()})
    return lookup


_LIMITS = {"name": 200, "description": 20000, "vendor": 200}
_FIELD_HEADINGS = {"name": "name", "vendor": "vendor", "url": "url", "description": "description"}


def _msgspec_reason(exc: msgspec.ValidationError, headings: dict[str, str]) -> str:
    text = str(exc)
    where = re.search(r"at `\$\.([a-z_]+)", text)
    field_name = where[1] if where else ""
    heading = headings.get(field_name, field_name) or "raden"
    if "length <=" in text:
        limit = re.search(r"length <= (\d+)", text)[1]
        return f"«{heading}» er for lang (høyst {limit} tegn)"
    if field_name == "url" or "pattern" in text and field_name.endswith("url"):
        return f"«{heading}» er ikke en nettadresse som begynner med https:// eller http://"
    if "pattern" in text:
        return f"«{heading}» har tegn som ikke er tillatt (for eksempel linjeskift)"
    if "length >=" in text:
        return f"«{heading}» mangler"
    return f"«{heading}»: {text}"


class Checker:
    """Reads rows against the taxonomy and the resources as they are now."""

    def __init__(self, columns: dict[str, str], in_use: bool) -> None:
        self.columns = columns
        self.in_use = in_use

    async def load(self) -> None:
        from catalogue.tables import KindergartenArea, PrivacyRecord, Resource, ResourceFacet, Subject, Vendor

        subjects = await Subject.select(Subject.code, Subject.name_nb, Subject.curriculum_code)
        self.subjects = {}
        for s in subjects:
            self.subjects[norm(s["code"])] = s["code"]
            self.subjects[norm(s["name_nb"])] = s["code"]
            if s["curriculum_code"]:
                self.subjects[norm(s["curriculum_code"])] = s["code"]
        self.areas = {}
        for a in await KindergartenArea.select(KindergartenArea.code, KindergartenArea.name_nb):
            self.areas[norm(a["code"])] = a["code"]
            self.areas[norm(a["name_nb"])] = a["code"]
        self.kinds = _label_lookup(domain.RESOURCE_KINDS)
        self.licences = _label_lookup(domain.LICENCE_MODELS)
        self.languages = _label_lookup(domain.LANGUAGES)
        self.languages.update({"norsk": "nb", "samisk": "se", "english": "en"})
        vendors = {v["id"]: v for v in await Vendor.select(Vendor.id, Vendor.name, Vendor.organisation_number)}
        self.existing: dict[int, dict[str, Any]] = {}
        for r in await Resource.select(
                Resource.id, Resource.name, Resource.url, Resource.kind, Resource.description, Resource.status,
                Resource.in_base_package, Resource.licence_model, Resource.annual_cost_nok, Resource.licence_count,
                Resource.vendor).where(Resource.status != "archived"):
            vendor = vendors.get(r["vendor"]) or {}
            self.existing[r["id"]] = {**r, "vendor_name": vendor.get("name", ""),
                                      "organisation_number": vendor.get("organisation_number"),
                                      **{f: [] for f in LIST_FIELDS}}
        for f in await ResourceFacet.select(ResourceFacet.resource, ResourceFacet.facet, ResourceFacet.value
                                            ).order_by(ResourceFacet.resource).order_by(ResourceFacet.position):
            current = self.existing.get(f["resource"])
            name = FACET_TO_FIELD.get(f["facet"])
            if current is not None and name in current:
                current[name].append(f["value"])
        for p in await PrivacyRecord.select(PrivacyRecord.resource, PrivacyRecord.dpa_status,
                                            PrivacyRecord.dpa_date, PrivacyRecord.dpa_reference):
            if p["resource"] in self.existing:
                self.existing[p["resource"]].update(
                    dpa_status=p["dpa_status"], dpa_reference=p["dpa_reference"],
                    dpa_date=p["dpa_date"].isoformat() if hasattr(p["dpa_date"], "isoformat") else p["dpa_date"])
        from catalogue.resources import known_codes

        self.codes = await known_codes()
        self.by_url = {_url_key(r["url"]): i for i, r in self.existing.items() if r["url"]}
        self.by_name = {norm(r["name"]): i for i, r in self.existing.items()}

    def values(self, record: spreadsheets.Row) -> tuple[dict[str, Any], list[str]]:
        """The row's fields, and the reasons it cannot be used."""
        cells = {name: record.cells.get(heading) for name, heading in self.columns.items()}
        reasons: list[str] = []
        values: dict[str, Any] = {}
        for name, cell in cells.items():
            heading = self.columns[name]
            if isinstance(cell, str) and cell.startswith("="):
                reasons.append(f"«{heading}» er en formel ({cell[:40]}); formler regnes ikke ut, skriv verdien")
                continue
            if cell is None:
                if name in REQUIRED:
                    reasons.append(f"«{heading}» mangler")
                continue
            try:
                values[name] = self._read(name, cell)
            except ValueError as exc:
                reasons.append(f"«{heading}»: {exc}")
        return values, reasons

    def _read(self, name: str, cell: Any) -> Any:
        text = str(cell).strip() if not isinstance(cell, (int, float, bool)) else cell
        if name in ("name", "vendor", "description"):
            return str(cell).strip()
        if name == "url":
            url = str(cell).strip()
            if re.match(r"^(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)+(/|$)", url, re.I):
                url = "https://" + url
            return url
        if name == "organisation_number":
            digits = re.sub(r"\D", "", str(int(cell)) if isinstance(cell, float) else str(cell))
            if len(digits) != 9:
                raise ValueError("et organisasjonsnummer har ni sifre")
            return digits
        if name == "kind":
            code = self.kinds.get(norm(text))
            if code is None:
                raise ValueError(f"ukjent type «{text}»; bruk en av: {', '.join(domain.RESOURCE_KINDS.values())}")
            return code
        if name == "levels":
            return parse_levels(cell)
        if name == "subjects":
            return _match_names(cell, self.subjects, "fag")
        if name == "kindergarten_areas":
            return _match_names(cell, self.areas, "fagområde")
        if name == "languages":
            return _match_names(cell, self.languages, "språk")
        if name == "platforms":
            return _words(cell, PLATFORM_WORDS, "plattform")
        if name == "logins":
            return _words(cell, LOGIN_WORDS, "pålogging")
        if name == "dpa":
            code = DPA_WORDS.get(norm(cell)) if not isinstance(cell, bool) else ("signed" if cell else "missing")
            if code is None:
                raise ValueError(f"skriv ja, nei, «under arbeid» eller «ikke nødvendig», ikke «{cell}»")
            return code
        if name in ("in_base_package", "in_use"):
            if name == "in_use" and norm(cell) in {"i bruk", "published", "publisert"}:
                return True
            if name == "in_use" and norm(cell) in {"utkast", "draft"}:
                return False
            return _yes_no(cell)
        if name == "licence_model":
            code = self.licences.get(norm(cell))
            if code is None:
                raise ValueError(f"ukjent lisensmodell «{cell}»; bruk en av: {', '.join(domain.LICENCE_MODELS.values())}")
            return code
        if name in ("annual_cost_nok", "licence_count"):
            return _number(cell)
        if name == "dpa_date":
            return _day(cell)
        if name == "dpa_reference":
            if len(str(cell)) > 100:
                raise ValueError("er for lang (høyst 100 tegn)")
            return str(cell).strip()
        return text

    def outcome(self, record: spreadsheets.Row, seen: dict[str, int]) -> Outcome:
        values, reasons = self.values(record)
        name = values.get("name", "")
        outcome = Outcome(row=record.number, action="refused", name=name, reasons=reasons)
        if reasons:
            return outcome
        keys = [("url", _url_key(values["url"])), ("name", norm(name))]
        for kind, key in keys:
            if key in seen:
                outcome.reasons.append(f"samme ressurs som rad {seen[key]} ({'nettadresse' if kind == 'url' else 'navn'})")
                return outcome
        for _, key in keys:
            seen[key] = record.number
        if values.get("levels") and values.get("kindergarten_areas") and "barnehage" not in values["levels"]:
            outcome.reasons.append("fagområder gjelder barnehagen: ta med «barnehage» under trinn")
            return outcome
        match = self.by_url.get(_url_key(values["url"]))
        if match is None:
            match = self.by_name.get(norm(name))
        if match is None:
            return self._create(outcome, values)
        return self._update(outcome, values, match)

    def _vendor(self, values: dict[str, Any]) -> VendorRef:
        return VendorRef(name=values["vendor"], organisation_number=values.get("organisation_number"))

    def _create(self, outcome: Outcome, values: dict[str, Any]) -> Outcome:
        from catalogue.resources import organisation_number_is_valid

        if values.get("organisation_number") and not organisation_number_is_valid(values["organisation_number"]):
            outcome.reasons.append(f"«{self.columns['organisation_number']}»: organisasjonsnummeret er ikke gyldig")
            return outcome
        fields: dict[str, Any] = {k: values[k] for k in ("name", "url", "kind", "description", "in_base_package",
                                                         "licence_model", "annual_cost_nok", "licence_count",
                                                         *LIST_FIELDS) if k in values}
        fields["vendor"] = msgspec.to_builtins(self._vendor(values))
        fields["status"] = "published" if values.get("in_use", self.in_use) else "draft"
        note = None
        if "dpa" in values:
            fields["privacy"], note = _privacy_fields(values)
        try:
            body = msgspec.convert(fields, ResourceCreate)
        except msgspec.ValidationError as exc:
            outcome.reasons.append(_msgspec_reason(exc, self.columns))
            return outcome
        refused = self._domain_errors(body.privacy, {f: getattr(body, f) for f in LIST_FIELDS})
        if refused:
            outcome.reasons += refused
            return outcome
        outcome.body = body
        outcome.action = "create"
        outcome.reasons = ["ny ressurs" + (" (i bruk)" if fields["status"] == "published" else " (utkast)")]
        if note:
            outcome.reasons.append(note)
        return outcome

    def _domain_errors(self, privacy: PrivacyRecordBody | None, facets: dict[str, list[str]]) -> list[str]:
        """The catalogue's own rules, as the API applies them, so that what the dry run accepts is written."""
        from catalogue.problems import FieldErrors
        from catalogue.resources import check_privacy, check_references

        errors = FieldErrors()
        if privacy is not None:
            check_privacy(privacy, errors)
        check_references(facets, self.codes, errors)
        return [f"{e['field']}: {e['message']}" for e in errors.errors]

    def _update(self, outcome: Outcome, values: dict[str, Any], resource_id: int) -> Outcome:
        current = self.existing[resource_id]
        outcome.resource_id = resource_id
        changes: dict[str, Any] = {}
        for key in ("name", "url", "kind", "description", "in_base_package", "licence_model", "annual_cost_nok",
                    "licence_count"):
            if key in values and values[key] != current[key]:
                changes[key] = values[key]
        for key in LIST_FIELDS:
            if key in values and sorted(values[key]) != sorted(current[key]):
                changes[key] = values[key]
        if norm(values["vendor"]) != norm(current["vendor_name"]) or (
                values.get("organisation_number") and values["organisation_number"] != current["organisation_number"]):
            changes["vendor"] = msgspec.to_builtins(self._vendor(values))
        labels = {**{k: self.columns.get(k, k) for k in COLUMNS}}
        outcome.reasons = [f"endrer «{labels.get(k, k)}»" for k in changes]
        if "dpa" in values:
            fields, note = _privacy_fields(values)
            if fields["dpa_status"] != current.get("dpa_status") or any(
                    fields.get(k) and str(fields[k]) != str(current.get(k)) for k in ("dpa_date", "dpa_reference")):
                outcome.reasons.append(f"endrer «{self.columns['dpa']}»" + (f" ({note})" if note else ""))
                changes["_dpa"] = fields
        if not changes:
            outcome.action = "unchanged"
            outcome.reasons = ["som før"]
            return outcome
        dpa = changes.pop("_dpa", None)
        try:
            patch = msgspec.convert(changes, ResourcePatch) if changes else None
        except msgspec.ValidationError as exc:
            outcome.reasons = [_msgspec_reason(exc, self.columns)]
            return outcome
        outcome.action = "update"
        outcome.body = (patch, dpa)
        return outcome


FACET_TO_FIELD = {facet: name for name, facet in domain.FACET_FIELDS.items() if name in LIST_FIELDS}


def _url_key(url: str) -> str:
    return re.sub(r"^https?://(www\.)?", "", str(url).strip().casefold()).rstrip("/")


SHEET_MESSAGES = {
    "the file is empty": "Filen er tom.",
    "old Excel files (.xls) cannot be read; save the sheet as .xlsx or .csv":
        "Gamle Excel-filer (.xls) kan ikke leses. Lagre regnearket som .xlsx eller .csv.",
    "the sheet has no header row": "Regnearket har ingen overskriftsrad.",
    "the workbook is too large": "Regnearket er for stort (pakket ut over 50 MB).",
    "the workbook has no worksheet": "Regnearket har ingen ark.",
    "the file is not a valid XLSX workbook": "Filen er ikke et gyldig XLSX-regneark.",
    "the file is not a text (CSV) file or an XLSX workbook": "Filen er verken en CSV-fil eller et XLSX-regneark.",
    "the file is not a text (CSV) file": "Filen er verken en CSV-fil eller et XLSX-regneark.",
}


def sheet_message(text: str) -> str:
    """Why a file cannot be read, in Norwegian."""
    if text in SHEET_MESSAGES:
        return SHEET_MESSAGES[text]
    if text.startswith("the sheet has more than"):
        return f"Regnearket har flere enn {spreadsheets.MAX_ROWS} rader. Del det i flere filer."
    if text.startswith("the CSV file cannot be read"):
        return "CSV-filen kan ikke leses (for eksempel et anførselstegn som ikke er lukket)."
    return "Filen kan ikke leses som et regneark (CSV eller XLSX)."


def read_sheet(content: bytes, filename: str) -> spreadsheets.Sheet:
    """The upload as a sheet; spreadsheets.SpreadsheetError for one that is not a readable table."""
    if not content.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) and (b"\x00" in content[:65536] or content.startswith(b"%PDF")):
        raise spreadsheets.SpreadsheetError("the file is not a text (CSV) file or an XLSX workbook")
    return spreadsheets.read(content, filename, keep_formulas=True)


async def check(sheet: spreadsheets.Sheet, in_use: bool = False,
                progress: Callable[[int, int], None] | None = None) -> Plan:
    """The dry run: what each row would do. Reads only."""
    plan = Plan()
    columns, unknown = column_map(sheet.headers)
    for name in REQUIRED:
        if name not in columns:
            near = [h for h in unknown if closest_heading(h) in COLUMNS[name]]
            hint = f"; kolonnen «{near[0]}» ligner – mente du «{COLUMNS[name][0]}»?" if near else ""
            plan.problems.append(f"Kolonnen «{COLUMNS[name][0]}» mangler{hint}")
    for heading in unknown:
        suggestion = closest_heading(heading)
        plan.ignored_columns.append(heading)
        plan.notes.append(f"Kolonnen «{heading}» er ukjent og blir ikke lest"
                          + (f" (mente du «{suggestion}»?)" if suggestion else ""))
    if not sheet.rows:
        plan.problems.append("Arket har ingen rader under overskriftene")
    if plan.problems:
        return plan
    checker = Checker(columns, in_use)
    await checker.load()
    seen: dict[str, int] = {}
    total = len(sheet.rows)
    for index, record in enumerate(sheet.rows, start=1):
        plan.rows.append(checker.outcome(record, seen))
        if progress and (index % 500 == 0 or index == total):
            progress(index, total)
    if any(isinstance(v, str) and v.startswith("=") for r in sheet.rows for v in r.cells.values()):
        plan.notes.append("Arket har formler: de regnes ikke ut, og radene med dem er avvist")
    return plan


class StalePlan(Exception):
    """The catalogue changed between the dry run and the confirmation: the rows would do otherwise."""


def signature(plan: Plan) -> list[list[Any]]:
    """What the rows do, to tell whether a new check finds the same as the dry run did."""
    return [[r.row, r.action, r.resource_id] for r in plan.rows]


async def apply(sheet: spreadsheets.Sheet, actor, in_use: bool = False,
                progress: Callable[[int, int], None] | None = None,
                expected: list[list[Any]] | None = None) -> Plan:
    """Check the sheet again and write what the check finds, in one transaction: the rows to create
    and update; refused rows are left out and reported. With ``expected`` (a dry run's signature),
    StalePlan when the check now finds otherwise, and nothing is written."""
    from catalogue.db import write_transaction
    from catalogue.resources import patch_resource
    from catalogue.search.bulk import import_resources
    from catalogue.tables import PrivacyRecord

    async with write_transaction():
        plan = await check(sheet, in_use)
        if plan.problems:
            return plan
        if expected is not None and signature(plan) != expected:
            raise StalePlan()
        # new resources go in through the bulk path (the API's validation, batches of 500, one audit
        # row per batch naming each resource); changed ones one by one, as the API changes them
        creates = [r for r in plan.rows if r.action == "create"]
        updates = [r for r in plan.rows if r.action == "update"]
        total, done = len(creates) + len(updates), 0
        if creates:
            for outcome, resource_id in zip(creates, await import_resources([o.body for o in creates], actor)):
                outcome.resource_id = resource_id
            done = len(creates)
            if progress:
                progress(done, total)
        for outcome in updates:
            patch, dpa = outcome.body
            if dpa is not None:
                from catalogue.resources import _privacy_out

                row = await PrivacyRecord.select().where(PrivacyRecord.resource == outcome.resource_id).first()
                record = msgspec.convert({**msgspec.to_builtins(_privacy_out(row)), **dpa}, PrivacyRecordBody)
                patch = msgspec.structs.replace(patch, privacy=record) if patch else ResourcePatch(privacy=record)
            await patch_resource(outcome.resource_id, patch, None, actor)
            done += 1
            if progress and (done % 200 == 0 or done == total):
                progress(done, total)
    return plan


def report_lines(plan: Plan, applied: bool) -> list[str]:
    words = {"create": "opprettes" if not applied else "opprettet", "update": "endres" if not applied else "endret",
             "unchanged": "uendret", "refused": "avvist"}
    lines = list(plan.problems) + list(plan.notes)
    for r in plan.rows:
        lines.append(f"rad {r.row}: {words[r.action]}: {r.name or '(uten navn)'}"
                     + (f" [ressurs {r.resource_id}]" if r.resource_id else "")
                     + (f" – {'; '.join(r.reasons)}" if r.reasons else ""))
    if not plan.problems:
        lines.append(f"{plan.count('create')} {words['create']}, {plan.count('update')} {words['update']}, "
                     f"{plan.count('unchanged')} uendret, {plan.count('refused')} avvist.")
    return lines


def plan_data(plan: Plan) -> dict[str, Any]:
    return {"problems": plan.problems, "notes": plan.notes,
            "counts": {a: plan.count(a) for a in ("create", "update", "unchanged", "refused")},
            "rows": [{"row": r.row, "action": r.action, "name": r.name, "resource_id": r.resource_id,
                      "reasons": r.reasons} for r in plan.rows]}


def plan_json(plan: Plan) -> str:
    return json.dumps(plan_data(plan), ensure_ascii=False, indent=1)


# --- the page's flow: upload and dry run, then confirm ---------------------------------------------

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


async def upload(content: bytes, filename: str, in_use: bool, principal) -> int:
    """Check an uploaded sheet and keep it with its dry run; returns the upload's id. Problem 422
    for a file that is not a readable sheet."""
    import hashlib

    from catalogue.db import write_transaction
    from catalogue.dataio.tables import ResourceSheetImport
    from catalogue.problems import Problem
    from catalogue.resources import now
    from workflows import audit

    try:
        sheet = read_sheet(content, filename)
    except spreadsheets.SpreadsheetError as exc:
        raise Problem(422, f"file: {exc}", type_slug="unreadable-spreadsheet",
                      errors=[{"field": "file", "message": str(exc)}]) from None
    plan = await check(sheet, in_use)
    data = plan_data(plan)
    data["signature"] = signature(plan)
    digest = hashlib.sha256(content).hexdigest()
    async with write_transaction():
        inserted = await ResourceSheetImport.insert(ResourceSheetImport(
            filename=(filename or "ressurser")[:255], sha256=digest, content=content, in_use=in_use,
            plan=json.dumps(data, ensure_ascii=False), status="invalid" if plan.problems else "checked",
            uploaded_by=principal.user_id, uploaded_by_label=principal.label, created_at=now(),
        )).returning(ResourceSheetImport.id)
        upload_id = inserted[0]["id"]
        await audit.append("resource_import.check", "resource_import", upload_id,
                           {"filename": filename, "sha256": digest, **data["counts"]},
                           actor=principal.label, actor_user_id=principal.user_id)
    return upload_id


async def get_upload(upload_id: int) -> dict[str, Any]:
    from catalogue.dataio.tables import ResourceSheetImport
    from catalogue.problems import Problem

    row = await ResourceSheetImport.select(
        *[c for c in ResourceSheetImport._meta.columns if c._meta.name != "content"]).where(
        ResourceSheetImport.id == upload_id).first()
    if row is None:
        raise Problem(404, f"No spreadsheet import with id {upload_id}.")
    plan = row["plan"]
    row["plan"] = json.loads(plan) if isinstance(plan, str) else plan
    return row


async def confirm(upload_id: int, principal) -> dict[str, Any]:
    """Apply a checked upload as its dry run showed it. Problem 409 when it was applied already,
    had problems, or the catalogue changed so that the rows would now do otherwise."""
    from catalogue.db import write_transaction
    from catalogue.dataio.tables import ResourceSheetImport
    from catalogue.problems import Problem
    from catalogue.resources import now
    from workflows import audit

    async with write_transaction():
        row = await get_upload(upload_id)
        if row["status"] == "applied":
            raise Problem(409, "This spreadsheet has been imported already.", type_slug="import-applied")
        if row["status"] != "checked":
            raise Problem(409, "The spreadsheet cannot be imported; correct it and upload it again.",
                          type_slug="import-invalid")
        stored = await ResourceSheetImport.select(ResourceSheetImport.content).where(
            ResourceSheetImport.id == upload_id).first()
        sheet = read_sheet(bytes(stored["content"]), row["filename"])
        try:
            plan = await apply(sheet, principal, row["in_use"], expected=row["plan"]["signature"])
        except StalePlan:
            raise Problem(409, "The catalogue changed after the spreadsheet was checked; upload it again to check "
                               "it against the catalogue as it is now.", type_slug="import-stale") from None
        data = {**plan_data(plan), "signature": signature(plan)}
        await ResourceSheetImport.update({ResourceSheetImport.status: "applied",
                                          ResourceSheetImport.applied_at: now(),
                                          ResourceSheetImport.plan: json.dumps(data, ensure_ascii=False)}).where(
            ResourceSheetImport.id == upload_id)
        await audit.append("resource_import.apply", "resource_import", upload_id, data["counts"],
                           actor=principal.label, actor_user_id=principal.user_id)
    return await get_upload(upload_id)
