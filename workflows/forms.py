"""The structured data each review step captures, and the rules a step's approval must meet."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Annotated, Literal, Optional, Union

import msgspec
from msgspec import Meta, Struct

from catalogue.problems import FieldErrors
from catalogue.schemas import NonNegativeInt, PrivacyRecordBody, Strict, UnitCode

Text = Annotated[str, Meta(max_length=5000)]
ResourceId = Annotated[int, Meta(ge=1)]


class QualityCriteria(Struct, **Strict):
    """Udir's quality criteria for digital learning resources, answered yes/no (None: not yet)."""

    bokmal_nynorsk: Optional[bool] = None
    universal_design: Optional[bool] = None
    privacy: Optional[bool] = None
    feide_login: Optional[bool] = None
    value_beyond_print: Optional[bool] = None


CRITERIA_LABELS = {
    "bokmal_nynorsk": "Finnes på både bokmål og nynorsk",
    "universal_design": "Universelt utformet",
    "privacy": "Ivaretar personvernet",
    "feide_login": "Innlogging med Feide",
    "value_beyond_print": "Gir merverdi utover en trykt bok",
}


class PedagogicalReview(Struct, **Strict):
    curriculum_fit: Text = ""
    criteria: QualityCriteria = msgspec.field(default_factory=QualityCriteria)
    criteria_notes: Text = ""
    overlap: Text = ""
    overlapping_resource_ids: list[ResourceId] = []


class DpiaScreening(Struct, **Strict):
    """Screening for a DPIA. Processing children's data with new technology requires one."""

    children_data: Optional[bool] = None
    new_technology: Optional[bool] = None
    systematic_monitoring: bool = False
    large_scale: bool = False

    @property
    def dpia_required(self) -> bool:
        return bool(self.children_data and self.new_technology) or (
            bool(self.children_data) and (self.systematic_monitoring or self.large_scale))


PriorConsultation = Literal["consulted", "pending", "not_required"]
PRIOR_CONSULTATION_LABELS = {
    "consulted": "Datatilsynet er rådspurt, og svaret er fulgt",
    "pending": "Datatilsynet er rådspurt, svaret er ikke kommet",
    "not_required": "Forhåndsdrøfting trengs ikke",
}


class PrivacyReview(Struct, **Strict):
    record: PrivacyRecordBody = msgspec.field(default_factory=PrivacyRecordBody)
    screening: DpiaScreening = msgspec.field(default_factory=DpiaScreening)
    notes: Text = ""
    # a high residual risk after the DPIA: prior consultation with Datatilsynet (GDPR Art. 36)
    prior_consultation: Optional[PriorConsultation] = None
    prior_consultation_reason: Text = ""
    # why an expired DPA or a missing DPA/DPIA document is accepted (only where the routine allows)
    document_exception_reason: Text = ""


@dataclass(frozen=True)
class ApprovalContext:
    """What an approval is judged against besides the form: the date, the documents attached to
    the resource's cases (by kind), whether the DPO gave formal advice in this case, and whether
    the municipality's routine lets a reviewer accept a document gap with a reason."""

    today: datetime.date
    documents: frozenset[str] = frozenset()
    dpo_advice_given: bool = False
    exceptions_allowed: bool = False


class ProcurementReview(Struct, **Strict):
    annual_cost_nok: Optional[NonNegativeInt] = None
    licence_count: Optional[NonNegativeInt] = None
    licence_from: Optional[datetime.date] = None
    licence_to: Optional[datetime.date] = None
    budget_owner: Optional[Annotated[str, Meta(min_length=1, max_length=200)]] = None
    device_management: Literal["not_needed", "planned", "done", "unknown"] = "unknown"
    feide_activation: Literal["not_needed", "planned", "done", "unknown"] = "unknown"
    technical_fit: Text = ""
    target: Literal["base_package", "units"] = "base_package"
    units: list[UnitCode] = []


FORMS: dict[str, type[Struct]] = {
    "pedagogical": PedagogicalReview,
    "privacy": PrivacyReview,
    "procurement": ProcurementReview,
}

AnyForm = Union[PedagogicalReview, PrivacyReview, ProcurementReview]


def decode_form(form: str, data: dict) -> Struct:
    """A step's form from JSON-like data; msgspec errors name the field (prefixed ``form.``)."""
    from catalogue.problems import Problem

    try:
        return msgspec.convert(data, FORMS[form])
    except msgspec.ValidationError as exc:
        message = str(exc)
        field = "form"
        if " - at `$." in message:
            message, path = message.split(" - at `$.", 1)
            field = "form." + path.rstrip("`")
        raise Problem(422, f"{field}: {message}", errors=[{"field": field, "message": message}]) from None


def _check_privacy_documents(form: PrivacyReview, context: ApprovalContext, errors: FieldErrors) -> list[str]:
    """An expired DPA, and a DPA or DPIA the record names without its document on any of the
    resource's cases. Accepted with a recorded reason where the routine allows exceptions;
    returns what was accepted so (for the audit)."""
    record = form.record
    gaps: list[tuple[str, str]] = []
    if record.dpa_expires and record.dpa_expires < context.today:
        gaps.append(("form.record.dpa_expires",
                     f"the data processing agreement expired on {record.dpa_expires.isoformat()}; renew it first"))
    if (record.dpa_status == "signed" or record.dpa_reference) and "dpa" not in context.documents:
        gaps.append(("form.record.dpa_reference",
                     "attach the data processing agreement to the case (document kind dpa)"))
    if record.dpia_status == "completed" and "dpia" not in context.documents:
        gaps.append(("form.record.dpia_status", "attach the DPIA to the case (document kind dpia)"))
    reason = form.document_exception_reason.strip()
    if reason and not context.exceptions_allowed:
        errors.add("form.document_exception_reason",
                   "the municipality's routine does not allow exceptions (PRIVACY_EXCEPTIONS_ALLOWED)")
    if gaps and context.exceptions_allowed and reason:
        return [field for field, _ in gaps]
    for field, message in gaps:
        errors.add(field, message)
    return []


def _check_high_risk(form: PrivacyReview, context: ApprovalContext, errors: FieldErrors) -> None:
    """A high residual risk after the DPIA: the DPO's advice (GDPR Art. 35(2)), a named approver,
    and a recorded answer on prior consultation with Datatilsynet (Art. 36)."""
    if form.record.dpia_risk_level != "high":
        return
    if not context.dpo_advice_given:
        errors.add("form.record.dpo_advice",
                   "a high residual risk needs the DPO's advice: request it and wait for the answer")
    if not form.record.dpia_approved_by:
        errors.add("form.record.dpia_approved_by", "a high residual risk needs the name of who approves the DPIA")
    if form.prior_consultation is None:
        errors.add("form.prior_consultation",
                   "a high residual risk: say whether Datatilsynet is consulted first (GDPR Art. 36)")
    elif form.prior_consultation == "pending":
        errors.add("form.prior_consultation",
                   "processing may not start before Datatilsynet has answered the prior consultation")
    if not form.prior_consultation_reason.strip():
        errors.add("form.prior_consultation_reason", "give the reason for the answer on prior consultation")


def check_for_approval(form_name: str, form: Struct, *, resource_licence_model: str = "free",
                       context: ApprovalContext | None = None) -> list[str]:
    """The rules a review step must meet before it may approve; 422 naming each missing field.
    Returns the privacy fields accepted by exception (with the form's recorded reason)."""
    context = context or ApprovalContext(today=datetime.date.today())
    accepted: list[str] = []
    from catalogue.resources import check_privacy

    errors = FieldErrors()
    if form_name == "pedagogical":
        assert isinstance(form, PedagogicalReview)
        if not form.curriculum_fit.strip():
            errors.add("form.curriculum_fit", "describe how the resource fits the curriculum")
        for name in QualityCriteria.__struct_fields__:
            if getattr(form.criteria, name) is None:
                errors.add(f"form.criteria.{name}", "answer every quality criterion")
    elif form_name == "privacy":
        assert isinstance(form, PrivacyReview)
        record, screening = form.record, form.screening
        check_privacy(record, errors, prefix="form.record")
        if record.processes_personal_data is None:
            errors.add("form.record.processes_personal_data", "say whether the resource processes personal data")
        children = record.processes_personal_data and bool({"children", "pupils"} & set(record.data_subjects))
        if screening.children_data is None and record.processes_personal_data:
            errors.add("form.screening.children_data", "answer the DPIA screening")
        if screening.new_technology is None and record.processes_personal_data:
            errors.add("form.screening.new_technology", "answer the DPIA screening")
        if children:
            if record.dpa_status != "signed" or not record.dpa_reference:
                errors.add("form.record.dpa_reference",
                           "a signed data processing agreement (with its reference) is required for children's data")
            if record.dpia_status not in ("completed", "not_required"):
                errors.add("form.record.dpia_status", "a DPIA decision is required for children's data")
            if screening.dpia_required and record.dpia_status != "completed":
                errors.add("form.record.dpia_status",
                           "the screening says a DPIA is required (children's data and new technology)")
        if record.transfers_outside_eea and record.transfer_basis in (None, "none"):
            errors.add("form.record.transfer_basis", "a transfer outside the EEA needs a legal basis (adequacy or SCC)")
        accepted = _check_privacy_documents(form, context, errors)
        _check_high_risk(form, context, errors)
    elif form_name == "procurement":
        assert isinstance(form, ProcurementReview)
        if not form.budget_owner:
            errors.add("form.budget_owner", "name who pays")
        if form.annual_cost_nok is None:
            errors.add("form.annual_cost_nok", "state the annual cost (0 when free)")
        if resource_licence_model not in ("free", "national_agreement") and form.licence_count is None:
            errors.add("form.licence_count", "state how many licences are bought")
        if form.licence_from and form.licence_to and form.licence_to < form.licence_from:
            errors.add("form.licence_to", "cannot be before the licence starts")
        if form.target == "units" and not form.units:
            errors.add("form.units", "name the units that get the resource, or choose the base package")
        if not form.technical_fit.strip():
            errors.add("form.technical_fit", "describe the technical fit (device management, Feide)")
    errors.raise_if_any()
    return accepted

