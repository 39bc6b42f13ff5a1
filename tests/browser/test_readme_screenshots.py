"""Screenshots of the main pages for the README (docs/screenshots with UPDATE_SCREENSHOTS=1). Each
page is also checked with axe before it is photographed."""

from __future__ import annotations

from tests.browser.conftest import assert_accessible, screenshot
from tests.browser.flow import (  # noqa: F401 - people is a fixture
    decide,
    fill_pedagogical,
    people,
    propose,
    unique,
)


def shoot(page, path: str, name: str) -> None:
    response = page.goto(path)
    assert response.status == 200, (path, response.status)
    assert_accessible(page)
    screenshot(page, name)


def test_screenshots_of_the_main_pages(people):
    visitor = people(None)
    shoot(visitor, "/", "forside")
    shoot(visitor, "/ressurser?level=5&subject=MAT", "sok")
    resource = visitor.locator(".result-title a").first.get_attribute("href")
    shoot(visitor, resource, "ressurs")
    shoot(visitor, "/personvern", "personvern")
    shoot(visitor, "/tilgjengelighet", "tilgjengelighet")
    shoot(visitor, "/api-dokumentasjon", "api-dokumentasjon")
    phone = people(None, width=390)
    phone.set_viewport_size({"width": 390, "height": 844})
    shoot(phone, "/ressurser?q=matematikk", "sok-mobil")
    shoot(visitor, "/auth/demo", "demo-innlogging")

    ola = people("Ola")
    shoot(ola, "/forslag/ny", "forslag-ny")
    ola.get_by_label("Navn på læremidlet").press_sequentially("Matemani", delay=20)
    ola.get_by_role("heading", name="Finnes læremidlet allerede?").wait_for()
    assert_accessible(ola)
    screenshot(ola, "forslag-lignende")
    case_id = propose(ola, unique("Brøkbyen"), vendor="Regnefabrikken AS",
                      purpose="Brøk og desimaltall med spillpreg for mellomtrinnet.")

    siri = people("Siri")
    shoot(siri, "/oppgaver", "oppgaver")
    shoot(siri, f"/saker/{case_id}", "sak-pedagogisk")
    fill_pedagogical(siri)
    decide(siri, "Godkjenn", "Passer med LK20.")
    assert "melding=beslutning" in siri.url

    per = people("Per")
    shoot(per, f"/saker/{case_id}", "sak-personvern")

    anne = people("Anne")
    shoot(anne, "/admin/brukere", "admin-brukere")


def test_screenshots_of_the_privacy_documents_reports_equipment_and_tips(people):
    parent = people(None)
    shoot(parent, "/personvern/foreldre?enhet=nordre-skole&trinn=5-7", "foreldre")
    shoot(parent, "/personvern/foreldre?enhet=nordre-skole&trinn=5-7&sprak=nn", "foreldre-nynorsk")
    per = people("Per")
    shoot(per, "/behandlingsprotokoll", "behandlingsprotokoll")
    siri = people("Siri")
    shoot(siri, "/kvalitetsmelding", "kvalitetsmelding")
    tor = people("Tor")
    shoot(tor, "/utstyr", "utstyr")
    kari = people("Kari")
    kari.goto("/ressurser")
    resource = kari.locator(".result-title a").first.get_attribute("href")
    shoot(kari, resource + "#tips", "ressurs-tips")
