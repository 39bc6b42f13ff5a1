"""The record of processing (behandlingsprotokoll) as a page for the privacy advisers, the DPO
and the system owner, with its downloads (XLSX, CSV, JSON; each download is audited)."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.response import Template

from catalogue import domain
from catalogue.api.privacy_docs import RECORD_READERS, download
from catalogue.privacy_docs.record import (
    COLUMNS,
    PROBLEMS,
    TIMEZONE,
    activity_row,
    build_record,
    export_record,
    parse_as_of,
    unit_names,
)
from catalogue.problems import Problem
from catalogue.security.access import rule
from frontend.forms import FormErrors
from frontend.pages import page_context

PAGE_SIZE = 25
GAPS_SHOWN = 200
DATE_ERRORS = {"must be a date written YYYY-MM-DD": "Skriv datoen som ÅÅÅÅ-MM-DD, for eksempel 2026-03-31.",
               "cannot be in the future": "Datoen kan ikke være fram i tid."}


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) <= 100_000 else 1


def _as_of(request: Request) -> tuple[datetime.date | None, str, FormErrors | None]:
    raw = (request.query_params.get("dato") or "").strip()[:32]
    try:
        return parse_as_of(raw), raw, None
    except Problem as problem:
        errors = FormErrors()
        errors.add("dato", DATE_ERRORS.get(problem.errors[0]["message"], "Skriv datoen som ÅÅÅÅ-MM-DD."))
        return None, raw, errors


@get("/behandlingsprotokoll", opt=rule(RECORD_READERS), include_in_schema=False)
async def record_page(request: Request) -> Template:
    """The record now or as it stood on a day, its gaps first, the activities page by page."""
    as_of, raw, errors = _as_of(request)
    if errors:
        return Template(template_name="privacy_docs/record.html", status_code=422, context=page_context(
            request, errors=errors, raw_date=raw, record=None))
    record = await build_record(request.app.state.settings, as_of)
    names = await unit_names()
    pages = max(1, -(-len(record.activities) // PAGE_SIZE))
    page = min(_page_number(request.query_params.get("side")), pages)
    shown = record.activities[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    columns = [c.title for c in COLUMNS]
    base = {"dato": as_of.isoformat()} if as_of else {}

    def page_url(number: int) -> str:
        query = {**base, **({"side": str(number)} if number > 1 else {})}
        return "/behandlingsprotokoll" + (f"?{urlencode(query)}" if query else "")

    by_field: dict[str, int] = {}
    for gap in record.gaps:
        by_field[gap.field] = by_field.get(gap.field, 0) + 1
    starts = record.history_starts.astimezone(TIMEZONE).date() if record.history_starts else None
    return Template(template_name="privacy_docs/record.html", context=page_context(
        request, record=record, errors=None, raw_date=raw, as_of=as_of,
        activities=[{"a": a, "cells": list(zip(columns, activity_row(a, record, names)))} for a in shown],
        gaps=record.gaps[:GAPS_SHOWN], more_gaps=max(0, len(record.gaps) - GAPS_SHOWN),
        gap_summary=[(PROBLEMS[f][0], f, n) for f, n in sorted(by_field.items(), key=lambda x: -x[1])],
        page=page, pages=pages, previous_url=page_url(page - 1) if page > 1 else None,
        next_url=page_url(page + 1) if page < pages else None,
        downloads={fmt: f"/behandlingsprotokoll.{fmt}" + (f"?{urlencode(base)}" if base else "")
                   for fmt in ("xlsx", "csv", "json")},
        before_history=bool(as_of and (starts is None or as_of < starts)), history_starts=starts,
        statuses=domain.RESOURCE_STATUSES,
    ))


async def _download(request: Request, fmt: str) -> Response:
    as_of, _, errors = _as_of(request)
    if errors:
        raise Problem(422, f"dato: {errors.by_field['dato']}", errors=[{"field": "dato",
                                                                         "message": errors.by_field["dato"]}])
    content, media_type, filename = await export_record(request.app.state.settings, as_of, fmt, request.user)
    return download(content, media_type, filename)


@get("/behandlingsprotokoll.xlsx", opt=rule(RECORD_READERS), include_in_schema=False)
async def record_xlsx(request: Request) -> Response:
    return await _download(request, "xlsx")


@get("/behandlingsprotokoll.csv", opt=rule(RECORD_READERS), include_in_schema=False)
async def record_csv(request: Request) -> Response:
    return await _download(request, "csv")


@get("/behandlingsprotokoll.json", opt=rule(RECORD_READERS), include_in_schema=False)
async def record_json(request: Request) -> Response:
    return await _download(request, "json")


privacy_doc_page_handlers = [record_page, record_xlsx, record_csv, record_json]
