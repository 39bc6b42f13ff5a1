"""The review steps' forms as data: their fields, how a posted form becomes the step's data, and
how saved data reads back in words."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import msgspec

from catalogue import domain
from catalogue.norwegian_dates import DATE_ERROR, DATE_HINT, parse_date
from frontend.forms import FormErrors, as_list
from frontend.workflow.common import active_units, fmt_date, fmt_kroner, text_of
from workflows.forms import CRITERIA_LABELS, PRIOR_CONSULTATION_LABELS
from workflows.service import latest_advice

TECH_STATUSES = (("unknown", "Ukjent"), ("not_needed", "Ikke nødvendig"), ("planned", "Planlagt"),
                 ("done", "Ferdig"))
# dates are typed as text (catalogue.norwegian_dates): a browser's date picker varies, and what was
# typed must come back as typed when the page has errors


# --- the step forms as data --------------------------------------------------------------------


@dataclass(frozen=True)
class StepField:
    """One input of a review form. ``name`` is the posted name and the path in the step's data
    (``form.record.dpa_date`` is ``record.dpa_date``), so the service's errors land on it."""

    name: str
    kind: str  # textarea optarea line int date yesno bool choice select radio list countries feide
    label: str
    options: tuple[tuple[str, str], ...] = ()
    hint: str | None = None
    max_length: int | None = None
    required: bool = False  # must be filled in before the step may approve
    # shown only when another field has one of some values: "form.record.transfers_outside_eea=ja"
    # (without JavaScript every field is shown)
    shown_when: str | None = None

    @property
    def path(self) -> list[str]:
        return self.name.split(".")[1:]


def _options(table: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(table.items())


PERSONAL_DATA = "form.record.processes_personal_data=ja"
DPA_EXISTS = "form.record.dpa_status=signed|in_progress"
DPIA_DONE = "form.record.dpia_status=completed"
TRANSFERS = "form.record.transfers_outside_eea=ja"

PEDAGOGICAL_GROUPS = [
    ("Læreplanen", [
        StepField("form.curriculum_fit", "textarea", "Hvordan passer læremidlet med læreplanen (LK20)?",
                  hint="Nevn fag, trinn og kompetansemål læremidlet støtter.", max_length=5000, required=True),
    ]),
    ("Kvalitetskriterier", [StepField(f"form.criteria.{key}", "yesno", text, required=True) for key, text in CRITERIA_LABELS.items()]),
    ("Merknader", [
        StepField("form.criteria_notes", "textarea", "Merknader til kvalitetskriteriene", max_length=5000),
        StepField("form.overlap", "textarea", "Overlapp med læremidler vi allerede har",
                  hint="Nevn læremidler i katalogen som dekker det samme, og hvorfor dette likevel trengs.",
                  max_length=5000),
    ]),
]

PRIVACY_GROUPS = [
    ("Personopplysninger", [
        StepField("form.record.processes_personal_data", "yesno", "Behandler læremidlet personopplysninger?",
                  required=True),
        StepField("form.record.data_subjects", "list", "Hvem opplysningene gjelder", _options(domain.DATA_SUBJECTS),
                  shown_when=PERSONAL_DATA),
        StepField("form.record.data_categories", "list", "Hvilke opplysninger som behandles",
                  _options(domain.DATA_CATEGORIES), shown_when=PERSONAL_DATA),
        StepField("form.record.special_categories", "bool",
                  "Behandles særlige kategorier av personopplysninger (art. 9), for eksempel om helse?",
                  shown_when=PERSONAL_DATA),
        StepField("form.record.feide_attributes", "feide", "Feide-attributter læremidlet henter",
                  _options(domain.FEIDE_ATTRIBUTES), hint="Kryss av for hvert attributt, og skriv hvorfor det trengs.",
                  shown_when=PERSONAL_DATA),
        StepField("form.record.legal_basis", "choice", "Rettslig grunnlag", _options(domain.LEGAL_BASES)),
        StepField("form.record.processor", "line", "Databehandler",
                  hint="Leverandøren som behandler opplysningene på kommunens vegne.", max_length=200),
    ]),
    ("Databehandleravtale", [
        StepField("form.record.dpa_status", "select", "Status for databehandleravtalen", _options(domain.DPA_STATUSES)),
        StepField("form.record.dpa_date", "date", "Dato for avtalen", hint=f"Må fylles ut når avtalen er inngått. {DATE_HINT}",
                  shown_when=DPA_EXISTS),
        StepField("form.record.dpa_reference", "line", "Referanse til avtalen",
                  hint="Saksnummer eller avtale-ID i arkivet. Må fylles ut når avtalen er inngått, og avtalen må være "
                       "inngått når læremidlet behandler opplysninger om barn eller elever.", max_length=100,
                  shown_when=DPA_EXISTS),
        StepField("form.record.dpa_expires", "date", "Avtalen utløper", hint=DATE_HINT, shown_when=DPA_EXISTS),
    ]),
    ("Vurdering av personvernkonsekvenser (DPIA)", [
        StepField("form.screening.children_data", "yesno", "Behandles opplysninger om barn eller elever?",
                  required=True, shown_when=PERSONAL_DATA),
        StepField("form.screening.new_technology", "yesno",
                  "Tas ny teknologi i bruk, for eksempel kunstig intelligens eller biometri?",
                  required=True, shown_when=PERSONAL_DATA),
        StepField("form.screening.systematic_monitoring", "bool", "Innebærer bruken systematisk overvåking?",
                  shown_when=PERSONAL_DATA),
        StepField("form.screening.large_scale", "bool", "Behandles opplysninger i stort omfang?",
                  shown_when=PERSONAL_DATA),
        StepField("form.record.dpia_status", "select", "Status for DPIA", _options(domain.DPIA_STATUSES), required=True),
        StepField("form.record.dpia_date", "date", "Dato for DPIA", hint=DATE_HINT, required=True,
                  shown_when=DPIA_DONE),
        StepField("form.record.dpia_risk_level", "choice", "Risikonivå etter DPIA", _options(domain.RISK_LEVELS),
                  required=True, shown_when=DPIA_DONE),
        StepField("form.record.dpia_approved_by", "line", "DPIA godkjent av", max_length=200, shown_when=DPIA_DONE),
    ]),
    ("Lagring og overføring", [
        StepField("form.record.data_location", "select", "Hvor lagres opplysningene?",
                  _options(domain.DATA_LOCATIONS)),
        StepField("form.record.transfers_outside_eea", "bool", "Overføres opplysninger ut av EU/EØS?"),
        StepField("form.record.transfer_basis", "choice", "Overføringsgrunnlag", _options(domain.TRANSFER_BASES),
                  hint="Bare når opplysninger overføres ut av EU/EØS.", required=True, shown_when=TRANSFERS),
        StepField("form.record.transfer_countries", "countries", "Land opplysningene overføres til",
                  hint="Landkoder med to bokstaver, skilt med komma, for eksempel US, GB.", max_length=200,
                  shown_when=TRANSFERS),
        StepField("form.record.retention", "optarea", "Lagringstid og sletting", max_length=2000),
        StepField("form.record.security_measures", "optarea", "Sikkerhetstiltak", max_length=2000),
    ]),
    ("Høy risiko etter DPIA", [
        StepField("form.prior_consultation", "choice", "Forhåndsdrøfting med Datatilsynet (personvernforordningen art. 36)",
                  _options(PRIOR_CONSULTATION_LABELS),
                  hint="Må besvares når risikoen etter DPIA er høy. Da kreves også råd fra personvernombudet og "
                       "navnet på den som godkjenner DPIA-en."),
        StepField("form.prior_consultation_reason", "textarea", "Begrunnelse for svaret om forhåndsdrøfting",
                  max_length=5000),
    ]),
    ("Merknader", [
        StepField("form.notes", "textarea", "Merknader til personvernvurderingen", max_length=5000),
    ]),
]
EXCEPTION_GROUP = ("Unntak etter kommunens rutine", [
    StepField("form.document_exception_reason", "textarea", "Begrunnelse for å godkjenne uten dokument eller med utløpt avtale",
              hint="Bare når databehandleravtalen er utløpt, eller avtalen eller DPIA-en ikke er lastet opp som vedlegg. "
                   "Begrunnelsen lagres i saken.", max_length=5000),
])


def procurement_groups(units: list[tuple[str, str]]) -> list:
    return [
        ("Kostnad og lisenser", [
            StepField("form.annual_cost_nok", "int", "Årlig kostnad i kroner",
                      hint="Skriv 0 hvis læremidlet er gratis.", required=True),
            StepField("form.licence_count", "int", "Antall lisenser"),
            StepField("form.licence_from", "date", "Lisensen gjelder fra", hint=DATE_HINT),
            StepField("form.licence_to", "date", "Lisensen gjelder til", hint=DATE_HINT),
            StepField("form.budget_owner", "line", "Budsjettansvarlig", max_length=200, required=True),
        ]),
        ("Teknisk vurdering", [
            StepField("form.device_management", "select", "Enhetsstyring (MDM)", TECH_STATUSES),
            StepField("form.feide_activation", "select", "Aktivering i Feide", TECH_STATUSES),
            StepField("form.technical_fit", "textarea", "Teknisk vurdering",
                      hint="For eksempel enhetsstyring, Feide, nettverk og plattformer.", max_length=5000,
                      required=True),
        ]),
        ("Hvem får læremidlet", [
            StepField("form.target", "radio", "Læremidlet skal inn i",
                      (("base_package", "Grunnpakken (alle enheter)"), ("units", "Bare utvalgte enheter"))),
            StepField("form.units", "list", "Enheter som får læremidlet", tuple(units),
                      hint="Bare når læremidlet ikke skal inn i grunnpakken.", required=True,
                      shown_when="form.target=units"),
        ]),
    ]


async def step_groups(form: str, exceptions_allowed: bool = False) -> list:
    """The form's fields; the privacy form has a field for an exception only where the routine allows one."""
    if form == "pedagogical":
        return PEDAGOGICAL_GROUPS
    if form == "privacy":
        return [*PRIVACY_GROUPS[:-1], EXCEPTION_GROUP, PRIVACY_GROUPS[-1]] if exceptions_allowed else PRIVACY_GROUPS
    return procurement_groups(await active_units())


def required_names(groups: list, licence_model: str) -> set[str]:
    """The fields the page marks as needed before the step may approve (workflows.forms has the rules)."""
    names = {f.name for f in form_fields(groups) if f.required}
    if licence_model not in ("free", "national_agreement"):
        names.add("form.licence_count")
    return names


def form_fields(groups: list) -> list[StepField]:
    return [f for _, fields in groups for f in fields]


def _get(data: Any, path: list[str]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _set(data: dict, path: list[str], value: Any) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value


def feide_reason_name(attribute: str) -> str:
    return f"feide_reason.{attribute}"


def parse_whole_number(raw: str) -> int | None:
    digits = re.sub(r"[\s\u00a0]", "", raw).removesuffix("kr").removesuffix(",-")
    return int(digits) if re.fullmatch(r"[0-9]{1,10}", digits) and int(digits) <= 1_000_000_000 else None


def parse_step_form(groups: list, posted: dict[str, Any], errors: FormErrors, carry: dict[str, Any]) -> dict[str, Any]:
    """The posted review form as the step's data, with Norwegian errors for what cannot be read.
    ``carry`` holds the parts of the data the page does not edit (kept as they were)."""
    data = copy.deepcopy(carry)
    for f in form_fields(groups):
        raw = posted.get(f.name)
        text = text_of(raw)
        value: Any
        if f.kind in ("textarea", "optarea", "line"):
            if f.max_length and len(text) > f.max_length:
                errors.add(f.name, f"Teksten er for lang (høyst {f.max_length} tegn).")
            value = text if f.kind == "textarea" else (text or None)
        elif f.kind == "int":
            value = parse_whole_number(text) if text else None
            if text and value is None:
                errors.add(f.name, "Skriv et helt tall (0 eller større).")
        elif f.kind == "date":
            value = parse_date(text) if text else None
            if text and value is None:
                errors.add(f.name, DATE_ERROR)
        elif f.kind == "yesno":
            value = {"ja": True, "nei": False}.get(text)
        elif f.kind == "bool":
            value = text == "ja"
        elif f.kind in ("choice", "select", "radio"):
            codes = [code for code, _ in f.options]
            if text and text not in codes:
                errors.add(f.name, "Velg en gyldig verdi.")
                text = ""
            value = text or (None if f.kind == "choice" else codes[0])
        elif f.kind == "list":
            codes = {code for code, _ in f.options}
            value = [v for v in dict.fromkeys(as_list(raw)) if v in codes]
            if len(value) != len(set(as_list(raw))):
                errors.add(f.name, "Velg en gyldig verdi.")
        elif f.kind == "countries":
            value = [c.upper() for c in re.split(r"[\s,;]+", text) if c]
            if any(not re.fullmatch(r"[A-Z]{2}", c) for c in value):
                errors.add(f.name, "Skriv landkoder med to bokstaver, for eksempel US.")
                value = []
        elif f.kind == "feide":
            chosen = [a for a in dict.fromkeys(as_list(raw)) if a in dict(f.options)]
            value = []
            for attribute in chosen:
                reason = text_of(posted.get(feide_reason_name(attribute)))
                if not reason:
                    errors.add(feide_reason_name(attribute), "Skriv hvorfor læremidlet trenger attributtet.")
                elif len(reason) > 500:
                    errors.add(feide_reason_name(attribute), "Teksten er for lang (høyst 500 tegn).")
                value.append({"attribute": attribute, "reason": reason or "-"})
        else:  # pragma: no cover - the field kinds are fixed above
            raise ValueError(f.kind)
        _set(data, f.path, value)
    return data


def values_from_data(groups: list, data: dict[str, Any]) -> dict[str, Any]:
    """What the inputs show for stored step data."""
    values: dict[str, Any] = {}
    for f in form_fields(groups):
        stored = _get(data, f.path)
        if f.kind in ("yesno",):
            values[f.name] = stored if isinstance(stored, bool) else None
        elif f.kind == "bool":
            values[f.name] = bool(stored)
        elif f.kind == "list":
            values[f.name] = list(stored or [])
        elif f.kind == "countries":
            values[f.name] = ", ".join(stored or [])
        elif f.kind == "feide":
            values[f.name] = [a.get("attribute") for a in stored or []]
            for item in stored or []:
                values[feide_reason_name(item.get("attribute"))] = item.get("reason", "")
        elif f.kind in ("select", "radio"):
            values[f.name] = stored if stored else f.options[0][0]
        elif f.kind == "date":
            values[f.name] = fmt_date(stored)
        else:
            values[f.name] = "" if stored is None else str(stored)
    return values


def values_from_post(groups: list, posted: dict[str, Any]) -> dict[str, Any]:
    """What the inputs show when the page comes back with errors: exactly what was typed."""
    values: dict[str, Any] = {}
    for f in form_fields(groups):
        raw = posted.get(f.name)
        if f.kind == "yesno":
            values[f.name] = {"ja": True, "nei": False}.get(text_of(raw))
        elif f.kind == "bool":
            values[f.name] = text_of(raw) == "ja"
        elif f.kind in ("list", "feide"):
            values[f.name] = as_list(raw)
            if f.kind == "feide":
                for code, _ in f.options:
                    values[feide_reason_name(code)] = posted.get(feide_reason_name(code), "")
        else:
            values[f.name] = raw if isinstance(raw, str) else ""
    return values


def summary_rows(groups: list, data: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """A saved review form in words, for everyone who reads the case."""
    sections = []
    for title, fields in groups:
        rows = []
        for f in fields:
            stored = _get(data, f.path)
            names = dict(f.options)
            if f.kind in ("yesno", "bool"):
                text = {True: "Ja", False: "Nei"}.get(stored, "Ikke besvart")
            elif f.kind == "list":
                text = ", ".join(names.get(v, v) for v in stored or []) or "Ingen valgt"
            elif f.kind == "feide":
                text = "; ".join(f"{names.get(a.get('attribute'), a.get('attribute'))}: {a.get('reason')}"
                                 for a in stored or []) or "Ingen"
            elif f.kind in ("choice", "select", "radio"):
                text = names.get(stored, "Ikke oppgitt") if stored else "Ikke oppgitt"
            elif f.kind == "date":
                text = fmt_date(stored) or "Ikke oppgitt"
            elif f.kind == "int":
                text = (fmt_kroner(stored) if f.name.endswith("_nok") else str(stored)) if stored is not None \
                    else "Ikke oppgitt"
            elif f.kind == "countries":
                text = ", ".join(stored or []) or "Ingen"
            else:
                text = stored or "Ikke fylt ut"
            rows.append((f.label, text))
        sections.append((title, rows))
    return sections


def carried(form: str, data: dict[str, Any]) -> dict[str, Any]:
    """The parts of a step's data the page shows but does not edit."""
    if form == "pedagogical":
        return {"overlapping_resource_ids": list(data.get("overlapping_resource_ids") or [])}
    if form == "privacy":
        record = data.get("record") or {}
        return {"record": {"sub_processors": list(record.get("sub_processors") or []),
                           "dpo_advice": record.get("dpo_advice")}}
    return {}


def stored_form(form: str, row: dict[str, Any], resource) -> dict[str, Any]:
    """The step's saved data, or a starting point from the resource as it stands. The privacy
    record's DPO advice is the DPO's formal advice on the case, once given."""
    saved = row["step_data"].get(form)
    if form == "privacy":
        data = copy.deepcopy(saved) if saved else {"record": msgspec.to_builtins(resource.privacy)}
        advice = latest_advice(row["step_data"])
        if advice:
            data.setdefault("record", {})["dpo_advice"] = advice
        return data
    if saved:
        return saved
    if form == "procurement":
        estimate = (row["justification"] or {}).get("estimated_cost_nok")
        return {"annual_cost_nok": resource.annual_cost_nok if resource.annual_cost_nok is not None else estimate,
                "licence_count": resource.licence_count,
                "licence_to": resource.licence_expires.isoformat() if resource.licence_expires else None,
                "units": list(row["proposer_units"])}
    return {}
