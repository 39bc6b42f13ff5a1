"""The sector office's view of how the base package covers the curriculum: per subject and trinn,
the competence aims that no resource in the base package is tagged with."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from catalogue.curriculum.aims import coverage
from catalogue.domain import Role
from catalogue.search.sql import execute
from catalogue.security.access import rule
from frontend.pages import page_context

TRINN = tuple(str(n) for n in range(1, 11))


@get("/kompetansemaal/dekning", opt=rule({Role.SECTOR_REVIEWER.value, Role.ADMIN.value}), include_in_schema=False)
async def coverage_page(request: Request) -> Template:
    """Aims without a resource in the base package, for one subject and trinn or for all."""
    subjects = await execute("SELECT code, name_nb FROM subject WHERE curriculum_code IS NOT NULL"
                             " ORDER BY sort_order, code")
    names = {s["code"]: s["name_nb"] for s in subjects}
    subject = request.query_params.get("fag") or None
    level = request.query_params.get("trinn") or None
    notice = None
    if subject is not None and subject not in names:
        subject, notice = None, "Faget finnes ikke i katalogen. Viser alle fag."
    if level is not None and level not in TRINN:
        level, notice = None, "Trinnet finnes ikke. Viser alle trinn."
    groups = await coverage(subject, level)
    return Template(template_name="curriculum/coverage.html", context=page_context(
        request, groups=groups, subjects=subjects, names=names, subject=subject, level=level, trinn=TRINN,
        notice=notice))


curriculum_page_handlers = [coverage_page]
