"""The annual report (kvalitetsmelding) as a page, with a chart and a table of its numbers for
every figure, and its downloads (XLSX, CSV; each download is audited)."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.response import Template

from catalogue.api.privacy_docs import download
from catalogue.domain import CATALOGUE_INSIDERS
from catalogue.problems import Problem
from catalogue.reports.annual import FIRST_YEAR, build_report, parse_year
from catalogue.reports.annual_export import (
    BAND_LABELS,
    DECISION_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    OUTCOMES,
    action_label,
    equipment_sheet,
    export_report,
    step_label,
)
from catalogue.privacy_docs.record import local_today
from catalogue.search.sql import execute
from catalogue.security.access import rule
from catalogue.taxonomy import norwegian_sort_key
from frontend.charts import bar_chart
from frontend.forms import FormErrors
from frontend.pages import page_context

YEAR_ERRORS = {"cannot be in the future": "Året kan ikke være fram i tid.",
               f"must be {FIRST_YEAR} or later": f"Velg et år fra {FIRST_YEAR} og senere."}


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f} %".replace(".", ",")


def _kr(value) -> str:
    return "–" if value is None else f"{value:,.0f}".replace(",", "\u00a0") + " kr"


async def _first_year() -> int:
    rows = await execute("SELECT MIN(created_at) AS first FROM resource")
    first = rows[0]["first"] if rows else None
    return int(str(first)[:4]) if first else local_today().year


async def _unit_options() -> list[tuple[str, str]]:
    rows = await execute("SELECT code, name, kind FROM unit WHERE kind IN ('barnehage', 'skole') ORDER BY name")
    return sorted(((r["code"], r["name"]) for r in rows), key=lambda u: norwegian_sort_key(u[1]))


def _charts(report) -> dict:
    subjects = {s.code: s.name for s in report.subjects}
    charts = {
        "base": bar_chart("graf-grunnpakke", "Læremidler i grunnpakken per trinn",
                          [(BAND_LABELS[r.band], [r.total]) for r in report.base_package], unit=" læremidler"),
        "privacy": bar_chart("graf-personvern", "Andel av læremidlene som behandler personopplysninger",
                             [("Databehandleravtale", [round((report.privacy.dpa_share or 0) * 100)]),
                              ("Gjennomført DPIA", [round((report.privacy.dpia_share or 0) * 100)])], unit=" %"),
        "cases": bar_chart("graf-saker", "Saker åpnet og avgjort",
                           [(KIND_LABELS[c.kind], [c.opened, c.decided]) for c in report.cases],
                           series=("Åpnet", "Avgjort")),
        "timing": bar_chart("graf-tid", "Dager per steg: median og 90-persentil",
                            [(f"{step_label(t.kind, t.key)}", [t.median_days, t.p90_days]) for t in report.step_timing
                             if t.count], series=("Median", "90-persentil"), unit=" d"),
        "revisions": bar_chart("graf-revisjoner", "Revisjoner",
                               [("Åpnet", [report.revisions.opened]), ("Fullført", [report.revisions.completed]),
                                ("Fullført i tide", [report.revisions.on_time]),
                                ("Fullført for sent", [report.revisions.late]),
                                ("Forfalt", [report.revisions.overdue])]),
        "costs": bar_chart("graf-kostnad", "Lisenskostnad per enhet (egne læremidler og andel av grunnpakken)",
                           [(r.name, [r.total if r.total is not None else r.own_cost]) for r in report.costs.rows],
                           unit=" kr"),
    }
    return {"charts": charts, "subject_names": subjects}


@get("/kvalitetsmelding", opt=rule(CATALOGUE_INSIDERS), include_in_schema=False)
async def report_page(request: Request) -> Template:
    """The annual report for a year and, optionally, one unit."""
    raw_year = (request.query_params.get("aar") or "").strip()[:8]
    unit = (request.query_params.get("enhet") or "").strip()[:64] or None
    errors = FormErrors()
    try:
        year = parse_year(raw_year)
    except Problem as problem:
        errors.add("aar", YEAR_ERRORS.get(problem.errors[0]["message"], "Skriv året med fire sifre, for eksempel 2026."))
        year = None
    units = await _unit_options()
    if unit and unit not in dict(units):
        errors.add("enhet", "Velg en enhet fra listen.")
    current = local_today().year
    years = list(range(current, min(await _first_year(), current) - 1, -1))
    context = dict(errors=errors or None, raw_year=raw_year, year=year, unit=unit, units=units, years=years)
    if errors:
        return Template(template_name="reports/annual.html", status_code=422 if year is None else 404,
                        context=page_context(request, report=None, **context))
    report = await build_report(request.app.state.settings, year, unit)
    query = urlencode([(k, v) for k, v in (("aar", str(year)), ("enhet", unit or "")) if v])
    return Template(template_name="reports/annual.html", context=page_context(
        request, report=report, **context, **_charts(report), band_labels=BAND_LABELS, kind_labels=KIND_LABELS,
        outcome_labels=OUTCOME_LABELS, outcomes=OUTCOMES, decision_labels=DECISION_LABELS, step_label=step_label,
        action_label=action_label, percent=_percent, kr=_kr,
        equipment=equipment_sheet(report.equipment) if report.equipment else None,
        downloads={fmt: f"/kvalitetsmelding.{fmt}?{query}" for fmt in ("xlsx", "csv")}))


async def _download(request: Request, fmt: str) -> Response:
    year = parse_year((request.query_params.get("aar") or "").strip()[:8])
    unit = (request.query_params.get("enhet") or "").strip()[:64] or None
    content, media_type, filename = await export_report(request.app.state.settings, year, unit, fmt, request.user)
    return download(content, media_type, filename)


@get("/kvalitetsmelding.xlsx", opt=rule(CATALOGUE_INSIDERS), include_in_schema=False)
async def report_xlsx(request: Request) -> Response:
    return await _download(request, "xlsx")


@get("/kvalitetsmelding.csv", opt=rule(CATALOGUE_INSIDERS), include_in_schema=False)
async def report_csv(request: Request) -> Response:
    return await _download(request, "csv")


report_page_handlers = [report_page, report_xlsx, report_csv]
