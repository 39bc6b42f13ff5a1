"""Search and browse, and the resource page. Public for published resources; signed-in users and
reviewers see more."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

import msgspec
from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from catalogue import domain
from catalogue.resources import get_resource
from catalogue.security.access import PUBLIC, rule
from catalogue.tables import KindergartenArea, Subject
from catalogue.visibility import BANDS
from frontend import labels
from frontend.pages import page_context
from frontend.search_adapter import PAGE_SIZE, SearchRequest, SearchResult, run_search

FILTERS = ("band", "level", "subject", "kindergarten_area", "kind", "platform", "login")
REVIEW_ROLES = domain.CATALOGUE_INSIDERS


async def taxonomy_names() -> tuple[dict[str, str], dict[str, str]]:
    subjects = {r["code"]: r["name_nb"] for r in await Subject.select(Subject.code, Subject.name_nb).order_by(Subject.sort_order)}
    areas = {r["code"]: r["name_nb"] for r in await KindergartenArea.select(
        KindergartenArea.code, KindergartenArea.name_nb).order_by(KindergartenArea.sort_order)}
    return subjects, areas


def _search_request(request: Request) -> SearchRequest:
    params = request.query_params
    try:
        page = max(1, min(10_000, int(params.get("side", "1"))))
    except ValueError:
        page = 1
    base = params.get("grunnpakke")
    return SearchRequest(
        q=(params.get("q") or "").strip()[:200],
        filters={name: [v for v in params.getall(name, []) if v][:20] for name in FILTERS},
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
            sorts=[("", "Mest relevant" if search.q else "Navn"), ("name", "Navn"), ("newest", "Nyeste")],
        ),
    )


@get("/ressurser/{resource_id:int}", opt=rule(PUBLIC), include_in_schema=False)
async def resource_page(request: Request, resource_id: FromPath[int]) -> Template:
    """What it is, for whom, how to get access, restrictions, privacy in plain words, accessibility;
    reviewers also see the full privacy record and the case history."""
    principal = request.user
    resource = await get_resource(resource_id, principal)
    subjects, areas = await taxonomy_names()
    reviewer = principal.has_any(REVIEW_ROLES)
    cases = []
    if reviewer:
        from workflows.definitions import WORKFLOWS
        from workflows.tables import Case

        rows = await Case.select(Case.id, Case.kind, Case.state, Case.outcome).where(
            Case.resource == resource_id).order_by(Case.id, ascending=False)
        cases = [{"id": c["id"], "kind": WORKFLOWS[c["kind"]].label_nb,
                  "state": WORKFLOWS[c["kind"]].states[c["state"]].label_nb} for c in rows]
    privacy_dict = msgspec.to_builtins(resource.privacy)
    return Template(template_name="catalogue/resource.html", context=page_context(
        request, r=resource, subjects=subjects, areas=areas, labels=labels, reviewer=reviewer,
        signed_in=not principal.is_anonymous, privacy_rows=labels.privacy_summary(privacy_dict),
        privacy=privacy_dict, cases=cases, back_url=search_back_link(request.query_params.get("sok")),
    ))


@get("/personvern", opt=rule(PUBLIC), include_in_schema=False)
async def privacy_page(request: Request) -> Template:
    """For parents: every published resource and, in plain words, what it does with children's data."""
    from catalogue.tables import Resource

    rows = await Resource.raw(
        "SELECT r.id, r.name, r.is_demo, p.processes_personal_data, p.data_categories, p.data_location,"
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
                    "location": location, "dpa": labels.label("dpa", r["dpa_status"]), "dpia": dpia})
    return Template(template_name="catalogue/privacy.html", context=page_context(
        request, rows=out, total=len(out),
        with_personal_data=sum(1 for r in rows if r["processes_personal_data"])))


catalogue_page_handlers = [search_page, resource_page, privacy_page]
