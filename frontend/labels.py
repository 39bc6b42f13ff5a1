"""Norwegian words for the catalogue's codes, and plain-language privacy summaries, for templates."""

from __future__ import annotations

from typing import Any

from catalogue import domain
from catalogue.norwegian_dates import format_date

LEVEL_NAMES = {"barnehage": "Barnehage", **{str(n): f"{n}. trinn" for n in range(1, 11)}}
BAND_NAMES = {"barnehage": "Barnehage", "1-4": "Småtrinnet, 1.–4. trinn", "5-7": "Mellomtrinnet, 5.–7. trinn",
              "8-10": "Ungdomstrinnet, 8.–10. trinn"}
FACET_TITLES = {
    "level": "Trinn",
    "subject": "Fag",
    "kindergarten_area": "Fagområde (barnehage)",
    "kind": "Type",
    "platform": "Plattform",
    "login": "Innlogging",
    "language": "Språk",
    "status": "Status",
    "in_base_package": "Grunnpakken",
}


def levels_text(levels: list[str]) -> str:
    """'5.–7. trinn', 'Barnehage, 1.–4. trinn' — runs of trinn are shown as ranges."""
    parts = ["Barnehage"] if "barnehage" in levels else []
    numbers = sorted(int(level) for level in levels if level.isdigit())
    start = previous = None
    runs = []
    for number in numbers:
        if start is None:
            start = previous = number
        elif number == previous + 1:
            previous = number
        else:
            runs.append((start, previous))
            start = previous = number
    if start is not None:
        runs.append((start, previous))
    for first, last in runs:
        parts.append(f"{first}. trinn" if first == last else f"{first}.–{last}. trinn")
    return ", ".join(parts)


def label(kind: str, code: Any, subjects: dict[str, str] | None = None, areas: dict[str, str] | None = None) -> str:
    tables = {
        "kind": domain.RESOURCE_KINDS, "status": domain.RESOURCE_STATUSES, "platform": domain.PLATFORMS,
        "login": domain.LOGINS, "language": domain.LANGUAGES, "licence_model": domain.LICENCE_MODELS,
        "level": LEVEL_NAMES, "band": BAND_NAMES, "subject": subjects or {}, "kindergarten_area": areas or {},
        "data_subject": domain.DATA_SUBJECTS, "data_category": domain.DATA_CATEGORIES,
        "dpa": domain.DPA_STATUSES, "dpia": domain.DPIA_STATUSES, "risk": domain.RISK_LEVELS,
        "location": domain.DATA_LOCATIONS, "transfer": domain.TRANSFER_BASES,
        "conformance": domain.CONFORMANCE_LEVELS, "legal_basis": domain.LEGAL_BASES,
        "feide": domain.FEIDE_ATTRIBUTES, "role": {r.value: t for r, t in domain.ROLE_LABELS.items()},
        "unit_kind": domain.UNIT_KINDS, "in_base_package": {"true": "I grunnpakken", "false": "Utenfor grunnpakken"},
    }
    if kind == "aim":
        return f"Kompetansemål {code}"
    return tables.get(kind, {}).get(str(code), str(code))


# Countries data is sent to outside the EU/EEA (ISO 3166 alpha-2), in Norwegian; an unknown code is
# shown as it is.
COUNTRY_NAMES = {
    "US": "USA", "GB": "Storbritannia", "CH": "Sveits", "CA": "Canada", "AU": "Australia", "NZ": "New Zealand",
    "JP": "Japan", "KR": "Sør-Korea", "IN": "India", "CN": "Kina", "SG": "Singapore", "IL": "Israel",
    "UA": "Ukraina", "RU": "Russland", "TR": "Tyrkia", "BR": "Brasil", "AR": "Argentina", "UY": "Uruguay",
    "ZA": "Sør-Afrika", "PH": "Filippinene", "VN": "Vietnam", "TW": "Taiwan", "HK": "Hongkong",
    "AE": "De forente arabiske emirater", "MX": "Mexico", "RS": "Serbia", "BA": "Bosnia-Hercegovina",
    "JE": "Jersey", "GG": "Guernsey", "IM": "Man", "FO": "Færøyene", "AD": "Andorra",
}


def country(code: str) -> str:
    return COUNTRY_NAMES.get(code.upper(), code)


def join_and(items: list[str]) -> str:
    """'a', 'a og b', 'a, b og c'."""
    items = [i for i in items if i]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1] if items else ""


def lower(text: str) -> str:
    """Lower-case a label for use inside a sentence, keeping proper names such as Feide."""
    return text if text.startswith("Feide") else text[:1].lower() + text[1:]


def privacy_summary(privacy: dict[str, Any]) -> list[tuple[str, str]]:
    """What a parent needs to know, in plain words: what data, stored where, agreement, risk."""
    rows: list[tuple[str, str]] = []
    processes = privacy.get("processes_personal_data")
    if processes is False:
        rows.append(("Personopplysninger", "Læremidlet behandler ikke personopplysninger."))
    elif processes is None:
        rows.append(("Personopplysninger", "Ikke vurdert ennå."))
    else:
        who = join_and([lower(label("data_subject", s)) for s in privacy.get("data_subjects") or []]) or "brukere"
        what = ", ".join(lower(label("data_category", c)) for c in privacy.get("data_categories") or [])
        rows.append(("Personopplysninger", f"Ja, om {who}" + (f": {what}." if what else ".")))
        if privacy.get("special_categories"):
            rows.append(("Særlige kategorier", "Ja, for eksempel opplysninger om helse eller tilrettelegging."))
    rows.append(("Hvor opplysningene lagres", label("location", privacy.get("data_location") or "unknown")))
    if privacy.get("transfers_outside_eea"):
        countries = join_and([country(c) for c in privacy.get("transfer_countries") or []])
        basis = label("transfer", privacy.get("transfer_basis") or "none")
        rows.append(("Overføring ut av EU/EØS", f"Ja{f', til {countries}' if countries else ''}. Grunnlag: {lower(basis)}."))
    dpa = label("dpa", privacy.get("dpa_status") or "missing")
    if privacy.get("dpa_status") == "signed" and privacy.get("dpa_date"):
        dpa += f" {format_date(privacy['dpa_date'])}"
    rows.append(("Databehandleravtale", dpa))
    dpia = label("dpia", privacy.get("dpia_status") or "not_assessed")
    if privacy.get("dpia_status") == "completed" and privacy.get("dpia_risk_level"):
        dpia += f", {label('risk', privacy['dpia_risk_level']).lower()} risiko"
    rows.append(("Vurdering av personvernkonsekvenser (DPIA)", dpia))
    if privacy.get("retention"):
        rows.append(("Lagringstid", privacy["retention"]))
    return rows
