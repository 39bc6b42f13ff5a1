"""Pages for parents (public, bokmål and nynorsk), the letter and its PDF, and the public JSON:
what they show, that they show only published facts, and how they answer bad input."""

from __future__ import annotations

import io
import re

import pypdf
import pytest

from catalogue import domain
from catalogue.privacy_docs import wording
from tests.conftest import resource_body
from tests.test_workflow_support import FORMS, NORD, SOR, Flow, make_users, privacy_form, privacy_record

PROBLEM = "application/problem+json"
HTML = {"Accept": "text/html"}


def create(api, headers, **overrides) -> int:
    response = api.post("/api/v1/resources", json=resource_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def patch(api, headers, path: str, **changes) -> None:
    etag = api.get(path, headers=headers).headers["etag"]
    response = api.patch(path, json=changes, headers={**headers, "If-Match": etag})
    assert response.status_code == 200, response.text


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def flow(api) -> Flow:
    flow = Flow(api)
    patch(api, flow.admin, f"/api/v1/units/{NORD}", levels=[str(n) for n in range(1, 8)], address="Skolevegen 1")
    return flow


SECRETS = [
    "987654", "987 654", "52000", "52 000", "4321",  # costs and licence counts
    "Hemmeligsen", "Skjulsen",  # reviewers' and approvers' names
    "RÅD-FRA-OMBUDET", "DBA-SKJULT", "SIKKERHET-INTERN", "NOTAT-SKJULT",  # internal parts of privacy records
    "KOMMENTAR-SKJULT", "BEGRUNNELSE-SKJULT", "FORMÅL-SKJULT",  # case comments, reasons, justifications
    "dpia-rapport-skjult", "DPIA-INNHOLD-SKJULT",  # attachments, DPIA documents
    "Vurderingsressurs", "Avslagsressurs", "Utfasingsressurs", "Utkastressurs", "Sørressurs",  # not shown here
]


def test_parents_see_only_published_facts_in_pages_letter_pdf_and_api(api, flow, settings):
    from workflows import scheduler

    secret = make_users(api, [("privacy", "Revisor Skjulsen", ("privacy_reviewer",), ()),
                              ("dpo", "Ombud Hemmeligsen", ("dpo",), ())])
    record = privacy_record(dpia_approved_by="Godkjent Hemmeligsen", dpo_advice="RÅD-FRA-OMBUDET: begrens logging",
                            dpa_reference="DBA-SKJULT-4711", security_measures="SIKKERHET-INTERN: kryptert",
                            retention="Slettes ved skoleårets slutt.")
    visible = create(api, flow.admin, name="Synlig", levels=["5", "6", "7"], annual_cost_nok=987654,
                     licence_count=4321, privacy=record, restrictions="Bruk bare i skoletiden.")
    # a revision of the visible resource, with a comment, a DPIA document and the reviewer's name on it
    patch(api, flow.admin, f"/api/v1/resources/{visible}", next_revision_date="2020-01-01")
    revision = api.run(scheduler.run_once, settings).opened[0]
    assert api.post(f"/api/v1/cases/{revision}/comments", json={"text": "KOMMENTAR-SKJULT om risiko"},
                    headers=secret["dpo"]).status_code == 201
    uploaded = api.post(f"/api/v1/cases/{revision}/attachments", headers=secret["privacy"],
                        files={"file": ("dpia-rapport-skjult.pdf", b"%PDF-1.4 DPIA-INNHOLD-SKJULT", "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    # a resource published through the whole workflow, with justification, notes and reasons on its case
    approved = flow.propose("Forslaget", levels=["6"], justification={"pedagogical_purpose": "FORMÅL-SKJULT"})
    case_id = approved["case"]["id"]
    flow.submit(case_id)
    flow.act(case_id, flow.sector, "approve", reason="BEGRUNNELSE-SKJULT 1", form=FORMS["pedagogical_review"])
    flow.act(case_id, secret["privacy"], "approve", reason="BEGRUNNELSE-SKJULT 2",
             form={**privacy_form(record), "notes": "NOTAT-SKJULT"})
    flow.act(case_id, flow.tech, "approve", reason="BEGRUNNELSE-SKJULT 3", form=FORMS["procurement"])
    # resources parents must not see
    flow.to_state("privacy_review", name="Vurderingsressurs", levels=["6"])
    rejected = flow.to_state("pedagogical_review", name="Avslagsressurs", levels=["6"])
    flow.act(rejected, flow.sector, "reject", reason="BEGRUNNELSE-SKJULT avslag")
    leaving = create(api, flow.admin, name="Utfasingsressurs", levels=["6"])
    patch(api, flow.admin, f"/api/v1/resources/{leaving}", status="phased_out")
    create(api, flow.admin, name="Utkastressurs", levels=["6"], status="draft")
    create(api, flow.admin, name="Sørressurs", levels=["6"], in_base_package=False, units=[SOR])

    responses = {}
    for lang in ("nb", "nn"):
        query = f"enhet={NORD}&trinn=6&sprak={lang}"
        responses[f"page {lang}"] = api.get(f"/personvern/foreldre?{query}")
        responses[f"band page {lang}"] = api.get(f"/personvern/foreldre?enhet={NORD}&trinn=5-7&sprak={lang}")
        responses[f"letter {lang}"] = api.get(f"/personvern/foreldre/brev?{query}")
        responses[f"pdf {lang}"] = api.get(f"/personvern/foreldre/brev.pdf?{query}")
        responses[f"api {lang}"] = api.get(f"/api/v1/public/privacy?unit={NORD}&level=6&lang={lang}")
        responses[f"units {lang}"] = api.get(f"/api/v1/public/units?lang={lang}")
    responses["overview"] = api.get("/personvern")
    texts = {}
    for name, response in responses.items():
        assert response.status_code == 200, (name, response.text[:300])
        texts[name] = pdf_text(response.content) if name.startswith("pdf") else response.text
    for name, text in texts.items():
        # the overview lists every published resource of the municipality, the Sørbyen one too
        leaked = [s for s in SECRETS if s in text and not (name == "overview" and s == "Sørressurs")]
        assert leaked == [], (name, leaked)
        if not name.startswith("units"):
            assert "Synlig" in text and "Forslaget" in text, name
    assert responses["pdf nb"].headers["content-type"] == "application/pdf"
    assert "Bruk bare i skoletiden." in texts["page nn"] and "Bruk bare i skoletiden." in texts["pdf nb"]
    body = responses["api nn"].json()
    assert [r["name"] for r in body["resources"]] == ["Forslaget", "Synlig"] and body["total"] == 2
    synlig = body["resources"][1]
    assert synlig["dpa"] == {"status": "signed", "in_place": True, "short": "Ja", "risk_level": None,
                             "text": "Ja, kommunen har inngått databehandlaravtale med leverandøren."}
    assert synlig["dpia"]["text"] == "Ja, vurderinga er gjennomført. Risikoen er vurdert som låg."
    assert synlig["storage"]["text"] == "I EU/EØS. Opplysningane blir ikkje overførte ut av EU/EØS."
    assert synlig["personal_data"] == "Ja, om elevar: namn, Feide-identitet, resultat og svar på oppgåver."
    assert synlig["retention"] == "Slettes ved skoleårets slutt."
    assert set(synlig) == {"id", "name", "vendor", "url", "description", "in_base_package", "processes_personal_data",
                           "personal_data", "data_subjects", "data_categories", "special_categories", "purposes",
                           "storage", "dpa", "dpia", "retention", "restrictions", "accessibility", "guidance_url",
                           "demo_data"}


def test_the_page_is_in_the_language_chosen_with_a_switch_to_the_other(api, flow):
    create(api, flow.admin, name="Språkressurs", levels=["1", "2"],
           privacy=privacy_record(data_subjects=["pupils", "guardians"], data_categories=["name", "images_video"]))
    nb = api.get(f"/personvern/foreldre?enhet={NORD}&trinn=1-4")
    nn = api.get(f"/personvern/foreldre?enhet={NORD}&trinn=1-4&sprak=nn")
    assert nb.status_code == nn.status_code == 200
    assert '<html lang="nb">' in nb.text and '<html lang="nn">' in nn.text
    assert "Ja, om elever, foresatte: navn, bilder og video." in nb.text
    assert "Ja, om elevar, føresette: namn, bilete og video." in nn.text
    assert "Personvern og digitale læremidler: Nordbyen skole, småtrinnet (1.–4. trinn)" in nb.text
    assert "Personvern og digitale læremiddel: Nordbyen skole, småtrinnet (1.–4. trinn)" in nn.text
    # the switch leads to the same choice in the other form, each link in its own language
    assert f'href="/personvern/foreldre?enhet={NORD}&amp;trinn=1-4&amp;sprak=nn" lang="nn" hreflang="nn"' in nb.text
    assert f'href="/personvern/foreldre?enhet={NORD}&amp;trinn=1-4" lang="nb" hreflang="nb"' in nn.text
    # the site's own menu stays in bokmål and says so; the skip link speaks nynorsk
    assert '<nav class="main-nav" aria-label="Hovedmeny" lang="nb">' in nn.text
    assert "Hopp til hovudinnhaldet" in nn.text
    # texts written in bokmål are marked as such on the nynorsk page
    assert 'lang="nb">Øvingsverktøy for brøk' in nn.text
    letter = api.get(f"/personvern/foreldre/brev.pdf?enhet={NORD}&trinn=1-4&sprak=nn")
    text = pdf_text(letter.content)
    assert "Digitale læremiddel og personvern" in text and "Språkressurs" in text
    assert "Til foreldre og føresette til barn på småtrinnet (1.–4. trinn) ved Nordbyen skole" in text


def test_a_change_shows_on_the_parent_pages_at_once(api, flow):
    resource = create(api, flow.admin, name="Gammelt navn", levels=["3"])
    assert "Gammelt navn" in api.get(f"/api/v1/public/privacy?unit={NORD}&level=3").text
    patch(api, flow.admin, f"/api/v1/resources/{resource}", name="Nytt navn")
    patch(api, flow.admin, f"/api/v1/units/{NORD}", name="Nordbyen nye skole")
    page = api.get(f"/personvern/foreldre?enhet={NORD}&trinn=3").text
    assert "Nytt navn" in page and "Gammelt navn" not in page and "Nordbyen nye skole" in page
    assert "Nytt navn" in pdf_text(api.get(f"/personvern/foreldre/brev.pdf?enhet={NORD}&trinn=3").content)


def test_a_kindergarten_needs_no_level_and_the_choice_lists_units_with_levels(api, flow):
    assert api.post("/api/v1/units", json={"code": "tuva-bhg", "name": "Tuva barnehage", "kind": "barnehage",
                                           "levels": ["barnehage"]}, headers=flow.admin).status_code == 201
    create(api, flow.admin, name="Bildebok", levels=["barnehage"], subjects=[], kindergarten_areas=["KST"])
    page = api.get("/personvern/foreldre?enhet=tuva-bhg")
    assert page.status_code == 200 and "Bildebok" in page.text
    assert "Personvern og digitale læremidler: Tuva barnehage" in page.text
    units = api.get("/api/v1/public/units").json()["units"]
    assert [(u["code"], u["levels"]) for u in units] == [("tuva-bhg", ["barnehage"]),
                                                        (NORD, [str(n) for n in range(1, 8)])]
    # without a level, a school asks for one, offering the levels it has
    choose = api.get(f"/personvern/foreldre?enhet={NORD}")
    assert choose.status_code == 200 and "Velg trinn for Nordbyen skole:" in choose.text
    assert f'href="/personvern/foreldre?enhet={NORD}&amp;trinn=5-7"' in choose.text
    assert "trinn=8-10" not in choose.text.split('id="velg-trinn"')[1]


def test_bad_choices_get_a_clear_page_or_a_problem_naming_the_field(api, flow):
    unknown = api.get("/personvern/foreldre?enhet=finnes-ikke&trinn=5", headers=HTML)
    assert unknown.status_code == 404 and "Vi fant ikke barnehagen eller skolen. Velg fra listen." in unknown.text
    missing = api.get(f"/personvern/foreldre?enhet={NORD}&trinn=9&sprak=nn", headers=HTML)
    assert missing.status_code == 422
    assert "Nordbyen skole har ikkje 9. trinn. Vel eit av trinna Nordbyen skole har:" in missing.text
    assert f'href="/personvern/foreldre?enhet={NORD}&amp;trinn=7&amp;sprak=nn"' in missing.text
    nonsense = api.get(f"/personvern/foreldre?enhet={NORD}&trinn=elleve", headers=HTML)
    assert nonsense.status_code == 422 and "Velg et trinn fra listen." in nonsense.text
    language = api.get(f"/personvern/foreldre?enhet={NORD}&trinn=5&sprak=se", headers=HTML)
    assert language.status_code == 422 and "Velg bokmål eller nynorsk." in language.text
    letter = api.get(f"/personvern/foreldre/brev?enhet={NORD}&trinn=10", headers=HTML)
    assert letter.status_code == 422
    # a unit that is not a kindergarten or school (a service) is not offered
    api.post("/api/v1/units", json={"code": "ppt", "name": "PPT", "kind": "tjeneste", "levels": ["5"]},
             headers=flow.admin)

    def problem(path: str, status: int, field: str) -> None:
        response = api.get(path)
        assert response.status_code == status, (path, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert [e["field"] for e in response.json()["errors"]] == [field], response.json()

    problem("/api/v1/public/privacy?unit=ppt&level=5", 404, "unit")
    problem("/api/v1/public/privacy?unit=finnes-ikke&level=5", 404, "unit")
    problem(f"/api/v1/public/privacy?unit={NORD}&level=9", 422, "level")
    problem(f"/api/v1/public/privacy?unit={NORD}&level=tolv", 422, "level")
    problem(f"/api/v1/public/privacy?unit={NORD}&level=5&lang=de", 422, "lang")
    problem("/api/v1/public/units?lang=xx", 422, "lang")
    problem(f"/personvern/foreldre/brev.pdf?enhet={NORD}", 422, "trinn")
    problem(f"/personvern/foreldre/brev.pdf?enhet={NORD}&trinn=9", 422, "trinn")
    problem("/personvern/foreldre/brev.pdf?enhet=finnes-ikke&trinn=5", 404, "enhet")
    assert api.get(f"/api/v1/public/privacy?unit={NORD}&level=9").json()["levels"] == \
        ["1", "2", "3", "4", "5", "6", "7", "1-4", "5-7"]


def test_every_code_parents_may_meet_has_words_in_both_languages():
    tables = {"DATA_SUBJECTS": domain.DATA_SUBJECTS, "DATA_CATEGORIES": domain.DATA_CATEGORIES,
              "FEIDE_ATTRIBUTES": domain.FEIDE_ATTRIBUTES, "LOCATIONS": domain.DATA_LOCATIONS,
              "TRANSFER_BASES": domain.TRANSFER_BASES, "DPA": domain.DPA_STATUSES, "DPA_SHORT": domain.DPA_STATUSES,
              "DPIA": domain.DPIA_STATUSES, "DPIA_SHORT": domain.DPIA_STATUSES, "RISK": domain.RISK_LEVELS,
              "CONFORMANCE": domain.CONFORMANCE_LEVELS}
    for name, codes in tables.items():
        for lang in wording.LANGUAGES:
            assert set(getattr(wording, name)[lang]) == set(codes), (name, lang)
    assert set(wording.TEXT["nb"]) == set(wording.TEXT["nn"])
    # the two forms are written out, not copied: most fixed texts differ
    differing = [k for k in wording.TEXT["nb"] if wording.TEXT["nb"][k] != wording.TEXT["nn"][k]]
    assert len(differing) > 0.6 * len(wording.TEXT["nb"])
