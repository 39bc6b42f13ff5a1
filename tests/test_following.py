"""Following what is new: staff follow subjects, levels and units and are notified when a
resource enters or leaves the base package for them; the search page's "Nytt siden sist"; the
public Atom feed of changes to the base package."""

from __future__ import annotations

import datetime
import re
from xml.etree import ElementTree as ET

from tests.conftest import resource_body

HTML = {"Accept": "text/html"}
ATOM = "{http://www.w3.org/2005/Atom}"


def _sql(api, sql: str, *args) -> list[dict]:
    from catalogue.db import write_transaction
    from catalogue.search.sql import execute

    async def run():
        async with write_transaction():
            return await execute(sql, *args)

    return api.run(run)


def _create(api, editor, name: str, **overrides) -> int:
    response = api.post("/api/v1/resources", json=resource_body(name=name, **overrides), headers=editor)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _patch(api, editor, resource_id: int, changes: dict) -> None:
    etag = api.get(f"/api/v1/resources/{resource_id}", headers=editor).headers["etag"]
    response = api.patch(f"/api/v1/resources/{resource_id}", json=changes, headers={**editor, "If-Match": etag})
    assert response.status_code == 200, response.text


def _archive(api, editor, resource_id: int) -> None:
    etag = api.get(f"/api/v1/resources/{resource_id}", headers=editor).headers["etag"]
    response = api.post(f"/api/v1/resources/{resource_id}/archive", headers={**editor, "If-Match": etag})
    assert response.status_code == 200, response.text


def _base_package_notices(api, headers) -> list[dict]:
    return [n for n in api.get("/api/v1/notifications", headers=headers).json() if n["kind"] == "base_package"]


def _unit(api, admin, code: str, name: str) -> None:
    body = {"code": code, "name": name, "kind": "skole", "levels": ["5", "6", "7"]}
    assert api.post("/api/v1/units", json=body, headers=admin).status_code == 201


def test_following_and_unfollowing_subjects_levels_and_units(api):
    me = api.headers("staff")
    admin = api.headers("admin")
    _unit(api, admin, "fjellet", "Fjellet skole")
    assert api.get("/api/v1/users/me/follows", headers=me).json() == {"topics": [], "resources": []}
    for kind, code in (("subject", "MAT"), ("level", "5"), ("unit", "fjellet")):
        followed = api.put(f"/api/v1/users/me/follows/{kind}/{code}", headers=me)
        assert followed.status_code == 200 and followed.json()["following"] is True
    assert api.put("/api/v1/users/me/follows/subject/MAT", headers=me).status_code == 200  # twice is once
    topics = api.get("/api/v1/users/me/follows", headers=me).json()["topics"]
    assert sorted((t["kind"], t["code"], t["name"]) for t in topics) == [
        ("level", "5", "5. trinn"), ("subject", "MAT", "Matematikk"), ("unit", "fjellet", "Fjellet skole")]
    gone = api.delete("/api/v1/users/me/follows/level/5", headers=me)
    assert gone.status_code == 200 and gone.json()["following"] is False
    assert {(t["kind"], t["code"]) for t in api.get("/api/v1/users/me/follows", headers=me).json()["topics"]} == {
        ("subject", "MAT"), ("unit", "fjellet")}
    # someone else's follows are their own
    assert api.get("/api/v1/users/me/follows", headers=api.headers("staff")).json()["topics"] == []


def test_following_something_unknown_is_a_clear_error(api):
    me = api.headers("staff")
    wrong_kind = api.put("/api/v1/users/me/follows/vendor/MAT", headers=me)
    assert wrong_kind.status_code == 422 and wrong_kind.json()["errors"][0]["field"] == "kind"
    unknown = api.put("/api/v1/users/me/follows/subject/FINNESIKKE", headers=me)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "code"
    assert api.put("/api/v1/users/me/follows/subject/" + "X" * 300, headers=me).status_code in (404, 414, 422)
    assert api.put("/api/v1/users/me/follows/subject/MAT").status_code == 401
    assert api.get("/api/v1/users/me/follows").status_code == 401


def test_entering_and_leaving_the_base_package_notifies_exactly_the_followers(api):
    editor = api.headers("sector_reviewer")
    admin = api.headers("admin")
    _unit(api, admin, "fjellet", "Fjellet skole")
    maths, level, unit, norwegian, nobody = (api.headers("staff") for _ in range(5))
    api.put("/api/v1/users/me/follows/subject/MAT", headers=maths)
    api.put("/api/v1/users/me/follows/level/6", headers=level)
    api.put("/api/v1/users/me/follows/unit/fjellet", headers=unit)
    api.put("/api/v1/users/me/follows/subject/NOR", headers=norwegian)
    api.put("/api/v1/users/me/follows/level/6", headers=maths)  # two reasons, still one notice

    draft = _create(api, editor, "Brøkbyggeren", status="draft", units=["fjellet"])
    assert all(_base_package_notices(api, h) == [] for h in (maths, level, unit, norwegian, nobody))

    _patch(api, editor, draft, {"status": "published"})  # published and in the base package: enters
    for follower in (maths, level, unit):
        notices = _base_package_notices(api, follower)
        assert len(notices) == 1, notices
        assert "Brøkbyggeren" in notices[0]["subject"] and "er med i grunnpakken" in notices[0]["subject"]
        assert notices[0]["link"] == f"/ressurser/{draft}"
    assert _base_package_notices(api, norwegian) == [] and _base_package_notices(api, nobody) == []
    assert "Matematikk" in _base_package_notices(api, maths)[0]["body"]

    _patch(api, editor, draft, {"description": "Ny tekst."})  # no change to the base package: no notice
    assert len(_base_package_notices(api, maths)) == 1

    _patch(api, editor, draft, {"in_base_package": False})  # taken out: leaves
    for follower in (maths, level, unit):
        notices = _base_package_notices(api, follower)
        assert len(notices) == 2 and "ikke lenger i grunnpakken" in notices[0]["subject"]
    assert _base_package_notices(api, norwegian) == [] and _base_package_notices(api, nobody) == []

    # a Norwegian resource, in the base package from the start, then archived
    other = _create(api, editor, "Leseløven", subjects=["NOR"], levels=["1", "2"])
    assert [n["subject"] for n in _base_package_notices(api, norwegian)] == ["Leseløven er med i grunnpakken"]
    _archive(api, editor, other)
    assert len(_base_package_notices(api, norwegian)) == 2
    assert len(_base_package_notices(api, maths)) == 2  # nothing about the Norwegian resource
    # stopping following stops the notices
    api.delete("/api/v1/users/me/follows/subject/MAT", headers=maths)
    api.delete("/api/v1/users/me/follows/level/6", headers=maths)
    _create(api, editor, "Tallinja")
    assert len(_base_package_notices(api, maths)) == 2
    assert len(_base_package_notices(api, level)) == 3


def test_the_feed_is_valid_atom_with_published_facts_only(api):
    editor = api.headers("sector_reviewer")
    empty = api.get("/grunnpakken.atom")
    assert empty.status_code == 200 and empty.headers["content-type"].startswith("application/atom+xml")
    assert ET.fromstring(empty.content).findall(f"{ATOM}entry") == []

    secret_cost = 987654
    entered = _create(api, editor, "Brøkbyggeren", annual_cost_nok=secret_cost)
    _create(api, editor, "Hemmelig utkast", status="draft")
    _create(api, editor, "Utenfor pakken", in_base_package=False)
    _patch(api, editor, entered, {"in_base_package": False})

    response = api.get("/grunnpakken.atom")
    assert response.status_code == 200
    text = response.text
    for private in ("Hemmelig utkast", "Utenfor pakken", str(secret_cost), "Tallverkstedet", "sector_reviewer"):
        assert private not in text
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    assert feed.find(f"{ATOM}link[@rel='self']").get("href").endswith("/grunnpakken.atom")
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        "Brøkbyggeren er ikke lenger i grunnpakken", "Brøkbyggeren er med i grunnpakken"]
    ids = []
    for entry in entries:
        for required in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{required}") is not None and entry.find(f"{ATOM}{required}").text
        datetime.datetime.fromisoformat(entry.find(f"{ATOM}updated").text.replace("Z", "+00:00"))
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").endswith(f"/ressurser/{entered}")
        ids.append(entry.find(f"{ATOM}id").text)
    assert len(set(ids)) == 2
    assert feed.find(f"{ATOM}updated").text == entries[0].find(f"{ATOM}updated").text
    # the ids stay the same when the feed is read again and grows
    _create(api, editor, "Tallinja")
    again = ET.fromstring(api.get("/grunnpakken.atom").content)
    assert [e.find(f"{ATOM}id").text for e in again.findall(f"{ATOM}entry")][1:] == ids
    # the feed is linked from the search page and the privacy page
    for page in ("/ressurser", "/personvern"):
        html = api.get(page, headers=HTML).text
        assert re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="/grunnpakken.atom"', html), page


def _new_since(html: str) -> list[str]:
    section = re.search(r'<section class="new-since".*?</section>', html, re.S)
    assert section, "the search page has no «Nytt siden sist»"
    return re.findall(r'<li><a href="/ressurser/\d+">([^<]+)</a>', section.group(0))


def _a_visit_ago(api, user_id: int) -> None:
    """As if the person's last request to the search page was two hours ago (a new visit now)."""
    earlier = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)
    _sql(api, 'UPDATE search_visit SET last_request_at = {} WHERE "user" = {}', earlier, user_id)


def test_new_since_the_last_visit_shows_only_what_entered_since_then(api):
    editor = api.headers("sector_reviewer")
    _create(api, editor, "Gammel ressurs")
    api.login_page("staff", user="besøkeren")
    user_id = _sql(api, "SELECT id FROM app_user WHERE subject = {}", "besøkeren")[0]["id"]
    first = api.get("/ressurser", headers=HTML)
    assert first.status_code == 200 and _new_since(first.text) == []  # the first visit: nothing to compare with

    _a_visit_ago(api, user_id)
    _create(api, editor, "Brøkbyggeren")
    _create(api, editor, "Utkastet", status="draft")
    _create(api, editor, "Ikke i pakken", in_base_package=False)
    second = api.get("/ressurser", headers=HTML).text
    assert _new_since(second) == ["Brøkbyggeren"]
    # still the same visit: the list stays while the person searches on
    assert _new_since(api.get("/ressurser?q=brøk", headers=HTML).text) == ["Brøkbyggeren"]

    _a_visit_ago(api, user_id)
    taken_out = _create(api, editor, "Tallinja")
    _create(api, editor, "Leseløven")
    _patch(api, editor, taken_out, {"in_base_package": False})  # in and out again: not new
    third = api.get("/ressurser", headers=HTML).text
    assert _new_since(third) == ["Leseløven"]

    _a_visit_ago(api, user_id)
    assert _new_since(api.get("/ressurser", headers=HTML).text) == []
    # anonymous visitors get no such list
    api.client.cookies.clear()
    assert 'class="new-since"' not in api.get("/ressurser", headers=HTML).text


def test_the_follow_page_works_without_javascript(api):
    editor = api.headers("sector_reviewer")
    _unit(api, api.headers("admin"), "fjellet", "Fjellet skole")
    csrf = api.login_page("staff", user="følgeren")
    page = api.get("/folger", headers=HTML)
    assert page.status_code == 200 and "Det jeg følger" in page.text and 'value="fjellet"' in page.text
    saved = api.post("/folger", data={"_csrf_token": csrf, "fag": ["MAT", "NOR"], "trinn": "6", "enhet": "fjellet"},
                     headers=HTML, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/folger?melding=lagret"
    me = api.get("/folger?melding=lagret", headers=HTML).text
    assert "Valgene er lagret" in me
    assert re.search(r'value="MAT" checked', me) and re.search(r'value="fjellet" checked', me)
    assert not re.search(r'value="ENG" checked', me)
    # unknown codes are left out; unticking lets go
    api.post("/folger", data={"_csrf_token": csrf, "fag": ["NOR", "FINNESIKKE"]}, headers=HTML, follow_redirects=False)
    user_id = _sql(api, "SELECT id FROM app_user WHERE subject = {}", "følgeren")[0]["id"]
    assert _sql(api, 'SELECT kind, code FROM follow_topic WHERE "user" = {}', user_id) == [
        {"kind": "subject", "code": "NOR"}]
    # without the CSRF token nothing changes
    refused = api.post("/folger", data={"fag": "MAT"}, headers=HTML, follow_redirects=False)
    assert refused.status_code == 403
    # a followed resource is listed and can be let go from here
    resource_id = _create(api, editor, "Brøkbyggeren")
    api.post(f"/ressurser/{resource_id}/folg", data={"_csrf_token": csrf}, headers=HTML, follow_redirects=False)
    assert "Brøkbyggeren" in api.get("/folger", headers=HTML).text
    let_go = api.post(f"/folger/ressurser/{resource_id}", data={"_csrf_token": csrf}, headers=HTML,
                      follow_redirects=False)
    assert let_go.status_code == 303
    assert _sql(api, 'SELECT id FROM resource_follower WHERE "user" = {}', user_id) == []


def test_a_weekly_digest_collects_the_notices_and_goes_out_on_mondays(api, settings):
    from workflows import notify

    editor = api.headers("sector_reviewer")
    me = api.headers("staff", user="ukeleseren")
    chosen = api.patch("/api/v1/users/me", json={"notification_mode": "weekly"}, headers=me)
    assert chosen.status_code == 200 and chosen.json()["notification_mode"] == "weekly"
    user_id = _sql(api, "SELECT id FROM app_user WHERE subject = {}", "ukeleseren")[0]["id"]
    _sql(api, "UPDATE app_user SET email = {} WHERE id = {}", "uke@skole.example.no", user_id)
    api.put("/api/v1/users/me/follows/subject/MAT", headers=me)
    _create(api, editor, "Brøkbyggeren")
    _create(api, editor, "Tallinja")
    waiting = _sql(api, "SELECT delivery FROM notification WHERE recipient = {} AND kind = {}", user_id, "base_package")
    assert [r["delivery"] for r in waiting] == ["digest", "digest"]

    today = datetime.datetime.now(datetime.timezone.utc).replace(hour=10, minute=0, second=0, microsecond=0)
    monday = today - datetime.timedelta(days=today.weekday())
    tuesday = monday + datetime.timedelta(days=1)
    assert api.run(notify.send_digests, settings, tuesday) == 0  # not on a Tuesday
    assert api.run(notify.send_digests, settings, monday + datetime.timedelta(days=7)) == 1
    digest = _sql(api, "SELECT subject, body FROM notification WHERE recipient = {} AND kind = {}", user_id, "digest")
    assert len(digest) == 1 and digest[0]["subject"] == "Ukens varsler fra Læremiddelkatalogen (2)"
    assert "Brøkbyggeren" in digest[0]["body"] and "Tallinja" in digest[0]["body"]


def test_a_proposal_approved_into_the_base_package_notifies_the_followers_of_its_subjects(api):
    from tests.test_workflow_support import Flow

    flow = Flow(api)
    maths, english = api.headers("staff"), api.headers("staff")
    api.put("/api/v1/users/me/follows/subject/MAT", headers=maths)
    api.put("/api/v1/users/me/follows/subject/ENG", headers=english)
    case_id = flow.to_state("procurement")
    assert _base_package_notices(api, maths) == []  # a proposal under review is not in the base package
    flow.approve(case_id, "procurement")
    resource = flow.resource(case_id)
    assert resource["status"] == "published" and resource["in_base_package"] is True
    notices = _base_package_notices(api, maths)
    assert [n["link"] for n in notices] == [f"/ressurser/{resource['id']}"]
    assert _base_package_notices(api, english) == []
    feed = ET.fromstring(api.get("/grunnpakken.atom").content)
    assert [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")] == [
        f"{resource['name']} er med i grunnpakken"]
