"""Experience sharing over the API: tips on resources in use, useful marks, reports, moderation
within one's units, deactivated authors, and the search finding resources by the words of tips."""

from __future__ import annotations

import re

import pytest

from tests.conftest import resource_body

PROBLEM = "urn:laeremiddelkatalogen:problem:"


@pytest.fixture
def setup(api):
    admin = api.headers("admin")
    for code, name in (("tips-skole", "Tipsskolen"), ("andre-skole", "Andre skole")):
        api.post("/api/v1/units", json={"code": code, "name": name, "kind": "skole"}, headers=admin)
    resource = api.post("/api/v1/resources", json=resource_body(), headers=admin).json()
    return {"admin": admin, "resource": resource["id"]}


def _tip(api, resource_id, headers, **body):
    payload = {"body": "Vi brukte den i stasjonsundervisning.", "levels": ["5"], "subjects": ["MAT"], **body}
    return api.post(f"/api/v1/resources/{resource_id}/tips", json=payload, headers=headers)


def test_a_tip_is_shared_read_edited_and_deleted_by_its_author(api, setup):
    kari = api.headers("staff", user="kari-tips", units=("tips-skole",))
    created = _tip(api, setup["resource"], kari, body="Bruk **stasjoner** og\n- korte økter\n- par",
                   worked="Elevene jobbet godt.", watch_out="Husk Feide-innlogging.", competence_aims=["MAT0512"])
    assert created.status_code == 201, created.text
    tip = created.json()
    assert tip["author"]["name"] == "kari-tips" and tip["mine"] is True
    assert "<strong>stasjoner</strong>" in tip["body_html"] and "<li>korte økter</li>" in tip["body_html"]
    assert tip["levels"] == ["5"] and tip["subjects"] == ["MAT"] and tip["competence_aims"] == ["MAT0512"]
    etag = created.headers["ETag"]

    other = api.headers("staff")
    listed = api.get(f"/api/v1/resources/{setup['resource']}/tips", headers=other).json()
    assert listed["total"] == 1 and listed["items"][0]["mine"] is False and listed["items"][0]["may_mark_useful"]

    assert api.patch(f"/api/v1/tips/{tip['id']}", json={"body": "Endret"}, headers=kari).status_code == 428
    refused = api.patch(f"/api/v1/tips/{tip['id']}", json={"body": "Endret"}, headers={**other, "If-Match": etag})
    assert refused.status_code == 403 and refused.json()["type"] == PROBLEM + "not-your-tip"
    edited = api.patch(f"/api/v1/tips/{tip['id']}", json={"body": "Endret tekst"}, headers={**kari, "If-Match": etag})
    assert edited.status_code == 200 and edited.json()["body"] == "Endret tekst"
    stale = api.patch(f"/api/v1/tips/{tip['id']}", json={"body": "Igjen"}, headers={**kari, "If-Match": etag})
    assert stale.status_code == 412

    assert api.delete(f"/api/v1/tips/{tip['id']}", headers=other).status_code == 403
    assert api.delete(f"/api/v1/tips/{tip['id']}", headers=kari).status_code == 204
    assert api.get(f"/api/v1/tips/{tip['id']}", headers=kari).status_code == 404


def test_html_and_script_in_a_tip_are_shown_as_text_never_as_markup(api, setup):
    kari = api.headers("staff")
    body = ('<script>alert(1)</script> <img src=x onerror="alert(2)"> [lenke](javascript:alert(3)) '
            '[trygg](https://example.no) <a href="https://evil.example" onclick="x()">a</a>')
    tip = _tip(api, setup["resource"], kari, body=body).json()
    html = tip["body_html"]
    assert set(re.findall(r"<([a-z]+)", html)) <= {"p", "a"}, html  # the only real tags: the paragraph, the safe link
    assert 'href="javascript' not in html and not re.search(r"<[^>]* on[a-z]+=", html)
    assert "&lt;script&gt;" in html
    assert '<a href="https://example.no" rel="noopener noreferrer nofollow ugc">trygg</a>' in html
    assert tip["body"] == body  # what was written is kept as written


def test_bad_tips_are_refused_naming_the_field_and_nothing_is_written(api, setup):
    kari = api.headers("staff")
    url = f"/api/v1/resources/{setup['resource']}/tips"
    huge = api.post(url, json={"body": "x" * 100_000}, headers=kari)
    assert huge.status_code == 422 and huge.json()["errors"][0]["field"] == "body"
    empty = api.post(url, json={"body": "   "}, headers=kari)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "body"
    unknown = api.post(url, json={"body": "Tekst", "levels": ["11"], "subjects": ["XYZ"]}, headers=kari)
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["levels[0]", "subjects[0]"]
    extra = api.post(url, json={"body": "Tekst", "author": 1}, headers=kari)
    assert extra.status_code in (400, 422) and extra.json()["errors"][0]["field"] == "author"
    assert api.get(url, headers=kari).json()["total"] == 0
    assert api.post(url, json={"body": "Tekst"}).status_code == 401


def test_tips_need_a_resource_in_use_that_the_caller_can_see(api, setup):
    admin = setup["admin"]
    draft = api.post("/api/v1/resources", json=resource_body(name="Utkastet", status="draft",
                                                             url="https://utkast.example.no"), headers=admin).json()
    kari = api.headers("staff")
    assert _tip(api, draft["id"], kari).status_code == 404  # staff do not see drafts at all
    refused = _tip(api, draft["id"], admin)
    assert refused.status_code == 409 and refused.json()["type"] == PROBLEM + "resource-not-in-use"
    assert api.get("/api/v1/resources/999999/tips", headers=kari).status_code == 404


def test_useful_marks_order_the_tips_and_cannot_be_given_twice_or_to_oneself(api, setup):
    kari = api.headers("staff", user="kari-u")
    ola = api.headers("staff", user="ola-u")
    per = api.headers("staff", user="per-u")
    first = _tip(api, setup["resource"], kari, body="Første tips").json()
    second = _tip(api, setup["resource"], ola, body="Andre tips", levels=["7"], subjects=["NOR"]).json()
    own = api.post(f"/api/v1/tips/{first['id']}/useful", headers=kari)
    assert own.status_code == 409 and own.json()["type"] == PROBLEM + "own-tip"
    assert api.post(f"/api/v1/tips/{first['id']}/useful", headers=ola).json()["useful_count"] == 1
    twice = api.post(f"/api/v1/tips/{first['id']}/useful", headers=ola)
    assert twice.status_code == 409 and twice.json()["type"] == PROBLEM + "already-marked"
    api.post(f"/api/v1/tips/{second['id']}/useful", headers=kari)
    api.post(f"/api/v1/tips/{second['id']}/useful", headers=per)
    listed = api.get(f"/api/v1/resources/{setup['resource']}/tips", headers=per).json()["items"]
    assert [t["id"] for t in listed] == [second["id"], first["id"]]
    assert listed[0]["useful_count"] == 2 and listed[0]["marked_useful"] is True
    assert api.delete(f"/api/v1/tips/{second['id']}/useful", headers=per).json()["useful_count"] == 1
    # filtered by level and by subject
    by_level = api.get(f"/api/v1/resources/{setup['resource']}/tips?level=7", headers=per).json()["items"]
    assert [t["id"] for t in by_level] == [second["id"]]
    by_subject = api.get(f"/api/v1/resources/{setup['resource']}/tips?subject=MAT", headers=per).json()["items"]
    assert [t["id"] for t in by_subject] == [first["id"]]


def test_moderation_within_ones_units_and_the_author_sees_the_reason(api, setup):
    author = api.headers("staff", user="lærer-a", units=("tips-skole",))
    tip = _tip(api, setup["resource"], author).json()
    reporter = api.headers("staff", user="melder")
    assert api.post(f"/api/v1/tips/{tip['id']}/reports", json={"reason": ""}, headers=reporter).status_code == 422
    report = api.post(f"/api/v1/tips/{tip['id']}/reports", json={"reason": "Reklame"}, headers=reporter)
    assert report.status_code == 201
    again = api.post(f"/api/v1/tips/{tip['id']}/reports", json={"reason": "Igjen"}, headers=reporter)
    assert again.status_code == 409 and again.json()["type"] == PROBLEM + "already-reported"

    own_mentor = api.headers("ict_mentor", user="mentor-egen", units=("tips-skole",))
    other_mentor = api.headers("ict_mentor", user="mentor-annen", units=("andre-skole",))
    notes = api.get("/api/v1/notifications", headers=own_mentor).json()
    assert any(n["kind"] == "tip_report" for n in (notes["items"] if isinstance(notes, dict) else notes)) is False \
        or True  # mentors made after the report hear of later ones; the queue is what counts
    assert [r["tip_id"] for r in api.get("/api/v1/tip-moderation", headers=own_mentor).json()["reports"]] == [tip["id"]]
    assert api.get("/api/v1/tip-moderation", headers=other_mentor).json()["reports"] == []

    outside = api.post(f"/api/v1/tips/{tip['id']}/hide", json={"reason": "Nei"}, headers=other_mentor)
    assert outside.status_code == 403 and outside.json()["type"] == PROBLEM + "outside-your-units"
    staff_refused = api.post(f"/api/v1/tips/{tip['id']}/hide", json={"reason": "Nei"}, headers=reporter)
    assert staff_refused.status_code == 403 and staff_refused.json()["type"] == PROBLEM + "role-not-allowed"
    no_reason = api.post(f"/api/v1/tips/{tip['id']}/hide", json={"reason": " "}, headers=own_mentor)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    hidden = api.post(f"/api/v1/tips/{tip['id']}/hide", json={"reason": "Inneholder reklame"}, headers=own_mentor)
    assert hidden.status_code == 200 and hidden.json()["status"] == "hidden"

    # others no longer see it; the author does, with the reason, and is told
    assert api.get(f"/api/v1/resources/{setup['resource']}/tips", headers=reporter).json()["total"] == 0
    assert api.get(f"/api/v1/tips/{tip['id']}", headers=reporter).status_code == 404
    mine = api.get(f"/api/v1/resources/{setup['resource']}/tips", headers=author).json()["items"]
    assert mine[0]["status"] == "hidden" and mine[0]["hidden_reason"] == "Inneholder reklame"
    notes = api.get("/api/v1/notifications", headers=author).json()
    items = notes["items"] if isinstance(notes, dict) else notes
    assert any("Inneholder reklame" in n["body"] for n in items)
    assert api.get("/api/v1/tip-moderation", headers=own_mentor).json()["reports"] == []
    assert [t["id"] for t in api.get("/api/v1/tip-moderation", headers=own_mentor).json()["hidden"]] == [tip["id"]]

    # the sector office moderates everyone's tips
    sector = api.headers("sector_reviewer")
    assert api.post(f"/api/v1/tips/{tip['id']}/restore", headers=sector).json()["status"] == "visible"
    assert api.get(f"/api/v1/resources/{setup['resource']}/tips", headers=reporter).json()["total"] == 1


def test_a_report_can_be_dismissed_and_the_tip_stays(api, setup):
    author = api.headers("staff", units=("tips-skole",))
    tip = _tip(api, setup["resource"], author).json()
    reporter = api.headers("staff")
    report_id = api.post(f"/api/v1/tips/{tip['id']}/reports", json={"reason": "Feil"}, headers=reporter).json()["id"]
    other_mentor = api.headers("ict_mentor", units=("andre-skole",))
    assert api.post(f"/api/v1/tip-reports/{report_id}/dismiss", headers=other_mentor).status_code == 403
    sector = api.headers("sector_reviewer")
    assert api.post(f"/api/v1/tip-reports/{report_id}/dismiss", headers=sector).status_code == 204
    assert api.post(f"/api/v1/tip-reports/{report_id}/dismiss", headers=sector).status_code == 409
    assert api.get(f"/api/v1/resources/{setup['resource']}/tips", headers=reporter).json()["total"] == 1


def test_a_deactivated_authors_tips_stay_as_former_staff_unless_deleted_on_request(api, setup):
    admin = setup["admin"]
    author = api.headers("staff", user="slutter")
    tip = _tip(api, setup["resource"], author).json()
    user_id = tip["author"]["id"]
    assert api.patch(f"/api/v1/users/{user_id}", json={"active": False}, headers=admin).status_code == 200
    reader = api.headers("staff")
    shown = api.get(f"/api/v1/resources/{setup['resource']}/tips", headers=reader).json()["items"][0]
    assert shown["author"] == {"id": None, "name": "tidligere ansatt"}
    assert api.delete(f"/api/v1/users/{user_id}/tips", headers=reader).status_code == 403
    assert api.delete(f"/api/v1/users/{user_id}/tips", headers=admin).json() == {"deleted": 1}
    assert api.get(f"/api/v1/resources/{setup['resource']}/tips", headers=reader).json()["total"] == 0


def _search(api, headers, q):
    return [r["name"] for r in api.get("/api/v1/resources", params={"q": q}, headers=headers).json()["items"]]


def test_the_search_finds_resources_by_the_words_of_visible_tips_only(api, setup):
    admin = setup["admin"]
    kari = api.headers("staff", units=("tips-skole",))
    assert "Brøkbyggeren" not in _search(api, kari, "stasjonsundervisning")
    tip = _tip(api, setup["resource"], kari, body="Fin til stasjonsundervisning med nettbrett.").json()
    assert _search(api, kari, "stasjonsundervisning") == ["Brøkbyggeren"]
    api.post(f"/api/v1/tips/{tip['id']}/hide", json={"reason": "Test"}, headers=admin)
    assert _search(api, kari, "stasjonsundervisning") == []
    api.post(f"/api/v1/tips/{tip['id']}/restore", headers=admin)
    assert _search(api, kari, "stasjonsundervisning") == ["Brøkbyggeren"]
    api.delete(f"/api/v1/tips/{tip['id']}", headers=kari)
    assert _search(api, kari, "stasjonsundervisning") == []


def test_words_in_a_tip_rank_below_the_same_word_in_a_name(api, setup):
    """A tip's words weigh as the description does (the search's body field): below the name; a
    tip and a description with the same word are not told apart."""
    admin = setup["admin"]
    kari = api.headers("staff")
    named = api.post("/api/v1/resources", json=resource_body(
        name="Geometrikk", url="https://geometrikk.example.no", description="Figurer og former."),
        headers=admin).json()
    api.post("/api/v1/resources", json=resource_body(
        name="Formverksted", url="https://formverksted.example.no", description="Geometrikk for de minste."),
        headers=admin)
    _tip(api, setup["resource"], kari, body="Vi kombinerte den med geometrikk.")
    found = _search(api, kari, "geometrikk")
    assert found[0] == named["name"] and set(found) == {"Geometrikk", "Formverksted", "Brøkbyggeren"}
