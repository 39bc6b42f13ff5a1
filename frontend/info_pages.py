"""The service's own pages about itself: the accessibility statement, the privacy statement, how
to get in touch, and the API documentation read from the OpenAPI document."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from catalogue.security.access import PUBLIC, rule
from frontend.pages import page_context

METHODS = ("get", "post", "put", "patch", "delete")


def type_text(schema: dict[str, Any] | None) -> str:
    """A schema in a few words: ``string (date)``, ``array of Unit``, ``integer or null``."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    for combined in ("oneOf", "anyOf"):
        if combined in schema:
            return " or ".join(dict.fromkeys(type_text(s) for s in schema[combined]))
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        return f"array of {type_text(schema.get('items'))}"
    if "enum" in schema:
        return f"{kind}: " + ", ".join(str(v) for v in schema["enum"])
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def _body(content: dict[str, Any] | None) -> str | None:
    for media_type, item in (content or {}).items():
        return f"{media_type}: {type_text(item.get('schema'))}"
    return None


def api_reference(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document as sections of operations and a list of schemas, for a page."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                           "type": type_text(p.get("schema")), "description": p.get("description") or ""}
                          for p in operation.get("parameters", []) if p.get("in") != "cookie"]
            body = operation.get("requestBody") or {}
            responses = [{"status": code, "description": r.get("description", ""), "body": _body(r.get("content"))}
                         for code, r in sorted(operation.get("responses", {}).items())]
            tag = (operation.get("tags") or ["other"])[0]
            sections.setdefault(tag, []).append({
                "id": operation.get("operationId") or f"{method}-{path}", "method": method.upper(), "path": path,
                "summary": operation.get("summary") or "", "description": operation.get("description") or "",
                "parameters": parameters, "body": _body(body.get("content")), "responses": responses})
    schemas = []
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required") or [])
        schemas.append({"name": name, "description": schema.get("description") or "",
                        "fields": [{"name": field, "type": type_text(spec), "required": field in required,
                                    "description": spec.get("description") or ""}
                                   for field, spec in (schema.get("properties") or {}).items()]})
    return {"info": document.get("info", {}), "sections": sorted(sections.items()), "schemas": schemas}


def _session_hours(request: Request) -> str:
    hours = request.app.state.settings.session_ttl_seconds / 3600
    return f"{hours:g}".replace(".", ",")


@get("/api-dokumentasjon", opt=rule(PUBLIC), include_in_schema=False)
async def api_documentation(request: Request) -> Template:
    """Every operation of the API and every schema, as one readable page (the raw document stays
    at /schema/openapi.json)."""
    reference = api_reference(request.app.openapi_schema.to_schema())
    return Template(template_name="info/api.html", context=page_context(request, api=reference))


@get("/tilgjengelighet", opt=rule(PUBLIC), include_in_schema=False)
async def accessibility_statement(request: Request) -> Template:
    """The service's accessibility statement (tilgjengelighetserklæring)."""
    return Template(template_name="info/accessibility.html", context=page_context(
        request, session_hours=_session_hours(request)))


@get("/personvernerklaering", opt=rule(PUBLIC), include_in_schema=False)
async def privacy_statement(request: Request) -> Template:
    """What the service itself records about the people who use it."""
    return Template(template_name="info/privacy_statement.html", context=page_context(
        request, session_hours=_session_hours(request)))


@get("/kontakt", opt=rule(PUBLIC), include_in_schema=False)
async def contact(request: Request) -> Template:
    return Template(template_name="info/contact.html", context=page_context(request))


info_page_handlers = [api_documentation, accessibility_statement, privacy_statement, contact]
