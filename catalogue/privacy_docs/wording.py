"""What parents read, in bokmål (nb) and nynorsk (nn): the words for the catalogue's codes and the
fixed texts of the parent pages, the letter and the public API. Both forms are written out in full
here (no word is translated at run time), so they can be read and reviewed side by side."""

from __future__ import annotations

LANGUAGES = ("nb", "nn")
LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk"}

LEVELS = {
    "nb": {"barnehage": "barnehage", **{str(n): f"{n}. trinn" for n in range(1, 11)},
           "1-4": "småtrinnet (1.–4. trinn)", "5-7": "mellomtrinnet (5.–7. trinn)",
           "8-10": "ungdomstrinnet (8.–10. trinn)"},
    "nn": {"barnehage": "barnehage", **{str(n): f"{n}. trinn" for n in range(1, 11)},
           "1-4": "småtrinnet (1.–4. trinn)", "5-7": "mellomtrinnet (5.–7. trinn)",
           "8-10": "ungdomstrinnet (8.–10. trinn)"},
}

DATA_SUBJECTS = {
    "nb": {"children": "barn i barnehagen", "pupils": "elever", "staff": "ansatte", "guardians": "foresatte"},
    "nn": {"children": "barn i barnehagen", "pupils": "elevar", "staff": "tilsette", "guardians": "føresette"},
}

DATA_CATEGORIES = {
    "nb": {
        "name": "navn", "feide_id": "Feide-identitet", "email": "e-postadresse", "class_group": "klasse eller gruppe",
        "school": "skole eller barnehage", "results": "resultater og besvarelser",
        "usage_logs": "logger over bruk og aktivitet", "voice_recordings": "lydopptak",
        "images_video": "bilder og video", "free_text": "tekst brukeren skriver selv", "location": "posisjon",
        "device_info": "opplysninger om enheten", "special_needs": "opplysninger om tilrettelegging",
    },
    "nn": {
        "name": "namn", "feide_id": "Feide-identitet", "email": "e-postadresse", "class_group": "klasse eller gruppe",
        "school": "skule eller barnehage", "results": "resultat og svar på oppgåver",
        "usage_logs": "loggar over bruk og aktivitet", "voice_recordings": "lydopptak",
        "images_video": "bilete og video", "free_text": "tekst brukaren skriv sjølv", "location": "posisjon",
        "device_info": "opplysningar om eininga", "special_needs": "opplysningar om tilrettelegging",
    },
}

FEIDE_ATTRIBUTES = {
    "nb": {"openid": "innlogging", "userid-feide": "Feide-navn", "profile": "navn og profilbilde",
           "email": "e-postadresse", "groups-edu": "klasser og faggrupper", "groups-org": "skole og organisasjon",
           "userinfo-name": "navn", "userinfo-language": "foretrukket språk"},
    "nn": {"openid": "innlogging", "userid-feide": "Feide-namn", "profile": "namn og profilbilete",
           "email": "e-postadresse", "groups-edu": "klassar og faggrupper", "groups-org": "skule og organisasjon",
           "userinfo-name": "namn", "userinfo-language": "føretrekt språk"},
}

LOCATIONS = {
    "nb": {"norway": "I Norge", "eea": "I EU/EØS", "outside_eea": "Utenfor EU/EØS", "unknown": "Ikke kjent"},
    "nn": {"norway": "I Noreg", "eea": "I EU/EØS", "outside_eea": "Utanfor EU/EØS", "unknown": "Ikkje kjent"},
}

TRANSFER_BASES = {
    "nb": {"adequacy": "EU har godkjent personvernet i landet", "scc": "EUs standard personvernbestemmelser",
           "none": "uten gyldig overføringsgrunnlag"},
    "nn": {"adequacy": "EU har godkjent personvernet i landet", "scc": "standardføresegnene til EU om personvern",
           "none": "utan gyldig overføringsgrunnlag"},
}

DPA = {
    "nb": {"signed": "Ja, kommunen har inngått databehandleravtale med leverandøren.",
           "in_progress": "Nei, avtalen er under arbeid.", "missing": "Nei.",
           "not_required": "Ikke nødvendig: leverandøren behandler ikke personopplysninger for kommunen."},
    "nn": {"signed": "Ja, kommunen har inngått databehandlaravtale med leverandøren.",
           "in_progress": "Nei, avtalen er under arbeid.", "missing": "Nei.",
           "not_required": "Ikkje nødvendig: leverandøren behandlar ikkje personopplysningar for kommunen."},
}
DPA_SHORT = {
    "nb": {"signed": "Ja", "in_progress": "Under arbeid", "missing": "Nei", "not_required": "Ikke nødvendig"},
    "nn": {"signed": "Ja", "in_progress": "Under arbeid", "missing": "Nei", "not_required": "Ikkje nødvendig"},
}

DPIA = {
    "nb": {"completed": "Ja, vurderingen er gjennomført.", "not_required": "Ikke nødvendig etter kommunens vurdering.",
           "not_assessed": "Ikke vurdert ennå.", "required": "Nødvendig, men ikke startet.",
           "in_progress": "Under arbeid."},
    "nn": {"completed": "Ja, vurderinga er gjennomført.", "not_required": "Ikkje nødvendig etter vurderinga til kommunen.",
           "not_assessed": "Ikkje vurdert enno.", "required": "Nødvendig, men ikkje starta.",
           "in_progress": "Under arbeid."},
}
DPIA_SHORT = {
    "nb": {"completed": "Ja", "not_required": "Ikke nødvendig", "not_assessed": "Ikke vurdert",
           "required": "Ikke gjennomført", "in_progress": "Under arbeid"},
    "nn": {"completed": "Ja", "not_required": "Ikkje nødvendig", "not_assessed": "Ikkje vurdert",
           "required": "Ikkje gjennomført", "in_progress": "Under arbeid"},
}
RISK = {"nb": {"low": "lav", "medium": "middels", "high": "høy"},
        "nn": {"low": "låg", "medium": "middels", "high": "høg"}}

CONFORMANCE = {
    "nb": {"wcag21_aa": "Leverandøren oppgir at læremidlet oppfyller kravene til universell utforming (WCAG 2.1 AA).",
           "partial": "Leverandøren oppgir at læremidlet oppfyller kravene til universell utforming delvis.",
           "none": "Læremidlet oppfyller ikke kravene til universell utforming.",
           "unknown": "Det er ikke kjent om læremidlet oppfyller kravene til universell utforming."},
    "nn": {"wcag21_aa": "Leverandøren oppgir at læremiddelet oppfyller krava til universell utforming (WCAG 2.1 AA).",
           "partial": "Leverandøren oppgir at læremiddelet oppfyller krava til universell utforming delvis.",
           "none": "Læremiddelet oppfyller ikkje krava til universell utforming.",
           "unknown": "Det er ikkje kjent om læremiddelet oppfyller krava til universell utforming."},
}

MONTHS = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
          "november", "desember")  # the same in both forms

TEXT = {
    "nb": {
        "title_choose": "Personvern i barnehage og skole",
        "lead_choose": "Velg barnehagen eller skolen og trinnet til barnet ditt. Da ser du hvilke digitale "
                       "læremidler barna bruker, hvilke personopplysninger læremidlene behandler og hvorfor, og "
                       "hvordan personvernet er ivaretatt.",
        "unit_label": "Barnehage eller skole",
        "unit_empty": "Velg barnehage eller skole",
        "level_label": "Trinn",
        "level_hint": "Velg et trinn, en gruppe av trinn, eller barnehage.",
        "level_empty": "Velg trinn",
        "kindergartens": "Barnehager",
        "schools": "Skoler",
        "bands": "Grupper av trinn",
        "single_levels": "Enkelttrinn",
        "show": "Vis læremidlene",
        "title_result": "Personvern og digitale læremidler: {unit}, {level}",
        "title_result_kindergarten": "Personvern og digitale læremidler: {unit}",
        "lead_result": "Her er de digitale læremidlene barna på {level} ved {unit} bruker, og hvordan kommunen "
                       "tar vare på personvernet i hvert av dem.",
        "lead_result_kindergarten": "Her er de digitale læremidlene barna i {unit} bruker, og hvordan kommunen "
                                    "tar vare på personvernet i hvert av dem.",
        "count_one": "1 læremiddel",
        "count_many": "{n} læremidler",
        "page_of": "side {page} av {pages}",
        "previous": "Forrige side",
        "next": "Neste side",
        "pages": "Sider",
        "none_found": "Det er ingen digitale læremidler registrert for dette trinnet ennå.",
        "what": "Hva det er",
        "data": "Personopplysninger",
        "why": "Hvorfor opplysningene trengs",
        "stored": "Hvor opplysningene lagres",
        "dpa": "Databehandleravtale",
        "dpia": "Vurdering av personvernkonsekvenser (DPIA)",
        "retention": "Hvor lenge opplysningene lagres",
        "restrictions": "Begrensninger for bruk",
        "accessibility": "Universell utforming",
        "statement": "Les tilgjengelighetserklæringen",
        "no_statement": "Leverandøren har ikke publisert en tilgjengelighetserklæring.",
        "base_package": "Felles for alle barnehager og skoler i kommunen",
        "unit_choice": "Valgt av {unit}",
        "vendor": "Leverandør",
        "guidance": "Veiledning for bruk",
        "not_stated": "Ikke oppgitt.",
        "data_none": "Læremidlet behandler ikke personopplysninger.",
        "data_unknown": "Kommunen har ikke vurdert ennå om læremidlet behandler personopplysninger.",
        "data_yes": "Ja, om {who}: {what}.",
        "data_yes_unspecified": "Ja, om {who}.",
        "users": "brukerne",
        "special": "Læremidlet behandler også særlige kategorier av personopplysninger, for eksempel om helse.",
        "why_login": "Innlogging med Feide gir læremidlet: {items}.",
        "transfer_none": "Opplysningene overføres ikke ut av EU/EØS.",
        "transfer_out": "Opplysninger overføres ut av EU/EØS{countries}. Grunnlag: {basis}.",
        "risk": "Risikoen er vurdert som {risk}.",
        "contact_title": "Spørsmål?",
        "contact_text": "Kontakt {unit} hvis du lurer på noe om læremidlene barnet ditt bruker. Du kan også "
                        "kontakte kommunens personvernombud.",
        "dpo": "Personvernombud",
        "controller": "Behandlingsansvarlig",
        "rights_title": "Dine rettigheter",
        "rights_text": "Du har rett til å få vite hvilke opplysninger som er registrert om barnet ditt, og til å be "
                       "om at feil blir rettet. Du kan be om at opplysninger blir slettet eller at behandlingen blir "
                       "begrenset, når vilkårene i personvernforordningen er oppfylt. Mener du at kommunen behandler "
                       "personopplysninger i strid med regelverket, kan du klage til Datatilsynet.",
        "letter_links": "Informasjonsskriv til foreldre",
        "letter_print": "Informasjonsskriv for utskrift",
        "letter_pdf": "Informasjonsskriv som PDF",
        "language_nav": "Målform",
        "change": "Velg en annen barnehage, skole eller et annet trinn",
        "unknown_unit": "Vi fant ikke barnehagen eller skolen. Velg fra listen.",
        "unknown_level": "Velg et trinn fra listen.",
        "unknown_language": "Velg bokmål eller nynorsk.",
        "level_not_at_unit": "{unit} har ikke {level}. Velg et av trinnene {unit} har:",
        "choose_level_for": "Velg trinn for {unit}:",
        "error_title": "Valget må rettes",
        "letter_title": "Digitale læremidler og personvern",
        "letter_to": "Til foreldre og foresatte til barn på {level} ved {unit}",
        "letter_to_kindergarten": "Til foreldre og foresatte til barn i {unit}",
        "letter_intro_skole": "Skolen bruker digitale læremidler i undervisningen.",
        "letter_intro_barnehage": "Barnehagen bruker digitale læremidler i det pedagogiske arbeidet.",
        "letter_intro": "Når barna bruker dem, behandles ofte personopplysninger om dem, for eksempel navn, klasse "
                        "og hva de har svart på oppgaver. Kommunen er behandlingsansvarlig og skal sørge for at "
                        "barnas personvern er godt ivaretatt.",
        "letter_review": "Før et læremiddel tas i bruk, vurderer kommunen personvernet: hvilke opplysninger som "
                         "behandles og hvorfor, hvor de lagres, om det er inngått databehandleravtale med "
                         "leverandøren, og om det trengs en vurdering av personvernkonsekvenser (DPIA). Vurderingen "
                         "gjentas minst én gang i året.",
        "letter_table": "Læremidler og hvordan de behandler personopplysninger",
        "col_resource": "Læremiddel",
        "col_data": "Personopplysninger",
        "col_stored": "Lagres",
        "col_dpa": "Databehandleravtale",
        "col_dpia": "DPIA",
        "short_no": "Nei",
        "short_unknown": "Ikke vurdert",
        "outside_note": " (overføres ut av EU/EØS)",
        "letter_restrictions": "Begrensninger for bruk",
        "letter_more": "Mer om hvert læremiddel finner du på {url}.",
        "regards": "Med vennlig hilsen",
        "print_hint": "Skriv ut siden fra nettleseren, eller last ned informasjonsskrivet som PDF.",
        "back": "Tilbake til oversikten",
        "page": "Side",
        "of": "av",
    },
    "nn": {
        "title_choose": "Personvern i barnehage og skule",
        "lead_choose": "Vel barnehagen eller skulen og trinnet til barnet ditt. Då ser du kva digitale læremiddel "
                       "barna bruker, kva personopplysningar læremidla behandlar og kvifor, og korleis personvernet "
                       "er teke vare på.",
        "unit_label": "Barnehage eller skule",
        "unit_empty": "Vel barnehage eller skule",
        "level_label": "Trinn",
        "level_hint": "Vel eit trinn, ei gruppe av trinn, eller barnehage.",
        "level_empty": "Vel trinn",
        "kindergartens": "Barnehagar",
        "schools": "Skular",
        "bands": "Grupper av trinn",
        "single_levels": "Einskilde trinn",
        "show": "Vis læremidla",
        "title_result": "Personvern og digitale læremiddel: {unit}, {level}",
        "title_result_kindergarten": "Personvern og digitale læremiddel: {unit}",
        "lead_result": "Her er dei digitale læremidla barna på {level} ved {unit} bruker, og korleis kommunen tek "
                       "vare på personvernet i kvart av dei.",
        "lead_result_kindergarten": "Her er dei digitale læremidla barna i {unit} bruker, og korleis kommunen tek "
                                    "vare på personvernet i kvart av dei.",
        "count_one": "1 læremiddel",
        "count_many": "{n} læremiddel",
        "page_of": "side {page} av {pages}",
        "previous": "Førre side",
        "next": "Neste side",
        "pages": "Sider",
        "none_found": "Det er ingen digitale læremiddel registrerte for dette trinnet enno.",
        "what": "Kva det er",
        "data": "Personopplysningar",
        "why": "Kvifor opplysningane trengst",
        "stored": "Kvar opplysningane blir lagra",
        "dpa": "Databehandlaravtale",
        "dpia": "Vurdering av personvernkonsekvensar (DPIA)",
        "retention": "Kor lenge opplysningane blir lagra",
        "restrictions": "Avgrensingar for bruk",
        "accessibility": "Universell utforming",
        "statement": "Les tilgjengeerklæringa",
        "no_statement": "Leverandøren har ikkje publisert ei tilgjengeerklæring.",
        "base_package": "Felles for alle barnehagar og skular i kommunen",
        "unit_choice": "Valt av {unit}",
        "vendor": "Leverandør",
        "guidance": "Rettleiing for bruk",
        "not_stated": "Ikkje oppgitt.",
        "data_none": "Læremiddelet behandlar ikkje personopplysningar.",
        "data_unknown": "Kommunen har ikkje vurdert enno om læremiddelet behandlar personopplysningar.",
        "data_yes": "Ja, om {who}: {what}.",
        "data_yes_unspecified": "Ja, om {who}.",
        "users": "brukarane",
        "special": "Læremiddelet behandlar òg særlege kategoriar av personopplysningar, til dømes om helse.",
        "why_login": "Innlogging med Feide gir læremiddelet: {items}.",
        "transfer_none": "Opplysningane blir ikkje overførte ut av EU/EØS.",
        "transfer_out": "Opplysningar blir overførte ut av EU/EØS{countries}. Grunnlag: {basis}.",
        "risk": "Risikoen er vurdert som {risk}.",
        "contact_title": "Spørsmål?",
        "contact_text": "Kontakt {unit} om du lurer på noko om læremidla barnet ditt bruker. Du kan òg kontakte "
                        "personvernombodet i kommunen.",
        "dpo": "Personvernombod",
        "controller": "Behandlingsansvarleg",
        "rights_title": "Rettane dine",
        "rights_text": "Du har rett til å få vite kva opplysningar som er registrerte om barnet ditt, og til å be om "
                       "at feil blir retta. Du kan be om at opplysningar blir sletta eller at behandlinga blir "
                       "avgrensa, når vilkåra i personvernforordninga er oppfylte. Meiner du at kommunen behandlar "
                       "personopplysningar i strid med regelverket, kan du klage til Datatilsynet.",
        "letter_links": "Informasjonsskriv til foreldre",
        "letter_print": "Informasjonsskriv for utskrift",
        "letter_pdf": "Informasjonsskriv som PDF",
        "language_nav": "Målform",
        "change": "Vel ein annan barnehage, skule eller eit anna trinn",
        "unknown_unit": "Vi fann ikkje barnehagen eller skulen. Vel frå lista.",
        "unknown_level": "Vel eit trinn frå lista.",
        "unknown_language": "Vel bokmål eller nynorsk.",
        "level_not_at_unit": "{unit} har ikkje {level}. Vel eit av trinna {unit} har:",
        "choose_level_for": "Vel trinn for {unit}:",
        "error_title": "Valet må rettast",
        "letter_title": "Digitale læremiddel og personvern",
        "letter_to": "Til foreldre og føresette til barn på {level} ved {unit}",
        "letter_to_kindergarten": "Til foreldre og føresette til barn i {unit}",
        "letter_intro_skole": "Skulen bruker digitale læremiddel i undervisninga.",
        "letter_intro_barnehage": "Barnehagen bruker digitale læremiddel i det pedagogiske arbeidet.",
        "letter_intro": "Når barna bruker dei, blir det ofte behandla personopplysningar om dei, til dømes namn, "
                        "klasse og kva dei har svart på oppgåver. Kommunen er behandlingsansvarleg og skal sørgje for "
                        "at personvernet til barna er godt teke vare på.",
        "letter_review": "Før eit læremiddel blir teke i bruk, vurderer kommunen personvernet: kva opplysningar som "
                         "blir behandla og kvifor, kvar dei blir lagra, om det er inngått databehandlaravtale med "
                         "leverandøren, og om det trengst ei vurdering av personvernkonsekvensar (DPIA). Vurderinga "
                         "blir gjenteken minst éin gong i året.",
        "letter_table": "Læremiddel og korleis dei behandlar personopplysningar",
        "col_resource": "Læremiddel",
        "col_data": "Personopplysningar",
        "col_stored": "Blir lagra",
        "col_dpa": "Databehandlaravtale",
        "col_dpia": "DPIA",
        "short_no": "Nei",
        "short_unknown": "Ikkje vurdert",
        "outside_note": " (blir overført ut av EU/EØS)",
        "letter_restrictions": "Avgrensingar for bruk",
        "letter_more": "Meir om kvart læremiddel finn du på {url}.",
        "regards": "Med venleg helsing",
        "print_hint": "Skriv ut sida frå nettlesaren, eller last ned informasjonsskrivet som PDF.",
        "back": "Tilbake til oversikta",
        "page": "Side",
        "of": "av",
    },
}


def long_date(day, lang: str) -> str:
    """'2. desember 2026': the same in bokmål and nynorsk."""
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"
