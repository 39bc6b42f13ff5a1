"""Shared helpers for the approval-workflow acceptance tests (no tests of its own).

``Flow`` sets up two units and one user per role, and drives cases through the HTTP API with
If-Match taken from the case's ETag, the way a client would."""

from __future__ import annotations

import calendar
import datetime
from typing import Any

from tests.conftest import resource_body

PROBLEM = "application/problem+json"
NORD, SOR = "nord-skole", "sor-skole"

PEDAGOGICAL_FORM: dict[str, Any] = {
    "curriculum_fit": "Dekker kompetansemål om brøk etter 6. trinn.",
    "criteria": {"bokmal_nynorsk": True, "universal_design": True, "privacy": True, "feide_login": True,
                 "value_beyond_print": True},
    "criteria_notes": "Godt egnet.",
}


def privacy_record(**overrides: Any) -> dict[str, Any]:
    """A privacy record that may be approved for a resource processing pupils' data."""
    record: dict[str, Any] = {
        "processes_personal_data": True,
        "data_subjects": ["pupils"],
        "data_categories": ["name", "feide_id", "results"],
        "legal_basis": "gdpr_6_1_e",
        "processor": "Tallverkstedet AS",
        "dpa_status": "signed",
        "dpa_date": "2026-01-15",
        "dpa_reference": "DBA-2026-777",
        "dpia_status": "completed",
        "dpia_date": "2026-02-01",
        "dpia_risk_level": "low",
        "data_location": "eea",
        "retention": "Slettes ett år etter at eleven slutter.",
        "security_measures": "Kryptering, tilgangsstyring via Feide.",
    }
    record.update(overrides)
    return record


def privacy_form(record: dict[str, Any] | None = None, **screening: Any) -> dict[str, Any]:
    return {"record": record if record is not None else privacy_record(),
            "screening": {"children_data": True, "new_technology": False, **screening},
            "notes": "Vurdert i personvernmøtet."}


def procurement_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "annual_cost_nok": 52000,
        "licence_count": 1500,
        "budget_owner": "Kommuneområde oppvekst",
        "device_management": "done",
        "feide_activation": "done",
        "technical_fit": "Fungerer på iPad og Chromebook, Feide er aktivert.",
        "target": "base_package",
    }
    form.update(overrides)
    return form


FORMS = {"pedagogical_review": PEDAGOGICAL_FORM, "privacy_review": privacy_form(),
         "procurement": procurement_form()}


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def today() -> datetime.date:
    return datetime.date.today()


def etag_of(case: dict[str, Any]) -> str:
    return f'"case:{case["id"]}:{case["version"]}"'


def make_users(api, specs: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]) -> dict[str, dict[str, str]]:
    """Users (key, name, roles, units) made in one transaction, as ``api.headers`` makes them one
    by one; returns bearer headers by key."""
    from catalogue.db import write_transaction
    from catalogue.users import add_unit, ensure_user, grant_role

    async def make() -> dict[str, int]:
        ids = {}
        async with write_transaction():
            for key, name, roles, units in specs:
                ids[key] = await ensure_user("local", name, name)
                for role in roles:
                    await grant_role(ids[key], role, "tests")
                for unit in units:
                    await add_unit(ids[key], unit)
        return ids

    tokens = api.client.app.state.tokens
    names = {key: name for key, name, _, _ in specs}
    return {key: {"Authorization": f"Bearer {tokens.issue(str(user_id), name=names[key])}"}
            for key, user_id in api.run(make).items()}


class Flow:
    """Users for every role and helpers to move cases through the API."""

    def __init__(self, api) -> None:
        self.api = api
        self.admin = api.headers("admin", user="systemeier")
        for code, name in ((NORD, "Nordbyen skole"), (SOR, "Sørbyen skole")):
            response = api.post("/api/v1/units", json={"code": code, "name": name, "kind": "skole"},
                                headers=self.admin)
            assert response.status_code == 201, response.text
        # every role holder exists from the start, so each is told what concerns their role
        users = make_users(api, [
            ("mentor", "mentor-nord", ("ict_mentor",), (NORD,)),
            ("mentor_same_unit", "mentor-nord-2", ("ict_mentor",), (NORD,)),
            ("mentor_other_unit", "mentor-sor", ("ict_mentor",), (SOR,)),
            ("sector", "vkko", ("sector_reviewer",), ()),
            ("privacy", "personvern", ("privacy_reviewer",), ()),
            ("tech", "teknologi", ("tech_approver",), ()),
            ("dpo", "personvernombud", ("dpo",), ()),
            ("staff", "laerer-nord", ("staff",), (NORD,)),
        ])
        self.mentor, self.mentor_same_unit, self.mentor_other_unit = (
            users["mentor"], users["mentor_same_unit"], users["mentor_other_unit"])
        self.sector, self.privacy, self.tech = users["sector"], users["privacy"], users["tech"]
        self.dpo, self.staff = users["dpo"], users["staff"]
        self.reviewer_of = {"pedagogical_review": self.sector, "privacy_review": self.privacy,
                            "procurement": self.tech}

    # --- reading -------------------------------------------------------------------------------

    def user_id(self, headers: dict[str, str]) -> int:
        response = self.api.get("/api/v1/users/me", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["id"]

    def case(self, case_id: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.api.get(f"/api/v1/cases/{case_id}", headers=headers or self.admin)
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == etag_of(response.json())
        return response.json()

    def resource(self, case_id: int) -> dict[str, Any]:
        """The case's resource as it stands, whatever its status."""
        response = self.api.get(f"/api/v1/cases/{case_id}/resource", headers=self.admin)
        assert response.status_code == 200, response.text
        return response.json()

    def history(self, case_id: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.api.get(f"/api/v1/cases/{case_id}/history", headers=headers or self.admin)
        assert response.status_code == 200, response.text
        return response.json()

    def tasks(self, headers: dict[str, str]) -> list[int]:
        response = self.api.get("/api/v1/tasks", headers=headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()]

    def notifications(self, headers: dict[str, str]) -> list[dict[str, Any]]:
        response = self.api.get("/api/v1/notifications", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    # --- writing -------------------------------------------------------------------------------

    def propose(self, name: str = "Brøkbyggeren", *, submit: bool = False, units: tuple[str, ...] = (NORD,),
                headers: dict[str, str] | None = None, justification: dict[str, Any] | None = None,
                **resource: Any) -> dict[str, Any]:
        """Create a proposal as the ICT mentor; returns the whole creation response."""
        body = {
            "resource": resource_body(name=name, status="draft", **resource),
            "justification": {"pedagogical_purpose": "Elevene trenger mer brøktrening.", "units": list(units),
                              **(justification or {})},
            "submit": submit,
        }
        response = self.api.post("/api/v1/cases", json=body, headers=headers or self.mentor)
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["etag"] == etag_of(created["case"])
        assert response.headers["location"] == f"/api/v1/cases/{created['case']['id']}"
        return created

    def post_action(self, case_id: int, headers: dict[str, str], action: str, *, if_match: str | None = None,
                    **body: Any):
        """POST an action with If-Match of the case as it is now (unless given)."""
        if if_match is None:
            if_match = etag_of(self.case(case_id))
        return self.api.post(f"/api/v1/cases/{case_id}/actions", json={"action": action, **body},
                             headers={**headers, "If-Match": if_match})

    def attach(self, case_id: int, kind: str, headers: dict[str, str] | None = None,
               filename: str | None = None) -> dict[str, Any]:
        """Upload a small PDF of the given kind (dpa, dpia, accessibility_statement, other)."""
        response = self.api.post(f"/api/v1/cases/{case_id}/attachments", headers=headers or self.privacy,
                                 files={"file": (filename or f"{kind}.pdf", b"%PDF-1.4\n% " + kind.encode() + b"\n",
                                                 "application/pdf")},
                                 data={"kind": kind})
        assert response.status_code == 201, response.text
        return response.json()

    def act(self, case_id: int, headers: dict[str, str], action: str, **body: Any) -> dict[str, Any]:
        """An action that must succeed; returns the case after it. A privacy approval is made with
        the DPA and the DPIA attached, as the reviewer has them (post_action leaves them out)."""
        before = self.case(case_id)
        if before["state"] == "privacy_review" and action.startswith("approve"):
            kinds = {a["kind"] for a in self.api.get(f"/api/v1/cases/{case_id}/attachments",
                                                     headers=self.admin).json()}
            for kind in ("dpa", "dpia"):
                if kind not in kinds:
                    self.attach(case_id, kind)
        response = self.post_action(case_id, headers, action, if_match=etag_of(before), **body)
        assert response.status_code == 200, (action, response.text)
        after = response.json()
        assert after["version"] == before["version"] + 1
        assert response.headers["etag"] == etag_of(after)
        return after

    def submit(self, case_id: int) -> dict[str, Any]:
        return self.act(case_id, self.mentor, "submit")

    def approve(self, case_id: int, step: str, form: dict[str, Any] | None = None, **body: Any) -> dict[str, Any]:
        return self.act(case_id, self.reviewer_of[step], "approve", reason=f"Godkjent i {step}.",
                        form=form if form is not None else FORMS[step], **body)

    def to_state(self, state: str, name: str = "Brøkbyggeren", **resource: Any) -> int:
        """A new proposal driven to ``state`` (draft, one of the review steps, returned, approved)."""
        case_id = self.propose(name, **resource)["case"]["id"]
        if state == "draft":
            return case_id
        self.submit(case_id)
        path = ["pedagogical_review", "privacy_review", "procurement"]
        for step in path:
            if state == step:
                return case_id
            if state == "returned":
                self.act(case_id, self.sector, "return", reason="Mangler opplysninger.")
                return case_id
            self.approve(case_id, step)
        assert state == "approved", state
        return case_id
