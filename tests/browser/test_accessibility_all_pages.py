"""Every page every role can open, checked with axe-core (WCAG 2.1 A and AA), for language, the skip
link as the first stop, labels on every field, and no sideways scrolling at 320 px and at 640 px
(which is what a 1280 px window shows at 200 % zoom). Also the error pages a role meets: 401/403
for a page it may not open, and 404."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import axe_violations, login
from tests.browser.flow import (
    first_tab_stop,
    propose,
    save_draft,
    sideways_overflow,
    unique,
    unlabelled_fields,
    widest_elements,
)

ROLES = [
    ("anonym", None),
    ("Kari (ansatt)", "Kari"),
    ("Ola (IKT-veileder)", "Ola"),
    ("Siri (sektorkontor)", "Siri"),
    ("Per (personvernrådgiver)", "Per"),
    ("Pia (personvernombud)", "Pia"),
    ("Tor (teknologi)", "Tor"),
    ("Anne (systemeier)", "Anne"),
]
# What the main menu and the work menu offer each role (besides «Finn læremidler» and «Personvern i skolen»).
NAV = {
    None: [],
    "Kari": ["/onsker", "/varsler"],
    "Ola": ["/onsker", "/oppgaver", "/varsler", "/forslag/ny", "/forslag", "/utstyr", "/erfaringer"],
    "Siri": ["/onsker", "/oppgaver", "/varsler", "/revisjoner", "/utstyr", "/erfaringer", "/kvalitetsmelding"],
    "Per": ["/onsker", "/oppgaver", "/varsler", "/kvalitetsmelding", "/behandlingsprotokoll"],
    "Pia": ["/onsker", "/oppgaver", "/varsler", "/kvalitetsmelding", "/behandlingsprotokoll"],
    "Tor": ["/onsker", "/oppgaver", "/varsler", "/utstyr", "/kvalitetsmelding"],
    "Anne": ["/onsker", "/oppgaver", "/varsler", "/forslag/ny", "/forslag", "/revisjoner", "/utstyr", "/erfaringer",
             "/kvalitetsmelding", "/behandlingsprotokoll", "/admin"],
}
NARROW_WIDTHS = (320, 640)
# The parent pages, in both languages, with a letter and a refused choice (visited signed out).
PARENT_PAGES = [("/personvern/foreldre", 200), ("/personvern/foreldre?enhet=nordre-skole&trinn=5-7", 200),
                ("/personvern/foreldre?enhet=nordre-skole&trinn=5-7&sprak=nn", 200),
                ("/personvern/foreldre?enhet=solbakken-bhg", 200), ("/personvern/foreldre?enhet=nordre-skole", 200),
                ("/personvern/foreldre/brev?enhet=nordre-skole&trinn=6&sprak=nn", 200),
                ("/personvern/foreldre?enhet=nordre-skole&trinn=9", 422)]  # 640 CSS px: a 1280 px wide window at 200 % zoom


@pytest.fixture(scope="module")
def sample(browser, server):
    """Addresses to visit that need data: a proposal waiting for the sector office (made by Ola in
    the browser), a published resource, a user's admin page and a unit's edit page."""
    context = browser.new_context(base_url=server, locale="nb-NO")
    page = context.new_page()
    login(page, "Anne")
    page.goto("/ressurser")
    resource = page.locator(".result-title a").first.get_attribute("href")
    page.goto("/admin/brukere")
    user = page.get_by_role("link", name="Kari Lærer (demo)").get_attribute("href")
    mentor = page.get_by_role("link", name="Ola IKT-veileder (demo)").get_attribute("href")
    page.goto("/admin/enheter")
    unit = page.get_by_role("link", name="Nordre skole").get_attribute("href")
    page.goto("/utstyr/enheter/nordre-skole")
    holding = page.locator('a[href^="/utstyr/beholdning/"]').first.get_attribute("href")
    page.goto("/utstyr/standard")
    change = page.get_by_role("link", name="Klassesett med micro:bit på alle skoler").first.get_attribute("href")
    context.close()
    context = browser.new_context(base_url=server, locale="nb-NO")
    page = context.new_page()
    login(page, "Ola")
    # a name with a long word in it: every page that lists the case must wrap it on a narrow screen
    case_id = propose(page, unique("Tilgjengelighetstest-med-et-navn-uten-mellomrom-i"))
    draft_id = save_draft(page, unique("Tilgjengelighet Utkast"))
    page.goto("/utstyr/enheter/nordre-skole/import")
    page.set_input_files("#f-file", files=[{"name": "ark.csv", "mimeType": "text/csv", "buffer": (
        "type;antall;anskaffet;finansiert\ngulvrobot;2;2024-05-01;budsjett\nlaser;-1;2099-01-01;ukjent\n").encode()}])
    page.get_by_label("Legge radene til beholdningen").check()
    page.get_by_role("button", name="Sjekk regnearket").click()
    page.wait_for_url("**/utstyr/import/*")
    sheet = page.url.split(server, 1)[-1]
    context.close()
    # the sector office checks a catalogue spreadsheet (one row to create, one refused)
    context = browser.new_context(base_url=server, locale="nb-NO")
    page = context.new_page()
    login(page, "Siri")
    page.goto("/ressurser/import")
    page.set_input_files("#f-file", files=[{"name": "laeremidler.csv", "mimeType": "text/csv", "buffer": (
        "navn;leverandør;nettadresse;type;trinn;fag\nTallstien;Tall AS;https://tallstien.example.no;Øvingsverktøy;"
        "5-7;Matematikk\nUkjent;X AS;https://x.example.no;Spill;vg1;MAT\n").encode()}])
    page.get_by_role("button", name="Sjekk regnearket").click()
    page.wait_for_url("**/ressurser/import/*")
    catalogue_sheet = page.url.split(server, 1)[-1]
    context.close()
    return {"resource": resource, "user": user, "unit": unit, "case": f"/saker/{case_id}",
            "draft": f"/saker/{draft_id}", "mentor": mentor, "holding": holding, "change": change, "sheet": sheet,
            "catalogue_sheet": catalogue_sheet}


def pages_for(who: str | None, sample: dict) -> list[tuple[str, int]]:
    """(path, expected status) for everything the role may open, and the error pages it meets."""
    public = [("/", 200), ("/ressurser", 200), ("/ressurser?q=matematikk&level=5", 200), (sample["resource"], 200),
              ("/personvern", 200), ("/auth/demo", 200), ("/finnes-ikke", 404), ("/ressurser/999999", 404),
              ("/epost/bekreft?token=ukjent", 404), ("/tilgjengelighet", 200), ("/personvernerklaering", 200),
              ("/kontakt", 200)]
    if who in (None, "Anne"):  # the same long page for every role (the whole API): checked signed out and by the owner
        public.append(("/api-dokumentasjon", 200))
    if who is None:
        return public + PARENT_PAGES + [("/varsler", 401), ("/admin", 401), (sample["case"], 401),
                                        ("/revisjoner", 401), ("/kvalitetsmelding", 401)]
    signed_in = public + [("/onsker", 200), ("/onsker/ny", 200), ("/varsler", 200), ("/varsler/innstillinger", 200)]
    # experience sharing and consultations: the tip form, my consultations; moderators' page for mentors and the office
    signed_in += [(sample["resource"] + "/tips/ny", 200), (sample["resource"] + "/tips", 200), ("/horinger", 200),
                  ("/erfaringer", 200 if who in ("Ola", "Siri", "Anne") else 403)]
    # getting started: the guide form (the sector office), a unit's note form (its ICT mentor), the competence page
    signed_in += [(sample["resource"] + "/kom-i-gang", 200 if who in ("Siri", "Anne") else 403),
                  ("/erfaringer/kompetanse", 200 if who in ("Ola", "Siri", "Anne") else 403)]
    if who in ("Ola", "Anne"):
        signed_in += [(sample["resource"] + "/kom-i-gang/enheter/nordre-skole", 200)]
    # following what is new: the subjects, levels and units (and resources) one follows
    signed_in += [("/folger", 200), ("/folger?melding=lagret", 200)]
    equipment = [("/utstyr", 200), ("/utstyr/enheter/nordre-skole", 200), ("/utstyr/standard", 200),
                 ("/utstyr/standard?dato=2025-01-01", 200), (sample["change"], 200), ("/utstyr/typer", 200),
                 ("/utstyr/typer/gulvrobot", 200)]
    if who == "Kari":
        return signed_in + [("/oppgaver", 403), ("/forslag/ny", 403), ("/admin", 403), ("/utstyr", 403),
                            ("/kvalitetsmelding", 403), ("/behandlingsprotokoll", 403),
                            (sample["case"], 404),  # a case that is not hers does not exist for her
                            (sample["resource"] + "/kompetansemaal", 403)]
    if who == "Ola":
        return signed_in + equipment + [
            ("/forslag/ny", 200), ("/forslag", 200), ("/oppgaver", 200), (sample["case"], 200), (sample["draft"], 200),
            (sample["draft"] + "/endre", 200), ("/admin", 403), ("/revisjoner", 403), (sample["holding"], 200),
            ("/utstyr/enheter/nordre-skole/import", 200), (sample["sheet"], 200),
            ("/utstyr/enheter/sentrum-skole", 403), ("/utstyr/standard/skole/ny", 403),
            ("/ressurser/import", 403)]
    if who == "Anne":
        return signed_in + equipment + [
            ("/oppgaver", 200), (sample["case"], 200), ("/forslag/ny", 200), ("/forslag", 200),
            ("/admin", 200), ("/admin/brukere", 200), (sample["user"], 200), ("/admin/enheter", 200),
            (sample["mentor"], 200), ("/revisjoner", 200), ("/revisjoner?dager=365", 200),
            (sample["unit"], 200), ("/admin/fag", 200), (sample["holding"], 200),
            ("/admin/sokeord", 200), ("/admin/sokeord?q=udir", 200), ("/admin/sokeord/1", 200),
            ("/admin/sokeord/1/slett", 200),
            ("/utstyr/enheter/nordre-skole/import", 200), ("/utstyr/standard/barnehage/ny", 200),
            ("/utstyr/enheter/solbakken-bhg", 200), ("/utstyr/enheter/fjordvik-ppt", 200),
            ("/kvalitetsmelding", 200), ("/behandlingsprotokoll", 200), ("/behandlingsprotokoll?side=2", 200),
            ("/personvern/foreldre?enhet=nordre-skole&trinn=5-7&sprak=nn", 200),
            (sample["case"] + "/endre", 403),  # only the proposer edits a proposal
            ("/ressurser/import", 200), (sample["catalogue_sheet"], 200),
            (sample["resource"] + "/kompetansemaal?ord=tall", 200)]
    if who == "Siri":  # the sector office has the overview of revisions
        return signed_in + equipment + [("/oppgaver", 200), (sample["case"], 200), ("/forslag/ny", 403),
                                        ("/admin", 403), ("/revisjoner", 200), ("/utstyr/standard/skole/ny", 200),
                                        (sample["holding"], 403), ("/kvalitetsmelding", 200),
                                        ("/behandlingsprotokoll", 403),
                                        ("/ressurser/import", 200), (sample["catalogue_sheet"], 200),
                                        ("/kompetansemaal/dekning", 200),
                                        ("/kompetansemaal/dekning?fag=MAT&trinn=6", 200),
                                        (sample["resource"] + "/kompetansemaal", 200),
                                        (sample["resource"] + "/kompetansemaal?fag=MAT&trinn=6&ord=", 200)]
    if who == "Tor":
        return signed_in + equipment + [("/oppgaver", 200), (sample["case"], 200), ("/forslag/ny", 403),
                                        ("/admin", 403), ("/revisjoner", 403), (sample["holding"], 200),
                                        ("/utstyr/standard/skole/ny", 403), ("/kvalitetsmelding", 200),
                                        ("/behandlingsprotokoll", 403)]
    # the privacy reviewer and the DPO read the standard, but have no equipment view of their own; the record of
    # processing is theirs
    return signed_in + [("/oppgaver", 200), (sample["case"], 200), ("/forslag/ny", 403), ("/admin", 403),
                        ("/revisjoner", 403), ("/utstyr/standard", 200), (sample["change"], 200), ("/utstyr", 403),
                        ("/kvalitetsmelding", 200), ("/behandlingsprotokoll", 200)]


def check_page(page, path: str, status: int) -> list[str]:
    """Every check for one page; returns the problems found (empty when all is well)."""
    problems = []
    page.set_viewport_size({"width": 1280, "height": 900})
    response = page.goto(path)
    if response.status != status:
        return [f"{path}: status {response.status}, expected {status}"]
    lang = "nn" if "sprak=nn" in path else "nb"
    if page.evaluate("() => document.documentElement.lang") != lang:
        problems.append(f"{path}: lang is not {lang}")
    if page.locator("h1").count() != 1:
        problems.append(f"{path}: {page.locator('h1').count()} h1 elements")
    violations = axe_violations(page)
    if violations:
        problems.append(f"{path}: axe {violations}")
    unlabelled = unlabelled_fields(page)
    if unlabelled:
        problems.append(f"{path}: fields without a label {unlabelled}")
    stop = first_tab_stop(page)
    if "skip-link" not in stop["cls"] or stop["href"] != "#main" or not stop["visible"] or not stop["target"]:
        problems.append(f"{path}: the first Tab stop is not a visible skip link to #main: {stop}")
    for width in NARROW_WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        overflow = sideways_overflow(page)
        if overflow > 0:
            problems.append(f"{path}: scrolls sideways at {width} px by {overflow} px; "
                            f"sticking out: {widest_elements(page)}")
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


@pytest.mark.parametrize("who", [name for _, name in ROLES], ids=[label for label, _ in ROLES])
def test_every_page_of_the_role_is_accessible(browser, server, sample, who):
    context = browser.new_context(base_url=server, locale="nb-NO", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        if who:
            login(page, who)
        page.goto("/")
        nav = page.locator("nav.main-nav a, nav.work-nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert nav == ["/ressurser", "/personvern", *NAV[who]], nav
        visits = pages_for(who, sample)
        visited = {path for path, _ in visits}
        assert set(nav) <= visited
        if who == "Anne":
            page.goto("/admin")
            admin_nav = page.locator("nav.admin-nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
            assert set(admin_nav) <= visited, admin_nav
        problems = []
        for path, status in visits:
            problems += check_page(page, path, status)
        assert problems == [], "\n".join(problems)
        # the error page for a page the role may not open says so in Norwegian
        forbidden = [path for path, status in visits if status in (401, 403)]
        page.goto(forbidden[0])
        assert re.search(r"Du må logge inn|Ingen tilgang", page.locator("h1").inner_text())
    finally:
        context.close()


@pytest.mark.parametrize("who", ["Anne"])  # the system owner opens nearly every page there is
def test_pages_stay_accessible_at_narrow_widths(browser, server, sample, who):
    """axe again at 320 px: tables that scroll sideways only do so on narrow screens."""
    context = browser.new_context(base_url=server, locale="nb-NO", viewport={"width": 320, "height": 800})
    try:
        page = context.new_page()
        login(page, who)
        problems = []
        for path, status in pages_for(who, sample):
            for width in NARROW_WIDTHS[:1]:  # 640 px is checked for overflow on every page already
                page.set_viewport_size({"width": width, "height": 800})
                response = page.goto(path)
                assert response.status == status, (path, response.status)
                violations = axe_violations(page)
                if violations:
                    problems.append(f"{path} at {width} px: axe {violations}")
        assert problems == [], "\n".join(problems)
    finally:
        context.close()
