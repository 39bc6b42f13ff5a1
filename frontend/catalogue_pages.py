"""Search and browse, and the resource page. Public for published resources; signed-in users and
reviewers see more."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import msgspec
from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from catalogue import domain
from catalogue.resources import get_resource
from catalogue.security.access import PUBLIC, rule
from catalogue.tables import KindergartenArea, Subject
from equipment.domain import EQUIPMENT_USERS
from equipment.kinds import kinds_for_resource
from frontend import labels
from frontend.pages import page_context
from frontend.search_adapter import PAGE_SIZE, SearchRequest, run_search

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


def _url(search: SearchRequest, **changes) -> str:
    """The search page's address for this search with some parameters changed."""
    pairs: list[tuple[str, str]] = []
    values = {"q": search.q, "sortering": search.sort,
              "grunnpakke": {True: "ja", False: "nei", None: ""}[search.in_base_package], **changes}
    for name in ("q", "sortering", "grunnpakke"):
        if values.get(name):
            pairs.append((name, str(values[name])))
    for name in FILTERS:
        for value in changes.get(name, search.filters.get(name, [])):
            pairs.append((name, value))
    if changes.get("side", 1) != 1:
        pairs.append(("side", str(changes["side"])))
    return "/ressurser" + (f"?{urlencode(pairs)}" if pairs else "")


@get("/ressurser", opt=rule(PUBLIC), include_in_schema=False)
async def search_page(request: Request) -> Template:
    """The catalogue: a search field, filters with counts, and results that say at a glance what
    each resource is, for whom, and whether it is in the base package."""
    search = _search_request(request)
    result = await run_search(search, request.user)
    subjects, areas = await taxonomy_names()

    def toggle(name: str, value: str) -> str:
        current = search.filters.get(name, [])
        values = [v for v in current if v != value] if value in current else [*current, value]
        return _url(search, **{name: values})

    facets = []
    for name in FILTERS:
        counts = result.facets.get(name, [])
        options = [{"value": c["value"], "count": c["count"], "label": labels.label(name, c["value"], subjects, areas),
                    "checked": c["value"] in search.filters.get(name, []), "href": toggle(name, c["value"])}
                   for c in counts]
        if options:
            facets.append({"name": name, "title": labels.FACET_TITLES[name], "options": options})
    pages = max(1, -(-result.total // PAGE_SIZE))
    partial = request.query_params.get("delvis") == "1"
    return Template(
        template_name="catalogue/_results.html" if partial else "catalogue/search.html",
        context=page_context(
            request, search=search, result=result, facets=facets, subjects=subjects, areas=areas,
            labels=labels, page=search.page, pages=pages,
            previous_url=_url(search, side=search.page - 1) if search.page > 1 else None,
            next_url=_url(search, side=search.page + 1) if search.page < pages else None,
            clear_url="/ressurser" + (f"?{urlencode({'q': search.q})}" if search.q else ""),
            active_filters=[{"label": labels.label(n, v, subjects, areas), "href": toggle(n, v)}
                            for n in FILTERS for v in search.filters.get(n, [])],
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
        privacy=privacy_dict, cases=cases, equipment=await kinds_for_resource(resource_id, principal),
        equipment_links=principal.has_any(EQUIPMENT_USERS),
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
