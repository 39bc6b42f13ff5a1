"""The catalogue's controlled vocabularies, with the Norwegian labels the pages show."""

from __future__ import annotations

import enum


class Role(str, enum.Enum):
    STAFF = "staff"
    ICT_MENTOR = "ict_mentor"
    SECTOR_REVIEWER = "sector_reviewer"
    PRIVACY_REVIEWER = "privacy_reviewer"
    DPO = "dpo"
    TECH_APPROVER = "tech_approver"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.STAFF: "Ansatt",
    Role.ICT_MENTOR: "IKT-veileder",
    Role.SECTOR_REVIEWER: "Sektorkontoret for oppvekst (VKKO)",
    Role.PRIVACY_REVIEWER: "Personvernrådgiver",
    Role.DPO: "Personvernombud",
    Role.TECH_APPROVER: "Teknologi og endring",
    Role.ADMIN: "Systemeier",
}

ALL_ROLES = frozenset(r.value for r in Role)

# Roles that may see resources that are not (yet, or any longer) published.
CATALOGUE_INSIDERS = frozenset(
    {
        Role.SECTOR_REVIEWER.value,
        Role.PRIVACY_REVIEWER.value,
        Role.DPO.value,
        Role.TECH_APPROVER.value,
        Role.ADMIN.value,
    }
)
# Roles that may write resources directly (outside the approval workflow).
CATALOGUE_EDITORS = frozenset({Role.SECTOR_REVIEWER.value, Role.ADMIN.value})

RESOURCE_KINDS = {
    "learning_universe": "Læringsunivers",
    "practice_tool": "Øvingsverktøy",
    "digital_textbook": "Digitalt læreverk",
    "creative_tool": "Skapende verktøy",
    "reading_writing_support": "Lese- og skrivestøtte",
    "assessment_tool": "Vurderingsverktøy",
    "reference_work": "Oppslagsverk",
    "programming_tool": "Programmering og koding",
    "learning_platform": "Læringsplattform",
    "media_library": "Film og media",
    "collaboration_tool": "Samarbeidsverktøy",
}

RESOURCE_STATUSES = {
    "draft": "Utkast",
    "in_review": "Til vurdering",
    "published": "I bruk",
    "phasing_out": "Under utfasing",
    "phased_out": "Faset ut",
    "rejected": "Avslått",
    "archived": "Arkivert",
}

PLATFORMS = {
    "web": "Nettleser",
    "ipad": "iPad",
    "chromebook": "Chromebook",
    "windows": "Windows",
    "mac": "Mac",
    "android": "Android",
}

LOGINS = {
    "feide": "Feide",
    "microsoft": "Microsoft",
    "google": "Google",
    "vendor_account": "Egen konto hos leverandør",
    "none": "Ingen innlogging",
}

LANGUAGES = {
    "nb": "Bokmål",
    "nn": "Nynorsk",
    "se": "Nordsamisk",
    "sma": "Sørsamisk",
    "smj": "Lulesamisk",
    "en": "Engelsk",
    "de": "Tysk",
    "fr": "Fransk",
    "es": "Spansk",
    "pl": "Polsk",
    "uk": "Ukrainsk",
    "ar": "Arabisk",
    "so": "Somali",
    "ti": "Tigrinja",
    "fa": "Persisk",
    "lt": "Litauisk",
}

LICENCE_MODELS = {
    "free": "Gratis",
    "per_user": "Per bruker",
    "per_unit": "Per enhet (skole/barnehage)",
    "municipal_licence": "Kommunelisens",
    "national_agreement": "Nasjonal avtale",
    "one_time": "Engangskjøp",
}

UNIT_KINDS = {"barnehage": "Barnehage", "skole": "Skole", "tjeneste": "Tjeneste"}

DATA_SUBJECTS = {
    "children": "Barn i barnehage",
    "pupils": "Elever",
    "staff": "Ansatte",
    "guardians": "Foresatte",
}

DATA_CATEGORIES = {
    "name": "Navn",
    "feide_id": "Feide-identitet",
    "email": "E-postadresse",
    "class_group": "Klasse eller gruppe",
    "school": "Skole eller barnehage",
    "results": "Resultater og besvarelser",
    "usage_logs": "Bruks- og aktivitetslogger",
    "voice_recordings": "Lydopptak",
    "images_video": "Bilder og video",
    "free_text": "Fritekst skrevet av brukeren",
    "location": "Posisjon",
    "device_info": "Opplysninger om enheten",
    "special_needs": "Opplysninger om tilrettelegging",
}

FEIDE_ATTRIBUTES = {
    "openid": "Innlogging (OpenID)",
    "userid-feide": "Feide-navn",
    "profile": "Navn og profilbilde",
    "email": "E-postadresse",
    "groups-edu": "Klasser og faggrupper",
    "groups-org": "Skole og organisasjon",
    "userinfo-name": "Navn",
    "userinfo-language": "Foretrukket språk",
}

LEGAL_BASES = {
    "gdpr_6_1_c": "Rettslig forpliktelse (art. 6 nr. 1 c)",
    "gdpr_6_1_e": "Offentlig myndighetsutøvelse / allmennhetens interesse (art. 6 nr. 1 e)",
    "gdpr_6_1_a": "Samtykke (art. 6 nr. 1 a)",
    "gdpr_6_1_f": "Berettiget interesse (art. 6 nr. 1 f)",
}

DPA_STATUSES = {
    "signed": "Inngått",
    "in_progress": "Under arbeid",
    "missing": "Mangler",
    "not_required": "Ikke nødvendig",
}

DPIA_STATUSES = {
    "not_assessed": "Ikke vurdert",
    "not_required": "Ikke nødvendig",
    "required": "Nødvendig, ikke startet",
    "in_progress": "Under arbeid",
    "completed": "Gjennomført",
}

RISK_LEVELS = {"low": "Lav", "medium": "Middels", "high": "Høy"}

DATA_LOCATIONS = {
    "norway": "Norge",
    "eea": "EU/EØS",
    "outside_eea": "Utenfor EU/EØS",
    "unknown": "Ukjent",
}

TRANSFER_BASES = {
    "adequacy": "Beslutning om tilstrekkelig beskyttelsesnivå",
    "scc": "Standard personvernbestemmelser (SCC)",
    "none": "Mangler overføringsgrunnlag",
}

CONFORMANCE_LEVELS = {
    "wcag21_aa": "Oppfyller WCAG 2.1 AA",
    "partial": "Oppfyller delvis",
    "none": "Oppfyller ikke",
    "unknown": "Ukjent",
}

# Multi-valued resource fields stored in the facet table, keyed by their API field name.
FACET_FIELDS = {
    "levels": "level",
    "subjects": "subject",
    "kindergarten_areas": "area",
    "platforms": "platform",
    "logins": "login",
    "languages": "language",
    "units": "unit",
}


# Fields the service sets on what it sends (a resource, its vendor, a unit, a tip, …): marked readOnly in
# the OpenAPI document; a request that sends one back is refused naming it (catalogue.problems).
SERVER_OWNED = frozenset({"id", "version", "created_at", "updated_at", "archived_at", "demo_data"})
