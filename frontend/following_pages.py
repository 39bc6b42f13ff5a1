"""Following what is new: the page where a person chooses the subjects, levels and units they
follow (and lets go of resources they follow), and the public Atom feed of changes to the base
package."""

from __future__ import annotations

import datetime
from xml.etree import ElementTree as ET

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from catalogue import followers
from catalogue.base_package import recent_changes
from catalogue.search.sql import execute
from catalogue.security.access import PUBLIC, SIGNED_IN, rule
from frontend.forms import as_list, form_data
from frontend.pages import page_context

MESSAGES = {
    "lagret": "Valgene er lagret. Du får varsel når et læremiddel kommer inn i eller går ut av grunnpakken for dem.",
    "uendret": "Ingenting er endret.",
    "folger-ikke": "Du følger ikke lenger læremidlet.",
}
# the form's field for each kind of topic, and its heading
FIELDS = (("subject", "fag", "Fag"), ("level", "trinn", "Trinn"), ("unit", "enhet", "Enheter"))
ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 100


async def _choices() -> dict[str, list[dict]]:
    subjects = await execute("SELECT code, name_nb AS name FROM subject ORDER BY sort_order, code")
    levels = await execute("SELECT code, name_nb AS name FROM level ORDER BY sort_order, code")
    units = await execute("SELECT code, name FROM unit WHERE active = {} ORDER BY name, code", True)
    return {"subject": subjects, "level": levels, "unit": units}


@get("/folger", opt=rule(SIGNED_IN), include_in_schema=False)
async def follows_page(request: Request) -> Template:
    """What the person follows: subjects, levels and units (a notice when a resource enters or
    leaves the base package for one of them) and resources (a notice when one is to be phased out)."""
    user_id = request.user.user_id
    chosen = set(await followers.topics_of(user_id))
    choices = await _choices()
    # a unit that is no longer active but still followed stays visible, so it can be let go
    known = {(k, c["code"]) for k, rows in choices.items() for c in rows}
    for kind, code in sorted(chosen - known):
        choices[kind].append({"code": code, "name": code})
    groups = [{"kind": kind, "field": field, "legend": legend, "choices": choices[kind],
               "chosen": {c for k, c in chosen if k == kind}} for kind, field, legend in FIELDS]
    return Template(template_name="following/follows.html", context=page_context(
        request, groups=groups, resources=await followers.resources_followed(user_id),
        count=len(chosen), message=MESSAGES.get(request.query_params.get("melding", ""))))


@post("/folger", opt=rule(SIGNED_IN), include_in_schema=False)
async def follows_save(request: Request) -> Response:
    """The form lists every subject, level and unit; the ticked ones are followed, the rest not.
    Codes that are not known are left out (the form offers only known ones)."""
    posted = await form_data(request)
    choices = await _choices()
    wanted: set[tuple[str, str]] = set()
    for kind, field, _ in FIELDS:
        valid = {c["code"] for c in choices[kind]}
        wanted |= {(kind, code) for code in as_list(posted.get(field)) if isinstance(code, str) and code in valid}
    added, removed = await followers.set_topics(request.user.user_id, wanted)
    return Redirect(f"/folger?melding={'lagret' if added or removed else 'uendret'}", status_code=303)


@post("/folger/ressurser/{resource_id:int}", opt=rule(SIGNED_IN), include_in_schema=False)
async def follows_resource_remove(request: Request, resource_id: FromPath[int]) -> Response:
    """Stop following a resource from the list (also one that is archived and has no page any more)."""
    await followers.unfollow(resource_id, request.user.user_id)
    return Redirect("/folger?melding=folger-ikke", status_code=303)


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@get("/grunnpakken.atom", opt=rule(PUBLIC), include_in_schema=False)
async def base_package_feed(request: Request) -> Response:
    """Atom 1.0: the newest changes to the base package. Published facts only: the resource's name
    (as it was when the change happened), what changed, when, and the public page of the resource."""
    settings = request.app.state.settings
    base = (settings.public_base_url or str(request.base_url)).rstrip("/")
    authority = base.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    changes = await recent_changes(FEED_SIZE)
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "nb"})
    sub(feed, "id", f"tag:{authority},2026:grunnpakken")
    sub(feed, "title", f"Endringer i grunnpakken – {settings.municipality_name}")
    sub(feed, "subtitle", "Læremidler som kommer inn i eller går ut av grunnpakken av digitale læremidler.")
    sub(feed, "updated", _iso(changes[0].occurred_at if changes else datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)))
    sub(feed, "link", rel="self", type="application/atom+xml", href=f"{base}/grunnpakken.atom")
    sub(feed, "link", rel="alternate", type="text/html", href=f"{base}/ressurser?grunnpakke=ja")
    author = sub(feed, "author")
    sub(author, "name", settings.municipality_name)
    for change in changes:
        entry = sub(feed, "entry")
        sub(entry, "id", f"tag:{authority},2026:grunnpakken/endring/{change.id}")
        sub(entry, "title", change.title)
        sub(entry, "updated", _iso(change.occurred_at))
        sub(entry, "published", _iso(change.occurred_at))
        sub(entry, "link", rel="alternate", type="text/html", href=f"{base}/ressurser/{change.resource}")
        sub(entry, "category", term="entered" if change.change == "entered" else "left",
            label="Inn i grunnpakken" if change.change == "entered" else "Ut av grunnpakken")
        sub(entry, "summary", f"{change.name}: {change.text}.", type="text")
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(content=body, media_type="application/atom+xml; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300"})


following_page_handlers = [follows_page, follows_save, follows_resource_remove, base_package_feed]
