"""What the OpenAPI document says beyond what the framework derives from the handlers: the
problem+json answers every operation can give (by its access rule, its input and If-Match), who
may call it (``x-access``), and the media types of the exports."""

from __future__ import annotations

import re
from typing import Any

from catalogue.problems import DEFAULT_TYPES, PROBLEM_JSON

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
_PARAM = re.compile(r"\{(\w+):\w+\}")


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

    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    access = _access(app)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
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
            if path == "/ready":
                statuses.add(503)
            responses = operation["responses"]
            for status in sorted(statuses):
                key = str(status)
                if key not in responses or status == 400:  # the framework's 400 is not our body
                    responses[key] = _problem(status)
            kinds = FILE_ANSWERS.get((method, path))
            if kinds and "200" in responses:
                current = responses["200"].get("content", {})
                json_schema = current.get("application/json", {}).get("schema", {})
                responses["200"]["content"] = {kind: ({"schema": json_schema} if kind == "application/json" else
                                                      {"schema": {"type": "string", "format": "binary"}})
                                               for kind in kinds}
    return schema


_documented: set[int] = set()


def openapi_guard(connection, handler) -> None:
    """Before the OpenAPI document is first served, add :func:`document`'s parts to it (once per
    app; building it at start-up would cost every app made, tests included)."""
    module = getattr(handler.fn, "__module__", "") or ""
    app = connection.app
    if not module.startswith("litestar._openapi") or id(app) in _documented:
        return
    from litestar._openapi.plugin import OpenAPIPlugin

    plugin = app.plugins.get(OpenAPIPlugin)
    plugin._openapi_schema = document(plugin.provide_openapi().to_schema(), app)
    _documented.add(id(app))
