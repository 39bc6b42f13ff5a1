"""Helpers for the browser tests of the approval process: one browser context per person, the
proposal and the three review forms filled in the way a person fills them, and the checks every
page gets (focus indicator, sideways scrolling, labels, the skip link).

The fixture ``people`` is imported by the test modules that use it."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.browser.conftest import assert_accessible, login

CRITERIA = ("Finnes på både bokmål og nynorsk", "Universelt utformet", "Ivaretar personvernet",
            "Innlogging med Feide", "Gir merverdi utover en trykt bok")


def unique(prefix: str) -> str:
    """A name no other test uses on the shared server."""
    return f"{prefix} {uuid.uuid4().hex[:8]}"


@pytest.fixture
def people(browser, server):
    """``open_as("Siri")`` gives a page in a fresh browser context, signed in as that demo user
    (``open_as(None)`` stays anonymous). Every context is closed after the test. Any JavaScript
    dialog (alert, confirm, prompt) is dismissed and recorded in ``open_as.dialogs``: no page of
    the service opens one, so a dialog means injected script ran."""
    contexts = []
    dialogs: list[str] = []

    def record(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message} on {dialog.page.url if dialog.page else '?'}")
        dialog.dismiss()

    def open_as(name_part: str | None, *, width: int = 1280, **options):
        context = browser.new_context(base_url=server, locale="nb-NO", viewport={"width": width, "height": 900},
                                      **options)
        context.on("dialog", record)
        contexts.append(context)
        page = context.new_page()
        if name_part:
            login(page, name_part)
            assert page.get_by_role("button", name="Logg ut").is_visible(), f"{name_part} is not signed in"
        return page

    open_as.dialogs = dialogs
    yield open_as
    for context in contexts:
        context.close()


def submit(page, button_name: str):
    """Click a submit button and wait for the page that answers (a redirect or the same form again)."""
    with page.expect_navigation():
        page.get_by_role("button", name=button_name, exact=True).click()
    page.wait_for_load_state()


def case_id_from(url: str) -> int:
    found = re.search(r"/saker/(\d+)", url)
    assert found, url
    return int(found.group(1))


# --- proposing ----------------------------------------------------------------------------------


def fill_proposal(page, name: str, *, url: str | None = None, vendor: str = "Tallforlaget AS",
                  kind: str = "Øvingsverktøy", levels=("5. trinn", "6. trinn"), subjects=("Matematikk",),
                  unit: str = "Nordre skole (din enhet)",
                  purpose: str = "Mengdetrening i brøk og desimaltall, med tilpasset nivå for hver elev.") -> None:
    page.get_by_label("Navn på læremidlet").fill(name)
    page.get_by_label(marked("Leverandør")).fill(vendor)
    page.get_by_label("Nettadresse").fill(url or f"https://{uuid.uuid4().hex[:10]}.example.no/")
    page.get_by_label("Type læremiddel").select_option(label=kind)
    page.get_by_label("Beskrivelse").fill("Oppgaver i tallforståelse med umiddelbar tilbakemelding.")
    for level in levels:
        page.get_by_role("group", name="Trinn", exact=True).get_by_label(level, exact=True).check()
    for subject in subjects:
        page.get_by_role("group", name="Fag", exact=True).get_by_label(subject, exact=True).check()
    page.get_by_role("group", name="Plattformer").get_by_label("Nettleser").check()
    page.get_by_role("group", name="Innlogging", exact=True).get_by_label("Feide").check()
    page.get_by_role("group", name="Språk", exact=True).get_by_label("Bokmål").check()
    page.get_by_label("Lisensmodell").select_option(label="Per bruker")
    page.get_by_label("Pedagogisk formål").fill(purpose)
    page.get_by_role("group", name="Enheter som ønsker læremidlet").get_by_label(unit, exact=True).check()
    page.get_by_label("Hvem ba om læremidlet?").fill("Lærerne på 5. og 6. trinn")
    page.get_by_label("Anslått årlig kostnad i kroner").fill("12 000")


def confirm_not_duplicate_if_asked(page) -> bool:
    """When similar resources exist, the form comes back with a warning and a box to tick.
    Returns True when the warning was there."""
    if page.get_by_role("heading", name="Finnes læremidlet allerede?").count() == 0:
        return False
    page.get_by_label("Jeg har sjekket at dette ikke er et duplikat").check()
    return True


def propose(page, name: str, **fields) -> int:
    """The ICT mentor proposes a resource through /forslag/ny and sends it in; returns the case id."""
    page.goto("/forslag/ny")
    fill_proposal(page, name, **fields)
    submit(page, "Send inn til vurdering")
    if page.get_by_role("heading", name="Finnes læremidlet allerede?").count():
        assert_accessible(page)  # the warning and the error summary that asks for the confirmation
        confirm_not_duplicate_if_asked(page)
        submit(page, "Send inn til vurdering")
    assert "melding=forslag-sendt" in page.url, page.locator("main").inner_text()[:2000]
    return case_id_from(page.url)


def save_draft(page, name: str, **fields) -> int:
    """The ICT mentor saves a proposal as a draft; returns the case id."""
    page.goto("/forslag/ny")
    fill_proposal(page, name, **fields)
    submit(page, "Lagre som utkast")
    if confirm_not_duplicate_if_asked(page):
        submit(page, "Lagre som utkast")
    assert "melding=utkast-lagret" in page.url, page.locator("main").inner_text()[:2000]
    return case_id_from(page.url)


# --- the review forms -----------------------------------------------------------------------------


def marked(label: str) -> re.Pattern:
    """A field's accessible name, with or without the «(må fylles ut)» that marks it as required."""
    # Playwright sends the pattern as /…/: a slash in the label must be escaped
    return re.compile("^" + re.escape(label).replace("/", r"\/") + r"( \(må fylles ut[^)]*\))?$")


def radio(page, group: str, choice: str) -> None:
    page.get_by_role("group", name=marked(group)).get_by_label(choice, exact=True).check()


def fill_pedagogical(page) -> None:
    page.get_by_label("Hvordan passer læremidlet med læreplanen (LK20)?").fill(
        "Støtter kompetansemål i matematikk etter 5. og 6. trinn om brøk, desimaltall og prosent.")
    for criterion in CRITERIA:
        radio(page, criterion, "Ja")
    page.get_by_label("Merknader til kvalitetskriteriene").fill("Nynorsk finnes i appen og på nett.")
    page.get_by_label("Overlapp med læremidler vi allerede har").fill("Ingen i katalogen dekker brøk så grundig.")


def fill_privacy(page, processor: str = "Tallforlaget AS") -> None:
    """A lawful record: pupils' data with a signed DPA, a completed DPIA with low risk, stored in Norway."""
    radio(page, "Behandler læremidlet personopplysninger?", "Ja")
    subjects = page.get_by_role("group", name="Hvem opplysningene gjelder")
    subjects.get_by_label("Elever", exact=True).check()
    categories = page.get_by_role("group", name="Hvilke opplysninger som behandles")
    for category in ("Navn", "Feide-identitet", "Resultater og besvarelser"):
        categories.get_by_label(category, exact=True).check()
    radio(page, "Behandles særlige kategorier av personopplysninger (art. 9), for eksempel om helse?", "Nei")
    page.get_by_label("Rettslig grunnlag").select_option("gdpr_6_1_e")
    page.get_by_label("Databehandler", exact=True).fill(processor)
    page.get_by_label("Status for databehandleravtalen").select_option(label="Inngått")
    page.get_by_label("Dato for avtalen").fill("01.08.2026")
    page.get_by_label("Referanse til avtalen").fill("2026/4711")
    page.get_by_label("Avtalen utløper").fill("31.07.2029")
    radio(page, "Behandles opplysninger om barn eller elever?", "Ja")
    radio(page, "Tas ny teknologi i bruk, for eksempel kunstig intelligens eller biometri?", "Nei")
    radio(page, "Innebærer bruken systematisk overvåking?", "Nei")
    radio(page, "Behandles opplysninger i stort omfang?", "Nei")
    page.get_by_label("Status for DPIA").select_option(label="Gjennomført")
    page.get_by_label("Dato for DPIA").fill("15.08.2026")
    page.get_by_label("Risikonivå etter DPIA").select_option(label="Lav")
    page.get_by_label("DPIA godkjent av").fill("Personvernombudet")
    page.get_by_label("Hvor lagres opplysningene?").select_option(label="Norge")
    radio(page, "Overføres opplysninger ut av EU/EØS?", "Nei")
    page.get_by_label("Lagringstid og sletting").fill("Slettes ett år etter at eleven slutter.")
    page.get_by_label("Sikkerhetstiltak").fill("Kryptering, tilgangsstyring via Feide.")
    page.get_by_label("Merknader til personvernvurderingen").fill("Lovlig behandling med avtale og DPIA.")


def attach_privacy_documents(page) -> None:
    """The privacy adviser uploads the DPA and the DPIA to the case, as the approval requires."""
    for kind, name in (("Databehandleravtale", "databehandleravtale.pdf"),
                       ("Vurdering av personvernkonsekvenser (DPIA)", "dpia.pdf")):
        page.get_by_label("Last opp et dokument").set_input_files(
            {"name": name, "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% " + name.encode()})
        page.get_by_label("Hva slags dokument er det?").select_option(label=kind)
        submit(page, "Last opp")
        assert "melding=vedlegg" in page.url, page.locator("main").inner_text()[:2000]


def fill_procurement(page) -> None:
    page.get_by_label("Årlig kostnad i kroner").fill("12 000")
    page.get_by_label("Antall lisenser").fill("60")
    page.get_by_label("Lisensen gjelder fra").fill("01.08.2026")
    page.get_by_label("Lisensen gjelder til").fill("31.07.2027")
    page.get_by_label("Budsjettansvarlig").fill("Rektor ved Nordre skole")
    page.get_by_label("Enhetsstyring (MDM)").select_option(label="Ikke nødvendig")
    page.get_by_label("Aktivering i Feide").select_option(label="Ferdig")
    page.get_by_label(marked("Teknisk vurdering")).fill("Nettleserbasert, Feide-innlogging er aktivert.")
    radio(page, "Læremidlet skal inn i", "Grunnpakken (alle enheter)")


def decide(page, action: str, reason: str, restrictions: str | None = None) -> None:
    """Choose a decision, give the reason (and restrictions) and register it."""
    radio(page, "Hva bestemmer du?", action)
    page.get_by_label("Begrunnelse", exact=True).fill(reason)
    if restrictions is not None:
        page.get_by_label("Begrensninger for bruk", exact=True).fill(restrictions)
    submit(page, "Registrer beslutning")


def open_case_from_tasks(page, name: str) -> int:
    page.goto("/oppgaver")
    assert_accessible(page)
    link = page.get_by_role("link", name=name, exact=True)
    assert link.count() == 1, page.locator("main").inner_text()[:2000]
    with page.expect_navigation():
        link.click()
    return case_id_from(page.url)


def case_status(page) -> str:
    return page.locator(".case-facts dt:text-is('Status') + dd").inner_text().strip()


# --- checks every page gets ------------------------------------------------------------------------


FOCUS_STYLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  return {outline, shadow: s.boxShadow !== 'none', describe: el.tagName.toLowerCase()
    + (el.id ? '#' + el.id : '') + (el.name ? '[name="' + el.name + '"]' : '')
    + (el.value && el.type === 'radio' ? '[value="' + el.value + '"]' : '')
    + ' «' + (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40) + '»'};
}"""


def focus_state(page) -> dict | None:
    return page.evaluate(FOCUS_STYLE)


def focus_is_visible(state: dict | None) -> bool:
    return bool(state and (state["outline"] or state["shadow"]))


def sideways_overflow(page) -> int:
    """How far the page scrolls sideways, measured once the page has been laid out and painted at
    the viewport's new width (two animation frames after a resize)."""
    return page.evaluate("""() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() =>
      done(document.documentElement.scrollWidth - document.documentElement.clientWidth))))""")


def widest_elements(page, limit: int = 5) -> list[str]:
    """The elements that stick out to the right, for a useful failure message."""
    return page.evaluate("""(limit) => {
      const width = document.documentElement.clientWidth, out = [];
      for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect();
        if (r.right > width + 1 && r.width > 0) {
          const cls = typeof el.className === 'string' && el.className.trim()
            ? '.' + el.className.trim().replace(/\\s+/g, '.') : '';
          out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls + ' right=' + Math.round(r.right));
        }
      }
      return out.slice(-limit);
    }""", limit)


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && !['submit', 'button', 'reset', 'image'].includes(e.type))
  .filter(e => {
    const byLabel = [...(e.labels || [])].some(l => l.textContent.trim() !== '');
    const byAria = (e.getAttribute('aria-label') || '').trim() !== '' ||
      (e.getAttribute('aria-labelledby') || '').split(/\\s+/).some(id => id && document.getElementById(id)
        && document.getElementById(id).textContent.trim() !== '');
    return !byLabel && !byAria && !(e.title || '').trim();
  })
  .map(e => e.outerHTML.slice(0, 160))"""


def unlabelled_fields(page) -> list[str]:
    return page.evaluate(UNLABELLED)


def first_tab_stop(page) -> dict:
    """Press Tab once from the top of a freshly loaded page: where does focus land?"""
    page.evaluate("() => { if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.keyboard.press("Tab")
    return page.evaluate("""() => {
      const el = document.activeElement, r = el.getBoundingClientRect();
      return {cls: el.className, href: el.getAttribute('href'), text: el.innerText,
              visible: r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.left < innerWidth,
              target: !!document.querySelector((el.getAttribute('href') || '#x').replace(/^[^#]*/, '') || '#x')};
    }""")
