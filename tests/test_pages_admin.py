"""The administration pages: users and roles, units, subjects. Admins only; every change through a
form is recorded with who made it; forms refuse posts without the CSRF token; errors come back as
Norwegian messages on the form, not as error pages."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest

from catalogue.domain import ALL_ROLES
from catalogue.security.sessions import start_session
from catalogue.tables import AppUser, RoleChange, Unit, UserSession
from catalogue.users import ensure_user, roles_of
from workflows.tables import AuditEntry

FEIDE = "https://auth.dataporten.no"
HTML = {"Accept": "text/html"}
NON_ADMIN_ROLES = sorted(ALL_ROLES - {"admin"})


# --- helpers -------------------------------------------------------------------------------


class _Page(HTMLParser):
    """Collects what the accessibility checks need: ids, labels, form controls, scripts, styles."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[tuple[dict, bool]] = []  # (attributes, inside a <label>)
        self.inline: list[str] = []
        self.open_labels = 0
        self.forms: list[dict] = []
        self.tables = 0
        self.headers = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if any(str(v).startswith('"') for v in a.values()):
            self.inline.append(f"escaped attribute in {tag} {a}")
        if "style" in a or any(k.startswith("on") for k in a):
            self.inline.append(f"{tag} {a}")
        if tag == "script" and "src" not in a:
            self.inline.append("inline script")
        if tag == "style":
            self.inline.append("style element")
        if tag == "label":
            self.open_labels += 1
            if "for" in a:
                self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append((a, self.open_labels > 0))
        if tag == "form":
            self.forms.append({"method": a.get("method", "get"), "csrf": False})
        if tag == "input" and a.get("name") == "_csrf_token" and self.forms:
            self.forms[-1]["csrf"] = bool(a.get("value"))
        if tag == "table":
            self.tables += 1
        if tag == "th":
            self.headers += 1

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1


def check_page(response, heading: str) -> _Page:
    """A Norwegian page with the heading, labelled fields, unique ids, CSRF on every POST form,
    tables with headers, and nothing inline the CSP would block."""
    assert response.status_code in (200, 409, 422), response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert 'lang="nb"' in response.text
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", response.text, re.S)
    assert h1 and heading in unescape(h1.group(1)), (h1 and h1.group(1), heading)
    page = _Page()
    page.feed(response.text)
    assert not page.inline, page.inline
    duplicates = {i for i in page.ids if page.ids.count(i) > 1}
    assert not duplicates, duplicates
    for attrs, wrapped in page.controls:
        assert wrapped or attrs.get("id") in page.label_for, attrs
    for form in page.forms:
        if form["method"].lower() == "post":
            assert form["csrf"], form
    if page.tables:
        assert page.headers >= page.tables
    return page


def make_user(api, subject: str, name: str, role: str | None = "staff") -> int:
    return api.run(ensure_user, FEIDE, subject, name, None, role)


def make_unit(api, code: str = "nordby-skole", name: str = "Nordby skole", kind: str = "skole") -> None:
    response = api.post("/api/v1/units", json={"code": code, "name": name, "kind": kind, "levels": ["1", "2"]},
                        headers=api.headers("admin", user="Oppsett"))
    assert response.status_code == 201, response.text


def user_id_of(api, name: str) -> int:
    async def read():
        return (await AppUser.select(AppUser.id).where(AppUser.display_name == name).first())["id"]

    return api.run(read)


def role_changes(api, user_id: int) -> list[tuple[str, str | None, str | None, str]]:
    async def read():
        rows = await RoleChange.select().where(RoleChange.user == user_id).order_by(RoleChange.id)
        return [(r["action"], r["role"], r["unit_code"], r["changed_by"]) for r in rows]

    return api.run(read)


def status_message(html: str) -> str:
    found = re.search(r'<p class="confirmation" role="status">(.*?)</p>', html, re.S)
    assert found, "no confirmation on the page"
    return unescape(found.group(1))


def submit(api, path: str, data: dict):
    """Post a form as a browser does, without following the redirect."""
    return api.post(path, data=data, headers=HTML, follow_redirects=False)


def follow(api, response):
    assert response.status_code == 303, (response.status_code, response.text[:500])
    return api.get(response.headers["location"], headers=HTML)


# --- who may see the pages ------------------------------------------------------------------

PAGES = [
    ("/admin", "Administrasjon"),
    ("/admin/brukere", "Brukere og roller"),
    ("/admin/brukere/{user_id}", "Kari Lærer"),
    ("/admin/enheter", "Enheter"),
    ("/admin/enheter/nordby-skole", "Endre enhet: Nordby skole"),
    ("/admin/fag", "Fag og læreplankoder"),
]


def _pages(api) -> list[tuple[str, str]]:
    make_unit(api)
    user_id = make_user(api, "sub-kari", "Kari Lærer")
    return [(path.replace("{user_id}", str(user_id)), heading) for path, heading in PAGES]


def test_every_admin_page_renders_in_norwegian_for_an_admin(api):
    pages = _pages(api)
    api.login_page("admin", user="Anne Admin")
    for path, heading in pages:
        response = api.get(path, headers=HTML)
        assert response.status_code == 200, (path, response.text[:300])
        check_page(response, heading)
        assert 'aria-label="Administrasjon"' in response.text
        assert re.search(r'<link rel="stylesheet" href="/static/admin\.[0-9a-f]{12}\.css">', response.text)
    assert api.get("/static/admin.css").status_code == 200


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_admin_pages_are_closed_to_every_other_role(api, role):
    pages = _pages(api)
    csrf = api.login_page(role)
    for path, _ in pages:
        response = api.get(path, headers=HTML)
        assert response.status_code == 403, (path, role)
        assert "Ingen tilgang" in response.text and 'lang="nb"' in response.text
    refused = submit(api, "/admin/enheter",
                     {"_csrf_token": csrf, "code": "ny-skole", "name": "Ny skole", "kind": "skole"})
    assert refused.status_code == 403
    assert not api.run(Unit.exists().where(Unit.code == "ny-skole").run)


def test_a_signed_in_user_without_roles_is_refused_too(api):
    pages = _pages(api)
    api.login_page()
    for path, _ in pages:
        assert api.get(path, headers=HTML).status_code == 403, path


def test_anonymous_visitors_are_asked_to_sign_in(api):
    """The app answers 401 (no redirect): a login page for browsers, problem+json otherwise."""
    for path, _ in _pages(api):
        page = api.get(path, headers=HTML)
        assert page.status_code == 401, path
        assert "Du må logge inn" in page.text and 'lang="nb"' in page.text
        plain = api.get(path)
        assert plain.status_code == 401
        assert plain.headers["content-type"].startswith("application/problem+json")


def test_unknown_user_and_unit_give_the_not_found_page(api):
    api.login_page("admin")
    for path in ("/admin/brukere/999999", "/admin/enheter/finnes-ikke"):
        response = api.get(path, headers=HTML)
        assert response.status_code == 404 and "Fant ikke siden" in response.text
    csrf = api.csrf_token()
    response = submit(api, "/admin/brukere/999999/roller", {"_csrf_token": csrf, "role": "dpo"})
    assert response.status_code == 404
    response = submit(api, "/admin/fag/FINNESIKKE", {"_csrf_token": csrf})
    assert response.status_code == 404


# --- overview and users ----------------------------------------------------------------------


def test_overview_counts_users_units_and_subjects(api):
    make_unit(api)
    make_user(api, "sub-kari", "Kari Lærer")
    api.login_page("admin", user="Anne Admin")
    response = api.get("/admin", headers=HTML)
    check_page(response, "Administrasjon")
    numbers = [int(n) for n in re.findall(r'<span class="number">(\d+)</span>', response.text)]
    # users: Kari, the set-up admin and Anne; two active admins; one unit; the subjects from the seed
    assert numbers[:3] == [3, 2, 1]
    assert numbers[3] >= 10
    for href in ("/admin/brukere", "/admin/enheter", "/admin/fag"):
        assert f'href="{href}"' in response.text


def test_user_list_searches_filters_and_pages(api):
    for n in range(30):
        make_user(api, f"sub-elev-{n:02d}", f"Testperson {n:02d}")
    mentor = make_user(api, "sub-ola", "Ola Mentor", role="ict_mentor")
    api.login_page("admin", user="Anne Admin")

    first = api.get("/admin/brukere", headers=HTML)
    check_page(first, "Brukere og roller")
    assert "32 brukere" in first.text
    assert first.text.count('<a href="/admin/brukere/') == 25
    assert 'href="/admin/brukere?side=2"' in first.text and "Side 1 av 2" in first.text
    second = api.get("/admin/brukere?side=2", headers=HTML)
    assert second.text.count('<a href="/admin/brukere/') == 7 and 'rel="prev"' in second.text

    found = api.get("/admin/brukere?q=testperson+0", headers=HTML)
    assert "10 brukere" in found.text and 'value="testperson 0"' in found.text

    mentors = api.get("/admin/brukere?rolle=ict_mentor", headers=HTML)
    check_page(mentors, "Brukere og roller")
    assert "1 bruker " in mentors.text and f'href="/admin/brukere/{mentor}"' in mentors.text
    assert "IKT-veileder" in mentors.text and "Feide" in mentors.text and "sub-ola" in mentors.text
    assert FEIDE in mentors.text and "Aktiv" in mentors.text
    assert '<option value="ict_mentor" selected>' in mentors.text

    unknown_role = api.get("/admin/brukere?rolle=trollmann&side=x", headers=HTML)
    assert unknown_role.status_code == 200 and "32 brukere" in unknown_role.text


def test_granting_and_removing_roles_and_units_through_the_pages_is_recorded(api):
    make_unit(api)
    user_id = make_user(api, "sub-kari", "Kari Lærer")
    csrf = api.login_page("admin", user="Anne Admin")
    page = f"/admin/brukere/{user_id}"

    granted = submit(api, f"{page}/roller", {"_csrf_token": csrf, "role": "ict_mentor"})
    assert granted.headers["location"].startswith(page + "?")
    after = follow(api, granted)
    check_page(after, "Kari Lærer")
    assert status_message(after.text) == "Rollen «IKT-veileder» er gitt."
    assert api.run(roles_of, user_id) == ["ict_mentor", "staff"]

    added = follow(api, submit(api, f"{page}/enheter", {"_csrf_token": csrf, "unit": "nordby-skole"}))
    assert status_message(added.text) == "Brukeren er knyttet til Nordby skole."
    assert "Ble knyttet til Nordby skole" in added.text

    again = follow(api, submit(api, f"{page}/roller", {"_csrf_token": csrf, "role": "ict_mentor"}))
    assert status_message(again.text) == "Brukeren hadde allerede rollen «IKT-veileder»."

    removed = follow(api, submit(api, f"{page}/roller/fjern", {"_csrf_token": csrf, "role": "ict_mentor"}))
    assert status_message(removed.text) == "Rollen «IKT-veileder» er fjernet."
    assert api.run(roles_of, user_id) == ["staff"]
    unlinked = follow(api, submit(api, f"{page}/enheter/fjern", {"_csrf_token": csrf, "unit": "nordby-skole"}))
    assert status_message(unlinked.text) == "Brukeren er ikke lenger knyttet til Nordby skole."

    assert role_changes(api, user_id) == [
        ("grant_role", "staff", None, "first login"),
        ("grant_role", "ict_mentor", None, "Anne Admin"),
        ("add_unit", None, "nordby-skole", "Anne Admin"),
        ("revoke_role", "ict_mentor", None, "Anne Admin"),
        ("remove_unit", None, "nordby-skole", "Anne Admin"),
    ]
    history = unlinked.text[unlinked.text.index('id="historikk"'):]
    assert "Fikk rollen «IKT-veileder»" in unescape(history) and "Anne Admin" in history
    assert "Første innlogging (automatisk)" in history
    assert history.index("Ble koblet fra Nordby skole") < history.index("Fikk rollen «IKT-veileder»")


def test_a_removed_role_can_be_given_back_from_the_confirmation(api):
    user_id = make_user(api, "sub-kari", "Kari Lærer", role="ict_mentor")
    csrf = api.login_page("admin", user="Anne Admin")
    page = f"/admin/brukere/{user_id}"
    removed = follow(api, submit(api, f"{page}/roller/fjern", {"_csrf_token": csrf, "role": "ict_mentor"}))
    assert status_message(removed.text) == "Rollen «IKT-veileder» er fjernet."
    undo = re.search(r'<form method="post" action="([^"]+)" class="undo">(.*?)</form>', removed.text, re.S)
    assert undo and undo.group(1) == f"{page}/roller", removed.text[:3000]
    assert 'name="role" value="ict_mentor"' in undo.group(2)
    assert "Angre: gi rollen «IKT-veileder» tilbake" in unescape(undo.group(2))
    back = follow(api, submit(api, undo.group(1), {"_csrf_token": csrf, "role": "ict_mentor"}))
    assert status_message(back.text) == "Rollen «IKT-veileder» er gitt."
    assert "ict_mentor" in api.run(roles_of, user_id)
    assert 'class="undo"' not in back.text
    # a stale or forged confirmation offers nothing to undo
    assert 'class="undo"' not in api.get(f"{page}?melding=rolle-fjernet&rolle=ict_mentor", headers=HTML).text


def test_removing_your_own_admin_role_asks_first(api):
    make_user(api, "sub-other-admin", "Ole Admin", role="admin")
    csrf = api.login_page("admin", user="Anne Admin")
    my_id = user_id_of(api, "Anne Admin")
    asked = submit(api, f"/admin/brukere/{my_id}/roller/fjern", {"_csrf_token": csrf, "role": "admin"})
    assert asked.status_code == 200
    check_page(asked, "Anne Admin")
    assert "Vil du fjerne din egen rolle som systemeier?" in asked.text
    assert 'name="bekreft" value="ja"' in asked.text
    assert "admin" in api.run(roles_of, my_id)
    done = submit(api, f"/admin/brukere/{my_id}/roller/fjern", {"_csrf_token": csrf, "role": "admin", "bekreft": "ja"})
    assert done.status_code == 303
    assert "admin" not in api.run(roles_of, my_id)
    assert api.get("/admin", headers=HTML).status_code == 403


def test_bad_role_or_unit_choices_are_shown_on_the_form(api):
    user_id = make_user(api, "sub-kari", "Kari Lærer")
    csrf = api.login_page("admin")
    no_role = submit(api, f"/admin/brukere/{user_id}/roller", {"_csrf_token": csrf, "role": "trollmann"})
    assert no_role.status_code == 422
    check_page(no_role, "Kari Lærer")
    assert 'href="#f-role"' in no_role.text and "Velg en rolle." in no_role.text
    no_unit = submit(api, f"/admin/brukere/{user_id}/enheter", {"_csrf_token": csrf, "unit": "finnes-ikke"})
    assert no_unit.status_code == 422 and 'href="#f-unit"' in no_unit.text
    assert api.run(roles_of, user_id) == ["staff"]


def test_the_last_admin_keeps_the_role_and_cannot_deactivate_themselves(api):
    csrf = api.login_page("admin", user="Anne Admin")
    my_id = user_id_of(api, "Anne Admin")
    refused = submit(api, f"/admin/brukere/{my_id}/roller/fjern",
                     {"_csrf_token": csrf, "role": "admin", "bekreft": "ja"})
    assert refused.status_code == 409
    check_page(refused, "Anne Admin")
    assert 'role="alert"' in refused.text
    assert "siste aktive systemeieren" in refused.text
    assert "admin" in api.run(roles_of, my_id)

    myself = submit(api, f"/admin/brukere/{my_id}/status", {"_csrf_token": csrf, "active": "nei"})
    assert myself.status_code == 409 and "Du kan ikke deaktivere din egen konto." in myself.text
    assert api.get("/admin", headers=HTML).status_code == 200  # still signed in


def test_deactivating_ends_sessions_is_audited_and_can_be_undone(api):
    user_id = make_user(api, "sub-kari", "Kari Lærer")
    api.run(start_session, user_id, 3600)
    csrf = api.login_page("admin", user="Anne Admin")
    page = f"/admin/brukere/{user_id}"

    off = follow(api, submit(api, f"{page}/status", {"_csrf_token": csrf, "active": "nei"}))
    assert status_message(off.text) == "Brukeren er deaktivert og logget ut."
    assert "Deaktivert" in off.text and "Aktiver brukeren igjen" in off.text and "Kontoen ble deaktivert" in off.text

    async def state():
        user = await AppUser.select(AppUser.active).where(AppUser.id == user_id).first()
        open_sessions = await UserSession.count().where(
            (UserSession.user == user_id) & UserSession.revoked_at.is_null())
        audit = await AuditEntry.select(AuditEntry.action, AuditEntry.actor).where(
            (AuditEntry.object_type == "user") & (AuditEntry.object_id == str(user_id))
            & AuditEntry.action.is_in(["user.activate", "user.deactivate"])).order_by(AuditEntry.id)
        return bool(user["active"]), open_sessions, [(a["action"], a["actor"]) for a in audit]

    assert api.run(state) == (False, 0, [("user.deactivate", "Anne Admin")])
    on = follow(api, submit(api, f"{page}/status", {"_csrf_token": csrf, "active": "ja"}))
    assert status_message(on.text) == "Brukeren er aktivert igjen."
    assert api.run(state) == (True, 0, [("user.deactivate", "Anne Admin"), ("user.activate", "Anne Admin")])


def test_a_display_name_is_shown_escaped(api):
    user_id = make_user(api, "sub-x", "<script>alert(1)</script>")
    api.login_page("admin")
    for path in ("/admin/brukere", f"/admin/brukere/{user_id}"):
        response = api.get(path, headers=HTML)
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


# --- units -----------------------------------------------------------------------------------


def test_creating_a_unit_with_a_bad_code_shows_the_error_and_keeps_the_typed_values(api):
    csrf = api.login_page("admin", user="Anne Admin")
    form = {"_csrf_token": csrf, "code": "Nordby Skole!", "name": "Nordby skole", "kind": "skole",
            "levels": ["1", "2", "3"], "address": "Skoleveien 1"}
    response = submit(api, "/admin/enheter", form)
    assert response.status_code == 422
    check_page(response, "Enheter")
    start = response.text.index('class="error-summary"')
    summary = response.text[start:response.text.index("</div>", start)]
    assert 'href="#f-code"' in summary and "små bokstaver" in summary
    assert re.search(r'id="f-code" name="code" value="Nordby Skole!"[^>]*aria-invalid="true"', response.text)
    assert 'value="Nordby skole"' in response.text and 'value="Skoleveien 1"' in response.text
    assert 'name="levels" value="3" checked' in response.text
    assert "<title>Feil: " in response.text
    assert not api.run(Unit.exists().where(Unit.name == "Nordby skole").run)

    empty = submit(api, "/admin/enheter", {"_csrf_token": csrf, "code": "", "name": "", "kind": ""})
    assert empty.status_code == 422
    for field in ("code", "name", "kind"):
        assert f'href="#f-{field}"' in empty.text

    created = submit(api, "/admin/enheter", {**form, "code": "nordby-skole"})
    assert created.headers["location"].startswith("/admin/enheter?")
    listing = follow(api, created)
    assert status_message(listing.text) == "Enheten Nordby skole er lagt til."
    assert 'href="/admin/enheter/nordby-skole"' in listing.text and "1.–3. trinn" in listing.text

    duplicate = submit(api, "/admin/enheter", {**form, "code": "nordby-skole"})
    assert duplicate.status_code == 422 and "Koden er allerede i bruk." in duplicate.text


def test_editing_a_unit_and_a_stale_edit_gets_the_conflict_message(api):
    make_unit(api)
    csrf = api.login_page("admin", user="Anne Admin")
    page = api.get("/admin/enheter/nordby-skole", headers=HTML)
    check_page(page, "Endre enhet: Nordby skole")
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    assert version == "1"
    form = {"_csrf_token": csrf, "version": version, "name": "Nordby barneskole", "kind": "skole",
            "levels": ["1", "2", "3", "4"], "address": "", "active": "ja"}
    saved = follow(api, submit(api, "/admin/enheter/nordby-skole", form))
    assert status_message(saved.text) == "Endringene i Nordby barneskole er lagret."
    assert 'name="version" value="2"' in saved.text

    stale = submit(api, "/admin/enheter/nordby-skole", {**form, "name": "Nordby gamle skole"})
    assert stale.status_code == 409
    check_page(stale, "Endre enhet")
    assert "endret av noen andre" in stale.text and 'role="alert"' in stale.text
    assert 'value="Nordby gamle skole"' in stale.text  # what was typed
    assert 'name="version" value="2"' in stale.text  # a second save is a choice made knowing the change
    assert "<dd>Nordby barneskole</dd>" in stale.text

    async def stored():
        return await Unit.select(Unit.name, Unit.version, Unit.active).where(Unit.code == "nordby-skole").first()

    assert api.run(stored) == {"name": "Nordby barneskole", "version": 2, "active": True}

    retired = follow(api, submit(api, "/admin/enheter/nordby-skole", {**form, "version": "2", "active": "nei"}))
    assert 'value="nei" checked' in retired.text
    assert api.run(stored)["active"] is False
    assert "Ikke i bruk" in api.get("/admin/enheter", headers=HTML).text

    blank = submit(api, "/admin/enheter/nordby-skole", {**form, "version": "3", "name": ""})
    assert blank.status_code == 422 and 'href="#f-name"' in blank.text


# --- subjects --------------------------------------------------------------------------------


def test_editing_a_subjects_curriculum_code(api):
    csrf = api.login_page("admin", user="Anne Admin")
    page = api.get("/admin/fag", headers=HTML)
    check_page(page, "Fag og læreplankoder")
    assert "MAT01-05" in page.text and "MAT01-06" in page.text and "Udir" in page.text
    assert 'id="f-NAT-curriculum_code"' in page.text

    form = {"_csrf_token": csrf, "NAT-curriculum_code": "nat01-05", "NAT-previous_curriculum_code": "NAT01-04",
            "NAT-curriculum_valid_from": "2027-08-01", "NAT-curriculum_note": "Ny læreplan fra 2027."}
    saved = submit(api, "/admin/fag/NAT", form)
    assert saved.headers["location"].startswith("/admin/fag?") and saved.headers["location"].endswith("#fag-NAT")
    after = follow(api, saved)
    assert status_message(after.text) == "Læreplankodene for Naturfag er lagret."
    subject = api.get("/api/v1/subjects/NAT", headers=api.headers("staff")).json()
    assert subject["curriculum_code"] == "NAT01-05"
    assert subject["previous_curriculum_code"] == "NAT01-04"
    assert subject["curriculum_valid_from"] == "2027-08-01"
    assert subject["curriculum_note"] == "Ny læreplan fra 2027."

    bad = submit(api, "/admin/fag/NAT",
                 {**form, "NAT-curriculum_code": "naturfag 5", "NAT-curriculum_valid_from": "1. august"})
    assert bad.status_code == 422
    check_page(bad, "Fag og læreplankoder")
    assert 'href="#f-NAT-curriculum_code"' in bad.text and 'href="#f-NAT-curriculum_valid_from"' in bad.text
    assert 'value="naturfag 5"' in bad.text and "for eksempel MAT01-06" in bad.text
    assert api.get("/api/v1/subjects/NAT", headers=api.headers("staff")).json()["curriculum_code"] == "NAT01-05"


# --- CSRF ------------------------------------------------------------------------------------

POSTS = [
    ("/admin/brukere/{user_id}/roller", {"role": "dpo"}),
    ("/admin/brukere/{user_id}/roller/fjern", {"role": "staff"}),
    ("/admin/brukere/{user_id}/enheter", {"unit": "nordby-skole"}),
    ("/admin/brukere/{user_id}/enheter/fjern", {"unit": "nordby-skole"}),
    ("/admin/brukere/{user_id}/status", {"active": "nei"}),
    ("/admin/enheter", {"code": "ny-skole", "name": "Ny skole", "kind": "skole"}),
    ("/admin/enheter/nordby-skole", {"version": "1", "name": "Endret", "kind": "skole"}),
    ("/admin/fag/MAT", {"MAT-curriculum_code": "MAT01-07"}),
]


def test_every_admin_form_refuses_a_post_without_the_csrf_token(api):
    make_unit(api)
    user_id = make_user(api, "sub-kari", "Kari Lærer")
    api.login_page("admin")
    for path, data in POSTS:
        response = submit(api, path.replace("{user_id}", str(user_id)), data)
        assert response.status_code == 403, path
        forged = submit(api, path.replace("{user_id}", str(user_id)), {**data, "_csrf_token": "forged"})
        assert forged.status_code == 403, path
    assert api.run(roles_of, user_id) == ["staff"]
    assert role_changes(api, user_id) == [("grant_role", "staff", None, "first login")]
    assert not api.run(Unit.exists().where(Unit.code == "ny-skole").run)
    assert api.get("/api/v1/units/nordby-skole", headers=api.headers("staff")).json()["version"] == 1
    assert api.get("/api/v1/subjects/MAT", headers=api.headers("staff")).json()["curriculum_code"] == "MAT01-06"
