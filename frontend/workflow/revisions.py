"""The sector office's overview of revisions: those overdue, and those coming up."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from catalogue.domain import Role
from catalogue.security.access import rule
from frontend.pages import page_context
from frontend.workflow.common import fmt_date
from workflows import scheduler
from workflows.service import today

REASONS = {
    "revision_date": "Revisjonsdatoen",
    "licence_expires": "Lisensen utløper",
    "dpa_expires": "Databehandleravtalen utløper",
}
WINDOWS = (30, 90, 180, 365)


@get("/revisjoner", opt=rule({Role.SECTOR_REVIEWER.value, Role.ADMIN.value}), include_in_schema=False)
async def revision_overview(request: Request) -> Template:
    """Revisions overdue and due within the chosen number of days (90 unless asked)."""
    raw = request.query_params.get("dager", "90")
    days = int(raw) if raw in {str(w) for w in WINDOWS} else 90
    items = await scheduler.revision_overview(request.app.state.settings, days=days)
    return Template(template_name="workflow/revisions.html", context=page_context(
        request, overdue=[i for i in items if i.overdue], upcoming=[i for i in items if not i.overdue], days=days,
        windows=WINDOWS, reasons=REASONS, fmt_date=fmt_date, today=today(),
        lead_days=request.app.state.settings.revision_lead_days))
