"""Who may see which resources, and the filters of a catalogue listing. The resource service,
the search and the pages all stand on these rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from catalogue import domain
from catalogue.domain import Role
from catalogue.problems import FieldErrors
from catalogue.security.access import Principal

LEVEL_CODES = ("barnehage", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
BANDS = {"barnehage": ("barnehage",), "1-4": ("1", "2", "3", "4"), "5-7": ("5", "6", "7"),
         "8-10": ("8", "9", "10")}
UNIT_SCOPED_STATUSES = ("draft", "in_review")
# a resource being phased out is still in use until its end date: those told of it can open it
IN_USE_STATUSES = ("published", "phasing_out")


def can_see_unpublished(principal: Principal) -> bool:
    return principal.has_any(domain.CATALOGUE_INSIDERS)


def visible_statuses(principal: Principal) -> tuple[str, ...] | None:
    """None means every status; staff and the public see the resources in use (published, and
    those being phased out). ICT mentors also see drafts and resources in review, but only those of
    their own units (UNIT_SCOPED_STATUSES)."""
    if can_see_unpublished(principal):
        return None
    if Role.ICT_MENTOR.value in principal.roles and principal.unit_codes:
        return (*IN_USE_STATUSES, *UNIT_SCOPED_STATUSES)
    return IN_USE_STATUSES


@dataclass
class ResourceFilters:
    """Filters of the resource list. Values within one filter are alternatives (OR); different
    filters must all hold (AND)."""

    levels: list[str]
    bands: list[str]
    subjects: list[str]
    kindergarten_areas: list[str]
    kinds: list[str]
    platforms: list[str]
    logins: list[str]
    languages: list[str]
    statuses: list[str]
    units: list[str]
    in_base_package: bool | None
    aims: list[str] = field(default_factory=list)  # competence aim codes


CODE_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"  # subject, kindergarten area and unit codes
AIM_PATTERN = r"[A-Z]{2,4}[0-9]{1,6}"  # competence aim codes


def validate_filters(filters: ResourceFilters) -> None:
    errors = FieldErrors()
    for value in filters.levels:
        if value not in LEVEL_CODES:
            errors.add("level", f"unknown level {value!r}; use barnehage or 1–10")
    for value in filters.bands:
        if value not in BANDS:
            errors.add("band", f"unknown band {value!r}; use barnehage, 1-4, 5-7 or 8-10")
    for name, values, allowed in (
        ("kind", filters.kinds, domain.RESOURCE_KINDS),
        ("platform", filters.platforms, domain.PLATFORMS),
        ("login", filters.logins, domain.LOGINS),
        ("language", filters.languages, domain.LANGUAGES),
        ("status", filters.statuses, domain.RESOURCE_STATUSES),
    ):
        for value in values:
            if value not in allowed:
                errors.add(name, f"unknown value {value!r}")
    for name, values in (("subject", filters.subjects), ("kindergarten_area", filters.kindergarten_areas),
                         ("unit", filters.units)):
        for value in values:
            if not re.fullmatch(CODE_PATTERN, value):
                errors.add(name, f"malformed code {value!r}")
    for value in filters.aims:
        if not re.fullmatch(AIM_PATTERN, value):
            errors.add("aim", f"malformed competence aim code {value!r}")
    errors.raise_if_any()


def wanted_statuses(filters: ResourceFilters, principal: Principal, any_visible: bool = False) -> list[str] | None:
    """The statuses a listing shows: those asked for that the caller may see, by default published
    (staff) or all but archived (insiders). ``any_visible``: every status the caller may see,
    archived included for those who may (the status facet's counts). None: no restriction."""
    statuses = visible_statuses(principal)
    if any_visible:
        return list(statuses) if statuses is not None else None
    if statuses is not None:
        return [s for s in (filters.statuses or ["published"]) if s in statuses] or ["__none__"]
    return list(filters.statuses) or [s for s in domain.RESOURCE_STATUSES if s != "archived"]
