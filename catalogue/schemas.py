"""Request and response bodies of the API, as msgspec Structs.

Request Structs forbid unknown fields, so a misspelt field is an error rather than silently lost."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal, Optional, Union

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from catalogue import domain

# Control characters and every character Python's \s matches, written out: the patterns are also the
# OpenAPI document's, and ECMAScript's \s (which clients and fuzzers read them with) is another set.
BLANK = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# http(s) only: a javascript: or data: URL never reaches a page.
HTTP_URL_PATTERN = (r"^https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:[/?#][^"
                    + BLANK + r"<>\"']*)?$")

HttpUrl = Annotated[str, Meta(max_length=2048, pattern=HTTP_URL_PATTERN, description="An http or https URL")]
# one line of text: no control characters (a name ends up in e-mail headers and page titles)
Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
ShortText = Annotated[str, Meta(max_length=2000)]
LongText = Annotated[str, Meta(max_length=20000)]
Code = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
UnitCode = Annotated[str, Meta(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")]
NonNegativeInt = Annotated[int, Meta(ge=0, le=1_000_000_000)]
PupilCount = Annotated[int, Meta(ge=0, le=100_000, description="pupils or children at the unit")]
CountryCode = Annotated[str, Meta(pattern=r"^[A-Z]{2}$")]
OrganisationNumber = Annotated[str, Meta(pattern=r"^[0-9]{9}$", description="Norwegian organisation number, 9 digits")]
CompetenceAim = Annotated[str, Meta(pattern=r"^[A-Z]{2,4}[0-9]{1,6}$", max_length=16)]
Tag = Annotated[str, Meta(min_length=1, max_length=40)]

ResourceKind = Literal[tuple(domain.RESOURCE_KINDS)]  # type: ignore[valid-type]
ResourceStatus = Literal[tuple(domain.RESOURCE_STATUSES)]  # type: ignore[valid-type]
Platform = Literal[tuple(domain.PLATFORMS)]  # type: ignore[valid-type]
Login = Literal[tuple(domain.LOGINS)]  # type: ignore[valid-type]
Language = Literal[tuple(domain.LANGUAGES)]  # type: ignore[valid-type]
LicenceModel = Literal[tuple(domain.LICENCE_MODELS)]  # type: ignore[valid-type]
UnitKind = Literal[tuple(domain.UNIT_KINDS)]  # type: ignore[valid-type]
DataSubject = Literal[tuple(domain.DATA_SUBJECTS)]  # type: ignore[valid-type]
DataCategory = Literal[tuple(domain.DATA_CATEGORIES)]  # type: ignore[valid-type]
FeideAttribute = Literal[tuple(domain.FEIDE_ATTRIBUTES)]  # type: ignore[valid-type]
LegalBasis = Literal[tuple(domain.LEGAL_BASES)]  # type: ignore[valid-type]
DpaStatus = Literal[tuple(domain.DPA_STATUSES)]  # type: ignore[valid-type]
DpiaStatus = Literal[tuple(domain.DPIA_STATUSES)]  # type: ignore[valid-type]
RiskLevel = Literal[tuple(domain.RISK_LEVELS)]  # type: ignore[valid-type]
DataLocation = Literal[tuple(domain.DATA_LOCATIONS)]  # type: ignore[valid-type]
TransferBasis = Literal[tuple(domain.TRANSFER_BASES)]  # type: ignore[valid-type]
Conformance = Literal[tuple(domain.CONFORMANCE_LEVELS)]  # type: ignore[valid-type]

Strict = dict(forbid_unknown_fields=True, kw_only=True)


# --- shared parts -------------------------------------------------------------------------


class VendorRef(Struct, **Strict):
    """The vendor of a resource: matched by organisation number, else by name, else created."""

    name: Name
    organisation_number: Optional[OrganisationNumber] = None
    country: CountryCode = "NO"


class FeideAttributeUse(Struct, **Strict):
    attribute: FeideAttribute
    reason: Annotated[str, Meta(min_length=1, max_length=500)]


class SubProcessor(Struct, **Strict):
    name: Name
    country: CountryCode
    purpose: Annotated[str, Meta(max_length=500)] = ""


class PrivacyRecordBody(Struct, **Strict):
    """The privacy record of a resource (fields feed the Art. 30 record and the parent pages)."""

    processes_personal_data: Optional[bool] = None
    data_subjects: list[DataSubject] = []
    data_categories: list[DataCategory] = []
    special_categories: bool = False
    feide_attributes: list[FeideAttributeUse] = []
    legal_basis: Optional[LegalBasis] = None
    processor: Optional[Name] = None
    sub_processors: list[SubProcessor] = []
    dpa_status: DpaStatus = "missing"
    dpa_date: Optional[datetime.date] = None
    dpa_reference: Optional[Annotated[str, Meta(min_length=1, max_length=100)]] = None
    dpa_expires: Optional[datetime.date] = None
    dpia_status: DpiaStatus = "not_assessed"
    dpia_date: Optional[datetime.date] = None
    dpia_risk_level: Optional[RiskLevel] = None
    dpia_approved_by: Optional[Name] = None
    data_location: DataLocation = "unknown"
    transfers_outside_eea: bool = False
    transfer_basis: Optional[TransferBasis] = None
    transfer_countries: list[CountryCode] = []
    retention: Optional[ShortText] = None
    security_measures: Optional[ShortText] = None
    dpo_advice: Optional[ShortText] = None


class AccessibilityRecordBody(Struct, **Strict):
    statement_url: Optional[HttpUrl] = None
    claimed_conformance: Conformance = "unknown"
    assessed_on: Optional[datetime.date] = None
    findings: Optional[ShortText] = None


# --- resources ----------------------------------------------------------------------------


class ResourceCreate(Struct, **Strict):
    """A new resource, entered directly by the sector office or an admin."""

    name: Name
    vendor: VendorRef
    url: HttpUrl
    kind: ResourceKind
    description: LongText = ""
    status: Literal["draft", "published"] = "draft"
    in_base_package: bool = False
    levels: list[Code] = []
    subjects: list[Code] = []
    kindergarten_areas: list[Code] = []
    competence_aims: list[CompetenceAim] = []
    tags: list[Tag] = []
    platforms: list[Platform] = []
    logins: list[Login] = []
    languages: list[Language] = []
    units: list[UnitCode] = []
    licence_model: LicenceModel = "free"
    annual_cost_nok: Optional[NonNegativeInt] = None
    licence_count: Optional[NonNegativeInt] = None
    licence_expires: Optional[datetime.date] = None
    restrictions: Optional[ShortText] = None
    guidance_url: Optional[HttpUrl] = None
    next_revision_date: Optional[datetime.date] = None
    privacy: Optional[PrivacyRecordBody] = None
    accessibility: Optional[AccessibilityRecordBody] = None


class ResourcePatch(Struct, **Strict):
    """A partial update: only the fields present are changed; nested records are replaced whole."""

    name: Union[Name, UnsetType] = UNSET
    vendor: Union[VendorRef, UnsetType] = UNSET
    url: Union[HttpUrl, UnsetType] = UNSET
    kind: Union[ResourceKind, UnsetType] = UNSET
    description: Union[LongText, UnsetType] = UNSET
    status: Union[Literal["draft", "published", "in_review", "phasing_out", "phased_out"], UnsetType] = UNSET
    in_base_package: Union[bool, UnsetType] = UNSET
    levels: Union[list[Code], UnsetType] = UNSET
    subjects: Union[list[Code], UnsetType] = UNSET
    kindergarten_areas: Union[list[Code], UnsetType] = UNSET
    competence_aims: Union[list[CompetenceAim], UnsetType] = UNSET
    tags: Union[list[Tag], UnsetType] = UNSET
    platforms: Union[list[Platform], UnsetType] = UNSET
    logins: Union[list[Login], UnsetType] = UNSET
    languages: Union[list[Language], UnsetType] = UNSET
    units: Union[list[UnitCode], UnsetType] = UNSET
    licence_model: Union[LicenceModel, UnsetType] = UNSET
    annual_cost_nok: Union[Optional[NonNegativeInt], UnsetType] = UNSET
    licence_count: Union[Optional[NonNegativeInt], UnsetType] = UNSET
    licence_expires: Union[Optional[datetime.date], UnsetType] = UNSET
    restrictions: Union[Optional[ShortText], UnsetType] = UNSET
    guidance_url: Union[Optional[HttpUrl], UnsetType] = UNSET
    next_revision_date: Union[Optional[datetime.date], UnsetType] = UNSET
    privacy: Union[PrivacyRecordBody, UnsetType] = UNSET
    accessibility: Union[AccessibilityRecordBody, UnsetType] = UNSET


class VendorOut(Struct, kw_only=True):
    id: int
    name: str
    organisation_number: Optional[str]
    country: str


class ResourceOut(Struct, kw_only=True):
    id: int
    name: str
    vendor: Optional[VendorOut]
    url: str
    kind: str
    description: str
    status: str
    in_base_package: bool
    levels: list[str]
    subjects: list[str]
    kindergarten_areas: list[str]
    competence_aims: list[str]
    tags: list[str]
    platforms: list[str]
    logins: list[str]
    languages: list[str]
    units: list[str]
    licence_model: str
    annual_cost_nok: Optional[int]
    licence_count: Optional[int]
    licence_expires: Optional[datetime.date]
    restrictions: Optional[str]
    guidance_url: Optional[str]
    next_revision_date: Optional[datetime.date]
    privacy: PrivacyRecordBody
    accessibility: AccessibilityRecordBody
    version: int
    demo_data: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime
    archived_at: Optional[datetime.datetime] = None


Reason = Annotated[str, Meta(max_length=5000)]
RestrictionText = Annotated[str, Meta(max_length=2000)]


class RestrictionOut(Struct, kw_only=True):
    """One restriction on use, from the decision that added it to the one that lifted or changed it."""

    id: int
    text: str
    status: Literal["active", "lifted", "changed"]
    added_at: datetime.datetime
    added_by: str
    added_reason: str
    added_case_id: Optional[int] = None
    replaces: Optional[int] = None
    lifted_at: Optional[datetime.datetime] = None
    lifted_by: Optional[str] = None
    lift_reason: Optional[str] = None
    lifted_case_id: Optional[int] = None
    replaced_by: Optional[int] = None


class RestrictionCreate(Struct, **Strict):
    text: RestrictionText
    reason: Reason


class RestrictionChange(Struct, **Strict):
    """A new wording for a restriction in force (the old one is kept in the history)."""

    text: RestrictionText
    reason: Reason


class RestrictionLift(Struct, **Strict):
    reason: Reason


class Following(Struct, kw_only=True):
    following: bool


class ResourceSummary(Struct, kw_only=True):
    """One row of a resource list: what it is, for whom, and whether it is in the base package."""

    id: int
    name: str
    vendor: Optional[str]
    kind: str
    status: str
    in_base_package: bool
    levels: list[str]
    subjects: list[str]
    kindergarten_areas: list[str]
    platforms: list[str]
    logins: list[str]
    restrictions: Optional[str]
    url: str
    demo_data: bool
    version: int


class ResourcePage(Struct, kw_only=True):
    items: list[ResourceSummary]
    total: int
    limit: int
    offset: int


# --- taxonomy and units ---------------------------------------------------------------------


class LevelOut(Struct, kw_only=True):
    code: str
    name_nb: str
    band: str


class SubjectOut(Struct, kw_only=True):
    code: str
    name_nb: str
    curriculum_code: Optional[str]
    previous_curriculum_code: Optional[str]
    curriculum_valid_from: Optional[datetime.date]
    curriculum_note: str
    level_from: int
    level_to: int


class SubjectPatch(Struct, **Strict):
    """Curriculum codes are revised by Udir; the stable short code never changes."""

    name_nb: Union[Name, UnsetType] = UNSET
    curriculum_code: Union[Optional[Annotated[str, Meta(pattern=r"^[A-Z]{2,4}[0-9]{2}-[0-9]{2}$")]], UnsetType] = UNSET
    previous_curriculum_code: Union[Optional[Annotated[str, Meta(pattern=r"^[A-Z]{2,4}[0-9]{2}-[0-9]{2}$")]], UnsetType] = UNSET
    curriculum_valid_from: Union[Optional[datetime.date], UnsetType] = UNSET
    curriculum_note: Union[ShortText, UnsetType] = UNSET


class KindergartenAreaOut(Struct, kw_only=True):
    code: str
    name_nb: str


class UnitCreate(Struct, **Strict):
    code: UnitCode
    name: Name
    kind: UnitKind
    levels: list[Code] = []
    address: Annotated[str, Meta(max_length=200)] = ""
    pupil_count: Optional[PupilCount] = None


class UnitPatch(Struct, **Strict):
    name: Union[Name, UnsetType] = UNSET
    kind: Union[UnitKind, UnsetType] = UNSET
    levels: Union[list[Code], UnsetType] = UNSET
    address: Union[Annotated[str, Meta(max_length=200)], UnsetType] = UNSET
    active: Union[bool, UnsetType] = UNSET
    pupil_count: Union[Optional[PupilCount], UnsetType] = UNSET


class UnitOut(Struct, kw_only=True):
    code: str
    name: str
    kind: str
    levels: list[str]
    address: str
    active: bool
    version: int
    pupil_count: Optional[int] = None


class Health(Struct, kw_only=True):
    status: str
    database: Optional[str] = None
    migrations: Optional[str] = None  # "ok", or how many of this version's migrations are not applied
    search: Optional[str] = None  # "ok", or "warming" while the worker reads the search's bitmaps and words


def to_builtins(value) -> object:
    return msgspec.to_builtins(value)


# --- users --------------------------------------------------------------------------------

RoleCode = Literal[tuple(domain.ALL_ROLES)]  # type: ignore[valid-type]


class UserOut(Struct, kw_only=True):
    id: int
    display_name: str
    email: Optional[str]
    email_pending: Optional[str]
    notification_mode: str
    issuer: str
    subject: str
    active: bool
    roles: list[str]
    units: list[str]
    created_at: datetime.datetime
    last_seen_at: Optional[datetime.datetime] = None


class UserPage(Struct, kw_only=True):
    items: list[UserOut]
    total: int
    limit: int
    offset: int


class RoleGrant(Struct, **Strict):
    role: RoleCode


class UnitAffiliation(Struct, **Strict):
    unit: UnitCode


_EMAIL_PART = r"[^@<>,;\"" + BLANK + "]+"
Email = Annotated[str, Meta(max_length=320, pattern=rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}$",
                              description="An e-mail address")]
NotificationMode = Literal["immediate", "digest", "weekly"]


class UserPatch(Struct, **Strict):
    """An admin's change to a user: lock out or let in again; set the e-mail address (a link is
    sent to it, and it is used once its owner follows the link; null removes it)."""

    active: Union[bool, UnsetType] = UNSET
    email: Union[Optional[Email], UnsetType] = UNSET


class MePatch(Struct, **Strict):
    """The signed-in user's own settings. A new e-mail address is used once the link sent to it is followed."""

    email: Union[Optional[Email], UnsetType] = UNSET
    notification_mode: Union[NotificationMode, UnsetType] = UNSET


class EmailVerification(Struct, **Strict):
    token: Annotated[str, Meta(min_length=20, max_length=200)]


class RoleChangeOut(Struct, kw_only=True):
    action: str
    role: Optional[str]
    unit_code: Optional[str]
    changed_by: str
    changed_at: datetime.datetime


class Me(Struct, kw_only=True):
    id: int
    display_name: str
    roles: list[str]
    units: list[str]
    email: Optional[str] = None
    email_pending: Optional[str] = None
    notification_mode: str = "immediate"
