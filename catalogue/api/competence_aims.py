"""/api/v1/competence-aims: the LK20 competence aims to tag resources with, by subject and trinn,
searchable by the words of their text."""

from __future__ import annotations

import re
from typing import Annotated, Optional

from litestar import get
from litestar.params import FromPath, QueryParameter

from catalogue.curriculum.aims import (
    MAX_PAGE,
    CompetenceAimOut,
    CompetenceAimPage,
    CoverageGroup,
    aim,
    coverage,
    list_aims,
)
from catalogue.api.resource_filters import one_value
from catalogue.domain import Role
from catalogue.problems import FieldErrors
from catalogue.search.sql import execute
from catalogue.security.access import SIGNED_IN, rule
from catalogue.visibility import LEVEL_CODES

SUBJECT_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,15}"
SUBJECT = {"pattern": f"^{SUBJECT_PATTERN}$"}
TRINN = {"enum": [code for code in LEVEL_CODES if code != "barnehage"]}  # the curriculum's trinn


@get("/api/v1/competence-aims", opt=rule(SIGNED_IN), tags=["taxonomy"],
     summary="Competence aims by subject and trinn, searched by the words of their text")
async def list_competence_aims(
    subject: Annotated[Optional[str], QueryParameter(name="subject", required=False, max_length=16,
                                                     schema_extra=one_value(SUBJECT),
                                                     description="Subject code such as MAT")] = None,
    level: Annotated[Optional[str], QueryParameter(name="level", required=False, max_length=16,
                                                   schema_extra=one_value(TRINN),
                                                   description="Trinn 1–10: the aims worked with on it")] = None,
    q: Annotated[Optional[str], QueryParameter(name="q", required=False, max_length=200,
                                               description="Words that must all be in the aim's code or text")] = None,
    include_replaced: Annotated[bool, QueryParameter(
        name="include_replaced", description="Also the aims of replaced curricula")] = False,
    limit: Annotated[int, QueryParameter(name="limit", ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, QueryParameter(name="offset", ge=0, le=1_000_000)] = 0,
) -> CompetenceAimPage:
    await check_choice(subject, level)
    return await list_aims(subject, level, q, include_replaced, limit, offset)


async def check_choice(subject: str | None, level: str | None) -> None:
    """A 422 naming ``subject`` or ``level`` when the catalogue does not know it."""
    errors = FieldErrors()
    if subject is not None:
        if not re.fullmatch(SUBJECT_PATTERN, subject):
            errors.add("subject", f"malformed subject code {subject!r}")
        elif not await execute("SELECT code FROM subject WHERE code = {}", subject):
            errors.add("subject", f"unknown subject {subject!r}")
    if level is not None and (level not in LEVEL_CODES or level == "barnehage"):
        errors.add("level", f"unknown trinn {level!r}; use 1–10")
    errors.raise_if_any()


@get("/api/v1/competence-aims/{code:str}", opt=rule(SIGNED_IN), tags=["taxonomy"], summary="One competence aim")
async def get_competence_aim(code: FromPath[str]) -> CompetenceAimOut:
    return await aim(code)


@get("/api/v1/competence-aims/coverage", opt=rule({Role.SECTOR_REVIEWER.value, Role.ADMIN.value}), tags=["taxonomy"],
     summary="Per subject and trinn, the aims no resource in the base package is tagged with")
async def competence_aim_coverage(
    subject: Annotated[Optional[str], QueryParameter(name="subject", required=False, max_length=16,
                                                     schema_extra=one_value(SUBJECT))] = None,
    level: Annotated[Optional[str], QueryParameter(name="level", required=False, max_length=16,
                                                   schema_extra=one_value(TRINN))] = None,
) -> list[CoverageGroup]:
    await check_choice(subject, level)
    return await coverage(subject, level)


competence_aim_handlers = [list_competence_aims, competence_aim_coverage, get_competence_aim]
