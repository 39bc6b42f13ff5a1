"""A teacher finds resources for 5. trinn matematikk and opens one."""

from __future__ import annotations

import re

from tests.browser.conftest import assert_accessible, login, screenshot


def test_teacher_finds_resources_for_5th_grade_maths_and_opens_one(page):
    login(page, "Kari")
    page.goto("/ressurser")
    page.get_by_label("5. trinn").check()
    page.get_by_label("Matematikk").first.check()
    page.get_by_role("button", name="Bruk filtre").click()
    page.wait_for_load_state()
    assert "level=5" in page.url and "subject=MAT" in page.url
    count = page.locator(".result-count strong").inner_text()
    assert int(count) >= 3
    first = page.locator(".result-title a").first
    name = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == name
    assert page.get_by_role("heading", name="Personvern").is_visible()
    facts = page.locator(".facts").first.inner_text()
    assert "Matematikk" in facts
    ranges = [(int(a), int(b or a)) for a, b in re.findall(r"(\d+)\.(?:–(\d+)\.)? trinn", facts)]
    assert any(first <= 5 <= last for first, last in ranges), facts
    assert_accessible(page)


def test_live_search_updates_results_without_reload(page):
    page.goto("/ressurser")
    marker = page.evaluate("() => { window.__still_here = true; return true; }")
    assert marker
    page.get_by_label("Søk etter læremiddel, fag, trinn eller leverandør").fill("lesestøtte")
    page.wait_for_function("() => new URL(location.href).searchParams.get('q') === 'lesestøtte'")
    page.wait_for_function("() => document.querySelector('.result-count').innerText.includes('lesestøtte')")
    assert page.evaluate("() => window.__still_here === true")  # no full page load happened
    assert page.locator(".result").count() >= 1


def test_search_works_with_the_keyboard_alone(page):
    page.goto("/ressurser")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    # from the main content, tab to the search field, type, submit with Enter
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "q":
            break
    assert page.evaluate("() => document.activeElement.id") == "q"
    page.keyboard.type("matematikk")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=matematikk" in page.url
    # the first stop after the search button skips the filters straight to the results
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.innerText") == "Hopp over filtrene til resultatene":
            break
    assert page.evaluate("() => document.activeElement.innerText") == "Hopp over filtrene til resultatene"
    page.keyboard.press("Enter")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.closest('.result-title') !== null"):
            break
    focused = page.evaluate("() => document.activeElement.innerText")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus must be visible"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == focused


def test_public_pages_are_accessible_and_fit_narrow_screens(page):
    for path, name in [("/", "forside"), ("/ressurser?level=5&subject=MAT", "sok"), ("/personvern", "personvern"),
                       ("/auth/demo", "demo-innlogging"), ("/finnes-ikke", "ikke-funnet")]:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(path)
        assert page.evaluate("() => document.documentElement.lang") == "nb"
        assert_accessible(page)
        screenshot(page, name)
        page.set_viewport_size({"width": 320, "height": 800})
        page.goto(path)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways at 320 px by {overflow}px"
    page.goto("/ressurser")
    link = page.locator(".result-title a").first
    link.click()
    page.wait_for_load_state()
    assert_accessible(page)
    screenshot(page, "ressurs")
