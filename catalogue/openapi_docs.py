"""What the OpenAPI document says beyond what the framework derives from the handlers: the
problem+json answers every operation can give (by its access rule, its input and If-Match), who
may call it (``x-access``), and the media types of the exports.

The document is also made as strict as the checks the service applies before a handler runs, so
that a request the document allows is not refused for its shape: the bodies' schemas are msgspec's
own (the framework's copy drops constraints of 0, of list items and ``additionalProperties: false``
for bodies that refuse unknown fields), no text may hold NUL (catalogue.bounds), If-Match is
required where a change needs it, a PATCH names at least one field, and the uploads name their
``file``. What only the data can decide (a code that must exist, text that must say something)
stays a 422 the document lists."""

from __future__ import annotations

import re
from typing import Any, Iterator

import anyio.to_thread
import msgspec
import msgspec.inspect

from catalogue.domain import SERVER_OWNED
from catalogue.problems import DEFAULT_TYPES, PROBLEM_JSON
from equipment.imports import MODES as IMPORT_MODES
from workflows.forms import FORMS
from workflows.schemas import DOCUMENT_KINDS

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"},
                           "source": {"type": "string"}}}},
        "allowed_actions": {"type": "array", "items": {"type": "string"}},
    },
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# operations answering files: their 200 in the document lists each media type they may send
FILE_ANSWERS = {
    ("get", "/api/v1/equipment/plan/export"): ("text/csv", XLSX),
    ("get", "/api/v1/equipment/units/{code}/export"): ("text/csv", XLSX),
    ("get", "/api/v1/processing-record"): ("application/json", "text/csv", XLSX),
    ("get", "/api/v1/annual-report"): ("application/json", "text/csv", XLSX),
    ("get", "/api/v1/resources/export"): ("application/json", "text/csv", XLSX),
    ("get", "/api/v1/cases/{case_id}/attachments/{attachment_id}"): ("*/*",),
}
# the JSON of file answers whose handler returns bytes (what catalogue.dataio.catalogue_export writes)
FILE_JSON = {
    ("get", "/api/v1/resources/export"): {
        "type": "object", "required": ["count", "items"],
        "properties": {"count": {"type": "integer", "minimum": 0},
                       "items": {"type": "array", "items": {"type": "object", "required": ["id", "name"]}}}},
}
_PARAM = re.compile(r"\{(\w+):\w+\}")
# the uploads: their multipart fields (``file`` required)
UPLOADS = {
    ("post", "/api/v1/cases/{case_id}/attachments"): {
        "kind": {"type": "string", "enum": list(DOCUMENT_KINDS)}},
    ("post", "/api/v1/equipment/units/{code}/imports"): {"mode": {"type": "string", "enum": list(IMPORT_MODES)}},
}
# writes where If-Match is optional: without it they create, with it they change what exists
IF_MATCH_OPTIONAL = {("put", "/api/v1/resources/{resource_id}/guide"),
                     ("put", "/api/v1/resources/{resource_id}/unit-notes/{code}")}
ENTITY_TAGS = r'^ *(W/)?"[!#-~]*"( *, *(W/)?"[!#-~]*")* *$'  # If-Match: entity tags, not *
NO_NUL = "^[^\\u0000]*$"  # catalogue.bounds refuses NUL in every path, query and body text
MODULES = ("catalogue", "workflows", "equipment")
# fields the handler takes as any object and decodes by the case's step: one of the steps' forms
STEP_FORMS = {("FormSave", "form"), ("ActionRequest", "form")}


def _structs(components: dict[str, Any]) -> list[type]:
    """The service's structs the document has a schema of (those they refer to come along)."""
    def below(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return sorted({s for s in below(msgspec.Struct) if s.__module__.split(".")[0] in MODULES
                   and (s.__name__ in components or f"{s.__module__}.{s.__name__}".replace(".", "_") in components)}
                  | set(FORMS.values()), key=lambda s: (s.__module__, s.__qualname__))


def _refs(node: Any, rename: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _refs(v, rename) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            out["$ref"] = "#/components/schemas/" + rename.get(name, name)
        return out
    if isinstance(node, list):
        return [_refs(v, rename) for v in node]
    return node


def _msgspec_components(components: dict[str, Any]) -> None:
    """Replace the framework's schemas of the service's structs by msgspec's (which validates them)."""
    structs = _structs(components)
    refs, found = msgspec.json.schema_components(structs, ref_template="#/components/schemas/{name}")
    named = {struct: ref["$ref"].rsplit("/", 1)[1] for struct, ref in zip(structs, refs)}  # msgspec's names
    rename: dict[str, str] = {}
    for name, schema in found.items():
        short = name.rsplit(".", 1)[-1]
        fields = set(schema.get("properties", {}))
        for candidate in (name.replace(".", "_"), short):
            if candidate in components and set(components[candidate].get("properties", {})) == fields:
                rename[name] = candidate
                break
        else:
            rename[name] = name.replace(".", "_")
    keys = _dict_keys(named)
    for name, schema in found.items():
        for field, values in keys.get(name, {}).items():
            schema["properties"][field]["propertyNames"] = {"enum": values}
        target = rename[name]
        title = components.get(target, {}).get("title", schema.get("title"))
        components[target] = {**_refs(schema, rename), **({"title": title} if title else {})}
    forms = [{"$ref": f"#/components/schemas/{rename[named[form]]}"} for form in FORMS.values()]
    for struct, field in STEP_FORMS:
        properties = components.get(struct, {}).get("properties", {})
        if field in properties:
            nullable = "null" in str(properties[field])
            properties[field] = {"description": "the form of the case's current step",
                                 "anyOf": forms + ([{"type": "null"}] if nullable else [])}


def _dict_keys(named: dict[type, str]) -> dict[str, dict[str, list]]:
    """Per struct (by its name in msgspec's components), the fields that are dicts keyed by a fixed
    set of values (msgspec's schema does not say which keys it takes)."""
    found: dict[str, dict[str, list]] = {}
    for struct, name in named.items():
        info = msgspec.inspect.type_info(struct)
        for field in getattr(info, "fields", ()):
            kind = field.type
            if isinstance(kind, msgspec.inspect.DictType):
                key = kind.key_type
                if isinstance(key, msgspec.inspect.LiteralType):
                    found.setdefault(name, {})[field.encode_name] = list(key.values)
                elif isinstance(key, msgspec.inspect.EnumType):
                    found.setdefault(name, {})[field.encode_name] = [m.value for m in key.cls]
    return found


def _no_nul(schema: Any, components: dict[str, Any], seen: set[str]) -> None:
    """Add the NUL rule to every text in ``schema`` (following references once)."""
    if isinstance(schema, list):
        for item in schema:
            _no_nul(item, components, seen)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            _no_nul(components.get(name), components, seen)
        return
    if schema.get("type") == "string" and not ({"pattern", "enum", "const", "format"} & set(schema)):
        schema["pattern"] = NO_NUL
    if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
        schema.setdefault("propertyNames", {"pattern": NO_NUL})
    for key, value in schema.items():
        if key in ("properties", "patternProperties", "$defs"):
            for item in value.values():
                _no_nul(item, components, seen)
        elif key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties", "prefixItems", "not"):
            _no_nul(value, components, seen)


def _strict_input(method: str, path: str, operation: dict[str, Any], components: dict[str, Any],
                  seen: set[str]) -> None:
    """The operation's parameters and body as strict as the checks they meet."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match":
            parameter["schema"] = {"type": "string", "pattern": ENTITY_TAGS,
                                   "description": "the ETag of your last read (not *)"}
            if (method, path) not in IF_MATCH_OPTIONAL:
                parameter["required"] = True
            continue
        _no_nul(parameter.get("schema"), components, seen)
    body = operation.get("requestBody")
    if not body:
        return
    fields = UPLOADS.get((method, path))
    if fields is not None:
        body["content"] = {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}, **fields}}}}
        return
    for content in body.get("content", {}).values():
        schema = content.get("schema", {})
        if method == "patch" and isinstance(schema.get("$ref"), str):
            target = components.get(schema["$ref"].rsplit("/", 1)[1])
            if target is not None and target.get("type") == "object":
                target["minProperties"] = 1
        _no_nul(schema, components, seen)


def _access(app) -> dict[tuple[str, str], Any]:
    from catalogue.security.access import handler_rule

    found = {}
    for route in app.routes:
        path = _PARAM.sub(r"{\1}", route.path)
        for handler in getattr(route, "route_handlers", []):
            for method in getattr(handler, "http_methods", ()):
                found[(method.lower(), path)] = (handler_rule(handler), handler.opt.get("rate_limit"))
    return found


def _problem(status: int) -> dict[str, Any]:
    return {"description": DEFAULT_TYPES[status][1],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def document(schema: dict[str, Any], app) -> dict[str, Any]:
    """Add the problem answers, access rules and file media types to ``schema`` (in place)."""
    from catalogue.security.access import PUBLIC, SIGNED_IN

    components = schema.setdefault("components", {}).setdefault("schemas", {})
    _msgspec_components(components)
    components["Problem"] = PROBLEM_SCHEMA
    access = _access(app)
    input_schemas: set[str] = set()  # the components of bodies, given the NUL rule
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _strict_input(method, path, operation, components, input_schemas)
            rule, rate_limited = access.get((method, path), (None, None))
            statuses = {400, 404, 422}  # 422: a value of the right type that the service refuses
            if rule != PUBLIC:
                statuses |= {401, 403}
                operation["x-access"] = ("signed in" if rule == SIGNED_IN
                                         else sorted(rule) if isinstance(rule, frozenset) else rule)
            else:
                operation["x-access"] = "anyone"
            if method in ("post", "put", "patch", "delete"):
                statuses.add(409)
            if "requestBody" in operation:
                statuses |= {413, 415}
            if any(p.get("in") == "header" and p.get("name", "").lower() == "if-match"
                   for p in operation.get("parameters", [])):
                statuses |= {412, 428}
            if rate_limited:
                statuses.add(429)
            if path not in ("/health", "/ready"):
                statuses.add(503)  # the database is away (catalogue.problems.unavailable_reason)
            responses = operation["responses"]
            for status in sorted(statuses):
                key = str(status)
                if key not in responses or status == 400:  # the framework's 400 is not our body
                    responses[key] = _problem(status)
            if "503" in responses:
                responses["503"]["headers"] = {"Retry-After": {
                    "description": "Seconds to wait before trying again", "schema": {"type": "integer", "minimum": 1}}}
            if path == "/ready" and "200" in responses:  # not ready: the same body, saying what is not
                responses["503"] = {"description": "Not ready", "content": responses["200"].get("content", {})}
            kinds = FILE_ANSWERS.get((method, path))
            if kinds and "200" in responses:
                current = responses["200"].get("content", {})
                json_schema = FILE_JSON.get((method, path)) or current.get("application/json", {}).get("schema", {})
                responses["200"]["content"] = {kind: ({"schema": json_schema} if kind == "application/json" else
                                                      {"schema": {"type": "string", "format": "binary"}})
                                               for kind in kinds}
    for name, component in components.items():
        if name not in input_schemas:  # what the service sends: the fields it owns are read-only
            for field, value in component.get("properties", {}).items():
                if field in SERVER_OWNED and isinstance(value, dict):
                    value["readOnly"] = True
    return schema


_documented: set[int] = set()


async def openapi_guard(connection, handler) -> None:
    """Before the OpenAPI document is first served, add :func:`document`'s parts to it (once per
    app, on a worker thread; building it at start-up would cost every app made, tests included)."""
    module = getattr(handler.fn, "__module__", "") or ""
    app = connection.app
    if not module.startswith("litestar._openapi") or id(app) in _documented:
        return
    from litestar._openapi.plugin import OpenAPIPlugin

    plugin = app.plugins.get(OpenAPIPlugin)
    plugin._openapi_schema = await anyio.to_thread.run_sync(lambda: document(plugin.provide_openapi().to_schema(), app))
    _documented.add(id(app))
