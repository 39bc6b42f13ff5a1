"""What parents are told: for one kindergarten or school and one level (or band), the published
resources the children use and, for each, what personal data it processes and why, where it is
stored, whether a DPA and a DPIA are in place, the restrictions on use and the accessibility
statement; and whom to contact. The pages, the letter, its PDF and the public JSON all show this
one view, built here from published facts only: costs, internal comments, reviewers' names,
attachments, DPIA documents and resources that are not published never enter it.

Views are kept per worker, keyed by the history's change counter, the search index's
generation and the unit's version, so a change anywhere is seen at once and a public page costs
one small query while nothing changed."""

from __future__ import annotations

import collections
import json
from typing import Any, Optional

from msgspec import Struct

from catalogue.privacy_docs import wording
from catalogue.privacy_docs.history import live_snapshots
from catalogue.problems import Problem
from catalogue.search.sql import execute
from catalogue.settings import Settings
from catalogue.taxonomy import norwegian_sort_key
from catalogue.visibility import BANDS

LEVEL_CHOICES = ("barnehage", *[str(n) for n in range(1, 11)])
BAND_CHOICES = ("1-4", "5-7", "8-10")
PUBLIC_UNIT_KINDS = ("barnehage", "skole")
CACHE_SIZE = 256


class Labelled(Struct, kw_only=True):
    code: str
    label: str


class PublicUnit(Struct, kw_only=True):
    code: str
    name: str
    kind: str
    address: str
    levels: list[str]


class PublicLevel(Struct, kw_only=True):
    code: str
    label: str
    levels: list[str]


class Purpose(Struct, kw_only=True):
    attribute: str
    label: str
    reason: str


class Storage(Struct, kw_only=True):
    location: str
    label: str
    outside_eea: bool
    countries: list[str]
    transfer_basis: Optional[str]
    text: str


class Assessment(Struct, kw_only=True):
    status: str
    in_place: bool
    text: str
    short: str
    risk_level: Optional[str] = None


class Accessibility(Struct, kw_only=True):
    statement_url: Optional[str]
    conformance: str
    text: str


class PublicResource(Struct, kw_only=True):
    id: int
    name: str
    vendor: Optional[str]
    url: str
    description: str
    in_base_package: bool
    processes_personal_data: Optional[bool]
    personal_data: str
    data_subjects: list[Labelled]
    data_categories: list[Labelled]
    special_categories: bool
    purposes: list[Purpose]
    storage: Storage
    dpa: Assessment
    dpia: Assessment
    retention: Optional[str]
    restrictions: Optional[str]
    accessibility: Accessibility
    guidance_url: Optional[str] = None
    demo_data: bool = False


class Contact(Struct, kw_only=True):
    name: str
    email: str = ""
    phone: str = ""
    contact: str = ""


class ParentInfo(Struct, kw_only=True):
    """The published privacy facts for one unit and level, in one language."""

    lang: str
    unit: PublicUnit
    level: PublicLevel
    controller: Contact
    dpo: Contact
    total: int
    resources: list[PublicResource]
    # descriptions, restrictions and retention texts are kept in bokmål, as they were written
    data_language: str = "nb"


class Choice(Struct, kw_only=True):
    """The units parents may choose from, with their levels and bands."""

    units: list[PublicUnit]
    levels: list[PublicLevel]


# --- choosing ---------------------------------------------------------------------------------


def check_language(lang: str | None, field: str = "lang") -> str:
    lang = (lang or "nb").strip()
    if lang not in wording.LANGUAGES:
        raise Problem(422, f"{field}: must be nb or nn", errors=[{"field": field, "message": "must be nb or nn"}])
    return lang


def level_view(code: str, lang: str) -> PublicLevel:
    levels = list(BANDS[code]) if code in BAND_CHOICES else [code]
    return PublicLevel(code=code, label=wording.LEVELS[lang][code], levels=levels)


def unit_levels(unit: PublicUnit) -> list[str]:
    """The level and band codes a parent may choose at this unit, in order."""
    bands = [b for b in BAND_CHOICES if set(BANDS[b]) & set(unit.levels)]
    return [c for c in LEVEL_CHOICES if c in unit.levels] + bands


def _unit(row: dict[str, Any]) -> PublicUnit:
    levels = row["levels"]
    if isinstance(levels, str):
        levels = json.loads(levels)
    return PublicUnit(code=row["code"], name=row["name"], kind=row["kind"], address=row["address"] or "",
                      levels=[c for c in LEVEL_CHOICES if c in (levels or [])])


async def choice(lang: str, state: dict[str, Any] | None = None) -> Choice:
    """The units and levels to choose from; kept per worker while the units are unchanged when
    ``state`` (from :func:`current_state`) says how they stand."""
    key = ("choice", state["database"], lang, state["units_count"], state["units_version"]) if state else None
    if key is not None and key in _cache:
        return _cache[key]
    rows = await execute("SELECT code, name, kind, address, levels FROM unit WHERE active = {} AND kind IN"
                         " ('barnehage', 'skole')", True)
    units = sorted((_unit(r) for r in rows), key=lambda u: (u.kind, norwegian_sort_key(u.name)))
    found = Choice(units=[u for u in units if u.levels],
                   levels=[level_view(c, lang) for c in (*LEVEL_CHOICES, *BAND_CHOICES)])
    if key is not None:
        _remember(key, found)
    return found


# --- the view ---------------------------------------------------------------------------------


def _storage(privacy: dict[str, Any], lang: str) -> Storage:
    location = privacy.get("data_location") or "unknown"
    outside = bool(privacy.get("transfers_outside_eea")) or location == "outside_eea"
    countries = list(privacy.get("transfer_countries") or [])
    text = wording.LOCATIONS[lang][location] + ". "
    if outside:
        basis = wording.TRANSFER_BASES[lang][privacy.get("transfer_basis") or "none"]
        text += wording.TEXT[lang]["transfer_out"].format(
            countries=f" ({', '.join(countries)})" if countries else "", basis=basis)
    else:
        text += wording.TEXT[lang]["transfer_none"]
    return Storage(location=location, label=wording.LOCATIONS[lang][location], outside_eea=outside,
                   countries=countries, transfer_basis=privacy.get("transfer_basis") if outside else None, text=text)


def _personal_data(privacy: dict[str, Any], lang: str) -> str:
    t = wording.TEXT[lang]
    processes = privacy.get("processes_personal_data")
    if processes is False:
        return t["data_none"]
    if processes is None:
        return t["data_unknown"]
    who = ", ".join(wording.DATA_SUBJECTS[lang].get(s, s) for s in privacy.get("data_subjects") or []) or t["users"]
    what = ", ".join(wording.DATA_CATEGORIES[lang].get(c, c) for c in privacy.get("data_categories") or [])
    text = t["data_yes"].format(who=who, what=what) if what else t["data_yes_unspecified"].format(who=who)
    if privacy.get("special_categories"):
        text += " " + t["special"]
    return text


def _dpia(privacy: dict[str, Any], lang: str) -> Assessment:
    status = privacy.get("dpia_status") or "not_assessed"
    text, short = wording.DPIA[lang][status], wording.DPIA_SHORT[lang][status]
    risk = privacy.get("dpia_risk_level") if status == "completed" else None
    if risk:
        text += " " + wording.TEXT[lang]["risk"].format(risk=wording.RISK[lang][risk])
        short += f" ({wording.RISK[lang][risk]})"
    return Assessment(status=status, in_place=status in ("completed", "not_required"), text=text, short=short,
                      risk_level=risk)


def public_resource(resource_id: int, s: dict[str, Any], lang: str) -> PublicResource:
    """One published resource as parents see it. Only what is listed here leaves the service."""
    p = s["privacy"]
    dpa = p.get("dpa_status") or "missing"
    access = s.get("accessibility") or {}
    conformance = access.get("claimed_conformance") or "unknown"
    restrictions = (s.get("restrictions") or "").strip() or None
    return PublicResource(
        id=resource_id, name=s["name"], vendor=(s.get("vendor") or {}).get("name"), url=s["url"],
        description=s.get("description") or "", in_base_package=bool(s.get("in_base_package")),
        processes_personal_data=p.get("processes_personal_data"), personal_data=_personal_data(p, lang),
        data_subjects=[Labelled(code=c, label=wording.DATA_SUBJECTS[lang].get(c, c)) for c in p.get("data_subjects") or []],
        data_categories=[Labelled(code=c, label=wording.DATA_CATEGORIES[lang].get(c, c))
                         for c in p.get("data_categories") or []],
        special_categories=bool(p.get("special_categories")),
        purposes=[Purpose(attribute=a.get("attribute", ""),
                          label=wording.FEIDE_ATTRIBUTES[lang].get(a.get("attribute", ""), a.get("attribute", "")),
                          reason=a.get("reason", "")) for a in p.get("feide_attributes") or []],
        storage=_storage(p, lang),
        dpa=Assessment(status=dpa, in_place=dpa in ("signed", "not_required"), text=wording.DPA[lang][dpa],
                       short=wording.DPA_SHORT[lang][dpa]),
        dpia=_dpia(p, lang), retention=(p.get("retention") or "").strip() or None, restrictions=restrictions,
        accessibility=Accessibility(statement_url=access.get("statement_url"), conformance=conformance,
                                    text=wording.CONFORMANCE[lang][conformance]),
        guidance_url=s.get("guidance_url"), demo_data=bool(s.get("demo")),
    )


def _contacts(settings: Settings) -> tuple[Contact, Contact]:
    return (Contact(name=settings.controller, contact=settings.controller_contact),
            Contact(name=settings.dpo_name, email=settings.dpo_email, phone=settings.dpo_phone))


_cache: "collections.OrderedDict[tuple, Any]" = collections.OrderedDict()


async def current_state(settings: Settings, unit_code: str) -> dict[str, Any]:
    """In one query: the unit (its columns are None when there is none with this code) and the
    counters that say whether anything parents see has changed since a view was kept."""
    rows = await execute(
        "SELECT u.code, u.name, u.kind, u.address, u.levels, u.active, u.version,"
        " (SELECT MAX(id) FROM privacy_history) AS history,"
        " (SELECT generation FROM search_state WHERE id = 1) AS generation,"
        " (SELECT COUNT(*) FROM unit) AS units_count, (SELECT SUM(version) FROM unit) AS units_version"
        " FROM (SELECT 1 AS one) x LEFT JOIN unit u ON u.code = {}", unit_code[:64])
    return {**rows[0], "database": settings.database_url}


def view_key(settings: Settings, state: dict[str, Any], level_code: str, lang: str) -> tuple:
    """What a kept view of this unit, level and language depends on (the database named too: a
    process may serve more than one, as the tests do)."""
    return (settings.database_url, state["code"], state["version"], level_code, lang, state["history"],
            state["generation"])


def _remember(key: tuple, value: Any) -> None:
    _cache[key] = value
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)


def _field_problem(field: str, message: str, status: int = 422, **members: Any) -> Problem:
    return Problem(status, f"{field}: {message}", errors=[{"field": field, "message": message}], **members)


async def parent_info(settings: Settings, unit_code: str, level_code: str, lang: str,
                      state: dict[str, Any] | None = None) -> ParentInfo:
    """The view for one unit and level. 404 for a unit parents cannot choose, 422 for a level the
    unit does not have (with the levels it has). ``state``: from :func:`current_state`, if read."""
    state = state or await current_state(settings, unit_code)
    if state["code"] is None or not state["active"] or state["kind"] not in PUBLIC_UNIT_KINDS:
        raise _field_problem("unit", f"no kindergarten or school with code {unit_code!r}", 404)
    unit = _unit(state)
    if level_code not in (*LEVEL_CHOICES, *BAND_CHOICES):
        raise _field_problem("level", "must be barnehage, 1–10, 1-4, 5-7 or 8-10", levels=unit_levels(unit))
    if level_code not in unit_levels(unit):
        raise _field_problem("level", f"{unit.name} has no {level_code}", levels=unit_levels(unit))
    key = view_key(settings, state, level_code, lang)
    cached = _cache.get(key)
    if cached is not None:
        _cache.move_to_end(key)
        return cached
    level = level_view(level_code, lang)
    levels = [c for c in level.levels if c in unit.levels]
    marks = ", ".join("{}" for _ in levels)
    snapshots = await live_snapshots(
        "r.status = 'published' AND (r.in_base_package = {} OR EXISTS (SELECT 1 FROM resource_facet fu"
        " WHERE fu.resource = r.id AND fu.facet = 'unit' AND fu.value = {})) AND EXISTS (SELECT 1 FROM"
        f" resource_facet fl WHERE fl.resource = r.id AND fl.facet = 'level' AND fl.value IN ({marks}))",
        True, unit.code, *levels)
    ordered = sorted(snapshots.items(), key=lambda item: (norwegian_sort_key(item[1]["name"]), item[0]))
    resources = [public_resource(resource_id, snapshot, lang) for resource_id, snapshot in ordered]
    controller, dpo = _contacts(settings)
    info = ParentInfo(lang=lang, unit=unit, level=level, controller=controller, dpo=dpo, total=len(resources),
                      resources=resources)
    _remember(key, info)
    return info
