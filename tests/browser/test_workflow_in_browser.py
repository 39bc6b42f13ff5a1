"""The approval process in the browser: an ICT mentor proposes, the sector office, the privacy
adviser and the technology department review in turn (each in their own browser), and a teacher
finds the published resource with its restriction. Then one whole review with the keyboard alone."""

from __future__ import annotations

import re

from tests.browser.conftest import assert_accessible
from tests.browser.flow import (  # noqa: F401 - people is a fixture
    CRITERIA,
    attach_privacy_documents,
    case_status,
    decide,
    fill_pedagogical,
    fill_privacy,
    fill_procurement,
    focus_is_visible,
    focus_state,
    open_case_from_tasks,
    people,
    propose,
    submit,
    unique,
)


def check_error_summary(page, expected_fields: list[str]) -> None:
    """The summary is at the top of the page, announced (role=alert) or focused, and each of its
    links points to the field the error belongs to."""
    summary = page.locator(".error-summary")
    assert summary.count() == 1 and summary.is_visible()
    assert page.title().startswith("Feil"), page.title()
    role = summary.get_attribute("role")
    focused = page.evaluate(
        "() => document.activeElement !== null && document.activeElement.classList.contains('error-summary')")
    assert role == "alert" or focused, "the error summary is neither focused nor announced"
    # at the top: before every form field of the page
    first_field = page.locator("main form textarea, main form input:not([type=hidden]), main form select").first
    assert summary.bounding_box()["y"] < first_field.bounding_box()["y"]
    assert page.evaluate("""() => {
      const s = document.querySelector('.error-summary');
      const f = document.querySelector('main form');
      return !!(s.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    hrefs = summary.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    for field in expected_fields:
        assert f"#{field}" in hrefs, (field, hrefs)
    for href in hrefs:
        target = page.locator(href)
        assert target.count() == 1, f"the summary link {href} points nowhere"
        # the target is the field itself, or the fieldset around the radios/checkboxes
        assert target.evaluate("""el => ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName)
          || (el.tagName === 'FIELDSET' && el.querySelector('input, select, textarea') !== null)"""), href
        # and the field says what is wrong, tied to it by aria-describedby
        described = target.get_attribute("aria-describedby") or ""
        assert f"{href[1:]}-feil" in described.split(), (href, described)
    # following the first link takes the user to the field
    summary.locator("a").first.click()
    target_id = hrefs[0][1:]
    assert page.evaluate("(id) => location.hash === '#' + id", target_id)
    in_view = page.locator(hrefs[0]).evaluate(
        "el => { const r = el.getBoundingClientRect(); return r.top > -2 && r.top < innerHeight; }")
    assert in_view
    # a text field that is the target gets the focus, so typing goes straight into it
    if page.locator(hrefs[0]).evaluate("el => el.tagName !== 'FIELDSET'"):
        assert page.evaluate("() => document.activeElement.id") == target_id


def test_proposal_goes_through_every_review_and_a_teacher_finds_it(people):
    name = unique("Tallstien Test")
    restriction = f"Kun for 5.–7. trinn; elevene logger inn med Feide, ikke med egen konto ({name[-8:]})."

    # 1. the ICT mentor proposes
    ola = people("Ola")
    ola.goto("/forslag/ny")
    assert_accessible(ola)
    # an empty proposal: the errors are summarised at the top and accessible
    submit(ola, "Send inn til vurdering")
    check_error_summary(ola, ["f-name", "f-vendor-name", "f-url", "f-kind", "f-justification-pedagogical_purpose"])
    assert_accessible(ola)
    case_id = propose(ola, name, url="https://tallstien.example.no/")
    assert ola.get_by_role("status").inner_text() == "Forslaget er sendt inn til vurdering."
    assert case_status(ola) == "Pedagogisk vurdering"
    assert_accessible(ola)
    ola.goto("/forslag")
    assert ola.get_by_role("link", name=name, exact=True).is_visible()
    assert_accessible(ola)

    # 2. the sector office: finds it in the inbox, tries to approve an empty form, then fills it
    siri = people("Siri")
    siri.goto("/oppgaver")
    assert_accessible(siri)
    assert open_case_from_tasks(siri, name) == case_id
    assert siri.get_by_role("heading", name="Din vurdering: Pedagogisk vurdering").is_visible()
    assert_accessible(siri)
    siri.get_by_role("group", name="Hva bestemmer du?").get_by_label("Godkjenn", exact=True).check()
    submit(siri, "Registrer beslutning")
    assert siri.url.endswith(f"/saker/{case_id}/beslutning")
    check_error_summary(siri, ["f-form-curriculum_fit", "f-reason",
                               *[f"f-form-criteria-{key}" for key in ("bokmal_nynorsk", "universal_design",
                                                                      "privacy", "feide_login",
                                                                      "value_beyond_print")]])
    assert_accessible(siri)
    # the choice made is kept when the page comes back
    assert siri.get_by_role("group", name="Hva bestemmer du?").get_by_label("Godkjenn", exact=True).is_checked()
    fill_pedagogical(siri)
    decide(siri, "Godkjenn", "Passer godt med LK20 og fyller et hull i katalogen.")
    assert "melding=beslutning" in siri.url
    assert case_status(siri) == "Personvernvurdering"
    assert siri.get_by_role("heading", name="Pedagogisk vurdering").is_visible()  # the saved form, for everyone
    assert_accessible(siri)

    # 3. the privacy adviser: a lawful record, approved with a restriction
    per = people("Per")
    assert open_case_from_tasks(per, name) == case_id
    assert per.get_by_role("heading", name="Din vurdering: Personvernvurdering").is_visible()
    assert_accessible(per)
    attach_privacy_documents(per)
    assert_accessible(per)
    fill_privacy(per)
    decide(per, "Godkjenn med begrensninger", "Avtale og DPIA er på plass.", restriction)
    assert "melding=beslutning" in per.url, per.locator(".error-summary").all_inner_texts()
    assert case_status(per) == "Innkjøp og teknisk vurdering"
    assert restriction in per.locator(".restriction-box").inner_text()
    assert_accessible(per)

    # 4. the technology department: procurement, then approval publishes the resource
    tor = people("Tor")
    assert open_case_from_tasks(tor, name) == case_id
    assert tor.get_by_role("heading", name="Din vurdering: Innkjøp og teknisk vurdering").is_visible()
    assert_accessible(tor)
    fill_procurement(tor)
    decide(tor, "Godkjenn", "Budsjett er avklart, og teknisk sett passer det.")
    assert "melding=beslutning" in tor.url, tor.locator(".error-summary").all_inner_texts()
    assert case_status(tor) == "Godkjent og publisert"
    assert_accessible(tor)

    # 5. the teacher searches and finds it, with the restriction in the hit and on the page
    kari = people("Kari")
    kari.goto("/ressurser")
    search = kari.get_by_label("Søk etter læremiddel, fag, trinn eller leverandør")
    search.fill(name)
    with kari.expect_navigation():
        search.press("Enter")
    hit = kari.locator(".result").filter(has=kari.get_by_role("link", name=name, exact=True))
    assert hit.count() == 1, kari.locator(".results").inner_text()[:2000]
    assert restriction in hit.locator(".restriction").inner_text()
    assert "I grunnpakken" in hit.inner_text()
    assert_accessible(kari)
    with kari.expect_navigation():
        hit.get_by_role("link", name=name, exact=True).click()
    assert re.search(r"/ressurser/\d+(\?sok=[^/]*)?$", kari.url)
    assert kari.locator("h1").inner_text() == name
    box = kari.locator(".restriction-box")
    assert box.get_by_role("heading", name="Begrensninger for bruk").is_visible()
    assert restriction in box.inner_text()
    privacy = kari.locator("section.privacy").inner_text()
    assert "Elever" in privacy or "elever" in privacy, privacy
    assert_accessible(kari)
    # the proposer was told
    ola.goto("/varsler")
    assert name in ola.locator("main").inner_text()
    assert_accessible(ola)


KEYBOARD_LIMIT = 120  # Tab presses before we give up looking for a field


def test_a_whole_review_decision_with_the_keyboard_alone(people):
    name = unique("Tastaturløype Test")
    ola = people("Ola")
    case_id = propose(ola, name)

    siri = people("Siri")
    siri.goto(f"/saker/{case_id}")
    invisible: list[dict] = []
    stops: list[str] = []

    def tab(backwards: bool = False) -> dict:
        siri.keyboard.press("Shift+Tab" if backwards else "Tab")
        state = focus_state(siri)
        assert state is not None, "focus left the page"
        stops.append(state["describe"])
        if not focus_is_visible(state):
            invisible.append(state)
        return state

    def tab_to(selector: str) -> None:
        for _ in range(KEYBOARD_LIMIT):
            tab()
            if siri.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}; stops: {stops[-15:]}")

    # the skip link first, then into the main content
    first = tab()
    assert "Hopp til hovedinnholdet" in first["describe"]
    siri.keyboard.press("Enter")
    assert siri.evaluate("() => document.activeElement.id") == "main"

    tab_to("textarea[name='form.curriculum_fit']")
    siri.keyboard.type("Dekker kompetansemål i matematikk på mellomtrinnet.")
    for key in ("bokmal_nynorsk", "universal_design", "privacy", "feide_login", "value_beyond_print"):
        tab_to(f"input[name='form.criteria.{key}'][value='ja']")
        siri.keyboard.press("Space")
        assert siri.evaluate("() => document.activeElement.checked")
    tab_to("textarea[name='form.criteria_notes']")
    siri.keyboard.type("Ingen merknader.")
    # a step back and forth with Shift+Tab: the last criterion keeps its answer
    tab(backwards=True)
    assert siri.evaluate("() => document.activeElement.name") == "form.criteria.value_beyond_print"
    tab_to("textarea[name='form.criteria_notes']")
    tab_to("textarea[name='form.overlap']")
    siri.keyboard.type("Ingen overlapp.")
    # the decision: Tab into the radio group, Space chooses the first option, "Godkjenn"
    tab_to("input[name='action']")
    assert siri.evaluate("() => document.activeElement.value") == "approve"
    siri.keyboard.press("Space")
    tab_to("textarea[name='reason']")
    siri.keyboard.type("Godkjent med tastaturet alene.")
    tab_to("button[name='knapp'][value='beslutning']")
    with siri.expect_navigation():
        siri.keyboard.press("Enter")
    siri.wait_for_load_state()

    assert "melding=beslutning" in siri.url, siri.locator(".error-summary").all_inner_texts()
    assert case_status(siri) == "Personvernvurdering"
    assert "Godkjent med tastaturet alene." in siri.locator("#historikk").inner_text()
    assert invisible == [], f"focus was not visible on: {[s['describe'] for s in invisible]}"
    # the case moved to the privacy adviser's inbox and out of the sector office's
    siri.goto("/oppgaver")
    assert siri.get_by_role("link", name=name, exact=True).count() == 0
    per = people("Per")
    per.goto("/oppgaver")
    assert per.get_by_role("link", name=name, exact=True).count() == 1
    saved = per.goto(f"/saker/{case_id}")
    assert saved.status == 200
    assert all(per.locator("#vurderinger").get_by_text(c, exact=True).count() == 1 for c in CRITERIA)
