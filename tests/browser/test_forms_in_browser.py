"""Forms in the browser: the privacy review shows fields only when they apply (and all of them
without JavaScript), the proposal form warns about duplicates while the name is typed, and the
main menu stays on one line at 1280 px."""

from __future__ import annotations

from tests.browser.conftest import assert_accessible
from tests.browser.flow import (  # noqa: F401 - people is a fixture
    attach_privacy_documents,
    decide,
    fill_pedagogical,
    fill_privacy,
    people,
    propose,
    radio,
    submit,
    unique,
)


def test_the_privacy_review_shows_conditional_fields_only_when_they_apply(people, browser, server):
    case_id = propose(people("Ola"), unique("Vilkårsfelt"))
    siri = people("Siri")
    siri.goto(f"/saker/{case_id}")
    fill_pedagogical(siri)
    decide(siri, "Godkjenn", "Passer med LK20.")

    per = people("Per")
    per.goto(f"/saker/{case_id}")
    attach_privacy_documents(per)  # approval needs the DPA and the DPIA on the case
    basis = per.get_by_label("Overføringsgrunnlag")
    subjects = per.get_by_role("group", name="Hvem opplysningene gjelder")
    reason = per.get_by_label("Hvorfor trengs «Klasser og faggrupper»?")
    # the resource and the background are on the screen beside the form
    assert per.locator("#laeremiddel").bounding_box()["y"] < 900
    radio(per, "Behandler læremidlet personopplysninger?", "Nei")
    assert not subjects.is_visible() and not basis.is_visible()
    radio(per, "Behandler læremidlet personopplysninger?", "Ja")
    assert subjects.is_visible() and not reason.is_visible()
    per.get_by_role("group", name="Feide-attributter læremidlet henter").get_by_label(
        "Klasser og faggrupper", exact=True).check()
    assert reason.is_visible()
    radio(per, "Overføres opplysninger ut av EU/EØS?", "Ja")
    assert basis.is_visible()
    basis.select_option(label="Standard personvernbestemmelser (SCC)")
    radio(per, "Overføres opplysninger ut av EU/EØS?", "Nei")
    assert not basis.is_visible()
    assert_accessible(per)
    per.get_by_role("group", name="Feide-attributter læremidlet henter").get_by_label(
        "Klasser og faggrupper", exact=True).uncheck()
    # a basis chosen and then hidden is not sent: the review goes through
    fill_privacy(per)
    decide(per, "Godkjenn", "Lovlig behandling.")
    assert "melding=beslutning" in per.url, per.locator(".error-summary").all_inner_texts()

    context = browser.new_context(base_url=server, locale="nb-NO", java_script_enabled=False)
    try:
        bare = context.new_page()
        bare.goto("/auth/demo")
        bare.get_by_role("button", name="Logg inn som Tor").first.click()
        bare.goto(f"/saker/{case_id}")
        assert bare.get_by_role("group", name="Enheter som får læremidlet (må fylles ut)").is_visible()
    finally:
        context.close()


def test_the_proposal_form_warns_about_duplicates_while_the_name_is_typed(people):
    ola = people("Ola")
    ola.goto("/forslag/ny")
    existing = ola.goto("/ressurser") and ola.locator(".result-title a").first.inner_text()
    ola.goto("/forslag/ny")
    assert ola.get_by_label("Lisensmodell").input_value() == ""
    ola.get_by_label("Navn på læremidlet").press_sequentially(existing[:-1], delay=20)
    warning = ola.get_by_role("heading", name="Finnes læremidlet allerede?")
    warning.wait_for()
    assert existing in ola.locator("#lignende").inner_text()
    ola.wait_for_function("() => document.getElementById('lignende-status').textContent.includes('ligner')")
    assert_accessible(ola)
    ola.get_by_label("Navn på læremidlet").fill(unique("Helt nytt verktøy"))
    ola.wait_for_function("() => document.getElementById('lignende').getAttribute('data-count') === '0'")
    assert warning.count() == 0


def test_the_main_menu_stays_on_one_line_at_1280_px(people):
    anne = people("Anne")
    for path in ("/", "/admin", "/ressurser"):
        anne.goto(path)
        for menu, count in (("nav.main-nav a", 5), ("nav.work-nav a", 8)):
            tops = anne.locator(menu).evaluate_all(
                "links => links.map(a => Math.round(a.getBoundingClientRect().top))")
            assert len(tops) == count and len(set(tops)) == 1, (path, menu, tops)
