"""Acceptance tests of what a privacy adviser expects of the privacy review: a high residual risk
after the DPIA needs the DPO's formal advice (asked for and given as a step of the case), a named
approver and a recorded answer on prior consultation with Datatilsynet (GDPR Art. 36); an expired
DPA, or a DPA or DPIA named without its document attached, is refused with the field named, or
accepted with a recorded reason where the municipality's routine allows exceptions."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from tests.test_pages_workflow import page, send
from tests.test_workflow_support import Flow, privacy_form, privacy_record, today


@pytest.fixture
def flow(api) -> Flow:
    return Flow(api)


def fields(response) -> set[str]:
    assert response.status_code == 422, response.text
    return {e["field"] for e in response.json()["errors"]}


def test_a_high_residual_risk_needs_dpo_advice_a_named_approver_and_an_answer_on_prior_consultation(api, flow):
    case_id = flow.to_state("privacy_review")
    flow.attach(case_id, "dpa")
    flow.attach(case_id, "dpia")
    high = privacy_record(dpia_risk_level="high", dpia_approved_by=None)
    refused = flow.post_action(case_id, flow.privacy, "approve", reason="OK", form=privacy_form(high))
    assert {"form.record.dpo_advice", "form.record.dpia_approved_by", "form.prior_consultation",
            "form.prior_consultation_reason"} <= fields(refused)

    # the formal step: the privacy adviser asks, the case waits for the DPO, who answers
    asked = flow.act(case_id, flow.privacy, "request_dpo_advice", reason="Er risikoen akseptabel?",
                     form=privacy_form(high))
    assert asked["state"] == "dpo_advice" and asked["step_role"] == "dpo" and asked["step_due"]
    assert case_id in flow.tasks(flow.dpo) and case_id not in flow.tasks(flow.privacy)
    assert any(n["case_id"] == case_id and n["kind"] == "task" for n in flow.notifications(flow.dpo))
    assert flow.post_action(case_id, flow.privacy, "give_advice", reason="Ja").status_code == 403
    assert "reason" in fields(flow.post_action(case_id, flow.dpo, "give_advice", reason=""))
    answered = flow.act(case_id, flow.dpo, "give_advice", reason="Begrens lagringstiden til ett skoleår.")
    assert answered["state"] == "privacy_review"
    rounds = answered["step_data"]["dpo_advice"]
    assert rounds[0]["question"] == "Er risikoen akseptabel?" and rounds[0]["advice"].startswith("Begrens")
    assert rounds[0]["given_by"] == "personvernombud"
    # the DPO decides nothing
    assert flow.post_action(case_id, flow.dpo, "approve", reason="OK", form=privacy_form(high)).status_code == 403

    named = privacy_record(dpia_risk_level="high", dpia_approved_by="Kommunedirektøren")
    pending = flow.post_action(case_id, flow.privacy, "approve", reason="OK", form={
        **privacy_form(named), "prior_consultation": "pending", "prior_consultation_reason": "Sendt 1. mars."})
    assert fields(pending) == {"form.prior_consultation"}
    approved = flow.act(case_id, flow.privacy, "approve", reason="Risikoen er redusert.", form={
        **privacy_form(named), "prior_consultation": "consulted",
        "prior_consultation_reason": "Datatilsynet svarte 2. april; rådene er fulgt."})
    assert approved["state"] == "procurement"
    resource = flow.resource(case_id)
    assert resource["privacy"]["dpo_advice"] == "Begrens lagringstiden til ett skoleår."
    assert resource["privacy"]["dpia_approved_by"] == "Kommunedirektøren"
    event = flow.history(case_id)["events"][-1]
    assert event["data"]["form"]["prior_consultation_reason"].startswith("Datatilsynet svarte")

    # the case page shows the question and the advice
    api.login_page("privacy_reviewer", user="personvern")
    text = page(api, f"/saker/{case_id}")
    assert "Råd fra personvernombudet" in text and "Er risikoen akseptabel?" in text


def test_the_dpo_gives_advice_through_the_case_page(api, flow):
    case_id = flow.to_state("privacy_review")
    token = api.login_page("privacy_reviewer", user="personvern")
    version = str(flow.case(case_id)["version"])
    send(api, f"/saker/{case_id}/beslutning", token, {
        "action": "request_dpo_advice", "reason": "Holder lagringstiden?", "knapp": "beslutning",
        "steg": "privacy_review", "versjon": version})
    token = api.login_page("dpo", user="personvernombud")
    text = page(api, f"/saker/{case_id}")
    assert "Rådet ditt" in text and "Gi råd" in text
    send(api, f"/saker/{case_id}/beslutning", token, {
        "action": "give_advice", "reason": "Ett skoleår holder.", "knapp": "beslutning", "steg": "dpo_advice",
        "versjon": str(flow.case(case_id)["version"])})
    case = flow.case(case_id)
    assert case["state"] == "privacy_review" and case["step_data"]["dpo_advice"][0]["advice"] == "Ett skoleår holder."


def test_an_expired_dpa_or_a_missing_document_is_refused_with_the_field_named(flow):
    case_id = flow.to_state("privacy_review")
    expired = privacy_record(dpa_date="2023-01-01", dpa_expires=(today() - datetime.timedelta(days=1)).isoformat())
    assert fields(flow.post_action(case_id, flow.privacy, "approve", reason="OK", form=privacy_form(expired))) == {
        "form.record.dpa_expires", "form.record.dpa_reference", "form.record.dpia_status"}
    flow.attach(case_id, "dpa")
    assert fields(flow.post_action(case_id, flow.privacy, "approve", reason="OK", form=privacy_form())) == {
        "form.record.dpia_status"}
    # the routine allows no exceptions here: a reason does not help
    excused = flow.post_action(case_id, flow.privacy, "approve", reason="OK", form={
        **privacy_form(), "document_exception_reason": "DPIA kommer."})
    assert fields(excused) == {"form.record.dpia_status", "form.document_exception_reason"}
    # an "other" document is not the DPIA
    flow.attach(case_id, "other")
    assert fields(flow.post_action(case_id, flow.privacy, "approve", reason="OK", form=privacy_form())) == {
        "form.record.dpia_status"}
    flow.attach(case_id, "dpia")
    assert flow.act(case_id, flow.privacy, "approve", reason="OK", form=privacy_form())["state"] == "procurement"


@pytest.fixture
def exceptions_app(settings):
    from catalogue.app import create_app

    return create_app(dataclasses.replace(settings, privacy_exceptions_allowed=True))


def test_where_the_routine_allows_it_a_document_gap_is_accepted_with_a_recorded_reason(exceptions_app):
    from litestar.testing import TestClient

    from tests.conftest import Api

    with TestClient(exceptions_app, raise_server_exceptions=False) as client:
        flow = Flow(Api(client))
        case_id = flow.to_state("privacy_review")
        expired = privacy_record(dpa_date="2023-01-01", dpa_expires=(today() - datetime.timedelta(days=3)).isoformat())
        # without a reason it is refused all the same
        assert "form.record.dpa_expires" in fields(
            flow.post_action(case_id, flow.privacy, "approve", reason="OK", form=privacy_form(expired)))
        response = flow.post_action(case_id, flow.privacy, "approve", reason="OK", form={
            **privacy_form(expired), "document_exception_reason": "Ny avtale er signert, arkiveres neste uke."})
        assert response.status_code == 200, response.text
        event = flow.history(case_id)["events"][-1]
        exception = event["data"]["accepted_by_exception"]
        assert exception["reason"] == "Ny avtale er signert, arkiveres neste uke."
        assert set(exception["fields"]) == {"form.record.dpa_expires", "form.record.dpa_reference",
                                            "form.record.dpia_status"}
        audit = [a for a in flow.history(case_id)["audit"] if a["action"] == "case.approve"][-1]
        assert audit["data"]["accepted_by_exception"]["reason"].startswith("Ny avtale")
