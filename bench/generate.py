"""Synthetic but realistic resources: Norwegian names, vendors, descriptions and tags, levels in
contiguous ranges, one to three subjects, platforms, logins, languages and units; nine in ten
published, the rest drafts.

Deterministic for a given seed, so runs compare. Every body is a valid ``POST /api/v1/resources``
body. Word frequencies are uneven on purpose: "matematikk" is common (about one resource in four),
the tag "fuglekikking" rare (one in five hundred), as in a real catalogue."""

from __future__ import annotations

import random
from typing import Any, Iterator

UNITS = [(f"bench-skole-{i}", f"Benkvik {i} skole", "skole") for i in range(1, 16)] + \
        [(f"bench-bhg-{i}", f"Benkvik {i} barnehage", "barnehage") for i in range(1, 6)]
COMMON_WORD = "matematikk"
RARE_TAG = "fuglekikking"

SUBJECTS = {  # code: (weight, words used in descriptions and tags)
    "MAT": (25, ["matematikk", "brøk", "geometri", "algebra", "tallforståelse", "regning", "statistikk"]),
    "NOR": (22, ["lesing", "skriving", "rettskriving", "leseforståelse", "fortelling", "grammatikk"]),
    "ENG": (14, ["engelsk", "gloser", "uttale", "muntlig engelsk", "lesing på engelsk"]),
    "NAT": (12, ["naturfag", "forsøk", "klima", "kroppen", "økologi", "energi"]),
    "SAF": (9, ["samfunnsfag", "historie", "geografi", "kart", "demokrati"]),
    "KRLE": (4, ["religion", "etikk", "filosofi", "livssyn"]),
    "KHV": (5, ["tegning", "design", "formgiving", "håndverk"]),
    "MUS": (4, ["musikk", "rytme", "komponering", "sang"]),
    "MHE": (2, ["kosthold", "matlaging", "helse"]),
    "KRO": (1, ["bevegelse", "idrett"]),
    "FSP": (2, ["tysk", "spansk", "fransk", "fremmedspråk"]),
}
PREFIXES = ["Matte", "Lese", "Skrive", "Brøk", "Tall", "Geo", "Natur", "Ord", "Språk", "Kode", "Lyd", "Bilde",
            "Fjord", "Nord", "Sol", "Stjerne", "Regne", "Tanke", "Læringsressurs", "Kart", "Klima", "Bok"]
SUFFIXES = ["mester", "verkstedet", "byggeren", "universet", "appen", "boka", "laben", "reisen", "spillet",
            "skolen", "hjelpen", "banken", "tavla", "kassa", "senteret", "loftet", "stien"]
SYLLABLES = ["ka", "lo", "vi", "ra", "ti", "mo", "se", "na", "ku", "pe", "li", "do", "fa", "ny", "bø", "æg", "ør"]
VENDOR_WORDS = ["Fjord", "Vidde", "Nordlys", "Bølge", "Furu", "Tinde", "Elv", "Kyst", "Lyng", "Myr", "Stein", "Bjørk"]
VENDOR_KINDS = ["forlag", "læring", "media", "skole", "tekst", "data", "spill", "kunnskap"]
KINDS = ["learning_universe", "practice_tool", "digital_textbook", "creative_tool", "reading_writing_support",
         "assessment_tool", "reference_work", "programming_tool", "learning_platform", "media_library",
         "collaboration_tool"]
KIND_PHRASES = {
    "learning_universe": "et digitalt læringsunivers", "practice_tool": "et øvingsverktøy",
    "digital_textbook": "et digitalt læreverk", "creative_tool": "et skapende verktøy",
    "reading_writing_support": "et lese- og skrivestøtteverktøy", "assessment_tool": "et vurderingsverktøy",
    "reference_work": "et oppslagsverk", "programming_tool": "et verktøy for programmering",
    "learning_platform": "en læringsplattform", "media_library": "en tjeneste med film og lydbøker",
    "collaboration_tool": "et samarbeidsverktøy",
}
ACTIVITIES = ["løser oppgaver i eget tempo", "får umiddelbar tilbakemelding", "arbeider sammen i grupper",
              "lager egne produkter", "øver på begreper", "lytter til innleste tekster", "utforsker med simuleringer",
              "presenterer for klassen", "spiller seg gjennom nivåer", "skriver og deler tekster"]
USES = ["mengdetrening", "tilpasset opplæring", "repetisjon før prøver", "stasjonsarbeid", "lekser",
        "vurdering for læring", "tidlig innsats", "spesialundervisning", "flerspråklige elever", "begrepsopplæring"]
TAGS = ["adaptiv", "spill", "video", "lydstøtte", "oppgaver", "kartlegging", "samarbeid", "kreativitet", "quiz",
        "lekser", "dysleksi", "programmering", "simulering", "e-bøker", "lydbøker", "tilbakemelding", "nettbrett"]
LEVEL_WORDS = {range(1, 5): "småtrinnet", range(5, 8): "mellomtrinnet", range(8, 11): "ungdomstrinnet"}
PLATFORMS = ["web", "ipad", "chromebook", "windows", "mac", "android"]
LOGINS = ["feide", "microsoft", "google", "vendor_account", "none"]


def _org_number(rng: random.Random) -> str:
    """A 9-digit number that passes the mod-11 check."""
    while True:
        digits = [8 if i == 0 else rng.randint(0, 9) for i in range(8)]
        remainder = sum(d * w for d, w in zip(digits, (3, 2, 7, 6, 5, 4, 3, 2))) % 11
        check = 0 if remainder == 0 else 11 - remainder
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def vendors(seed: int = 1, count: int = 300) -> list[dict[str, Any]]:
    rng = random.Random(seed * 7919)
    out, seen = [], set()
    while len(out) < count:
        name = f"{rng.choice(VENDOR_WORDS)}{rng.choice(VENDOR_KINDS)} {rng.choice(['AS', 'AS', 'ANS', 'SA'])}"
        if rng.random() < 0.3:
            name = f"{rng.choice(VENDOR_WORDS)} {rng.choice(VENDOR_WORDS)}{rng.choice(VENDOR_KINDS)} AS"
        if name in seen:
            continue
        seen.add(name)
        out.append({"name": name, "organisation_number": _org_number(rng) if rng.random() < 0.7 else None})
    return out


def resources(n: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """``n`` resource bodies."""
    rng = random.Random(seed)
    vendor_pool = vendors(seed)
    codes = list(SUBJECTS)
    weights = [SUBJECTS[c][0] for c in codes]
    for i in range(n):
        if rng.random() < 0.6:
            name = rng.choice(PREFIXES) + rng.choice(SUFFIXES)
        else:
            name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        name = f"{name} {rng.choice(['', '', 'Pluss', 'Junior', '2', 'Skole'])}".strip() + f" {i + 1}"
        kind = rng.choice(KINDS)
        kindergarten = rng.random() < 0.08
        if kindergarten:
            levels = ["barnehage"] + ([str(x) for x in range(1, rng.randint(2, 4))] if rng.random() < 0.4 else [])
        else:
            start = rng.randint(1, 9)
            levels = [str(x) for x in range(start, min(10, start + rng.randint(0, 6)) + 1)]
        subjects = list(dict.fromkeys(rng.choices(codes, weights, k=rng.randint(1, 3)))) if levels != ["barnehage"] else []
        words = [w for s in subjects for w in SUBJECTS[s][1]]
        numbers = [int(x) for x in levels if x.isdigit()]
        level_phrase = f"{numbers[0]}.–{numbers[-1]}. trinn" if numbers else "barnehagen"
        band = next((w for r, w in LEVEL_WORDS.items() if numbers and numbers[0] in r), "barnehagen")
        sentences = [
            f"{name} er {KIND_PHRASES[kind]} i {' og '.join(SUBJECTS[s][1][0] for s in subjects) or 'lek og språk'}"
            f" for {level_phrase}.",
            f"Elevene {rng.choice(ACTIVITIES)}, og læreren følger arbeidet underveis.",
            f"Ressursen egner seg til {rng.choice(USES)} på {band}" + (f", særlig i {rng.choice(words)}." if words else "."),
        ]
        if rng.random() < 0.5:
            sentences.append(f"Innholdet dekker blant annet {', '.join(rng.sample(words, min(3, len(words))))}."
                             if words else "Innholdet er laget for de yngste barna.")
        tags = rng.sample(TAGS, rng.randint(1, 4)) + rng.sample(words, min(len(words), rng.randint(0, 2)))
        if i % 500 == 7:
            tags.append(RARE_TAG)
        platforms = rng.sample(PLATFORMS, rng.randint(1, 4))
        logins = rng.sample(LOGINS, rng.randint(1, 2))
        body: dict[str, Any] = {
            "name": name,
            "vendor": rng.choice(vendor_pool),
            "url": f"https://ressurs{i + 1}.example.no",
            "kind": kind,
            "description": " ".join(sentences),
            "status": "draft" if rng.random() < 0.1 else "published",
            "in_base_package": rng.random() < 0.3,
            "levels": levels,
            "subjects": subjects,
            "kindergarten_areas": rng.sample(["KST", "KBMH", "KKK", "NMT", "ARF"], rng.randint(1, 2)) if kindergarten else [],
            "tags": list(dict.fromkeys(t[:40] for t in tags)),
            "platforms": platforms,
            "logins": logins,
            "languages": ["nb"] + (["nn"] if rng.random() < 0.5 else []) + (["en"] if rng.random() < 0.2 else []),
            "units": [u[0] for u in rng.sample(UNITS, rng.randint(0, 3))],
            "licence_model": rng.choice(["free", "per_user", "per_unit", "municipal_licence", "national_agreement"]),
            "restrictions": "Elevene skal ikke laste opp bilder av seg selv." if rng.random() < 0.15 else None,
            "privacy": {"processes_personal_data": "none" not in logins,
                        "dpa_status": "in_progress" if "none" not in logins else "not_required"},
        }
        if body["privacy"]["processes_personal_data"] is False:
            body["privacy"] = {"processes_personal_data": False, "dpa_status": "not_required"}
        yield body
