"""Reading Udir's Grep (https://data.udir.no/kl06/v201906/): LK20 curricula, their sets of
competence aims and the aims themselves, over httpx with timeouts and retries.

Grep serves one JSON document per element: ``laereplaner-lk20/{code}`` (a curriculum: ``kode``,
``tittel``, ``kompetansemaal-kapittel.kompetansemaalsett``, ``erstattes-av``),
``kompetansemaalsett-lk20/{code}`` (``etter-aarstrinn``, ``benyttes-paa-aarstrinn``,
``kompetansemaal``) and ``kompetansemaal-lk20/{code}`` (``tittel`` in every written standard,
``erstattes-av``). Titles are lists of ``{"spraak": "nob"|"nno"|"default"|…, "verdi": text}``."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import httpx

DEFAULT_BASE_URL = "https://data.udir.no/kl06/v201906"
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
MAX_DOCUMENT_BYTES = 5_000_000


class GrepError(Exception):
    """Grep could not be read, or answered with something that is not a Grep document."""


class GrepNotFound(GrepError):
    pass


@dataclass
class Curriculum:
    code: str
    title: str
    aim_sets: list[str]
    replaced_by: list[str]


@dataclass
class AimSet:
    code: str
    after_trinn: str | None  # "2", "4", "7", "10"; None for sets that are not grunnskole trinn
    levels: list[str]  # the trinn the set is used on
    aims: list[str]


@dataclass
class Aim:
    code: str
    text_nb: str
    text_nn: str
    replaced_by: list[str] = field(default_factory=list)


def text_in(value: Any, language: str) -> str:
    """The text of a Grep title in ``language`` (nob, nno), else the default one."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        value = value.get("tekst", value.get("verdi", ""))
        return text_in(value, language)
    if not isinstance(value, list):
        return ""
    by_language: dict[str, str] = {}
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("verdi"), str):
            key = str(item.get("spraak", item.get("noekkel", "default"))).rsplit("#", 1)[-1]
            by_language.setdefault(key, item["verdi"])
    return _clean(by_language.get(language) or by_language.get("default") or next(iter(by_language.values()), ""))


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()


def _codes(value: Any) -> list[str]:
    out = []
    for item in value if isinstance(value, list) else []:
        code = item.get("kode") if isinstance(item, dict) else item
        if isinstance(code, str) and CODE.match(code):
            out.append(code)
    return out


def _trinn(code: str) -> str | None:
    match = re.fullmatch(r"aarstrinn(\d{1,2})", code)
    return match.group(1) if match and 1 <= int(match.group(1)) <= 10 else None


def parse_curriculum(doc: dict) -> Curriculum:
    chapter = doc.get("kompetansemaal-kapittel")
    sets = chapter.get("kompetansemaalsett") if isinstance(chapter, dict) else doc.get("kompetansemaalsett")
    return Curriculum(code=str(doc["kode"]), title=text_in(doc.get("tittel"), "nob"),
                      aim_sets=_codes(sets), replaced_by=_codes(doc.get("erstattes-av")))


def parse_aim_set(doc: dict) -> AimSet:
    after = [t for t in (_trinn(c) for c in _codes(doc.get("etter-aarstrinn"))) if t]
    used = [t for t in (_trinn(c) for c in _codes(doc.get("benyttes-paa-aarstrinn"))) if t]
    after_trinn = after[-1] if after else None
    return AimSet(code=str(doc["kode"]), after_trinn=after_trinn,
                  levels=sorted(set(used), key=int) if used else ([after_trinn] if after_trinn else []),
                  aims=_codes(doc.get("kompetansemaal")))


def parse_aim(doc: dict) -> Aim:
    return Aim(code=str(doc["kode"]), text_nb=text_in(doc.get("tittel"), "nob"),
               text_nn=text_in(doc.get("tittel"), "nno"), replaced_by=_codes(doc.get("erstattes-av")))


class GrepClient:
    """Grep over httpx. ``transport`` lets tests serve recorded answers; ``retries`` more tries
    follow a timeout, a broken connection or a 5xx/429 answer, ``backoff`` seconds apart (doubling)."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, *, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 15.0, retries: int = 3, backoff: float = 1.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 on_request: Callable[[str], None] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = max(0, retries)
        self.backoff = backoff
        self._sleep = sleep
        self._on_request = on_request
        self._client = httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(timeout),
                                         headers={"Accept": "application/json"}, follow_redirects=False)

    async def __aenter__(self) -> "GrepClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._client.aclose()

    async def document(self, kind: str, code: str) -> dict:
        if not CODE.match(code):
            raise GrepError(f"{code!r} is not a Grep code")
        url = f"{self.base_url}/{kind}/{code}"
        if self._on_request:
            self._on_request(f"{kind}/{code}")
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                await self._sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = await self._client.get(url)
            except httpx.TimeoutException:
                last = f"Grep did not answer in time ({url})"
                continue
            except httpx.TransportError as exc:
                last = f"Grep could not be reached ({url}): {exc.__class__.__name__}"
                continue
            if response.status_code == 404:
                raise GrepNotFound(f"Grep does not know {kind}/{code}")
            if response.status_code == 429 or response.status_code >= 500:
                last = f"Grep answered {response.status_code} for {url}"
                continue
            if response.status_code != 200:
                raise GrepError(f"Grep answered {response.status_code} for {url}")
            if len(response.content) > MAX_DOCUMENT_BYTES:
                raise GrepError(f"Grep's answer for {url} is larger than {MAX_DOCUMENT_BYTES} bytes")
            try:
                doc = json.loads(response.content)
            except ValueError:
                raise GrepError(f"Grep's answer for {url} is not JSON") from None
            if not isinstance(doc, dict) or not isinstance(doc.get("kode"), str):
                raise GrepError(f"Grep's answer for {url} is not a Grep element (no 'kode')")
            return doc
        raise GrepError(f"{last} (after {self.retries + 1} tries)")

    async def curriculum(self, code: str) -> Curriculum:
        return parse_curriculum(await self.document("laereplaner-lk20", code))

    async def aim_set(self, code: str) -> AimSet:
        return parse_aim_set(await self.document("kompetansemaalsett-lk20", code))

    async def aim(self, code: str) -> Aim:
        return parse_aim(await self.document("kompetansemaal-lk20", code))
