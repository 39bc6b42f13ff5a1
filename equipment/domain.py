"""The equipment package's vocabularies and who may do what, with the Norwegian labels pages show."""

from __future__ import annotations

from catalogue.domain import CATALOGUE_INSIDERS, Role

CATEGORIES = {
    "pupil_device": "Elevenhet",
    "staff_device": "Enhet for ansatte",
    "display": "Visning og presentasjon",
    "programming": "Programmering og teknologi",
    "exploration": "Utforsking og skaping",
    "audio": "Lyd",
    "other": "Annet",
}

# What a line of the standard counts per: the unit itself, or one of the unit's counts.
BASES = {
    "per_unit": "per enhet",
    "per_department": "per avdeling",
    "per_children": "per barn",
    "per_pupil": "per elev",
    "per_classroom": "per klasserom",
}
# The count on the unit profile each basis reads (per_unit reads none: it is 1).
BASIS_COUNT = {"per_department": "departments", "per_children": "children", "per_pupil": "pupils",
               "per_classroom": "classrooms"}
# Kindergartens count per department or per N children; schools per pupil or per class room.
BASES_BY_UNIT_TYPE = {
    "barnehage": ("per_unit", "per_department", "per_children"),
    "skole": ("per_unit", "per_pupil", "per_classroom"),
    "tjeneste": ("per_unit", "per_department"),
}
UNIT_TYPES = {"barnehage": "Barnehager", "skole": "Skoler", "tjeneste": "Støttetjenester"}

FUNDING = {
    "investment": "Programmets investeringsmidler",
    "unit_budget": "Enhetens eget budsjett",
}

# The municipality's views: the sector office, the technology department and the system owner.
PLANNERS = frozenset({Role.SECTOR_REVIEWER.value, Role.TECH_APPROVER.value, Role.ADMIN.value})
# Everyone with an equipment view: the planners, and the ICT mentors for their own units.
EQUIPMENT_USERS = PLANNERS | {Role.ICT_MENTOR.value}
# Who registers holdings: the unit's ICT mentor, or the technology department (and admins).
HOLDING_EDITORS = frozenset({Role.ICT_MENTOR.value, Role.TECH_APPROVER.value, Role.ADMIN.value})
# The counts (children, pupils, departments, class rooms) may also be kept by the sector office.
COUNT_EDITORS = HOLDING_EDITORS | {Role.SECTOR_REVIEWER.value}
KIND_EDITORS = frozenset({Role.TECH_APPROVER.value, Role.ADMIN.value})
STANDARD_PROPOSERS = frozenset({Role.SECTOR_REVIEWER.value, Role.ADMIN.value})
# Standard changes are read by everyone with an equipment view and by the catalogue's insiders.
CHANGE_READERS = EQUIPMENT_USERS | CATALOGUE_INSIDERS
