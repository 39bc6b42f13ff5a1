"""Likely duplicates of a proposed resource: the same URL (host and path), the same vendor, or a
similar name, among resources already in the catalogue or in open cases. A draft no one has
submitted yet is shown only to those who may see it (as its case would be); submitted cases are
shown across units."""

from __future__ import annotations

import difflib
import functools
import json
import re
import unicodedata
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process

from catalogue.db import current_engine, is_sqlite
from catalogue.search.sql import execute
from catalogue.security.access import Principal
from catalogue.visibility import can_see_unpublished
from workflows.schemas import Duplicate
from workflows.service import can_see

SIMILARITY = 0.82


@functools.lru_cache(maxsize=100_000)  # every proposal compares against every name in the catalogue
def normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[^\wæøå]+", " ", text)
    return " ".join(w for w in text.split() if w not in {"as", "asa", "the", "app", "appen"})


def normalise_url(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").casefold().removeprefix("www.")
    path = parts.path.rstrip("/").casefold()
    return f"{host}{path}"


async def _similar_names(wanted: str) -> set[int]:
    """The resources (not archived or rejected) whose name is like ``wanted``: the same once
    normalised, one containing the other (five letters or more), or difflib's ratio at least
    SIMILARITY. Only ids and names are read, and rapidfuzz (in C) picks the names that can reach
    the ratio at all: difflib's counts matching blocks, never more than the longest common
    subsequence rapidfuzz's counts, so difflib decides only for those."""
    if not wanted:
        return set()
    rows = await execute("SELECT id, name FROM resource WHERE status NOT IN ({}, {})", "archived", "rejected")
    names = [normalise_name(row["name"]) for row in rows]
    close = {index for _, _, index in process.extract(wanted, names, scorer=fuzz.ratio,
                                                      score_cutoff=SIMILARITY * 100, limit=None)}
    matcher = difflib.SequenceMatcher(None, "", wanted)  # what it learns of ``wanted`` is kept between names
    found = set()
    for index, candidate in enumerate(names):
        if not candidate:
            continue
        if candidate == wanted or (len(wanted) >= 5 and (wanted in candidate or candidate in wanted)):
            found.add(rows[index]["id"])
        elif index in close:
            matcher.set_seq1(candidate)
            if matcher.ratio() >= SIMILARITY:
                found.add(rows[index]["id"])
    return found


def _draft_visible(row: dict, principal: Principal) -> bool:
    """A draft as its case shows it: to insiders, its proposer and the ICT mentors of its units."""
    if can_see_unpublished(principal):
        return True
    if row["open_case"] is None:
        return False  # a draft outside any case (entered directly) is the sector office's
    return can_see({"proposer": row["case_proposer"], "proposer_units": _json_list(row["case_units"])}, principal)


def _json_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else json.loads(value)


async def find_duplicates(name: str, url: str | None, vendor: str | None,
                          exclude_resource_id: int | None = None, *, principal: Principal) -> list[Duplicate]:
    wanted_name, wanted_url = normalise_name(name), normalise_url(url)
    wanted_vendor = (vendor or "").strip().casefold()
    similar_ids = await _similar_names(wanted_name)
    # the rows that may be duplicates: a similar name, the same vendor, or the URL's host in theirs
    clauses, args = [], ["archived", "rejected"]
    if similar_ids:  # any number of them, as one argument
        clauses.append("r.id IN (SELECT value FROM json_each({}))" if is_sqlite(current_engine())
                       else "r.id = ANY({}::int[])")
        args.append(json.dumps(sorted(similar_ids)) if is_sqlite(current_engine()) else sorted(similar_ids))
    if wanted_vendor:
        clauses.append("v.name_key = {}")
        args.append(wanted_vendor)
    if wanted_url:
        host = wanted_url.split("/", 1)[0]
        clauses.append("LOWER(r.url) LIKE {} ESCAPE '!'")
        args.append("%" + host.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%")
    if not clauses:
        return []
    rows = await execute(
        "SELECT r.id, r.name, r.status, r.url, v.name AS vendor_name, v.name_key,"
        " c.id AS open_case, c.proposer AS case_proposer, c.proposer_units AS case_units"
        " FROM resource r LEFT JOIN vendor v ON v.id = r.vendor"
        " LEFT JOIN workflow_case c ON c.resource = r.id AND c.closed_at IS NULL"
        f" WHERE r.status NOT IN ({{}}, {{}}) AND ({' OR '.join(clauses)})", *args)
    found = []
    for row in rows:
        if row["id"] == exclude_resource_id:
            continue
        if row["status"] == "draft" and not _draft_visible(row, principal):
            continue
        reasons = []
        if row["id"] in similar_ids:
            reasons.append("similar_name")
        if wanted_url and normalise_url(row["url"]) == wanted_url:
            reasons.append("same_url")
        if wanted_vendor and row["name_key"] == wanted_vendor:
            reasons.append("same_vendor")
        if reasons:
            found.append(Duplicate(resource_id=row["id"], name=row["name"], status=row["status"],
                                   vendor=row["vendor_name"], url=row["url"], reasons=reasons,
                                   open_case_id=row["open_case"]))
    # the strongest evidence first: URL, then name, then vendor alone
    found.sort(key=lambda d: ("same_url" not in d.reasons, "similar_name" not in d.reasons, d.name.casefold()))
    return found[:20]
