"""Piccolo tables of the catalogue: taxonomy, units, vendors, resources and their records, users."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table


class Level(Table, tablename="level"):
    """Kindergarten or one trinn (1–10); ``band`` groups trinn into 1–4, 5–7 and 8–10."""

    code = Varchar(length=16, unique=True)
    name_nb = Varchar(length=64)
    band = Varchar(length=16)
    sort_order = Integer()


class Subject(Table, tablename="subject"):
    """A grunnskole subject keyed by a stable short code; the LK20 curriculum code is editable data."""

    code = Varchar(length=16, unique=True)
    name_nb = Varchar(length=128)
    curriculum_code = Varchar(length=32, null=True, default=None)
    previous_curriculum_code = Varchar(length=32, null=True, default=None)
    curriculum_valid_from = Date(null=True, default=None)
    curriculum_note = Text(default="")
    level_from = Integer(default=1)
    level_to = Integer(default=10)
    sort_order = Integer()


class KindergartenArea(Table, tablename="kindergarten_area"):
    """One of the seven fagområder of the kindergarten framework plan."""

    code = Varchar(length=16, unique=True)
    name_nb = Varchar(length=128)
    sort_order = Integer()


class Unit(Table, tablename="unit"):
    """A kindergarten, school or support service of the municipality."""

    code = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    kind = Varchar(length=16)
    levels = JSON(default="[]")
    address = Varchar(length=200, default="")
    active = Boolean(default=True)
    pupil_count = Integer(null=True, default=None)  # pupils or children, when known
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Vendor(Table, tablename="vendor"):
    """The supplier of a resource; Norwegian vendors carry their organisation number."""

    name = Varchar(length=200)
    name_key = Varchar(length=200, index=True)  # casefolded name: matching works alike on both engines
    organisation_number = Varchar(length=9, null=True, default=None, unique=True)
    country = Varchar(length=2, default="NO")
    created_at = Timestamptz()


class Resource(Table, tablename="resource"):
    """A digital learning resource (læremiddel). Multi-valued, filterable fields live in
    ResourceFacet; the privacy and accessibility records in their own tables."""

    name = Varchar(length=200, index=True)
    vendor = ForeignKey(references=Vendor, on_delete=OnDelete.restrict, null=True, default=None)
    description = Text(default="")
    url = Varchar(length=2048, index=True)
    kind = Varchar(length=32, index=True)
    status = Varchar(length=16, index=True)
    in_base_package = Boolean(default=False, index=True)
    competence_aims = JSON(default="[]")
    tags = JSON(default="[]")
    licence_model = Varchar(length=32, default="free")
    annual_cost_nok = Integer(null=True, default=None)
    licence_count = Integer(null=True, default=None)
    licence_expires = Date(null=True, default=None)
    restrictions = Text(null=True, default=None)
    guidance_url = Varchar(length=2048, null=True, default=None)
    next_revision_date = Date(null=True, default=None)
    version = Integer(default=1)
    is_demo = Boolean(default=False)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    created_by = Varchar(length=200, default="")
    updated_by = Varchar(length=200, default="")
    archived_at = Timestamptz(null=True, default=None)


class ResourceFacet(Table, tablename="resource_facet"):
    """One value of a multi-valued field of a resource (level, subject, area, platform, login,
    language, unit). Filters and facet counts read this table."""

    resource = ForeignKey(references=Resource, on_delete=OnDelete.cascade, index=True)
    facet = Varchar(length=16)
    value = Varchar(length=64)
    position = Integer(default=0)


class PrivacyRecord(Table, tablename="privacy_record"):
    """How a resource processes personal data: the basis of the Art. 30 record and the parent pages."""

    resource = ForeignKey(references=Resource, on_delete=OnDelete.cascade, unique=True)
    processes_personal_data = Boolean(null=True, default=None)
    data_subjects = JSON(default="[]")
    data_categories = JSON(default="[]")
    special_categories = Boolean(default=False)
    feide_attributes = JSON(default="[]")
    legal_basis = Varchar(length=32, null=True, default=None)
    processor = Varchar(length=200, null=True, default=None)
    sub_processors = JSON(default="[]")
    dpa_status = Varchar(length=16, default="missing")
    dpa_date = Date(null=True, default=None)
    dpa_reference = Varchar(length=100, null=True, default=None)
    dpa_expires = Date(null=True, default=None)
    dpia_status = Varchar(length=16, default="not_assessed")
    dpia_date = Date(null=True, default=None)
    dpia_risk_level = Varchar(length=8, null=True, default=None)
    dpia_approved_by = Varchar(length=200, null=True, default=None)
    data_location = Varchar(length=16, default="unknown")
    transfers_outside_eea = Boolean(default=False)
    transfer_basis = Varchar(length=16, null=True, default=None)
    transfer_countries = JSON(default="[]")
    retention = Text(null=True, default=None)
    security_measures = Text(null=True, default=None)
    dpo_advice = Text(null=True, default=None)


class ResourceRestriction(Table, tablename="resource_restriction"):
    """A restriction on use of a resource, from the decision that added it (with its reason) to the
    one that lifted or changed it. A change lifts the old text and adds the new (``replaces``)."""

    resource = ForeignKey(references=Resource, on_delete=OnDelete.cascade, index=True)
    text = Text()
    added_at = Timestamptz()
    added_by = Varchar(length=200, default="")
    added_reason = Text(default="")
    added_case = Integer(null=True, default=None)
    replaces = Integer(null=True, default=None)
    lifted_at = Timestamptz(null=True, default=None)
    lifted_by = Varchar(length=200, null=True, default=None)
    lift_reason = Text(null=True, default=None)
    lifted_case = Integer(null=True, default=None)
    replaced_by = Integer(null=True, default=None)


class AccessibilityRecord(Table, tablename="accessibility_record"):
    """The vendor's accessibility claim and the municipality's own assessment of it."""

    resource = ForeignKey(references=Resource, on_delete=OnDelete.cascade, unique=True)
    statement_url = Varchar(length=2048, null=True, default=None)
    claimed_conformance = Varchar(length=16, default="unknown")
    assessed_on = Date(null=True, default=None)
    findings = Text(null=True, default=None)


class AppUser(Table, tablename="app_user"):
    """A person known to the service, identified by (issuer, subject) from the identity provider."""

    issuer = Varchar(length=512)
    subject = Varchar(length=255)
    display_name = Varchar(length=200, default="")
    email = Varchar(length=320, null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz()
    last_seen_at = Timestamptz(null=True, default=None)
    # where ``email`` came from: "idp" (the login), "user" or "admin" (both verified by a link)
    email_source = Varchar(length=8, null=True, default=None)
    # an address waiting for its owner to follow the link sent to it
    email_pending = Varchar(length=320, null=True, default=None)
    email_token_hash = Varchar(length=64, null=True, default=None)
    email_token_expires = Timestamptz(null=True, default=None)
    notification_mode = Varchar(length=16, default="immediate")  # or "digest": one e-mail a day
    digest_sent_on = Date(null=True, default=None)


class ResourceFollower(Table, tablename="resource_follower"):
    """A person who wants to hear about a resource (above all: that it is being phased out)."""

    resource = ForeignKey(references=Resource, on_delete=OnDelete.cascade)
    user = ForeignKey(references=AppUser, on_delete=OnDelete.cascade)
    created_at = Timestamptz()


class UserRole(Table, tablename="user_role"):
    """A role a user holds in this service; roles never come from the identity provider."""

    user = ForeignKey(references=AppUser, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=32)
    granted_by = Varchar(length=200, default="")
    granted_at = Timestamptz()


class UserUnit(Table, tablename="user_unit"):
    """A unit a user belongs to (an ICT mentor serves one or more units)."""

    user = ForeignKey(references=AppUser, on_delete=OnDelete.cascade, index=True)
    unit = ForeignKey(references=Unit, on_delete=OnDelete.cascade)


class AppMeta(Table, tablename="app_meta"):
    """Small key/value facts about this database, such as whether demo data was loaded."""

    key = Varchar(length=64, unique=True)
    value = Text(default="")




class LoginRequest(Table, tablename="login_request"):
    """An OpenID Connect login under way: state, nonce and PKCE verifier until the callback.
    Kept in the database so the callback may reach any worker; used once."""

    state = Varchar(length=128, unique=True)
    nonce = Varchar(length=128)
    code_verifier = Varchar(length=128)
    browser_hash = Varchar(length=64)
    return_to = Varchar(length=500, default="/")
    created_at = Timestamptz()
    expires_at = Timestamptz()


class UserSession(Table, tablename="user_session"):
    """A signed-in browser. The session cookie's token names it (``sid``); logout revokes it."""

    session_id = Varchar(length=64, unique=True)
    user = ForeignKey(references=AppUser, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class RoleChange(Table, tablename="role_change"):
    """Who gave or took which role or unit affiliation, and when."""

    user = ForeignKey(references=AppUser, on_delete=OnDelete.cascade, index=True)
    action = Varchar(length=16)  # grant_role, revoke_role, add_unit, remove_unit
    role = Varchar(length=32, null=True, default=None)
    unit_code = Varchar(length=64, null=True, default=None)
    changed_by = Varchar(length=200)
    changed_at = Timestamptz()


class RateLimitBucket(Table, tablename="rate_limit_bucket"):
    """A fixed-window request counter shared by every worker."""

    bucket_key = Varchar(length=200, unique=True)
    window_start = Integer()
    hits = Integer()


TABLES = (
    Level,
    Subject,
    KindergartenArea,
    Unit,
    Vendor,
    Resource,
    ResourceFacet,
    PrivacyRecord,
    ResourceRestriction,
    AccessibilityRecord,
    AppUser,
    ResourceFollower,
    UserRole,
    UserUnit,
    AppMeta,
    LoginRequest,
    UserSession,
    RoleChange,
    RateLimitBucket,
)
