"""Pages for parents, public and without sign-in, in bokmål and nynorsk: choose a kindergarten or
school and a level (or a band), see the resources the children use and how each protects their
privacy; a letter to parents per unit and level, as a page styled for print and as a PDF
(WeasyPrint). Everything shown comes from catalogue.privacy_docs.parents, which holds published
facts only."""

from __future__ import annotations

import collections
import hashlib
import logging
import threading
from urllib.parse import urlencode

import anyio
from litestar import Request, Response, get
from litestar.response import Template
from markupsafe import Markup

from catalogue.privacy_docs import wording
from catalogue.privacy_docs.parents import (
    BAND_CHOICES,
    LEVEL_CHOICES,
    ParentInfo,
    check_language,
    choice,
    current_state,
    parent_info,
    unit_levels,
    view_key,
)
from catalogue.privacy_docs.record import local_today
from catalogue.problems import Problem
from catalogue.security.access import PUBLIC, rule
from frontend.forms import FormErrors
from frontend.pages import page_context

PAGE_SIZE = 20
FRAGMENTS_KEPT = 256
logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its progress steps are INFO
logging.getLogger("fontTools").setLevel(logging.WARNING)
SKIP_TEXT = {"nb": "Hopp til hovedinnholdet", "nn": "Hopp til hovudinnhaldet"}
PDF_CACHE_SIZE = 32
_pdf_cache: "collections.OrderedDict[str, bytes]" = collections.OrderedDict()
_pdf_slots = threading.BoundedSemaphore(2)  # rendering is CPU work: at most two at once per worker


def _params(request: Request) -> tuple[str, str, str]:
    q = request.query_params
    return ((q.get("enhet") or "").strip()[:64], (q.get("trinn") or "").strip()[:16],
            (q.get("sprak") or "nb").strip()[:8])


def _url(path: str, unit: str = "", level: str = "", lang: str = "nb", **more: str) -> str:
    query = [(k, v) for k, v in (("enhet", unit), ("trinn", level)) if v]
    if lang != "nb":
        query.append(("sprak", lang))
    query += [(k, v) for k, v in more.items() if v]
    return path + (f"?{urlencode(query)}" if query else "")


def _switch(path: str, unit: str, level: str, lang: str) -> list[dict]:
    return [{"lang": code, "name": wording.LANGUAGE_NAMES[code], "href": _url(path, unit, level, code),
             "current": code == lang} for code in wording.LANGUAGES]


def _context(request: Request, lang: str, **values) -> dict:
    return page_context(request, page_lang=lang, skip_text=SKIP_TEXT[lang], t=wording.TEXT[lang], **values)


_fragments: "collections.OrderedDict[tuple, Markup]" = collections.OrderedDict()


def _resource_list(request: Request, key: tuple, info: ParentInfo, resources: list, lang: str) -> Markup:
    """The rendered list of resources, kept per worker with the view it shows (the costly part
    of a public page, the same for every visitor)."""
    found = _fragments.get(key)
    if found is None:
        html = request.app.template_engine.get_template("parents/_resources.html").render(
            info=info, resources=resources, t=wording.TEXT[lang], page_lang=lang)
        found = _fragments[key] = Markup(html)
        while len(_fragments) > FRAGMENTS_KEPT:
            _fragments.popitem(last=False)
    return found


async def _choose(request: Request, lang: str, unit: str, level: str, *, errors: FormErrors | None = None,
                  level_links: list[dict] | None = None, level_message: str = "", status_code: int = 200,
                  info: ParentInfo | None = None, page: int = 1, state: dict | None = None) -> Template:
    options = await choice(lang, state)
    t = wording.TEXT[lang]
    context = dict(
        options=options, chosen_unit=unit, chosen_level=level, errors=errors, level_links=level_links or [],
        level_message=level_message, info=info, languages=_switch("/personvern/foreldre", unit, level, lang),
        band_codes=BAND_CHOICES, level_codes=LEVEL_CHOICES,
    )
    if info is not None:
        pages = max(1, -(-info.total // PAGE_SIZE))
        page = min(page, pages)
        kindergarten = info.level.code == "barnehage"
        shown = info.resources[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        key = (*view_key(request.app.state.settings, state, info.level.code, lang), page) if state else None
        context.update(
            resource_list=_resource_list(request, key, info, shown, lang) if key else None,
            resources=shown, page=page, pages=pages,
            title=(t["title_result_kindergarten"] if kindergarten else t["title_result"]).format(
                unit=info.unit.name, level=info.level.label),
            lead=(t["lead_result_kindergarten"] if kindergarten else t["lead_result"]).format(
                unit=info.unit.name, level=info.level.label),
            count=t["count_one"] if info.total == 1 else t["count_many"].format(n=info.total),
            previous_url=_url("/personvern/foreldre", unit, level, lang, side=str(page - 1)) if page > 2 else (
                _url("/personvern/foreldre", unit, level, lang) if page == 2 else None),
            next_url=_url("/personvern/foreldre", unit, level, lang, side=str(page + 1)) if page < pages else None,
            letter_url=_url("/personvern/foreldre/brev", unit, level, lang),
            pdf_url=_url("/personvern/foreldre/brev.pdf", unit, level, lang),
        )
    return Template(template_name="parents/page.html", status_code=status_code,
                    context=_context(request, lang, **context))


async def _resolve(request: Request, lang: str, unit: str, level: str) -> tuple[ParentInfo | Template, dict]:
    """The view for the query, or the choosing page saying what to fix; and the state read."""
    state = await current_state(request.app.state.settings, unit)
    return await _resolve_with(request, lang, unit, level, state), state


async def _resolve_with(request: Request, lang: str, unit: str, level: str, state: dict) -> ParentInfo | Template:
    t = wording.TEXT[lang]
    errors = FormErrors()
    if not unit:
        return await _choose(request, lang, unit, level, state=state)
    options = await choice(lang, state)
    known = {u.code: u for u in options.units}
    if unit not in known:
        errors.add("enhet", t["unknown_unit"])
        return await _choose(request, lang, unit, level, errors=errors, status_code=404)
    chosen = known[unit]
    levels = unit_levels(chosen)
    links = [{"label": wording.LEVELS[lang][c], "href": _url("/personvern/foreldre", unit, c, lang)} for c in levels]
    if not level and chosen.kind == "barnehage" and "barnehage" in levels:
        level = "barnehage"
    if not level:
        return await _choose(request, lang, unit, level, level_links=links,
                             level_message=t["choose_level_for"].format(unit=chosen.name))
    if level not in (*LEVEL_CHOICES, *BAND_CHOICES):
        errors.add("trinn", t["unknown_level"])
        return await _choose(request, lang, unit, level, errors=errors, level_links=links, status_code=422,
                             level_message=t["choose_level_for"].format(unit=chosen.name))
    if level not in levels:
        message = t["level_not_at_unit"].format(unit=chosen.name, level=wording.LEVELS[lang][level])
        errors.add("trinn", message)
        return await _choose(request, lang, unit, level, errors=errors, level_links=links, status_code=422,
                             level_message=message)
    return await parent_info(request.app.state.settings, unit, level, lang, state)


def _language(request: Request) -> tuple[str, FormErrors | None]:
    _, _, raw = _params(request)
    try:
        return check_language(raw, "sprak"), None
    except Problem:
        errors = FormErrors()
        errors.add("sprak", wording.TEXT["nb"]["unknown_language"])
        return "nb", errors


_pages: "collections.OrderedDict[tuple, str]" = collections.OrderedDict()


def _page_html(request: Request, template: Template) -> str:
    """A page as the Template response would render it, for visitors who are not signed in (their
    pages hold nothing of their own: no name, no CSRF token)."""
    return request.app.template_engine.get_template(template.template_name).render(
        **template.context, request=request)


async def _chosen(request: Request) -> tuple[str, str, ParentInfo | Template, dict | None]:
    """The language, the unit and the view the query asks for (or the page saying what to fix),
    and the state it was read at."""
    unit, level, _ = _params(request)
    lang, errors = _language(request)
    if errors:
        return lang, unit, await _choose(request, lang, unit, level, errors=errors, status_code=422), None
    resolved, state = await _resolve(request, lang, unit, level)
    return lang, unit, resolved, state


@get("/personvern/foreldre", opt=rule(PUBLIC), include_in_schema=False)
async def parents_page(request: Request) -> Response:
    """Choose a unit and a level; then what the children there use and how privacy is protected."""
    lang, unit, resolved, state = await _chosen(request)
    if isinstance(resolved, Template):
        return resolved
    raw_page = request.query_params.get("side") or "1"
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 100_000 else 1
    if not request.user.is_anonymous:
        return await _choose(request, lang, unit, resolved.level.code, info=resolved, page=page, state=state)
    # the public page of a view is the same for every visitor: kept whole while nothing changed
    key = (*view_key(request.app.state.settings, state, resolved.level.code, lang), page, state["units_count"],
           state["units_version"])
    html = _pages.get(key)
    if html is None:
        html = _pages[key] = _page_html(request, await _choose(
            request, lang, unit, resolved.level.code, info=resolved, page=page, state=state))
        while len(_pages) > FRAGMENTS_KEPT:
            _pages.popitem(last=False)
    return Response(content=html, media_type="text/html; charset=utf-8")


def _letter_context(info: ParentInfo, settings, lang: str) -> dict:
    t = wording.TEXT[lang]
    kindergarten = info.level.code == "barnehage"
    base = settings.public_base_url or ""
    return dict(
        info=info, today=wording.long_date(local_today(), lang),
        to=(t["letter_to_kindergarten"] if kindergarten else t["letter_to"]).format(
            unit=info.unit.name, level=info.level.label),
        intro_kind=t["letter_intro_barnehage"] if info.unit.kind == "barnehage" else t["letter_intro_skole"],
        more=t["letter_more"].format(url=f"{base}/personvern/foreldre") if base else "",
        restricted=[r for r in info.resources if r.restrictions],
    )


@get("/personvern/foreldre/brev", opt=rule(PUBLIC), include_in_schema=False)
async def letter_page(request: Request) -> Template:
    """The letter to parents (informasjonsskriv) for one unit and level, styled for print."""
    lang, unit, resolved, _ = await _chosen(request)
    if isinstance(resolved, Template):
        return resolved
    settings = request.app.state.settings
    return Template(template_name="parents/letter.html", context=_context(
        request, lang, **_letter_context(resolved, settings, lang),
        languages=_switch("/personvern/foreldre/brev", unit, resolved.level.code, lang),
        pdf_url=_url("/personvern/foreldre/brev.pdf", unit, resolved.level.code, lang),
        back_url=_url("/personvern/foreldre", unit, resolved.level.code, lang)))


def _refuse_fetch():
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        """The letter needs nothing from outside: no URL is ever fetched while rendering it."""

        def fetch(self, url, headers=None):
            raise ValueError(f"not fetched: {url[:80]}")

    return NoFetching()


def render_pdf(html: str) -> bytes:
    """The letter as a tagged PDF (PDF/UA-1), so screen readers can read it too. A server without
    Pango (the text library WeasyPrint draws with) answers 503, saying so."""
    try:
        from weasyprint import HTML
    except OSError:  # WeasyPrint loads Pango when imported
        raise Problem(503, "PDF letters need Pango on the server (apt-get install libpango-1.0-0 "
                           "libpangoft2-1.0-0); the letter is also available as a page for print.") from None

    with _pdf_slots:  # waits in its worker thread, never on the event loop
        return HTML(string=html, url_fetcher=_refuse_fetch()).write_pdf(pdf_variant="pdf/ua-1")


@get("/personvern/foreldre/brev.pdf", opt=rule(PUBLIC), include_in_schema=False)
async def letter_pdf(request: Request) -> Response:
    """The same letter as a PDF; an unknown unit or level is a problem naming the parameter."""
    unit, level, raw_lang = _params(request)
    lang = check_language(raw_lang, "sprak")
    if not unit:
        raise Problem(422, "enhet: choose a kindergarten or school", errors=[{"field": "enhet", "message": "required"}])
    if not level:
        raise Problem(422, "trinn: choose a level", errors=[{"field": "trinn", "message": "required"}])
    try:
        info = await parent_info(request.app.state.settings, unit, level, lang)
    except Problem as problem:
        for error in problem.errors or []:
            error["field"] = {"unit": "enhet", "level": "trinn"}.get(error["field"], error["field"])
        raise
    context = _letter_context(info, request.app.state.settings, lang)
    html = request.app.template_engine.get_template("parents/letter_pdf.html").render(
        page_lang=lang, t=wording.TEXT[lang], **context)
    key = hashlib.sha256(html.encode("utf-8")).hexdigest()
    content = _pdf_cache.get(key)
    if content is None:
        content = await anyio.to_thread.run_sync(render_pdf, html)
        _pdf_cache[key] = content
        while len(_pdf_cache) > PDF_CACHE_SIZE:
            _pdf_cache.popitem(last=False)
    filename = f"informasjonsskriv-{info.unit.code}-{info.level.code}-{lang}.pdf"
    return Response(content=content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


parent_page_handlers = [parents_page, letter_page, letter_pdf]
