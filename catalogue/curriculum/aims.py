"""The competence aims the curriculum import keeps (table ``competence_aim``): looking them up,
checking the codes resources are tagged with, and their words for the search."""

from __future__ import annotations

import json
from typing import Any, Iterable, Optional

from msgspec import Struct

from catalogue.db import current_engine, is_sqlite
from catalogue.problems import FieldErrors, Problem
from catalogue.search.sql import execute

MAX_PAGE = 500
TABLES = frozenset({"competence_aim"})  # made by migration catalogue_0011


class CompetenceAimOut(Struct, kw_only=True):
    code: str
    subject: str
    curriculum: str
    trinn: str  # the aims are to be reached after this trinn
    levels: list[str]  # the trinn the aim is worked with on
    text_nb: str
    text_nn: str
    is_current: bool  # false once its curriculum has been replaced
    replaced_by: Optional[str]


class CompetenceAimPage(Struct, kw_only=True):
    items: list[CompetenceAimOut]
    total: int
    limit: int
    offset: int


def _marks(count: int) -> str:
    return ", ".join("{}" for _ in range(count))


_tables_ready = False


async def ready() -> bool:
    """Whether migration catalogue_0011 has made the table (an older migration may re-index first)."""
    global _tables_ready
    if not _tables_ready:
        if is_sqlite(current_engine()):
            rows = await execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'competence_aim'")
        else:
            rows = [r for r in await execute("SELECT to_regclass('competence_aim') AS name") if r["name"]]
        _tables_ready = bool(rows)
    return _tables_ready


def _out(row: dict[str, Any]) -> CompetenceAimOut:
    levels = row["levels"]
    return CompetenceAimOut(code=row["code"], subject=row["subject"], curriculum=row["curriculum"],
                            trinn=row["trinn"], levels=json.loads(levels) if isinstance(levels, str) else list(levels),
                            text_nb=row["text_nb"], text_nn=row["text_nn"], is_current=bool(row["is_current"]),
                            replaced_by=row["replaced_by"])


_COLUMNS = "code, subject, curriculum, trinn, levels, text_nb, text_nn, is_current, replaced_by, sort_order"


async def aims_by_code(codes: Iterable[str]) -> dict[str, CompetenceAimOut]:
    codes = list(dict.fromkeys(codes))
    if not codes or not await ready():
        return {}
    rows = await execute(f"SELECT {_COLUMNS} FROM competence_aim WHERE code IN ({_marks(len(codes))})", *codes)
    return {r["code"]: _out(r) for r in rows}


async def aim(code: str) -> CompetenceAimOut:
    found = await aims_by_code([code])
    if code not in found:
        raise Problem(404, f"No competence aim with code {code!r}.")
    return found[code]


async def check_aims(codes: Iterable[str], errors: FieldErrors, field: str = "competence_aims") -> None:
    """Adds an error for each code that is not a competence aim the curriculum import knows."""
    codes = list(dict.fromkeys(codes))
    if not codes:
        return
    known = await aims_by_code(codes)
    for code in codes:
        if code not in known:
            errors.add(field, f"unknown competence aim {code!r}; pick one from /api/v1/competence-aims")


def _matches(row: dict[str, Any], words: list[str]) -> bool:
    haystack = f"{row['code']} {row['text_nb']} {row['text_nn']}".casefold()
    return all(w in haystack for w in words)


async def list_aims(subject: str | None = None, level: str | None = None, q: str | None = None,
                    include_replaced: bool = False, limit: int = 100, offset: int = 0) -> CompetenceAimPage:
    """Aims by subject and trinn (those worked with on ``level``), every word of ``q`` in the
    code or the text (bokmål or nynorsk), in the curriculum's order."""
    rows: list[dict[str, Any]] = []
    if await ready():
        where, args = [], []
        if subject:
            where.append("subject = {}")
            args.append(subject)
        if not include_replaced:
            where.append("is_current = {}")
            args.append(True)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = await execute(f"SELECT {_COLUMNS} FROM competence_aim{clause} ORDER BY subject, sort_order, code", *args)
    if level:
        rows = [r for r in rows if level in json.loads(r["levels"])]
    words = [w for w in (q or "").casefold().split() if w]
    if words:
        rows = [r for r in rows if _matches(r, words)]
    page = rows[offset:offset + limit]
    return CompetenceAimPage(items=[_out(r) for r in page], total=len(rows), limit=limit, offset=offset)


async def resource_aims(codes: list[str]) -> list[CompetenceAimOut]:
    """A resource's aims in its own order, with their text (codes the import does not know are left out)."""
    known = await aims_by_code(codes)
    return [known[c] for c in codes if c in known]


async def search_text(ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """The text of each resource's aims, for its search document ("body": weighted as the description, so an aim that mentions a word does not outrank a resource named by it)."""
    if not ids or not await ready():
        return {}
    rows = await execute(f"SELECT id, competence_aims FROM resource WHERE id IN ({_marks(len(ids))})", *ids)
    wanted = {r["id"]: _codes(r["competence_aims"]) for r in rows}
    known = await aims_by_code(c for codes in wanted.values() for c in codes)
    out: dict[int, dict[str, list[str]]] = {}
    for resource_id, codes in wanted.items():
        texts = [t for c in codes if c in known for t in (known[c].text_nb, known[c].text_nn) if t]
        if texts:
            out[resource_id] = {"body": texts}
    return out


def _codes(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = json.loads(value)
    return [str(v) for v in value]


class CoverageGroup(Struct, kw_only=True):
    subject: str
    trinn: str
    aims: int  # current aims of the subject to be reached after this trinn
    covered: int  # of them, those at least one resource of the base package is tagged with
    uncovered: list[CompetenceAimOut]


async def coverage(subject: str | None = None, level: str | None = None) -> list[CoverageGroup]:
    """Per subject and trinn, the current aims that no resource in the base package (in use:
    published or being phased out) is tagged with."""
    page = await list_aims(subject, level, None, False, limit=1_000_000)
    rows = await execute("SELECT competence_aims FROM resource WHERE in_base_package = {}"
                         " AND status IN ('published', 'phasing_out')", True)
    tagged = {code for r in rows for code in _codes(r["competence_aims"])}
    groups: dict[tuple[str, str], CoverageGroup] = {}
    for item in page.items:
        group = groups.setdefault((item.subject, item.trinn), CoverageGroup(
            subject=item.subject, trinn=item.trinn, aims=0, covered=0, uncovered=[]))
        group.aims += 1
        if item.code in tagged:
            group.covered += 1
        else:
            group.uncovered.append(item)
    subjects = {r["code"]: i for i, r in enumerate(await execute("SELECT code FROM subject ORDER BY sort_order, code"))}
    return sorted(groups.values(), key=lambda g: (subjects.get(g.subject, 999), g.subject, int(g.trinn or 0)))
