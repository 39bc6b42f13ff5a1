"""Search and browse, and the resource page. Public for published resources; signed-in users and
reviewers see more."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from catalogue import domain, followers, restrictions
from catalogue.curriculum.aims import resource_aims
from catalogue.problems import Problem
from catalogue.resources import get_resource
from catalogue.restrictions import Change
from catalogue.security.access import PUBLIC, SIGNED_IN, rule
from equipment.domain import EQUIPMENT_USERS
from equipment.kinds import kinds_for_resource
from catalogue.visibility import BANDS
from frontend import labels
from frontend.forms import Choices, FormErrors, aim_codes, form_data, taxonomy_choices
from frontend.pages import page_context
from frontend.search_adapter import PAGE_SIZE, SearchRequest, SearchResult, resource_filters, run_search
from frontend.tip_pages import TIP_MESSAGES, resource_tips_context
from frontend.guide_pages import GUIDE_MESSAGES, guide_context

FILTERS = ("band", "level", "subject", "kindergarten_area", "kind", "platform", "login", "aim")
REVIEW_ROLES = domain.CATALOGUE_INSIDERS


async def taxonomy_names(choices: Choices | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """The subjects' and kindergarten areas' Norwegian names by code."""
    choices = choices or await taxonomy_choices()
    return dict(choices["subject"]), dict(choices["area"])


def _values(name: str, raw: list[str]) -> list[str]:
    """A filter's values; competence aims are typed as codes in a text field, several at once."""
    if name == "aim":
        raw = [code for value in raw for code in aim_codes(value)]
    return list(dict.fromkeys(v[:64] for v in raw if v))[:20]


def _search_request(request: Request) -> SearchRequest:
    params = request.query_params
    try:
        page = max(1, min(10_000, int(params.get("side", "1"))))
    except ValueError:
        page = 1
    base = params.get("grunnpakke")
    return SearchRequest(
        q=(params.get("q") or "").strip()[:200],
        filters={name: _values(name, params.getall(name, [])) for name in FILTERS},
        in_base_package=True if base == "ja" else False if base == "nei" else None,
        sort=params.get("sortering") or "",
        page=page,
    )


def _pairs(search: SearchRequest, **changes) -> list[tuple[str, str]]:
    """The search as query parameters, with some of them changed."""
    pairs: list[tuple[str, str]] = []
    values = {"q": search.q, "sortering": search.sort,
              "grunnpakke": {True: "ja", False: "nei", None: ""}[search.in_base_package], **changes}
    for name in ("q", "sortering", "grunnpakke"):
        if values.get(name):
            pairs.append((name, str(values[name])))
    for name in FILTERS:
        for value in changes.get(name, search.filters.get(name, [])):
            pairs.append((name, value))
    page = changes.get("side", 1 if changes else search.page)
    if page != 1:
        pairs.append(("side", str(page)))
    return pairs


def _url(search: SearchRequest, **changes) -> str:
    """The search page's address for this search with some parameters changed."""
    pairs = _pairs(search, side=changes.pop("side", 1), **changes)
    return "/ressurser" + (f"?{urlencode(pairs)}" if pairs else "")


def search_back_link(raw: str | None) -> str | None:
    """The address of the search a resource page was opened from (``?sok=`` carries it), rebuilt
    from the parameters the search knows, so the link can only lead back to the search page."""
    if raw is None:
        return None
    known = {"q", "sortering", "grunnpakke", "side", *FILTERS}
    pairs = [(k, v[:200]) for k, v in parse_qsl(raw[:4000], keep_blank_values=False) if k in known][:60]
    return "/ressurser" + (f"?{urlencode(pairs)}" if pairs else "")


def _option(name: str, count: dict, search: SearchRequest, subjects: dict, areas: dict, toggle) -> dict:
    return {"name": name, "value": count["value"], "count": count["count"],
            "label": labels.label(name, count["value"], subjects, areas),
            "checked": count["value"] in search.filters.get(name, []), "href": toggle(name, count["value"])}


def _level_tree(result: SearchResult, search: SearchRequest, toggle) -> list[dict]:
    """Levels and bands as one filter: kindergarten, then each band with its levels beneath it
    (a band is the same as ticking all its levels; the search treats them as one filter)."""
    levels = {c["value"]: c for c in result.facets.get("level", [])}
    bands = {c["value"]: c for c in result.facets.get("band", [])}
    tree = []
    if "barnehage" in levels:
        tree.append({**_option("level", levels["barnehage"], search, {}, {}, toggle), "children": []})
    for band, members in BANDS.items():
        checked_band = band in search.filters.get("band", [])
        if band == "barnehage" and not checked_band:
            continue  # the same as the kindergarten level above
        children = [_option("level", levels[lv], search, {}, {}, toggle) for lv in members
                    if lv in levels and lv != "barnehage"]
        if band in bands:
            tree.append({**_option("band", bands[band], search, {}, {}, toggle), "children": children})
        else:
            tree.extend({**child, "children": []} for child in children)
    return tree


def _facets(result: SearchResult, search: SearchRequest, subjects: dict, areas: dict, toggle) -> list[dict]:
    facets = []
    tree = _level_tree(result, search, toggle)
    if tree:
        facets.append({"name": "level", "title": labels.FACET_TITLES["level"], "tree": tree})
    for name in FILTERS:
        if name in ("band", "level"):
            continue
        options = [_option(name, c, search, subjects, areas, toggle) for c in result.facets.get(name, [])]
        if options:
            facets.append({"name": name, "title": labels.FACET_TITLES[name], "options": options})
    return facets


def count_text(total: int, q: str) -> str:
    return f"{total} {'læremiddel' if total == 1 else 'læremidler'}" + (f" for «{q}»" if q else "")


@get("/ressurser", opt=rule(PUBLIC), include_in_schema=False)
async def search_page(request: Request) -> Template:
    """The catalogue: a search field, filters with counts, and results that say at a glance what
    each resource is, for whom, and whether it is in the base package. ``delvis=1`` answers with
    the parts the live search replaces (results, filters, count, title)."""
    search = _search_request(request)
    result = await run_search(search, request.user)
    subjects, areas = await taxonomy_names()

    def toggle(name: str, value: str) -> str:
        current = search.filters.get(name, [])
        values = [v for v in current if v != value] if value in current else [*current, value]
        return _url(search, **{name: values})

    pages = max(1, -(-result.total // PAGE_SIZE))
    partial = request.query_params.get("delvis") == "1"
    active = [{"label": labels.label(n, v, subjects, areas), "href": toggle(n, v)}
              for n in FILTERS for v in search.filters.get(n, [])]
    new_since, new_since_known = None, False
    if not partial and request.user.user_id is not None:
        from catalogue.base_package import new_since_last_visit

        new_since, new_since_known = await new_since_last_visit(request.user.user_id)
    return Template(
        template_name="catalogue/_live.html" if partial else "catalogue/search.html",
        context=page_context(
            request, search=search, result=result, facets=_facets(result, search, subjects, areas, toggle),
            subjects=subjects, areas=areas, labels=labels, page=search.page, pages=pages,
            previous_url=_url(search, side=search.page - 1) if search.page > 1 else None,
            next_url=_url(search, side=search.page + 1) if search.page < pages else None,
            clear_url="/ressurser" + (f"?{urlencode({'q': search.q})}" if search.q else ""),
            active_filters=active,
            count_text=count_text(result.total, search.q),
            page_title=(f"«{search.q}» – " if search.q else "") + "Finn læremidler",
            back=urlencode(_pairs(search)),
            download=urlencode(_pairs(search)),
            can_import=bool(request.user and set(request.user.roles) & set(domain.CATALOGUE_EDITORS)),
            sorts=[("", "Mest relevant" if search.q else "Navn"), ("name", "Navn"), ("newest", "Nyeste")],
            new_since=new_since, new_since_known=new_since_known,
        ),
    )


RESOURCE_MESSAGES = {
    "begrensning-lagt-til": "Begrensningen er lagt til.",
    "begrensning-endret": "Begrensningen er endret. Den gamle teksten står i historikken.",
    "begrensning-opphevet": "Begrensningen er opphevet.",
    "folger": "Du følger læremidlet og får beskjed hvis det skal fases ut.",
    "folger-ikke": "Du følger ikke lenger læremidlet.",
    "kompetansemaal": "Kompetansemålene er lagret.",
    **TIP_MESSAGES,
    **GUIDE_MESSAGES,
}
RESTRICTION_ERRORS = {  # the service's field → the page's field and what to do
    "text": ("tekst", "Skriv begrensningen slik den skal lyde."),
    "reason": ("begrunnelse", "Skriv en begrunnelse for beslutningen."),
}


async def _resource_page(request: Request, resource_id: int, *, errors: FormErrors | None = None,
                         posted: dict[str, Any] | None = None, source: str | None = None,
                         status: int = 200) -> Template:
    """What it is, for whom, how to get access, the restrictions in force and their history,
    privacy in plain words, accessibility; reviewers also see the full privacy record and the cases."""
    from frontend.workflow.common import fmt_date, fmt_time
    from workflows.definitions import WORKFLOWS
    from workflows.tables import Case

    principal = request.user
    resource = await get_resource(resource_id, principal)
    choices = await taxonomy_choices()
    subjects, areas = await taxonomy_names(choices)
    reviewer = principal.has_any(REVIEW_ROLES)
    rows = await Case.select(Case.id, Case.kind, Case.state, Case.outcome, Case.end_date, Case.closed_at).where(
        Case.resource == resource_id).order_by(Case.id, ascending=False)
    cases = [{"id": c["id"], "kind": WORKFLOWS[c["kind"]].label_nb,
              "state": WORKFLOWS[c["kind"]].states[c["state"]].label_nb} for c in rows] if reviewer else []
    end_date = next((c["end_date"] for c in rows if c["kind"] == "phase_out" and c["closed_at"] is None), None)
    history = await restrictions.history(resource_id)
    signed_in = not principal.is_anonymous
    privacy_dict = msgspec.to_builtins(resource.privacy)
    return Template(template_name="catalogue/resource.html", status_code=status, context=page_context(
        request, r=resource, subjects=subjects, areas=areas, labels=labels, reviewer=reviewer,
        signed_in=signed_in, privacy_rows=labels.privacy_summary(privacy_dict),
        privacy=privacy_dict, cases=cases, back_url=search_back_link(request.query_params.get("sok")),
        equipment=await kinds_for_resource(resource_id, principal, seen=True),
        equipment_links=principal.has_any(EQUIPMENT_USERS),
        in_force=[h for h in history if h.status == "active"], restriction_history=history if signed_in else [],
        by_id={h.id: h for h in history},
        may_decide=principal.has_any(domain.CATALOGUE_EDITORS) and resource.status not in ("archived", "phased_out"),
        following=await followers.is_following(resource_id, principal.user_id) if signed_in else False,
        end_date=end_date, fmt_date=fmt_date, fmt_time=fmt_time, errors=errors, posted=posted or {},
        source=source, message=RESOURCE_MESSAGES.get(request.query_params.get("melding", "")),
        aims=await resource_aims(resource.competence_aims),
        may_tag_aims=principal.has_any(domain.CATALOGUE_EDITORS) and resource.status not in ("archived", "phased_out"),
        **(await resource_tips_context(request, resource_id, choices=choices) if signed_in else {}),
        **(await guide_context(request, resource_id) if signed_in else {}),
    ))


@get("/ressurser/regneark", opt=rule(SIGNED_IN), include_in_schema=False)
async def search_download(request: Request) -> Response:
    """Every resource the search on the page finds (not only the page shown), as XLSX or CSV: the
    catalogue export, whose headings the spreadsheet import reads again."""
    import datetime

    from catalogue.dataio import catalogue_export

    fmt = request.query_params.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise Problem(422, "format: must be xlsx or csv", errors=[{"field": "format", "message": "xlsx or csv"}])
    search = _search_request(request)
    content = await catalogue_export.export(search.q or None, resource_filters(search), request.user, fmt,
                                            search.sort if search.sort in ("name", "newest") else None)
    name = f"laeremidler-{datetime.date.today().isoformat()}.{fmt}"
    return Response(content, media_type=catalogue_export.media_type(fmt), headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


@get("/ressurser/{resource_id:int}", opt=rule(PUBLIC), include_in_schema=False)
async def resource_page(request: Request, resource_id: FromPath[int]) -> Template:
    return await _resource_page(request, resource_id)


def _restriction_errors(problem: Problem, prefix: str) -> FormErrors:
    if problem.status_code in (401, 403, 404):
        raise problem
    errors = FormErrors()
    if problem.status_code == 409:
        errors.general.append("Begrensningen er allerede endret eller opphevet, eller finnes fra før. "
                              "Se over begrensningene slik de er nå.")
        return errors
    for item in problem.errors or []:
        name, text = RESTRICTION_ERRORS.get(str(item.get("field", "")), ("tekst", "Sjekk verdien i feltet."))
        longest = re.match(r"at most (\d+)", str(item.get("message", "")))
        errors.add(prefix + name, f"Teksten er for lang (høyst {longest.group(1)} tegn)." if longest else text)
    return errors


@post("/ressurser/{resource_id:int}/begrensninger", opt=rule(domain.CATALOGUE_EDITORS), include_in_schema=False)
async def restriction_add(request: Request, resource_id: FromPath[int]) -> Response:
    """The sector office adds a restriction on use, with the reason for it."""
    posted = await form_data(request)
    text, reason = _text(posted.get("ny-tekst")), _text(posted.get("ny-begrunnelse"))
    try:
        await restrictions.decide(resource_id, request.user, add=(text, reason))
    except Problem as problem:
        errors = _restriction_errors(problem, "ny-")
        return await _resource_page(request, resource_id, errors=errors, posted=posted, source="ny",
                                    status=409 if problem.status_code == 409 else 422)
    return Redirect(f"/ressurser/{resource_id}?melding=begrensning-lagt-til#begrensninger", status_code=303)


@post("/ressurser/{resource_id:int}/begrensninger/{restriction_id:int}", opt=rule(domain.CATALOGUE_EDITORS),
      include_in_schema=False)
async def restriction_decide(request: Request, resource_id: FromPath[int], restriction_id: FromPath[int]) -> Response:
    """Change the wording of a restriction in force, or lift it, with the reason."""
    posted = await form_data(request)
    choice = _text(posted.get("valg"))
    prefix = f"b{restriction_id}-"
    if choice not in ("endre", "opphev"):
        errors = FormErrors()
        errors.add(prefix + "valg", "Velg om begrensningen skal endres eller oppheves.")
        return await _resource_page(request, resource_id, errors=errors, posted=posted, source=prefix, status=422)
    change = Change(restriction_id, "change" if choice == "endre" else "lift",
                    _text(posted.get(prefix + "begrunnelse")), _text(posted.get(prefix + "tekst")))
    try:
        await restrictions.decide(resource_id, request.user, change=change)
    except Problem as problem:
        errors = _restriction_errors(problem, prefix)
        return await _resource_page(request, resource_id, errors=errors, posted=posted, source=prefix,
                                    status=409 if problem.status_code == 409 else 422)
    done = "begrensning-endret" if choice == "endre" else "begrensning-opphevet"
    return Redirect(f"/ressurser/{resource_id}?melding={done}#begrensninger", status_code=303)


@post("/ressurser/{resource_id:int}/folg", opt=rule(SIGNED_IN), include_in_schema=False)
async def resource_follow(request: Request, resource_id: FromPath[int]) -> Response:
    """Follow a resource (be told if it is to be phased out), or stop following it."""
    posted = await form_data(request)
    await get_resource(resource_id, request.user)  # 404 when hidden
    if _text(posted.get("folg")) == "nei":
        await followers.unfollow(resource_id, request.user.user_id)
        return Redirect(f"/ressurser/{resource_id}?melding=folger-ikke", status_code=303)
    await followers.follow(resource_id, request.user.user_id)
    return Redirect(f"/ressurser/{resource_id}?melding=folger", status_code=303)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


@get("/personvern", opt=rule(PUBLIC), include_in_schema=False)
async def privacy_page(request: Request) -> Template:
    """For parents: every published resource and, in plain words, what it does with children's data."""
    from catalogue.tables import Resource

    rows = await Resource.raw(
        "SELECT r.id, r.name, r.is_demo, r.restrictions, p.processes_personal_data, p.data_categories, p.data_location,"
        " p.transfers_outside_eea, p.dpa_status, p.dpia_status, p.dpia_risk_level"
        " FROM resource r JOIN privacy_record p ON p.resource = r.id WHERE r.status = {}", "published")
    rows.sort(key=lambda r: r["name"].casefold())
    out = []
    for r in rows:
        categories = r["data_categories"]
        categories = json.loads(categories) if isinstance(categories, str) else (categories or [])
        if r["processes_personal_data"] is None:
            data = "Ikke vurdert"
        elif not r["processes_personal_data"]:
            data = "Nei"
        else:
            data = "Ja: " + (", ".join(labels.lower(labels.label("data_category", c)) for c in categories) or "ikke spesifisert")
        location = labels.label("location", r["data_location"])
        if r["transfers_outside_eea"]:
            location = "Utenfor EU/EØS"
        dpia = labels.label("dpia", r["dpia_status"])
        if r["dpia_status"] == "completed" and r["dpia_risk_level"]:
            dpia += f" ({labels.label('risk', r['dpia_risk_level']).lower()} risiko)"
        out.append({"id": r["id"], "name": r["name"], "demo": bool(r["is_demo"]), "data": data,
                    "restrictions": [line for line in (r["restrictions"] or "").split("\n") if line.strip()],
                    "location": location, "dpa": labels.label("dpa", r["dpa_status"]), "dpia": dpia})
    return Template(template_name="catalogue/privacy.html", context=page_context(
        request, rows=out, total=len(out),
        with_personal_data=sum(1 for r in rows if r["processes_personal_data"])))


catalogue_page_handlers = [search_page, search_download, resource_page, restriction_add, restriction_decide, resource_follow,
                           privacy_page]
