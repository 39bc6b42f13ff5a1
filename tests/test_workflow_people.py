"""Acceptance tests of what people are told and what they can act on: every e-mail links to the
page where its reader acts; an e-mail address is set by the user or the admin and used once the
link sent to it is followed; a daily digest instead of one e-mail each; a returned case has a due
date and a reminder; a leaving ICT mentor's cases are handed over; the wisher hears how the
proposal made from the wish ended; a phase-out is announced with its end date to the units that
use the resource and the people who follow it; the sector office's overview of revisions."""

from __future__ import annotations

import dataclasses
import datetime
import re

import pytest

from tests.conftest import _settings, resource_body
from tests.test_pages_workflow import page, send
from tests.test_workflow_notifications import DEAD_PORT, outbox, smtp_server  # noqa: F401 (a fixture)
from tests.test_workflow_support import NORD, PEDAGOGICAL_FORM, SOR, Flow, privacy_form, today
from workflows import notify, scheduler

# plain http, so the test client sends the session and CSRF cookies back (https makes them Secure)
BASE = "http://laeremidler.fjordvik.example.no"


@pytest.fixture
def settings(database_url, tmp_path, signing_pem):
    return _settings(database_url, tmp_path, signing_pem, smtp_host="127.0.0.1", smtp_port=DEAD_PORT,
                     smtp_starttls=False, smtp_from="katalog@fjordvik.example.no", public_base_url=BASE,
                     http_timeout_seconds=5.0)


@pytest.fixture
def flow(api) -> Flow:
    return Flow(api)


def deliver(flow: Flow, settings, port: int):
    return flow.api.run(notify.deliver_pending, dataclasses.replace(settings, smtp_port=port))


def set_email(flow: Flow, headers: dict, address: str) -> dict:
    response = flow.api.patch("/api/v1/users/me", json={"email": address}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def link_in(message) -> str:
    found = re.search(r"https?://\S+", message.get_content())
    assert found, message.get_content()
    return found.group(0)


def test_a_user_sets_an_address_that_is_used_once_the_link_sent_to_it_is_followed(api, flow, settings, smtp_server):
    collector, port = smtp_server
    me = set_email(flow, flow.sector, "siri@fjordvik.example.no")
    assert me["email"] is None and me["email_pending"] == "siri@fjordvik.example.no"
    bad = flow.api.patch("/api/v1/users/me", json={"email": "ikke en adresse"}, headers=flow.sector)
    assert bad.status_code in (400, 422) and "email" in bad.text
    deliver(flow, settings, port)
    verification = collector.messages[-1]
    assert verification["To"] == "siri@fjordvik.example.no"
    link = link_in(verification)
    assert link.startswith(f"{BASE}/epost/bekreft?token=")
    token = link.split("token=", 1)[1]
    # the link is not shown in the app (it proves the mailbox), and a task is not yet mailed
    assert all(n["kind"] != "email_verification" for n in flow.notifications(flow.sector))
    case_id = flow.to_state("pedagogical_review")
    assert all(n["email"] is None for n in api.run(outbox) if n["case"] == case_id and n["kind"] == "task")

    # opening the link asks for one click; the click confirms; a second click finds nothing
    client = flow.api.client
    client.cookies.clear()
    assert "siri@fjordvik.example.no" in page(api, f"/epost/bekreft?token={token}")
    assert api.get("/epost/bekreft?token=feil-feil-feil-feil-feil", headers={"Accept": "text/html"}).status_code == 404
    csrf = api.csrf_token()
    confirmed = send(api, "/epost/bekreft", csrf, {"token": token}, status=200)
    assert "er bekreftet" in confirmed.text
    send(api, "/epost/bekreft", csrf, {"token": token}, status=404)
    assert flow.api.post("/api/v1/users/email-verification", json={"token": token}).status_code == 404
    assert flow.api.get("/api/v1/users/me", headers=flow.sector).json()["email"] == "siri@fjordvik.example.no"

    # from now on the step's e-mail reaches her, and links to the case
    second = flow.to_state("pedagogical_review", name="Tallinja")
    collector.messages.clear()
    deliver(flow, settings, port)
    task = next(m for m in collector.messages if m["To"] == "siri@fjordvik.example.no")
    assert task["Subject"] == "Ny oppgave: Tallinja"
    assert f"{BASE}/saker/{second}" in task.get_content()


def test_every_notification_email_links_to_the_page_where_its_reader_acts(api, flow, settings, smtp_server):
    collector, port = smtp_server
    for name in ("mentor-nord", "laerer-nord"):
        api.run(_verified, name, f"{name}@fjordvik.example.no")
    wish = flow.api.post("/api/v1/wishes", json={"name": "Ordjakt", "unit": NORD, "reason": "Lesetrening."},
                         headers=flow.staff).json()
    case_id = flow.to_state("pedagogical_review")
    flow.act(case_id, flow.sector, "return", reason="Mangler trinn.")
    flow.api.post(f"/api/v1/wishes/{wish['id']}/decline", json={"reason": "Finnes allerede."}, headers=flow.mentor)
    deliver(flow, settings, port)
    links = {m["Subject"]: link_in(m) for m in collector.messages}
    assert links["Nytt ønske: Ordjakt"] == f"{BASE}/forslag#onsker"
    assert links["Sendt tilbake til forslagsstilleren: Brøkbyggeren"] == f"{BASE}/saker/{case_id}"
    assert links["Svar på ønsket ditt: Ordjakt"] == f"{BASE}/onsker"
    assert all(n["link"] for n in flow.notifications(flow.mentor))


async def _verified(subject: str, address: str) -> None:
    from catalogue.tables import AppUser

    await AppUser.update({AppUser.email: address, AppUser.email_source: "verified"}).where(
        AppUser.subject == subject)


def test_the_admin_sets_an_address_and_the_user_chooses_a_daily_digest(api, flow, settings, smtp_server):
    collector, port = smtp_server
    mentor_id = flow.user_id(flow.mentor)
    admin_set = flow.api.patch(f"/api/v1/users/{mentor_id}", json={"email": "ola@nord.example.no"}, headers=flow.admin)
    assert admin_set.status_code == 200 and admin_set.json()["email_pending"] == "ola@nord.example.no"
    assert flow.api.patch(f"/api/v1/users/{mentor_id}", json={"email": "x"}, headers=flow.sector).status_code == 403
    deliver(flow, settings, port)
    token = link_in(collector.messages[-1]).split("token=", 1)[1]
    assert flow.api.post("/api/v1/users/email-verification", json={"token": token}).status_code == 200
    assert flow.api.get(f"/api/v1/users/{mentor_id}", headers=flow.admin).json()["email"] == "ola@nord.example.no"

    chosen = flow.api.patch("/api/v1/users/me", json={"notification_mode": "digest"}, headers=flow.mentor)
    assert chosen.status_code == 200 and chosen.json()["notification_mode"] == "digest"
    first = flow.to_state("returned")
    second = flow.to_state("returned", name="Tallinja")
    collector.messages.clear()
    deliver(flow, settings, port)
    assert [m for m in collector.messages if m["To"] == "ola@nord.example.no"] == []  # waiting for the digest

    morning = datetime.datetime.now(datetime.timezone.utc).replace(hour=4, minute=0)  # 05:00 or 06:00 in Oslo
    assert api.run(notify.send_digests, settings, morning) == 0  # before DIGEST_HOUR (7)
    later = morning.replace(hour=10)
    assert api.run(notify.send_digests, settings, later) == 1
    assert api.run(notify.send_digests, settings, later) == 0  # once a day
    deliver(flow, settings, port)
    digests = [m for m in collector.messages if m["To"] == "ola@nord.example.no"]
    assert len(digests) == 1 and digests[0]["Subject"] == "Dagens varsler fra Læremiddelkatalogen (2)"
    body = digests[0].get_content()
    assert f"{BASE}/saker/{first}" in body and f"{BASE}/saker/{second}" in body
    # the app still lists each notification, not the digest
    kinds = [n["kind"] for n in flow.notifications(flow.mentor)]
    assert "digest" not in kinds and kinds.count("return") == 2


def test_the_notification_settings_page_sets_the_address_and_the_mode(api, flow, settings):
    token = api.login_page("staff", user="kari-side")
    text = page(api, "/varsler/innstillinger")
    assert "Én samlet e-post om dagen" in text
    wrong = send(api, "/varsler/innstillinger", token, {"epost": "kari@", "modus": "digest"}, status=422)
    assert 'href="#f-epost"' in wrong.text and 'value="kari@"' in wrong.text
    sent = send(api, "/varsler/innstillinger", token, {"epost": "kari@skole.example.no", "modus": "digest"})
    assert sent.headers["location"] == "/varsler/innstillinger?melding=lenke-sendt"
    me = api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {_token_for(api, 'kari-side')}"}).json()
    assert me["email_pending"] == "kari@skole.example.no" and me["notification_mode"] == "digest"
    assert "/varsler/innstillinger" in page(api, "/varsler")


def _token_for(api, subject: str) -> str:
    from catalogue.tables import AppUser

    async def find() -> int:
        return (await AppUser.select(AppUser.id).where(AppUser.subject == subject).first())["id"]

    return api.client.app.state.tokens.issue(str(api.run(find)), name=subject)


def test_a_returned_case_has_a_due_date_a_reminder_and_an_overdue_notice(flow, settings):
    case_id = flow.to_state("returned")
    case = flow.case(case_id)
    due = today() + datetime.timedelta(days=settings.return_due_days)
    assert case["step_due"] == due.isoformat() and case["overdue"] is False

    def reminders() -> list[dict]:
        return [n for n in flow.notifications(flow.mentor) if n["kind"] == "reminder" and n["case_id"] == case_id]

    assert flow.api.run(scheduler.run_once, settings, due - datetime.timedelta(days=8)).reminded == []
    week_before = due - datetime.timedelta(days=7)
    assert flow.api.run(scheduler.run_once, settings, week_before).reminded == [case_id]
    assert flow.api.run(scheduler.run_once, settings, week_before + datetime.timedelta(days=1)).reminded == []
    told = reminders()
    assert len(told) == 1 and due.strftime("%d.%m.%Y") in told[0]["body"] and told[0]["link"] == f"/saker/{case_id}"
    assert flow.api.run(scheduler.run_once, settings, due + datetime.timedelta(days=1)).overdue == [case_id]
    assert any(n["kind"] == "overdue" and n["case_id"] == case_id for n in flow.notifications(flow.mentor))
    # answered: the review step has its own due date again
    assert flow.act(case_id, flow.mentor, "resubmit")["step_due"] == (
        today() + datetime.timedelta(days=settings.step_due_days)).isoformat()


def test_the_admin_hands_a_leaving_mentors_open_cases_to_another_mentor_of_the_unit(api, flow):
    returned = flow.to_state("returned")
    draft = flow.to_state("draft", name="Tallinja")
    done = flow.to_state("approved", name="Ordjakt")
    leaving = flow.user_id(flow.mentor)
    url = f"/api/v1/users/{leaving}/hand-over"
    other_unit = flow.user_id(flow.mentor_other_unit)
    refused = flow.api.post(url, json={"to_user_id": other_unit}, headers=flow.admin)
    assert refused.status_code == 422 and "to_user_id" in [e["field"] for e in refused.json()["errors"]]
    assert flow.api.post(url, json={"to_user_id": flow.user_id(flow.staff)}, headers=flow.admin).status_code == 422
    assert flow.api.post(url, json={"to_user_id": other_unit}, headers=flow.mentor).status_code == 403
    assert flow.api.post(url, json={"to_user_id": leaving, "case_ids": [done]}, headers=flow.admin).status_code == 422

    successor = flow.user_id(flow.mentor_same_unit)
    moved = flow.api.post(url, json={"to_user_id": successor}, headers=flow.admin)
    assert moved.status_code == 200 and moved.json()["moved"] == [returned, draft]
    for case_id in (returned, draft):
        case = flow.case(case_id, flow.mentor_same_unit)
        assert case["proposer"]["id"] == successor
        assert case_id in flow.tasks(flow.mentor_same_unit)
        assert flow.history(case_id)["events"][-1]["action"] == "hand_over"
    assert flow.case(done)["proposer"]["id"] == leaving
    told = [n for n in flow.notifications(flow.mentor_same_unit) if n["kind"] == "hand_over"]
    assert {n["case_id"] for n in told} == {returned, draft}
    assert flow.act(returned, flow.mentor_same_unit, "resubmit")["state"] == "pedagogical_review"

    # through the admin page
    again = flow.propose("Skrivebua", headers=flow.mentor_same_unit)["case"]["id"]
    token = api.login_page("admin", user="admin-side")
    text = page(api, f"/admin/brukere/{successor}")
    assert "Åpne saker som forslagsstiller" in text and "mentor-nord" in text
    send(api, f"/admin/brukere/{successor}/overfor", token, {"saker": [str(again)], "til": str(leaving)})
    assert flow.case(again)["proposer"]["id"] == leaving


def test_the_wisher_is_told_how_the_proposal_from_the_wish_ended_with_the_reason(flow):
    def wish(name: str) -> int:
        response = flow.api.post("/api/v1/wishes", json={"name": name, "unit": NORD, "reason": "Trenger det."},
                                 headers=flow.staff)
        assert response.status_code == 201
        return response.json()["id"]

    approved = flow.propose("Brøkbyggeren", justification={"wish_id": wish("Brøkbyggeren")})["case"]["id"]
    flow.submit(approved)
    flow.approve(approved, "pedagogical_review")
    flow.act(approved, flow.privacy, "approve_with_restrictions", reason="OK", restrictions="Ikke lydopptak.",
             form=privacy_form())
    flow.approve(approved, "procurement")
    rejected = flow.propose("Ordjakt", justification={"wish_id": wish("Ordjakt")})["case"]["id"]
    flow.submit(rejected)
    flow.act(rejected, flow.sector, "reject", reason="Dekkes av Lesehjelpen.")

    told = {n["subject"]: n for n in flow.notifications(flow.staff) if n["kind"] == "wish"}
    yes = told["Ønsket ditt «Brøkbyggeren» er godkjent med begrensninger"]
    assert "Godkjent i procurement." in yes["body"] and "Ikke lydopptak." in yes["body"]
    assert yes["link"] == f"/ressurser/{flow.case(approved)['resource_id']}"
    no = told["Ønsket ditt «Ordjakt» er avslått"]
    assert "Begrunnelse: Dekkes av Lesehjelpen." in no["body"] and no["link"] == "/onsker"
    # the teacher can open the page the approval notice links to
    assert flow.api.get(f"/api/v1/resources/{flow.case(approved)['resource_id']}", headers=flow.staff).status_code == 200


def test_a_phase_out_is_announced_with_its_end_date_to_the_units_and_the_followers(api, flow, settings):
    body = resource_body(name="Gamleboka", in_base_package=False, units=[NORD],
                         next_revision_date=(today() - datetime.timedelta(days=1)).isoformat(),
                         licence_expires=(today() + datetime.timedelta(days=900)).isoformat())
    resource = flow.api.post("/api/v1/resources", json=body, headers=flow.admin).json()
    follower = flow.api.headers("staff", user="laerer-sor", units=(SOR,))
    assert flow.api.put(f"/api/v1/resources/{resource['id']}/follow", headers=follower).json() == {"following": True}
    assert flow.api.get(f"/api/v1/resources/{resource['id']}/follow", headers=follower).json() == {"following": True}
    revision = flow.api.run(scheduler.run_once, settings).opened[0]
    flow.act(revision, flow.privacy, "approve", reason="OK", form=privacy_form())
    past = flow.post_action(revision, flow.sector, "phase_out", reason="Utgått.",
                            end_date=(today() - datetime.timedelta(days=1)).isoformat())
    assert "end_date" in [e["field"] for e in past.json()["errors"]]
    end = today() + datetime.timedelta(days=45)
    flow.act(revision, flow.sector, "phase_out", reason="Leverandøren slutter.", end_date=end.isoformat())
    phase_out = next(c for c in flow.api.get("/api/v1/cases?kind=phase_out", headers=flow.admin).json()["items"])
    assert flow.case(phase_out["id"])["end_date"] == end.isoformat()

    def notices(headers) -> list[dict]:
        return [n for n in flow.notifications(headers) if n["kind"] == "phase_out"]

    for headers in (flow.mentor, flow.mentor_same_unit, follower):
        got = notices(headers)
        assert len(got) == 1 and end.strftime("%d.%m.%Y") in got[0]["subject"], got
        assert "Leverandøren slutter." in got[0]["body"] and got[0]["link"] == f"/ressurser/{resource['id']}"
    assert notices(flow.mentor_other_unit) == [] and notices(flow.staff) == []
    # the follower can open the page the notice links to, and it says when the resource goes
    shown = flow.api.get(f"/api/v1/resources/{resource['id']}", headers=follower)
    assert shown.status_code == 200 and shown.json()["status"] == "phasing_out"
    text = page(api, f"/ressurser/{resource['id']}")
    assert "Læremidlet fases ut." in text and end.strftime("%d.%m.%Y") in text
    assert flow.api.delete(f"/api/v1/resources/{resource['id']}/follow", headers=follower).json() == {
        "following": False}


def test_the_sector_office_sees_revisions_due_in_90_days_and_those_overdue(api, flow, settings):
    def publish(name: str, **dates) -> int:
        dates = {"licence_expires": today() + datetime.timedelta(days=900), **dates}
        body = resource_body(name=name, **{k: v.isoformat() for k, v in dates.items()})
        return flow.api.post("/api/v1/resources", json=body, headers=flow.admin).json()["id"]

    overdue = publish("Forfalt", next_revision_date=today() - datetime.timedelta(days=3))
    soon = publish("Snart", next_revision_date=today() + datetime.timedelta(days=20))
    licence = publish("Lisensen", next_revision_date=today() + datetime.timedelta(days=300),
                      licence_expires=today() + datetime.timedelta(days=70))
    later = publish("Senere", next_revision_date=today() + datetime.timedelta(days=200))
    opened = flow.api.run(scheduler.run_once, settings).opened
    assert len(opened) == 1

    response = flow.api.get("/api/v1/revisions", headers=flow.sector)
    assert response.status_code == 200, response.text
    overview = response.json()
    assert overview["days"] == 90
    assert [i["resource_id"] for i in overview["overdue"]] == [overdue]
    assert overview["overdue"][0]["case_id"] == opened[0] and overview["overdue"][0]["reasons"] == ["revision_date"]
    assert [i["resource_id"] for i in overview["upcoming"]] == [soon, licence]
    by_id = {i["resource_id"]: i for i in overview["upcoming"]}
    assert by_id[licence]["reasons"] == ["licence_expires"]
    assert by_id[licence]["due_date"] == (today() + datetime.timedelta(days=70 - settings.revision_lead_days)).isoformat()
    wide = flow.api.get("/api/v1/revisions?days=365", headers=flow.sector).json()
    assert later in [i["resource_id"] for i in wide["upcoming"]]
    assert flow.api.get("/api/v1/revisions?days=0", headers=flow.sector).status_code == 400
    assert flow.api.get("/api/v1/revisions", headers=flow.privacy).status_code == 403

    api.login_page("sector_reviewer", user="vkko-side")
    text = page(api, "/revisjoner")
    assert "Forfalt (1)" in text and "De neste 90 dagene (2)" in text and f"/saker/{opened[0]}" in text
    assert "Senere" not in text and "Senere" in page(api, "/revisjoner?dager=365")


def test_a_phase_out_decided_on_the_case_page_needs_its_end_date(api, flow, settings):
    body = resource_body(name="Gamleboka", next_revision_date=(today() - datetime.timedelta(days=1)).isoformat(),
                         licence_expires=(today() + datetime.timedelta(days=900)).isoformat())
    flow.api.post("/api/v1/resources", json=body, headers=flow.admin)
    revision = flow.api.run(scheduler.run_once, settings).opened[0]
    token = api.login_page("privacy_reviewer", user="personvern-side")
    assert "Siste dag læremidlet er i bruk" in page(api, f"/saker/{revision}")

    def decide(status: int, end_date: str):
        return send(api, f"/saker/{revision}/beslutning", token, {
            "action": "phase_out", "reason": "Leverandøren slutter.", "end_date": end_date, "knapp": "beslutning",
            "steg": "privacy_review", "versjon": str(flow.case(revision)["version"])}, status=status)

    assert 'href="#f-end_date"' in decide(422, "").text
    assert "Skriv en gyldig dato" in decide(422, "31.02.2030").text
    end = today() + datetime.timedelta(days=30)
    decide(303, end.strftime("%d.%m.%Y"))
    phase_out = flow.api.get("/api/v1/cases?kind=phase_out", headers=flow.admin).json()["items"][0]
    assert flow.case(phase_out["id"])["end_date"] == end.isoformat()
    assert end.strftime("%d.%m.%Y") in page(api, f"/saker/{phase_out['id']}")
