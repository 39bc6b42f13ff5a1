"""Acceptance tests of case attachments: upload (type decided from the content, size limit),
listing, download of the same bytes, and 404 for those who may not see the case.

The app under test has an attachment limit (ATTACHMENT_MAX_BYTES) of 1.5 MB: above the general
request-body limit (1 MB), so a document between the two must get through, and small enough that
"too large" is cheap to send."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest

from tests.conftest import _settings
from tests.test_workflow_support import PROBLEM, Flow

LIMIT = 1536 * 1024
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def settings(database_url, tmp_path, signing_pem):
    return _settings(database_url, tmp_path, signing_pem, attachment_max_bytes=LIMIT)


@pytest.fixture
def flow(api) -> Flow:
    return Flow(api)


def upload(flow: Flow, case_id: int, headers: dict, filename: str, content: bytes,
           content_type: str = "application/octet-stream", field: str = "file"):
    return flow.api.post(f"/api/v1/cases/{case_id}/attachments", files={field: (filename, content, content_type)},
                         headers=headers)


def listing(flow: Flow, case_id: int, headers: dict):
    return flow.api.get(f"/api/v1/cases/{case_id}/attachments", headers=headers)


def test_a_pdf_is_uploaded_listed_and_downloaded_unchanged(flow):
    case_id = flow.to_state("draft")
    created = upload(flow, case_id, flow.mentor, "Databehandleravtale 2026.pdf", PDF, "application/pdf")
    assert created.status_code == 201, created.text
    meta = created.json()
    assert meta["size"] == len(PDF)
    assert meta["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert meta["content_type"] == "application/pdf"
    assert meta["filename"] == "Databehandleravtale 2026.pdf"
    assert meta["uploaded_by"] == "mentor-nord"

    for who in (flow.mentor, flow.mentor_same_unit, flow.privacy, flow.dpo):
        listed = listing(flow, case_id, who)
        assert listed.status_code == 200 and listed.json() == [meta]
        download = flow.api.get(f"/api/v1/cases/{case_id}/attachments/{meta['id']}", headers=who)
        assert download.status_code == 200
        assert download.content == PDF
        assert download.headers["content-type"].startswith("application/pdf")
        disposition = download.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert quote("Databehandleravtale 2026.pdf", safe="") in disposition

    # reviewers add documents too; the type comes from the content, not the client's claim
    dpia = upload(flow, case_id, flow.privacy, "dpia.txt", "Personvernkonsekvensvurdering: lav risiko.".encode(),
                  "application/pdf")
    assert dpia.status_code == 201, dpia.text
    assert dpia.json()["content_type"] == "text/plain"
    png = upload(flow, case_id, flow.dpo, "skjermbilde.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png")
    assert png.status_code == 201 and png.json()["content_type"] == "image/png"
    assert [a["filename"] for a in listing(flow, case_id, flow.mentor).json()] == [
        "Databehandleravtale 2026.pdf", "dpia.txt", "skjermbilde.png"]
    audit = [a for a in flow.history(case_id)["audit"] if a["action"] == "case.attach"]
    assert len(audit) == 3 and audit[0]["data"]["sha256"] == meta["sha256"]


def test_wrong_types_empty_and_oversized_files_are_refused(flow):
    case_id = flow.to_state("pedagogical_review")
    refused = [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "application/pdf", 415),
        ("side.html", b"<!doctype html><html><script>alert(1)</script></html>", "text/html", 415),
        ("side.htm", b"<html><body>hei</body></html>", "text/plain", 415),
        ("avtale.pdf", b"<html><script>alert(1)</script></html>", "application/pdf", 415),
        ("bilde.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml", 415),
        ("tom.pdf", b"", "application/pdf", 422),
        ("stor.pdf", PDF + b"0" * (LIMIT + 1 - len(PDF)), "application/pdf", 413),
        ("mye-stor.pdf", PDF + b"0" * (2 * LIMIT), "application/pdf", 413),
    ]
    for filename, content, claimed, status in refused:
        response = upload(flow, case_id, flow.mentor, filename, content, claimed)
        assert response.status_code == status, (filename, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert "file" in [e["field"] for e in response.json()["errors"]], filename
    wrong_field = upload(flow, case_id, flow.mentor, "avtale.pdf", PDF, "application/pdf", field="document")
    assert wrong_field.status_code == 422
    at_limit = upload(flow, case_id, flow.mentor, "akkurat.pdf", PDF + b"0" * (LIMIT - len(PDF)), "application/pdf")
    assert at_limit.status_code == 201, at_limit.text
    assert [a["filename"] for a in listing(flow, case_id, flow.mentor).json()] == ["akkurat.pdf"]


def test_attachments_are_404_to_those_who_may_not_see_the_case(flow):
    case_id = flow.to_state("pedagogical_review")
    meta = upload(flow, case_id, flow.mentor, "avtale.pdf", PDF, "application/pdf").json()
    other_case = flow.to_state("draft", name="Annen sak")
    url = f"/api/v1/cases/{case_id}/attachments/{meta['id']}"
    for who in (flow.staff, flow.mentor_other_unit):
        assert listing(flow, case_id, who).status_code == 404
        response = flow.api.get(url, headers=who)
        assert response.status_code == 404 and response.headers["content-type"].startswith(PROBLEM)
        assert PDF not in response.content
        assert upload(flow, case_id, who, "mitt.pdf", PDF, "application/pdf").status_code == 404
    assert flow.api.get(url).status_code == 401
    # an attachment is only reachable through its own case
    assert flow.api.get(f"/api/v1/cases/{other_case}/attachments/{meta['id']}", headers=flow.mentor).status_code == 404
    assert flow.api.get(f"/api/v1/cases/{case_id}/attachments/999999", headers=flow.mentor).status_code == 404
    assert len(listing(flow, case_id, flow.mentor).json()) == 1
