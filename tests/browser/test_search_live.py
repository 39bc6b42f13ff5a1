"""The search as people use it: the live search keeps everything on the page true and announces
the count; on a phone the results come first; a resource page leads back to the search."""

from __future__ import annotations

import re

from tests.browser.conftest import assert_accessible

COUNTS = """() => Object.fromEntries([...document.querySelectorAll('#filtervalg input')].map(
  i => [i.name + '=' + i.value, i.closest('label').querySelector('.count').textContent]))"""


def _state(page) -> dict:
    return {"counts": page.evaluate(COUNTS), "title": page.title(),
            "sort": page.locator("#sortering option").first.inner_text(),
            "status": page.locator("#treff").inner_text(),
            "results": page.locator(".result-title a").all_inner_texts()}


def test_live_search_updates_counts_sort_label_title_and_announces_the_count(page):
    page.goto("/ressurser?level=5")
    before = _state(page)
    assert before["sort"] == "Navn"
    page.evaluate("""() => {
      window.__status = document.getElementById('treff');
      window.__changes = 0;
      new MutationObserver(() => window.__changes++).observe(window.__status,
        {childList: true, subtree: true, characterData: true});
    }""")
    page.get_by_label("Søk etter læremiddel, fag, trinn eller leverandør").fill("lesestøtte")
    page.wait_for_function("() => new URL(location.href).searchParams.get('q') === 'lesestøtte'")
    page.wait_for_function("() => document.getElementById('treff').innerText.includes('lesestøtte')")
    live = _state(page)
    # the status region is the same element, announced politely, its text changed once
    assert page.evaluate("() => window.__status === document.getElementById('treff')")
    assert page.evaluate("() => document.getElementById('treff').getAttribute('role')") == "status"
    assert page.evaluate("() => window.__changes") >= 1
    assert page.evaluate("() => document.querySelectorAll('[aria-live]:not([role=status])').length") == 0
    assert re.fullmatch(r"\d+ læremidler? for «lesestøtte»", live["status"]), live["status"]
    page.reload()
    reloaded = _state(page)
    assert live == reloaded, (live, reloaded)
    assert live["sort"] == "Mest relevant" and live["title"].startswith("«lesestøtte» – Finn læremidler")
    assert live["counts"] != before["counts"]
    assert_accessible(page)


def test_ticking_a_filter_updates_the_other_counts_and_keeps_focus(page):
    page.goto("/ressurser")
    subject = page.locator("#filtervalg input[name=subject][value=MAT]")
    subject.focus()
    page.keyboard.press("Space")
    page.wait_for_function("() => new URL(location.href).searchParams.get('subject') === 'MAT'")
    page.wait_for_function("() => document.querySelector('#valgt').innerText.includes('1 valgt')")
    live = _state(page)
    assert page.evaluate("() => document.activeElement.name + '=' + document.activeElement.value") == "subject=MAT"
    assert page.evaluate("() => document.activeElement.checked")
    page.reload()
    assert _state(page) == live


def test_on_a_phone_the_results_come_first_and_the_filters_fold_away(browser, server):
    for script in (True, False):
        context = browser.new_context(base_url=server, locale="nb-NO", viewport={"width": 320, "height": 800},
                                      java_script_enabled=script)
        try:
            page = context.new_page()
            page.goto("/ressurser?q=matematikk")
            first = page.locator(".result-title a").first.bounding_box()
            assert first["y"] < 800, f"the first result starts {first['y']} px down (script: {script})"
            fifth_level = page.get_by_label("5. trinn")
            assert not fifth_level.is_visible()
            page.get_by_text("Vis filtre").click()
            assert fifth_level.is_visible()
            fifth_level.check()
            page.get_by_role("button", name="Bruk filtre").click()
            page.wait_for_url(re.compile(r"level=5"))
            assert page.locator("summary").inner_text() == "Vis filtre (1 valgt)"
            if script:  # axe runs as a script
                assert_accessible(page)
            # on a wide screen the same page shows the filters beside the results, without a toggle
            page.set_viewport_size({"width": 1280, "height": 900})
            page.reload()
            assert page.get_by_label("6. trinn").is_visible()
            assert not page.get_by_text("Vis filtre").is_visible()
        finally:
            context.close()


def test_a_resource_page_leads_back_to_the_search_with_its_query_and_filters(page):
    page.goto("/ressurser")
    page.get_by_label("Søk etter læremiddel, fag, trinn eller leverandør").fill("matematikk")
    page.wait_for_function("() => new URL(location.href).searchParams.get('q') === 'matematikk'")
    page.get_by_label("6. trinn").check()
    page.wait_for_function("() => new URL(location.href).searchParams.get('level') === '6'")
    page.wait_for_function("() => document.querySelector('.result-title a').href.includes('sok=')")
    search_url = page.url
    page.locator(".result-title a").first.click()
    page.wait_for_load_state()
    back = page.get_by_role("link", name="Tilbake til søket")
    back.click()
    page.wait_for_load_state()
    assert page.url == search_url
    assert page.get_by_label("Søk etter læremiddel, fag, trinn eller leverandør").input_value() == "matematikk"
    assert page.get_by_label("6. trinn").is_checked()
