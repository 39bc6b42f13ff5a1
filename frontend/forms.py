"""Form handling for pages: read posted forms, turn API problems into Norwegian field errors that
the error summary links to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from litestar import Request

from catalogue.norwegian_dates import DATE_ERROR
from catalogue.problems import Problem

# Known English problem messages and their Norwegian wording for people.
MESSAGES = [
    (r"attach the data processing agreement",
     "Last opp databehandleravtalen som vedlegg til saken (dokumenttype Databehandleravtale)."),
    (r"attach the DPIA", "Last opp DPIA-en som vedlegg til saken (dokumenttype DPIA)."),
    (r"data processing agreement expired", "Databehandleravtalen er utløpt. Den må fornyes før godkjenning."),
    (r"routine does not allow exceptions", "Kommunens rutine tillater ikke unntak. La feltet stå tomt."),
    (r"needs the DPO's advice",
     "Høy risiko etter DPIA krever råd fra personvernombudet. Be om råd, og vent på svaret."),
    (r"name of who approves the DPIA", "Høy risiko etter DPIA krever navnet på den som godkjenner DPIA-en."),
    (r"whether Datatilsynet is consulted",
     "Høy risiko etter DPIA: oppgi om Datatilsynet rådspørres før behandlingen starter (art. 36)."),
    (r"before Datatilsynet has answered",
     "Behandlingen kan ikke starte før Datatilsynet har svart på forhåndsdrøftingen."),
    (r"answer on prior consultation", "Begrunn svaret om forhåndsdrøfting."),
    (r"last day the resource is in use", "Skriv siste dag læremidlet er i bruk."),
    (r"end date cannot be in the past", "Sluttdatoen kan ikke ha passert."),
    (r"advice may be at most", "Rådet kan være på høyst 2000 tegn."),
    (r"no longer in force", "Begrensningen er allerede endret eller opphevet. Se over saken slik den er nå."),
    (r"cannot be true when no personal data", "Kan ikke være ja når læremidlet ikke behandler personopplysninger."),
    (r"only applies when data is transferred outside",
     "Velg overføringsgrunnlag bare når opplysninger overføres ut av EU/EØS."),
    (r"must be true when data is stored outside", "Opplysningene lagres utenfor EU/EØS, så svaret her må være ja."),
    (r"cannot be before the DPA date", "Avtalen kan ikke utløpe før den er inngått."),
    (r"cannot be before the licence starts", "Lisensen kan ikke slutte før den starter."),
    (r"each attribute may be listed once", "Hvert attributt kan bare velges én gang."),
    (r"not a plausible date", "Datoen er ikke gyldig."),
    (r"no open wish", "Ønsket er allerede besvart, eller det hører ikke til enhetene dine."),
    (r"not one of your units", "Velg en av enhetene dine."),
    (r"unknown unit", "Velg en av enhetene i listen."),
    (r"^required|missing required field", "Fyll ut feltet."),
    (r"give a reason", "Skriv en begrunnelse."),
    (r"describe the restrictions", "Beskriv begrensningene for bruk."),
    (r"unknown code|unknown unit|unknown level|Invalid enum value|unknown value", "Velg en gyldig verdi."),
    (r"http:// or https://", "Skriv en nettadresse som begynner med https://."),
    (r"Expected `int`|Expected `integer`", "Skriv et helt tall (0 eller større)."),
    (r"Expected `date`|Invalid date|Expected `str` in ISO 8601", DATE_ERROR),
    (r"length >= 1|min_length|Expected `str` of length", "Fyll ut feltet."),
    (r"organisation number", "Organisasjonsnummeret er ikke gyldig."),
    (r"include at least one of your own units", "Ta med minst én av dine egne enheter."),
    (r"already in use", "Koden er allerede i bruk."),
    (r"curriculum", "Beskriv hvordan læremidlet passer med læreplanen."),
    (r"answer every quality criterion", "Svar på alle kvalitetskriteriene."),
    (r"answer the DPIA screening", "Svar på spørsmålene i DPIA-vurderingen."),
    (r"signed data processing agreement", "Barns personopplysninger krever inngått databehandleravtale med referanse."),
    (r"DPIA decision is required", "Barns personopplysninger krever en beslutning om DPIA."),
    (r"screening says a DPIA is required", "Vurderingen viser at DPIA er påkrevd; den må være gjennomført."),
    (r"transfer outside the EEA needs a legal basis|required when data is transferred",
     "Overføring ut av EU/EØS krever et overføringsgrunnlag."),
    (r"say whether the resource processes personal data", "Oppgi om læremidlet behandler personopplysninger."),
    (r"name who pays", "Oppgi budsjettansvarlig."),
    (r"state the annual cost", "Oppgi årlig kostnad (0 hvis gratis)."),
    (r"state how many licences", "Oppgi antall lisenser."),
    (r"technical fit", "Beskriv teknisk vurdering (MDM, Feide)."),
    (r"name the units", "Velg enhetene som skal få læremidlet."),
    (r"required when the DPA is signed", "Påkrevd når databehandleravtalen er inngått."),
    (r"required when the DPIA is completed", "Påkrevd når DPIA er gjennomført."),
    (r"must be empty when the resource processes no personal data",
     "Skal være tom når læremidlet ikke behandler personopplysninger."),
    (r"kindergarten", "Fagområder gjelder bare læremidler for barnehage."),
    (r"assignee must hold", "Personen har ikke rollen for dette steget."),
]


def norwegian(message: str) -> str:
    for pattern, text in MESSAGES:
        if re.search(pattern, message, re.IGNORECASE):
            return text
    return "Sjekk verdien i feltet."


def field_id(name: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")


@dataclass
class FormErrors:
    """Field errors for a page: each has the id of the input it belongs to."""

    by_field: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, message)

    @property
    def summary(self) -> list[dict[str, str]]:
        items = [{"href": f"#{field_id(name)}", "text": text} for name, text in self.by_field.items()]
        return items + [{"href": "#main", "text": text} for text in self.general]

    def __bool__(self) -> bool:
        return bool(self.by_field or self.general)

    def get(self, name: str) -> str | None:
        return self.by_field.get(name)


def errors_from_problem(problem: Problem, known_fields: set[str] | None = None, prefix_map: dict[str, str] | None = None,
                        translate: Callable[[str], str] | None = None) -> FormErrors:
    """Map a problem's field errors onto form fields: ``levels[2]`` belongs to ``levels``;
    ``resource.name`` may be renamed through ``prefix_map``."""
    errors = FormErrors()
    for item in problem.errors or []:
        name = re.sub(r"\[\d+\]", "", str(item.get("field", "")))
        for old, new in (prefix_map or {}).items():
            if name.startswith(old):
                name = new + name[len(old):]
        text = (translate or norwegian)(str(item.get("message", "")))
        if known_fields is None or name in known_fields:
            errors.add(name, text)
        elif text not in errors.general:
            errors.general.append(text)
    if not errors:
        errors.general.append((translate or norwegian)(problem.detail))
    return errors


async def form_data(request: Request) -> dict[str, Any]:
    """The posted form as a dict: single values as strings, repeated fields as lists."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in form.keys():
        values = form.getall(key)
        data[key] = values if len(values) > 1 or key.endswith("[]") else values[0]
    return data


def as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [v for v in value if v != ""]
    return [value]


def aim_codes(text: Any) -> list[str]:
    """Competence aim codes typed in a text field, separated by spaces or commas, as the curriculum
    writes them (upper case)."""
    return [code.upper() for code in (text if isinstance(text, str) else "").replace(",", " ").split()]


Choices = dict[str, list[tuple[str, str]]]


async def taxonomy_choices() -> Choices:
    """The levels, subjects and kindergarten areas as (code, Norwegian name) choices, in the
    catalogue's order, read in one statement: ``{"level": [...], "subject": [...], "area": [...]}``."""
    from catalogue.search.sql import execute

    rows = await execute(
        "SELECT 'level' AS k, code, name_nb, sort_order FROM level"
        " UNION ALL SELECT 'subject', code, name_nb, sort_order FROM subject"
        " UNION ALL SELECT 'area', code, name_nb, sort_order FROM kindergarten_area"
        " ORDER BY 1, 4, 2")
    out: Choices = {"level": [], "subject": [], "area": []}
    for row in rows:
        out[row["k"]].append((row["code"], row["name_nb"]))
    return out


async def level_subject_choices(choices: Choices | None = None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The levels and the subjects as (code, Norwegian name) choices, in the catalogue's order."""
    choices = choices or await taxonomy_choices()
    return choices["level"], choices["subject"]
