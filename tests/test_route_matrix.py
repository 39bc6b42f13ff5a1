"""The access specification: every route, who may use it, checked role by role over HTTP.

A new route fails the first test until it is added here, so nobody ships a route whose access
was not decided on purpose."""

from __future__ import annotations

import re

import pytest

from catalogue.domain import ALL_ROLES
from catalogue.security.access import PUBLIC, SIGNED_IN
from tests.conftest import resource_body

EDITORS = frozenset({"sector_reviewer", "admin"})
ADMIN = frozenset({"admin"})
PROPOSERS = frozenset({"ict_mentor", "admin"})
SECTOR_OFFICE = frozenset({"sector_reviewer", "admin"})
PLANNERS = frozenset({"sector_reviewer", "tech_approver", "admin"})
EQUIPMENT_USERS = PLANNERS | {"ict_mentor"}
HOLDING_EDITORS = frozenset({"ict_mentor", "tech_approver", "admin"})
KIND_EDITORS = frozenset({"tech_approver", "admin"})
CHANGE_READERS = EQUIPMENT_USERS | {"privacy_reviewer", "dpo"}
RECORD_READERS = frozenset({"privacy_reviewer", "dpo", "admin"})
INSIDERS = frozenset({"sector_reviewer", "privacy_reviewer", "dpo", "tech_approver", "admin"})
TIP_MODERATORS = frozenset({"ict_mentor", "sector_reviewer", "admin"})
GUIDE_EDITORS = frozenset({"sector_reviewer", "admin"})
NOTE_EDITORS = frozenset({"ict_mentor", "admin"})

SPEC = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/ready"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,  # operators only, checked in the handler: an admin's token or METRICS_NETWORKS
    ("GET", "/.well-known/jwks.json"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/ressurser"): PUBLIC,
    ("GET", "/ressurser/{resource_id}"): PUBLIC,
    ("GET", "/personvern"): PUBLIC,
    ("POST", "/ressurser/{resource_id}/begrensninger"): EDITORS,
    ("POST", "/ressurser/{resource_id}/begrensninger/{restriction_id}"): EDITORS,
    ("POST", "/ressurser/{resource_id}/folg"): SIGNED_IN,
    ("GET", "/varsler/innstillinger"): SIGNED_IN,
    ("POST", "/varsler/innstillinger"): SIGNED_IN,
    ("GET", "/epost/bekreft"): PUBLIC,
    ("POST", "/epost/bekreft"): PUBLIC,
    ("GET", "/revisjoner"): SECTOR_OFFICE,
    ("POST", "/admin/brukere/{user_id}/epost"): ADMIN,
    ("POST", "/admin/brukere/{user_id}/overfor"): ADMIN,
    ("GET", "/tilgjengelighet"): PUBLIC,
    ("GET", "/personvernerklaering"): PUBLIC,
    ("GET", "/kontakt"): PUBLIC,
    ("GET", "/api-dokumentasjon"): PUBLIC,
    ("GET", "/forslag/ny"): PROPOSERS,
    ("POST", "/forslag/ny"): PROPOSERS,
    ("GET", "/forslag/lignende"): PROPOSERS,
    ("GET", "/forslag"): PROPOSERS,
    ("POST", "/onsker/{wish_id}/avslaa"): PROPOSERS,
    ("GET", "/onsker/ny"): SIGNED_IN,
    ("POST", "/onsker/ny"): SIGNED_IN,
    ("GET", "/onsker"): SIGNED_IN,
    ("GET", "/oppgaver"): ALL_ROLES - {"staff"},
    ("GET", "/saker/{case_id}"): SIGNED_IN,
    ("POST", "/saker/{case_id}/beslutning"): SIGNED_IN,
    ("GET", "/saker/{case_id}/endre"): SIGNED_IN,
    ("POST", "/saker/{case_id}/endre"): SIGNED_IN,
    ("POST", "/saker/{case_id}/sjekkliste"): SIGNED_IN,
    ("POST", "/saker/{case_id}/tildel"): SIGNED_IN,
    ("POST", "/saker/{case_id}/kommentar"): SIGNED_IN,
    ("POST", "/saker/{case_id}/vedlegg"): SIGNED_IN,
    ("GET", "/saker/{case_id}/vedlegg/{attachment_id}"): SIGNED_IN,
    ("GET", "/varsler"): SIGNED_IN,
    ("GET", "/admin"): ADMIN,
    ("GET", "/admin/brukere"): ADMIN,
    ("GET", "/admin/brukere/{user_id}"): ADMIN,
    ("POST", "/admin/brukere/{user_id}/roller"): ADMIN,
    ("POST", "/admin/brukere/{user_id}/roller/fjern"): ADMIN,
    ("POST", "/admin/brukere/{user_id}/enheter"): ADMIN,
    ("POST", "/admin/brukere/{user_id}/enheter/fjern"): ADMIN,
    ("POST", "/admin/brukere/{user_id}/status"): ADMIN,
    ("GET", "/admin/enheter"): ADMIN,
    ("POST", "/admin/enheter"): ADMIN,
    ("GET", "/admin/enheter/{code}"): ADMIN,
    ("POST", "/admin/enheter/{code}"): ADMIN,
    ("GET", "/admin/fag"): ADMIN,
    ("POST", "/admin/fag/{code}"): ADMIN,
    ("GET", "/admin/sokeord"): ADMIN,
    ("POST", "/admin/sokeord"): ADMIN,
    ("GET", "/admin/sokeord/{synonym_id}"): ADMIN,
    ("POST", "/admin/sokeord/{synonym_id}"): ADMIN,
    ("GET", "/admin/sokeord/{synonym_id}/slett"): ADMIN,
    ("POST", "/admin/sokeord/{synonym_id}/slett"): ADMIN,
    ("GET", "/api/v1/search-synonyms"): ADMIN,
    ("POST", "/api/v1/search-synonyms"): ADMIN,
    ("GET", "/api/v1/search-synonyms/{synonym_id}"): ADMIN,
    ("PATCH", "/api/v1/search-synonyms/{synonym_id}"): ADMIN,
    ("DELETE", "/api/v1/search-synonyms/{synonym_id}"): ADMIN,
    ("POST", "/varsler/{notification_id}/lest"): SIGNED_IN,
    ("GET", "/utstyr"): EQUIPMENT_USERS,
    ("GET", "/utstyr/eksport"): PLANNERS,
    ("GET", "/utstyr/enheter/{code}"): EQUIPMENT_USERS,
    ("GET", "/utstyr/enheter/{code}/eksport"): EQUIPMENT_USERS,
    ("POST", "/utstyr/enheter/{code}/tall"): EQUIPMENT_USERS,
    ("POST", "/utstyr/enheter/{code}/beholdning"): HOLDING_EDITORS,
    ("GET", "/utstyr/beholdning/{holding_id}"): HOLDING_EDITORS,
    ("POST", "/utstyr/beholdning/{holding_id}"): HOLDING_EDITORS,
    ("POST", "/utstyr/beholdning/{holding_id}/slett"): HOLDING_EDITORS,
    ("GET", "/utstyr/enheter/{code}/import"): HOLDING_EDITORS,
    ("POST", "/utstyr/enheter/{code}/import"): HOLDING_EDITORS,
    ("GET", "/utstyr/import/{import_id}"): HOLDING_EDITORS,
    ("POST", "/utstyr/import/{import_id}/bruk"): HOLDING_EDITORS,
    ("GET", "/utstyr/standard"): CHANGE_READERS,
    ("GET", "/utstyr/standard/{unit_type}/ny"): EDITORS,
    ("POST", "/utstyr/standard/{unit_type}/ny"): EDITORS,
    ("GET", "/utstyr/standard/endringer/{change_id}"): CHANGE_READERS,
    ("POST", "/utstyr/standard/endringer/{change_id}/beslutning"): CHANGE_READERS,
    ("GET", "/utstyr/standard/endringer/{change_id}/endre"): EDITORS,
    ("POST", "/utstyr/standard/endringer/{change_id}/endre"): EDITORS,
    ("GET", "/utstyr/typer"): EQUIPMENT_USERS,
    ("POST", "/utstyr/typer"): KIND_EDITORS,
    ("GET", "/utstyr/typer/{code}"): EQUIPMENT_USERS,
    ("POST", "/utstyr/typer/{code}"): KIND_EDITORS,
    ("POST", "/utstyr/typer/{code}/ressurser"): KIND_EDITORS,
    ("POST", "/utstyr/typer/{code}/ressurser/fjern"): KIND_EDITORS,
    ("GET", "/auth/login"): PUBLIC,
    ("GET", "/auth/callback"): PUBLIC,
    ("GET", "/auth/demo"): PUBLIC,
    ("POST", "/auth/demo"): PUBLIC,
    ("POST", "/auth/logout"): PUBLIC,
    ("POST", "/auth/token"): SIGNED_IN,
    ("GET", "/api/v1/resources"): SIGNED_IN,
    ("POST", "/api/v1/resources"): EDITORS,
    ("GET", "/api/v1/resources/{resource_id}"): SIGNED_IN,
    ("PATCH", "/api/v1/resources/{resource_id}"): EDITORS,
    ("POST", "/api/v1/resources/{resource_id}/archive"): EDITORS,
    ("GET", "/api/v1/resources/{resource_id}/restrictions"): SIGNED_IN,
    ("POST", "/api/v1/resources/{resource_id}/restrictions"): EDITORS,
    ("PUT", "/api/v1/resources/{resource_id}/restrictions/{restriction_id}"): EDITORS,
    ("POST", "/api/v1/resources/{resource_id}/restrictions/{restriction_id}/lift"): EDITORS,
    ("GET", "/api/v1/resources/{resource_id}/follow"): SIGNED_IN,
    ("PUT", "/api/v1/resources/{resource_id}/follow"): SIGNED_IN,
    ("DELETE", "/api/v1/resources/{resource_id}/follow"): SIGNED_IN,
    ("GET", "/api/v1/levels"): SIGNED_IN,
    ("GET", "/api/v1/subjects"): SIGNED_IN,
    ("GET", "/api/v1/subjects/{code}"): SIGNED_IN,
    ("PATCH", "/api/v1/subjects/{code}"): ADMIN,
    ("GET", "/api/v1/competence-aims"): SIGNED_IN,
    ("GET", "/api/v1/competence-aims/{code}"): SIGNED_IN,
    ("GET", "/api/v1/competence-aims/coverage"): SECTOR_OFFICE,
    ("GET", "/kompetansemaal/dekning"): SECTOR_OFFICE,
    # tagging with aims: the sector office any resource, a proposer their own proposal (checked in the handler)
    ("GET", "/ressurser/{resource_id}/kompetansemaal"): SIGNED_IN,
    ("POST", "/ressurser/{resource_id}/kompetansemaal"): SIGNED_IN,
    ("GET", "/api/v1/kindergarten-areas"): SIGNED_IN,
    ("GET", "/api/v1/vendors"): SIGNED_IN,
    ("GET", "/api/v1/units"): SIGNED_IN,
    ("POST", "/api/v1/units"): ADMIN,
    ("GET", "/api/v1/units/{code}"): SIGNED_IN,
    ("PATCH", "/api/v1/units/{code}"): ADMIN,
    ("GET", "/api/v1/users/me"): SIGNED_IN,
    ("PATCH", "/api/v1/users/me"): SIGNED_IN,
    ("POST", "/api/v1/users/email-verification"): PUBLIC,
    ("POST", "/api/v1/users/{user_id}/hand-over"): ADMIN,
    ("GET", "/api/v1/users"): ADMIN,
    ("GET", "/api/v1/users/{user_id}"): ADMIN,
    ("PATCH", "/api/v1/users/{user_id}"): ADMIN,
    ("POST", "/api/v1/users/{user_id}/roles"): ADMIN,
    ("DELETE", "/api/v1/users/{user_id}/roles/{role}"): ADMIN,
    ("POST", "/api/v1/users/{user_id}/units"): ADMIN,
    ("DELETE", "/api/v1/users/{user_id}/units/{code}"): ADMIN,
    ("GET", "/api/v1/users/{user_id}/role-changes"): ADMIN,
    # the approval process: cases answer 404 to those who may not see them (object-level rules)
    ("POST", "/api/v1/cases/duplicates"): ALL_ROLES - {"staff"},
    ("POST", "/api/v1/cases"): PROPOSERS,
    ("GET", "/api/v1/cases"): SIGNED_IN,
    ("GET", "/api/v1/cases/{case_id}"): SIGNED_IN,
    ("GET", "/api/v1/cases/{case_id}/resource"): SIGNED_IN,
    ("PUT", "/api/v1/cases/{case_id}/resource"): SIGNED_IN,
    ("POST", "/api/v1/cases/{case_id}/actions"): SIGNED_IN,
    ("PUT", "/api/v1/cases/{case_id}/form"): SIGNED_IN,
    ("POST", "/api/v1/cases/{case_id}/checklist"): SIGNED_IN,
    ("POST", "/api/v1/cases/{case_id}/assign"): SIGNED_IN,
    ("POST", "/api/v1/cases/{case_id}/comments"): SIGNED_IN,
    ("GET", "/api/v1/cases/{case_id}/history"): SIGNED_IN,
    ("GET", "/api/v1/cases/{case_id}/attachments"): SIGNED_IN,
    ("POST", "/api/v1/cases/{case_id}/attachments"): SIGNED_IN,
    ("GET", "/api/v1/cases/{case_id}/attachments/{attachment_id}"): SIGNED_IN,
    ("GET", "/api/v1/tasks"): SIGNED_IN,
    ("POST", "/api/v1/wishes"): SIGNED_IN,
    ("GET", "/api/v1/wishes"): SIGNED_IN,
    ("GET", "/api/v1/wishes/{wish_id}"): SIGNED_IN,
    ("POST", "/api/v1/wishes/{wish_id}/decline"): PROPOSERS,
    ("GET", "/api/v1/revisions"): SECTOR_OFFICE,
    ("GET", "/api/v1/notifications"): SIGNED_IN,
    ("POST", "/api/v1/notifications/{notification_id}/read"): SIGNED_IN,
    # the equipment package: an ICT mentor of other units hears 403 unit-not-served (object level)
    ("GET", "/api/v1/equipment/kinds"): SIGNED_IN,
    ("POST", "/api/v1/equipment/kinds"): KIND_EDITORS,
    ("GET", "/api/v1/equipment/kinds/{code}"): SIGNED_IN,
    ("PATCH", "/api/v1/equipment/kinds/{code}"): KIND_EDITORS,
    ("PUT", "/api/v1/equipment/kinds/{code}/resources/{resource_id}"): KIND_EDITORS,
    ("DELETE", "/api/v1/equipment/kinds/{code}/resources/{resource_id}"): KIND_EDITORS,
    ("GET", "/api/v1/equipment/resources/{resource_id}/kinds"): SIGNED_IN,
    ("GET", "/api/v1/equipment/standards"): SIGNED_IN,
    ("GET", "/api/v1/equipment/standards/{unit_type}"): SIGNED_IN,
    ("GET", "/api/v1/equipment/standards/{unit_type}/history"): SIGNED_IN,
    ("POST", "/api/v1/equipment/standards/{unit_type}/changes"): EDITORS,
    ("GET", "/api/v1/equipment/standard-changes"): CHANGE_READERS,
    ("GET", "/api/v1/equipment/standard-changes/{change_id}"): CHANGE_READERS,
    ("PATCH", "/api/v1/equipment/standard-changes/{change_id}"): EDITORS,
    ("POST", "/api/v1/equipment/standard-changes/{change_id}/actions"): CHANGE_READERS,
    ("GET", "/api/v1/equipment/standard-changes/{change_id}/history"): CHANGE_READERS,
    ("GET", "/api/v1/equipment/units/{code}"): EQUIPMENT_USERS,
    ("GET", "/api/v1/equipment/units/{code}/export"): EQUIPMENT_USERS,
    ("GET", "/api/v1/equipment/units/{code}/counts"): EQUIPMENT_USERS,
    ("PUT", "/api/v1/equipment/units/{code}/counts"): EQUIPMENT_USERS,
    ("GET", "/api/v1/equipment/units/{code}/holdings"): EQUIPMENT_USERS,
    ("POST", "/api/v1/equipment/units/{code}/holdings"): HOLDING_EDITORS,
    ("POST", "/api/v1/equipment/units/{code}/imports"): HOLDING_EDITORS,
    ("GET", "/api/v1/equipment/holdings/{holding_id}"): EQUIPMENT_USERS,
    ("PATCH", "/api/v1/equipment/holdings/{holding_id}"): HOLDING_EDITORS,
    ("DELETE", "/api/v1/equipment/holdings/{holding_id}"): HOLDING_EDITORS,
    ("GET", "/api/v1/equipment/imports/{import_id}"): HOLDING_EDITORS,
    ("POST", "/api/v1/equipment/imports/{import_id}/apply"): HOLDING_EDITORS,
    ("GET", "/api/v1/equipment/plan"): PLANNERS,
    ("GET", "/api/v1/equipment/plan/export"): PLANNERS,
    ("GET", "/api/v1/equipment/annual-figures/{year}"): PLANNERS,
    # privacy documents and reports
    ("GET", "/behandlingsprotokoll"): RECORD_READERS,
    ("GET", "/behandlingsprotokoll.xlsx"): RECORD_READERS,
    ("GET", "/behandlingsprotokoll.csv"): RECORD_READERS,
    ("GET", "/behandlingsprotokoll.json"): RECORD_READERS,
    ("GET", "/api/v1/processing-record"): RECORD_READERS,
    ("GET", "/personvern/foreldre"): PUBLIC,
    ("GET", "/personvern/foreldre/brev"): PUBLIC,
    ("GET", "/personvern/foreldre/brev.pdf"): PUBLIC,
    ("GET", "/api/v1/public/units"): PUBLIC,
    ("GET", "/api/v1/public/privacy"): PUBLIC,
    ("GET", "/kvalitetsmelding"): INSIDERS,
    ("GET", "/kvalitetsmelding.xlsx"): INSIDERS,
    ("GET", "/kvalitetsmelding.csv"): INSIDERS,
    ("GET", "/api/v1/annual-report"): INSIDERS,
    # the catalogue as a spreadsheet
    ("GET", "/api/v1/resources/export"): SIGNED_IN,
    ("GET", "/ressurser/regneark"): SIGNED_IN,
    ("GET", "/ressurser/import"): EDITORS,
    ("POST", "/ressurser/import"): EDITORS,
    ("GET", "/ressurser/import/{import_id}"): EDITORS,
    ("POST", "/ressurser/import/{import_id}/bruk"): EDITORS,
    # experience sharing: tips for signed-in people; moderation by ICT mentors (their units' staff) and the sector office
    ("GET", "/api/v1/resources/{resource_id}/tips"): SIGNED_IN,
    ("POST", "/api/v1/resources/{resource_id}/tips"): SIGNED_IN,
    ("GET", "/api/v1/tips/{tip_id}"): SIGNED_IN,
    ("PATCH", "/api/v1/tips/{tip_id}"): SIGNED_IN,
    ("DELETE", "/api/v1/tips/{tip_id}"): SIGNED_IN,
    ("POST", "/api/v1/tips/{tip_id}/useful"): SIGNED_IN,
    ("DELETE", "/api/v1/tips/{tip_id}/useful"): SIGNED_IN,
    ("POST", "/api/v1/tips/{tip_id}/reports"): SIGNED_IN,
    ("POST", "/api/v1/tips/{tip_id}/hide"): TIP_MODERATORS,
    ("POST", "/api/v1/tips/{tip_id}/restore"): TIP_MODERATORS,
    ("GET", "/api/v1/tip-moderation"): TIP_MODERATORS,
    ("POST", "/api/v1/tip-reports/{report_id}/dismiss"): TIP_MODERATORS,
    ("DELETE", "/api/v1/users/{user_id}/tips"): ADMIN,
    ("GET", "/ressurser/{resource_id}/tips"): SIGNED_IN,
    ("POST", "/ressurser/{resource_id}/tips"): SIGNED_IN,
    ("GET", "/ressurser/{resource_id}/tips/ny"): SIGNED_IN,
    ("GET", "/tips/{tip_id}/endre"): SIGNED_IN,
    ("POST", "/tips/{tip_id}/endre"): SIGNED_IN,
    ("POST", "/tips/{tip_id}/slett"): SIGNED_IN,
    ("POST", "/tips/{tip_id}/nyttig"): SIGNED_IN,
    ("GET", "/tips/{tip_id}/meld"): SIGNED_IN,
    ("POST", "/tips/{tip_id}/meld"): SIGNED_IN,
    ("GET", "/erfaringer"): TIP_MODERATORS,
    ("POST", "/tips/{tip_id}/skjul"): TIP_MODERATORS,
    ("POST", "/tips/{tip_id}/vis"): TIP_MODERATORS,
    ("POST", "/erfaringer/meldinger/{report_id}/avslutt"): TIP_MODERATORS,
    # consultations: object level, 404 for one the caller is not invited to (insiders read every one)
    ("GET", "/api/v1/consultations"): SIGNED_IN,
    ("GET", "/api/v1/consultations/{consultation_id}"): SIGNED_IN,
    ("PUT", "/api/v1/consultations/{consultation_id}/answer"): SIGNED_IN,
    ("GET", "/horinger"): SIGNED_IN,
    ("GET", "/horinger/{consultation_id}"): SIGNED_IN,
    ("POST", "/horinger/{consultation_id}"): SIGNED_IN,
    # getting started: the guide (sector office), units' notes (their ICT mentors), a unit's competence overview
    ("GET", "/api/v1/resources/{resource_id}/guide"): SIGNED_IN,
    ("PUT", "/api/v1/resources/{resource_id}/guide"): GUIDE_EDITORS,
    ("GET", "/api/v1/resources/{resource_id}/unit-notes"): SIGNED_IN,
    ("GET", "/api/v1/resources/{resource_id}/unit-notes/{code}"): SIGNED_IN,
    ("PUT", "/api/v1/resources/{resource_id}/unit-notes/{code}"): NOTE_EDITORS,
    ("DELETE", "/api/v1/resources/{resource_id}/unit-notes/{code}"): NOTE_EDITORS,
    ("GET", "/api/v1/units/{code}/competence"): TIP_MODERATORS,
    ("GET", "/ressurser/{resource_id}/kom-i-gang"): GUIDE_EDITORS,
    ("POST", "/ressurser/{resource_id}/kom-i-gang"): GUIDE_EDITORS,
    ("GET", "/ressurser/{resource_id}/kom-i-gang/enheter/{code}"): NOTE_EDITORS,
    ("POST", "/ressurser/{resource_id}/kom-i-gang/enheter/{code}"): NOTE_EDITORS,
    ("POST", "/ressurser/{resource_id}/kom-i-gang/enheter/{code}/slett"): NOTE_EDITORS,
    ("GET", "/erfaringer/kompetanse"): TIP_MODERATORS,
    # following what is new: one's own follows; the feed of base package changes is public
    ("GET", "/api/v1/users/me/follows"): SIGNED_IN,
    ("PUT", "/api/v1/users/me/follows/{kind}/{code}"): SIGNED_IN,
    ("DELETE", "/api/v1/users/me/follows/{kind}/{code}"): SIGNED_IN,
    ("GET", "/folger"): SIGNED_IN,
    ("POST", "/folger"): SIGNED_IN,
    ("POST", "/folger/ressurser/{resource_id}"): SIGNED_IN,
    ("GET", "/grunnpakken.atom"): PUBLIC,
}
# Framework routes: the OpenAPI document and static files are public by design.
FRAMEWORK = re.compile(r"^/(schema|static)(/|$)")
# Page forms are protected by CSRF before any role check; their access is tested in the login tests.
CSRF_FORMS = {(method, path) for method, path in SPEC if method == "POST" and not path.startswith("/api/")}


def _declared(app) -> dict[tuple[str, str], object]:
    from catalogue.security.access import handler_rule

    found = {}
    for route in app.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        if FRAMEWORK.match(path):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method != "OPTIONS":
                    found[(method, path)] = handler_rule(handler)
    return found


def test_every_route_is_in_the_specification_with_the_declared_rule(app):
    declared = _declared(app)
    assert set(declared) == set(SPEC), {"unspecified": set(declared) - set(SPEC),
                                        "gone": set(SPEC) - set(declared)}
    for key, expected in SPEC.items():
        assert declared[key] == expected, key


@pytest.fixture
def objects(api):
    admin = api.headers("admin")
    api.post("/api/v1/units", json={"code": "matrise-skole", "name": "Matriseskolen", "kind": "skole"}, headers=admin)
    resource = api.post("/api/v1/resources", json=resource_body(restrictions="Ikke bilder av elever."),
                        headers=admin).json()
    restriction = api.get(f"/api/v1/resources/{resource['id']}/restrictions", headers=admin).json()[0]
    user = api.get("/api/v1/users/me", headers=admin).json()
    proposal = {"resource": resource_body(name="Matriseforslag", status="draft"),
                "justification": {"pedagogical_purpose": "Test", "units": ["matrise-skole"]}}
    case = api.post("/api/v1/cases", json=proposal, headers=admin).json()["case"]
    wish = api.post("/api/v1/wishes", json={"name": "Noe", "unit": "matrise-skole", "reason": "Fordi"},
                    headers=admin).json()
    api.post("/api/v1/equipment/kinds", json={"code": "nettbrett", "name": "Nettbrett", "category": "pupil_device",
                                              "lifetime_years": 4, "typical_price_nok": 4000}, headers=admin)
    return {"resource_id": resource["id"], "code": "MAT", "unit_type": "skole", "change_id": 1, "holding_id": 1,
            "import_id": 1, "year": 2026, "user_id": user["id"], "role": "dpo",
            "case_id": case["id"], "wish_id": wish["id"], "attachment_id": 1, "notification_id": 1,
            "restriction_id": restriction["id"],
            "tip_id": 1, "report_id": 1, "consultation_id": 1,
            "synonym_id": 1}


def _path(template: str, objects: dict) -> str:
    path = template
    if template.startswith(("/api/v1/units/", "/admin/enheter/", "/api/v1/equipment/units/", "/utstyr/enheter/")) \
            or template.endswith("/units/{code}"):
        path = path.replace("{code}", "matrise-skole")
    if template.startswith(("/api/v1/equipment/kinds/", "/utstyr/typer/")):
        path = path.replace("{code}", "nettbrett")
    for name, value in objects.items():
        path = path.replace("{" + name + "}", str(value))
    return path


@pytest.mark.parametrize("role", [None, *sorted(ALL_ROLES)])
def test_each_role_gets_the_status_its_rule_gives(api, objects, role):
    headers = api.headers(role) if role else {}
    for (method, template), access in SPEC.items():
        if (method, template) in CSRF_FORMS:
            continue
        path = _path(template, objects)
        response = api.request(method, path, headers={**headers, "If-Match": "*"}, json={} if method != "GET" else None)
        status = response.status_code
        assert status != 500, (method, path, role, response.text)
        if access == PUBLIC:
            allowed = True
        elif role is None:
            assert status == 401, (method, path, role, status)
            continue
        else:
            allowed = access == SIGNED_IN or role in access
        role_refused = status == 403 and response.json()["type"].endswith(":role-not-allowed")
        if allowed:
            # object-level refusals (404, or 403 "not yours") are fine; the route must be open to the role
            assert status != 401 and not role_refused, (method, path, role, status, response.text[:200])
        else:
            assert role_refused, (method, path, role, status)
