"""Script in a resource's name, vendor and restriction is shown as text on every page it reaches,
and a form posted without the page's CSRF token, or from another origin, is refused."""

from __future__ import annotations

from tests.browser.flow import (  # noqa: F401 - people is a fixture
    attach_privacy_documents,
    decide,
    fill_pedagogical,
    fill_privacy,
    fill_procurement,
    open_case_from_tasks,
    people,
    propose,
    unique,
)

SCRIPT_NAME = "<script>alert(1)</script>"
SCRIPT_VENDOR = "<img src=x onerror=alert(2)>"
SCRIPT_PURPOSE = "\"><svg onload=alert(3)> brøk for 5. trinn"


def assert_shown_as_text(page, text: str = SCRIPT_NAME) -> None:
    """The literal text is visible, and no element or script was made from it."""
    assert page.get_by_text(text, exact=False).first.is_visible(), f"{text!r} is not visible on {page.url}"
    assert page.evaluate("""() => [...document.scripts].every(s => !s.textContent.includes('alert('))
      && document.querySelectorAll('img[src="x"], svg[onload]').length === 0""")


def test_script_in_a_name_is_text_everywhere(people):
    ola = people("Ola")
    restriction = "<img src=x onerror=alert(4)> Bare med Feide-innlogging."
    case_id = propose(ola, SCRIPT_NAME, vendor=SCRIPT_VENDOR, purpose=SCRIPT_PURPOSE)
    # the case page: heading, title, facts, justification
    assert ola.locator("h1").inner_text() == SCRIPT_NAME
    assert SCRIPT_NAME in ola.title()
    assert_shown_as_text(ola)
    assert_shown_as_text(ola, SCRIPT_VENDOR)
    assert_shown_as_text(ola, SCRIPT_PURPOSE)
    # the proposals list
    ola.goto("/forslag")
    assert ola.get_by_role("link", name=SCRIPT_NAME, exact=True).count() >= 1
    assert_shown_as_text(ola)

    # the tasks list and the case page of each reviewer, through to publication
    for person, fill, action, extra in (("Siri", fill_pedagogical, "Godkjenn", None),
                                        ("Per", fill_privacy, "Godkjenn med begrensninger", restriction),
                                        ("Tor", fill_procurement, "Godkjenn", None)):
        page = people(person)
        page.goto("/oppgaver")
        assert_shown_as_text(page)
        assert open_case_from_tasks(page, SCRIPT_NAME) == case_id
        assert_shown_as_text(page)
        if fill is fill_privacy:
            attach_privacy_documents(page)
        fill(page)
        decide(page, action, "Vurdert.", extra)
        assert "melding=beslutning" in page.url, page.locator(".error-summary").all_inner_texts()
        assert_shown_as_text(page)
    assert_shown_as_text(page, restriction)  # the restriction box and the history on the case page

    # published: the search page (full load and live update), the resource page, the privacy list
    kari = people("Kari")
    kari.goto("/ressurser?q=" + "script alert")
    hit = kari.locator(".result").filter(has=kari.get_by_role("link", name=SCRIPT_NAME, exact=True))
    assert hit.count() == 1, kari.locator(".results").inner_text()[:2000]
    assert SCRIPT_VENDOR in hit.inner_text() and restriction in hit.inner_text()
    assert_shown_as_text(kari)
    field = kari.get_by_label("Søk etter læremiddel, fag, trinn eller leverandør")
    field.fill("")
    field.press_sequentially("alert script")  # the live search puts the server's HTML into the page
    kari.wait_for_function("() => new URL(location.href).searchParams.get('q') === 'alert script'")
    kari.wait_for_function("(n) => [...document.querySelectorAll('.result-title a')].some(a => a.innerText === n)",
                           arg=SCRIPT_NAME)
    assert_shown_as_text(kari)
    assert_shown_as_text(kari, restriction)
    with kari.expect_navigation():
        kari.locator("#resultater").get_by_role("link", name=SCRIPT_NAME, exact=True).first.click()
    assert kari.locator("h1").inner_text() == SCRIPT_NAME
    assert_shown_as_text(kari)
    assert_shown_as_text(kari, restriction)
    kari.goto("/personvern")
    assert_shown_as_text(kari)
    ola.goto("/varsler")
    assert_shown_as_text(ola)
    assert people.dialogs == [], people.dialogs


def wish_form(name: str, **extra) -> dict:
    return {"name": name, "url": "", "unit": "nordre-skole", "description": "",
            "reason": "Elevene trenger mer mengdetrening.", **extra}


def test_a_form_without_the_csrf_token_is_refused(people):
    kari = people("Kari")
    kari.goto("/onsker/ny")
    token = kari.locator("form[action='/onsker/ny'] input[name='_csrf_token']").input_value()
    assert token

    refused_name = unique("Ønske uten token")
    response = kari.request.post("/onsker/ny", form=wish_form(refused_name), max_redirects=0)
    assert response.status == 403, response.status
    response = kari.request.post("/onsker/ny", form=wish_form(refused_name, _csrf_token="feil" + token[4:]),
                                 max_redirects=0)
    assert response.status == 403, response.status

    accepted_name = unique("Ønske med token")
    response = kari.request.post("/onsker/ny", form=wish_form(accepted_name, _csrf_token=token), max_redirects=0)
    assert response.status == 303, response.status
    assert response.headers["location"].startswith("/onsker?melding=onske-sendt")

    kari.goto("/onsker")
    mine = kari.locator("main").inner_text()
    assert accepted_name in mine
    assert refused_name not in mine


def test_a_form_posted_from_another_origin_is_refused(people, server):
    kari = people("Kari")
    name = unique("Ønske fra annet nettsted")
    # a page on another origin that posts the wish form to the service when the button is clicked
    fields = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in wish_form(name).items())
    kari.route("http://angriper.example/", lambda route: route.fulfill(
        content_type="text/html; charset=utf-8",
        body=f'<!doctype html><html lang="nb"><title>Vinn en iPad</title><form method="post" '
             f'action="{server}/onsker/ny">{fields}<button>Vinn en iPad</button></form></html>'))
    kari.goto("http://angriper.example/")
    with kari.expect_navigation() as navigation:
        kari.get_by_role("button", name="Vinn en iPad").click()
    assert navigation.value.status == 403, navigation.value.status
    kari.goto(f"{server}/onsker")
    assert name not in kari.locator("main").inner_text()
    # the same browser, on the service's own page, still sends wishes
    kari.goto("/onsker/ny")
    kari.get_by_label("Navn på læremidlet").fill(name)
    kari.get_by_label("Hvorfor ønsker du deg det?").fill("Til mengdetrening.")
    with kari.expect_navigation():
        kari.get_by_role("button", name="Send ønsket").click()
    assert "melding=onske-sendt" in kari.url
    assert name in kari.locator("main").inner_text()
