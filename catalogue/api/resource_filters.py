"""The filter query parameters of the resource search, declared once for every operation that
takes them (the search itself and the catalogue export)."""

from __future__ import annotations

from typing import Annotated, Optional

from litestar.params import QueryParameter

from catalogue.visibility import ResourceFilters


def _multi(name: str, description: str):
    return Annotated[Optional[list[str]], QueryParameter(name=name, description=description, required=False)]


async def resource_filters(
    level: _multi("level", "Level code: barnehage or 1–10 (repeatable)") = None,
    band: _multi("band", "Band: barnehage, 1-4, 5-7, 8-10 (repeatable)") = None,
    subject: _multi("subject", "Subject code such as MAT (repeatable)") = None,
    kindergarten_area: _multi("kindergarten_area", "Kindergarten area code (repeatable)") = None,
    kind: _multi("kind", "Resource kind (repeatable)") = None,
    platform: _multi("platform", "Platform (repeatable)") = None,
    login: _multi("login", "Login method (repeatable)") = None,
    language: _multi("language", "Language code (repeatable)") = None,
    status: _multi("status", "Status; staff see published only (repeatable)") = None,
    unit: _multi("unit", "Unit code (repeatable)") = None,
    aim: _multi("aim", "Competence aim code such as KM4010 (repeatable)") = None,
    in_base_package: Annotated[Optional[bool], QueryParameter(name="in_base_package", required=False)] = None,
) -> ResourceFilters:
    """A Litestar dependency: the query's filters as the search takes them."""
    return ResourceFilters(
        levels=level or [], bands=band or [], subjects=subject or [],
        kindergarten_areas=kindergarten_area or [], kinds=kind or [], platforms=platform or [],
        logins=login or [], languages=language or [], statuses=status or [], units=unit or [],
        in_base_package=in_base_package, aims=aim or [],
    )
