"""Tips in the browser: HTML and script typed into a tip are shown as text and never run; the
Markdown subset is shown formatted; the resource page with tips, the tip form with errors and the
moderators' page stay accessible."""

from __future__ import annotations

from tests.browser.conftest import assert_accessible, login

SCRIPT = '<script>alert("tips")</script><img src=x onerror="alert(1)"> [klikk](javascript:alert(2))'


def test_script_in_a_tip_is_shown_as_text_and_never_runs(page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, "Kari")
    page.goto("/ressurser")
    page.locator(".result-title a").first.click()
    resource = page.url.split("?")[0]
    page.get_by_role("link", name="Skriv et tips").click()
    page.get_by_role("button", name="Del tipset").click()  # empty: the error comes first
    assert page.locator("#feil").is_visible()
    assert_accessible(page)
    page.get_by_label("Hvordan brukte du læremidlet?").fill(f"Bruk **par** i timen. {SCRIPT}")
    page.get_by_label("5. trinn").check()
    page.get_by_role("button", name="Del tipset").click()
    page.wait_for_url(f"{resource}?melding=tips-delt#tips")
    tip = page.locator("article.tip").filter(has_text="i timen")
    assert tip.locator("strong").inner_text() == "par"
    assert '<script>alert("tips")</script>' in tip.inner_text()
    assert tip.locator("script, img").count() == 0
    assert tip.locator('a[href^="javascript"]').count() == 0
    assert dialogs == []
    assert_accessible(page)
    page.goto(resource)  # signed out, the tips are not there
    page.context.clear_cookies()
    page.goto(resource)
    assert page.locator("#tips").count() == 0


def test_a_mentor_hides_a_reported_tip_and_the_author_sees_why(page, browser, server):
    login(page, "Kari")
    page.goto("/ressurser")
    page.locator(".result-title a").nth(1).click()
    resource = page.url.split("?")[0]
    page.get_by_role("link", name="Skriv et tips").click()
    page.get_by_label("Hvordan brukte du læremidlet?").fill("Kjøp premium-versjonen hos meg.")
    page.get_by_role("button", name="Del tipset").click()
    other = browser.new_context(base_url=server, locale="nb-NO")
    try:
        reporter = other.new_page()
        login(reporter, "Anne")
        reporter.goto(resource + "#tips")
        reporter.locator("article.tip").filter(has_text="premium").get_by_role("link", name="Meld tipset").click()
        reporter.get_by_label("Hva er galt med tipset?").fill("Reklame")
        reporter.get_by_role("button", name="Meld tipset").click()
        reporter.goto("/erfaringer")
        assert_accessible(reporter)
        article = reporter.locator("article.tip").filter(has_text="premium")
        article.get_by_label("Begrunnelse for å skjule tipset").fill("Reklame hører ikke hjemme her.")
        article.get_by_role("button", name="Skjul tipset").click()
        assert "Tipset er skjult" in reporter.locator(".status-message").inner_text()
    finally:
        other.close()
    page.goto(resource)
    hidden = page.locator("article.tip-hidden").filter(has_text="premium")
    assert "Reklame hører ikke hjemme her." in hidden.inner_text()
