"""The filter query parameters of the resource search, declared once for every operation that
takes them (the search itself and the catalogue export)."""

from __future__ import annotations

from typing import Annotated, Optional

from litestar.params import QueryParameter

from catalogue import domain
from catalogue.visibility import BANDS, CODE_PATTERN, LEVEL_CODES, AIM_PATTERN, ResourceFilters


def _multi(name: str, description: str, value: dict):
    """A repeatable filter; ``value`` is the schema of one value, as validate_filters checks it
    (a 422 naming the parameter), so that the document allows only what the search takes."""
    return Annotated[Optional[list[str]], QueryParameter(
        name=name, description=description, required=False,
        schema_extra={"oneOf": [{"type": "array", "items": {"type": "string", **value}}]})]


def _one_of(values) -> dict:
    return {"enum": list(values)}


def one_value(value: dict) -> dict:
    """``schema_extra`` of an optional query parameter taking one value of schema ``value`` (checked
    by the handler, a 422 naming the parameter; null is never sent in a query)."""
    return {"oneOf": [{"type": "string", **value}]}


CODE = {"pattern": f"^{CODE_PATTERN}$"}


async def resource_filters(
    level: _multi("level", "Level code: barnehage or 1–10 (repeatable)", _one_of(LEVEL_CODES)) = None,
    band: _multi("band", "Band: barnehage, 1-4, 5-7, 8-10 (repeatable)", _one_of(BANDS)) = None,
    subject: _multi("subject", "Subject code such as MAT (repeatable)", CODE) = None,
    kindergarten_area: _multi("kindergarten_area", "Kindergarten area code (repeatable)", CODE) = None,
    kind: _multi("kind", "Resource kind (repeatable)", _one_of(domain.RESOURCE_KINDS)) = None,
    platform: _multi("platform", "Platform (repeatable)", _one_of(domain.PLATFORMS)) = None,
    login: _multi("login", "Login method (repeatable)", _one_of(domain.LOGINS)) = None,
    language: _multi("language", "Language code (repeatable)", _one_of(domain.LANGUAGES)) = None,
    status: _multi("status", "Status; staff see published only (repeatable)", _one_of(domain.RESOURCE_STATUSES)) = None,
    unit: _multi("unit", "Unit code (repeatable)", CODE) = None,
    aim: _multi("aim", "Competence aim code such as KM4010 (repeatable)", {"pattern": f"^{AIM_PATTERN}$"}) = None,
    in_base_package: Annotated[Optional[bool], QueryParameter(name="in_base_package", required=False)] = None,
) -> ResourceFilters:
    """A Litestar dependency: the query's filters as the search takes them."""
    return ResourceFilters(
        levels=level or [], bands=band or [], subjects=subject or [],
        kindergarten_areas=kindergarten_area or [], kinds=kind or [], platforms=platform or [],
        logins=login or [], languages=language or [], statuses=status or [], units=unit or [],
        in_base_package=in_base_package, aims=aim or [],
    )
