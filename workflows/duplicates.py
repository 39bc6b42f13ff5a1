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

from catalogue.security.access import Principal
from catalogue.tables import Resource
from catalogue.visibility import can_see_unpublished
from workflows.schemas import Duplicate
from workflows.service import can_see

SIMILARITY = 0.82


@functools.lru_cache(maxsize=100_000)  # every proposal compares against every name in the catalogue
def normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[^\wæøå]+", " ", text)
    return " ".join(w for w in text.split() if w not in {"as", "asa", "the", "app", "appen"})


@functools.lru_cache(maxsize=100_000)
def normalise_url(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").casefold().removeprefix("www.")
    path = parts.path.rstrip("/").casefold()
    return f"{host}{path}"


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
    rows = await Resource.raw(
        "SELECT r.id, r.name, r.status, r.url, v.name AS vendor_name, v.name_key,"
        " c.id AS open_case, c.proposer AS case_proposer, c.proposer_units AS case_units"
        " FROM resource r LEFT JOIN vendor v ON v.id = r.vendor"
        " LEFT JOIN workflow_case c ON c.resource = r.id AND c.closed_at IS NULL"
        " WHERE r.status NOT IN ({}, {})",
        "archived", "rejected")
    found = []
    # the proposed name is the matcher's second sequence: what it learns of it is kept between rows
    matcher = difflib.SequenceMatcher(None, "", wanted_name)
    names = [normalise_name(row["name"]) for row in rows]
    # difflib's ratio counts matching blocks, never more than the longest common subsequence that
    # rapidfuzz's ratio counts: the names rapidfuzz puts below the threshold (in C, all at once)
    # cannot reach it with difflib either, which decides for the rest
    close = {index for _, _, index in process.extract(
        wanted_name, names, scorer=fuzz.ratio, score_cutoff=SIMILARITY * 100, limit=None)} if wanted_name else set()

    def similar(index: int, candidate: str) -> bool:
        if candidate == wanted_name or (len(wanted_name) >= 5 and (wanted_name in candidate or candidate in wanted_name)):
            return True
        if index not in close:
            return False
        matcher.set_seq1(candidate)
        return matcher.ratio() >= SIMILARITY

    for index, row in enumerate(rows):
        if row["id"] == exclude_resource_id:
            continue
        if row["status"] == "draft" and not _draft_visible(row, principal):
            continue
        reasons = []
        candidate = names[index]
        if candidate and wanted_name and similar(index, candidate):
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
