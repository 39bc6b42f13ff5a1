"""The admin's page for the search's synonyms (catalogue.search.synonyms): the list, a form to add
one, a form to change one, and deletion after a confirmation. A change takes effect on the next
search."""

from __future__ import annotations

from typing import Any, Annotated, Optional
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from catalogue.domain import Role
from catalogue.etags import etag
from catalogue.problems import Problem
from catalogue.search import synonyms
from catalogue.search.synonyms import MAX_MEANS, MAX_MEANS_WORDS, MAX_WORD, SynonymCreate, SynonymPatch
from catalogue.security.access import rule
from frontend.forms import FormErrors, form_data
from frontend.pages import page_context

ADMIN = rule({Role.ADMIN.value})
BASE = "/admin/sokeord"
FIELDS = ("kind", "word", "means")
KIND_OPTIONS = list(synonyms.KIND_LABELS.items())
KIND_SHORT = {"word": "Står for", "both": "Begge veier", "nynorsk": "Nynorsk"}

CONFIRMATIONS = {
    "lagt-til": "Søkeordet «{word}» er lagt til. Søket bruker det fra neste søk.",
    "lagret": "Endringene i «{word}» er lagret. Søket bruker dem fra neste søk.",
    "slettet": "Søkeordet er slettet. Søket bruker det ikke lenger.",
}
STALE = ("Søkeordet er endret av noen andre etter at du åpnet det, så endringene dine er ikke lagret. "
         "Sammenlign med det som er lagret nå, og lagre på nytt hvis du fortsatt vil gjøre endringen.")
STALE_DELETE = ("Søkeordet er endret av noen andre etter at du åpnet det, så det er ikke slettet. "
                "Se over hvordan det er nå, og slett på nytt hvis du fortsatt vil det.")


def _message(name: str, message: str) -> str:
    """A field error in words the admin can act on."""
    if name == "word":
        if message == "required":
            return "Skriv ordet slik læreren skriver det i søket."
        if message.startswith("must be one word"):
            return "Skriv ett ord, uten mellomrom eller tegnsetting (bare bokstaver og tall)."
        if message.startswith("already has"):
            return "Ordet har allerede et søkeord av denne typen. Endre det i stedet."
        if "length" in message:
            return f"Ordet er for langt (høyst {MAX_WORD} tegn)."
    if name == "means":
        if message == "required":
            return "Skriv hva ordet betyr i søket."
        if message.startswith("words of letters"):
            return "Skriv ord av bokstaver og tall, skilt med mellomrom."
        if message.startswith("must be one word beginning"):
            return "En nynorsk ordbegynnelse har én bokmålsbegynnelse: skriv ett ord."
        if message.startswith("at most"):
            return f"Skriv høyst {MAX_MEANS_WORDS} ord."
        if message.startswith("must differ"):
            return "Betydningen må være et annet ord enn ordet selv."
        if "length" in message:
            return f"Teksten er for lang (høyst {MAX_MEANS} tegn)."
    if name == "kind":
        return "Velg hva slags søkeord det er."
    return "Sjekk feltet."


def _errors(problem: Problem) -> FormErrors:
    errors = FormErrors()
    for item in problem.errors or []:
        name = str(item.get("field", "")).removeprefix("$.")
        if name in FIELDS:
            errors.add(name, _message(name, str(item.get("message", ""))))
        else:
            errors.general.append("Søkeordet kunne ikke lagres. Sjekk feltene og prøv igjen.")
    if not errors:
        errors.general.append("Søkeordet kunne ikke lagres. Sjekk feltene og prøv igjen.")
    return errors


def _checked(values: dict[str, str]) -> FormErrors | None:
    """The form's own checks, so every field's error shows at once (lengths, kind)."""
    errors = FormErrors()
    if values["kind"] not in synonyms.KIND_LABELS:
        errors.add("kind", _message("kind", ""))
    if len(values["word"]) > MAX_WORD:
        errors.add("word", _message("word", "length"))
    if len(values["means"]) > MAX_MEANS:
        errors.add("means", _message("means", "length"))
    return errors or None


def _values(data: dict[str, Any]) -> dict[str, str]:
    def text(name: str) -> str:
        value = data.get(name, "")
        return value.strip() if isinstance(value, str) else ""
    return {name: text(name) for name in FIELDS}


def _rows(items: list) -> list[dict[str, Any]]:
    return [{"id": s.id, "kind": KIND_SHORT.get(s.kind, s.kind), "word": s.word, "means": s.means} for s in items]


async def _confirmation(request: Request) -> str | None:
    template = CONFIRMATIONS.get(request.query_params.get("melding") or "")
    if template is None:
        return None
    if "{word}" not in template:
        return template
    raw = request.query_params.get("id") or ""
    if not raw.isdigit():
        return None
    try:
        found = await synonyms.get_synonym(int(raw))
    except Problem:
        return None
    return template.format(word=found.word)


def _after(path: str, message: str, synonym_id: int | None = None) -> Redirect:
    params = {"melding": message, **({"id": str(synonym_id)} if synonym_id is not None else {})}
    return Redirect(path=f"{path}?{urlencode(params)}", status_code=303)


async def _render_list(request: Request, q: str | None, *, values: dict[str, str] | None = None,
                       errors: FormErrors | None = None, status_code: int = 200) -> Template:
    page = await synonyms.list_synonyms(q=q or None, limit=10_000)
    return Template(template_name="admin/synonyms.html", status_code=status_code, context=page_context(
        request, rows=_rows(page.items), total=page.total, q=q or "", values=values or {"kind": "word"},
        errors=errors, kind_options=KIND_OPTIONS, confirmation=await _confirmation(request),
    ))


SearchText = Annotated[Optional[str], QueryParameter(name="q", max_length=100, required=False)]


@get(BASE, opt=ADMIN, include_in_schema=False)
async def synonyms_page(request: Request, q: SearchText = None) -> Template:
    """Every synonym the search uses, and a form to add one."""
    return await _render_list(request, (q or "").strip())


@post(BASE, opt=ADMIN, include_in_schema=False)
async def create_synonym(request: Request) -> Response:
    values = _values(await form_data(request))
    errors = _checked(values)
    if errors is None:
        try:
            created = await synonyms.create_synonym(SynonymCreate(**values), request.user)
        except Problem as problem:
            errors = _errors(problem)
        else:
            return _after(BASE, "lagt-til", created.id)
    return await _render_list(request, "", values=values, errors=errors, status_code=422)


async def _render_one(request: Request, synonym_id: int, template: str, *, values: dict[str, str] | None = None,
                      errors: FormErrors | None = None, refusal: str | None = None,
                      status_code: int = 200) -> Template:
    current = await synonyms.get_synonym(synonym_id)
    form = values or {"kind": current.kind, "word": current.word, "means": current.means}
    return Template(template_name=template, status_code=status_code, context=page_context(
        request, synonym=current, kind_label=synonyms.KIND_LABELS.get(current.kind, current.kind), values=form,
        version=current.version, errors=errors, refusal=refusal, stale=refusal is not None,
        kind_options=KIND_OPTIONS, confirmation=await _confirmation(request),
    ))


@get(BASE + "/{synonym_id:int}", opt=ADMIN, include_in_schema=False)
async def synonym_page(request: Request, synonym_id: FromPath[int]) -> Template:
    """Change one synonym; the form carries the version it was read at."""
    return await _render_one(request, synonym_id, "admin/synonym.html")


def _version_tag(synonym_id: int, data: dict[str, Any]) -> str:
    version = str(data.get("version") or "")
    return etag("search_synonym", synonym_id, int(version) if version.isdigit() else 0)


@post(BASE + "/{synonym_id:int}", opt=ADMIN, include_in_schema=False)
async def update_synonym(request: Request, synonym_id: FromPath[int]) -> Response:
    data = await form_data(request)
    values = _values(data)
    errors = _checked(values)
    if errors is None:
        try:
            saved = await synonyms.update_synonym(synonym_id, SynonymPatch(**values), _version_tag(synonym_id, data),
                                                  request.user)
        except Problem as problem:
            if problem.status_code == 404:
                raise
            if problem.status_code in (412, 428):
                return await _render_one(request, synonym_id, "admin/synonym.html", values=values, refusal=STALE,
                                         status_code=409)
            errors = _errors(problem)
        else:
            return _after(f"{BASE}/{saved.id}", "lagret", saved.id)
    return await _render_one(request, synonym_id, "admin/synonym.html", values=values, errors=errors,
                             status_code=422)


@get(BASE + "/{synonym_id:int}/slett", opt=ADMIN, include_in_schema=False)
async def confirm_delete_page(request: Request, synonym_id: FromPath[int]) -> Template:
    """Ask before deleting: what goes, and what the search stops doing."""
    return await _render_one(request, synonym_id, "admin/synonym_delete.html")


@post(BASE + "/{synonym_id:int}/slett", opt=ADMIN, include_in_schema=False)
async def delete_synonym(request: Request, synonym_id: FromPath[int]) -> Response:
    data = await form_data(request)
    try:
        await synonyms.delete_synonym(synonym_id, _version_tag(synonym_id, data), request.user)
    except Problem as problem:
        if problem.status_code in (412, 428):
            return await _render_one(request, synonym_id, "admin/synonym_delete.html", refusal=STALE_DELETE,
                                     status_code=409)
        raise
    return _after(BASE, "slettet")


search_synonym_page_handlers: list = [
    synonyms_page, create_synonym, synonym_page, update_synonym, confirm_delete_page, delete_synonym,
]
