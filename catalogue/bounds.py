"""Bounds on what a client can send, checked once for every route before its handler runs.

- Every integer in the path is an id (or a year) and must fit the id columns (PostgreSQL's
  ``serial``, signed 32-bit): beyond it names nothing (404). Every integer query parameter must fit
  a signed 64-bit integer: beyond it is bad input (400, naming the parameter). Without this the
  database driver, not the service, would answer.
- A JSON body may nest at most ``MAX_JSON_DEPTH`` arrays and objects: deeper input is refused (400)
  before any decoder recurses into it.
- No text may hold the NUL character (U+0000): PostgreSQL cannot store it, so a path, a query
  parameter, a JSON string or a form field with one is refused (400, naming where it is) on both
  engines alike.
"""

from __future__ import annotations

import re
from litestar.connection import ASGIConnection, Request
from litestar.handlers.base import BaseRouteHandler
from litestar.typing import FieldDefinition

from catalogue.problems import Problem

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
ID_MAX = 2**31 - 1  # ids are PostgreSQL serials; SQLite's go further, but no id gets there
MAX_JSON_DEPTH = 32
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
# JSON strings (escapes included), removed before counting brackets so that "[[[" in a text is no nesting
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# \u0000 in a JSON text, unless its backslash is itself escaped
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _nul(field: str, source: str) -> Problem:
    return Problem(400, f"{field}: contains the NUL character", errors=[
        {"field": field, "message": "contains the NUL character (U+0000), which cannot be stored", "source": source}])


def in_int64(value: int) -> bool:
    return INT64_MIN <= value <= INT64_MAX


def _is_integer_type(field: FieldDefinition) -> bool:
    candidates = [t for t in (field.inner_types if (field.is_optional or field.is_union) else (field,))
                  if t.annotation is not type(None)]
    for candidate in candidates:
        if candidate.is_non_string_sequence and candidate.inner_types:
            candidate = candidate.inner_types[0]
        annotation = candidate.annotation
        if isinstance(annotation, type) and issubclass(annotation, int) and not issubclass(annotation, bool):
            return True
    return False


_query_ints: dict[int, frozenset[str]] = {}


def integer_query_parameters(handler: BaseRouteHandler) -> frozenset[str]:
    """The query parameter names a handler reads as integers (cached per handler)."""
    key = id(handler.fn)
    found = _query_ints.get(key)
    if found is None:
        names = set()
        try:
            parameters = handler.parsed_fn_signature.parameters
        except Exception:  # a framework handler without a parsed signature takes no query integers
            parameters = {}
        for name, field in parameters.items():
            definition = field.kwarg_definition
            if getattr(definition, "header", None) or getattr(definition, "cookie", None):
                continue
            if name in ("request", "data", "state", "scope", "socket", "headers", "cookies", "query"):
                continue
            if _is_integer_type(field):
                names.add(getattr(definition, "query", None) or name)
        found = _query_ints[key] = frozenset(names)
    return found


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text (strings do not count)."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


async def bounds_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The app-wide guard that keeps out-of-range numbers and too deep JSON from every handler."""
    for name, value in connection.path_params.items():
        if isinstance(value, int) and not isinstance(value, bool) and not -ID_MAX - 1 <= value <= ID_MAX:
            raise Problem(404, "Nothing has that id.")
        if isinstance(value, str) and "\x00" in value:
            raise _nul(name, "path")
    if b"%00" in (connection.scope.get("query_string") or b""):
        for name, value in connection.query_params.multi_items():
            if "\x00" in name or "\x00" in value:
                raise _nul(name.replace("\x00", ""), "query")
    integer_names = integer_query_parameters(handler)
    if integer_names:
        for name, value in connection.query_params.items():
            if name in integer_names and name not in connection.path_params and _INTEGER.fullmatch(value) and not in_int64(int(value)):
                raise Problem(400, f"{name}: out of range", errors=[{"field": name, "message": "out of range",
                                                                      "source": "query"}])
    if isinstance(connection, Request) and connection.method not in ("GET", "HEAD", "OPTIONS"):
        content_type = (connection.headers.get("content-type") or "").lower()
        if content_type.startswith("multipart/form-data"):
            return  # files may hold any byte; their text is read by the importers, which refuse NUL
        body = await connection.body()
        if content_type.startswith(_FORM_TYPES):
            if b"%00" in body:
                raise _nul("body", "body")
            return
        if b"\\u0000" in body and _JSON_NUL.search(body):
            raise _nul("body", "body")
        if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
            raise Problem(400, f"body: nested deeper than {MAX_JSON_DEPTH} levels",
                          errors=[{"field": "body", "message": f"nested deeper than {MAX_JSON_DEPTH} levels",
                                   "source": "body"}])

