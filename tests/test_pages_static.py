"""The pages' CSS and JavaScript: versioned names cached for a year, gzip when the browser takes
it, and no cookies on them."""

from __future__ import annotations

import gzip
import re

from frontend.static_assets import DIRECTORY


def _linked(api) -> list[str]:
    page = api.get("/ressurser")
    assert page.status_code == 200
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)


def test_pages_link_versioned_files_that_may_be_cached_for_a_year(api):
    linked = _linked(api)
    assert {re.sub(r"\.[0-9a-f]{12}\.", ".", path) for path in linked} >= {
        "/static/site.css", "/static/pages.css", "/static/search.js"}
    for path in linked:
        assert re.fullmatch(r"/static/[a-z]+\.[0-9a-f]{12}\.(css|js)", path), path
        response = api.get(path, headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        name = re.sub(r"\.[0-9a-f]{12}\.", ".", path.removeprefix("/static/"))
        assert response.content == (DIRECTORY / name).read_bytes()
        assert "content-encoding" not in response.headers


def test_static_files_are_gzipped_when_the_browser_accepts_it(api):
    path = next(p for p in _linked(api) if p.endswith(".css"))
    raw = api.get(path, headers={"Accept-Encoding": "identity"})
    packed = api.client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert int(packed.headers["content-length"]) < len(raw.content) / 2
    assert packed.content == raw.content  # the client decodes it
    refused = api.get(path, headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
    assert packed.headers["etag"] != raw.headers["etag"]


def test_a_known_version_answers_not_modified(api):
    path = _linked(api)[0]
    first = api.get(path, headers={"Accept-Encoding": "gzip"})
    again = api.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_unversioned_and_outdated_names_must_be_revalidated(api):
    plain = api.get("/static/site.css")
    assert plain.status_code == 200 and plain.headers["cache-control"] == "public, no-cache"
    outdated = api.get("/static/site.000000000000.css")
    assert outdated.status_code == 200 and outdated.headers["cache-control"] == "public, no-cache"
    assert outdated.content == plain.content
    assert api.get("/static/finnes-ikke.css").status_code == 404
    assert api.get("/static/..%2Fpages.py").status_code == 404


def test_static_files_set_no_csrf_cookie_but_pages_still_do(api):
    api.client.cookies.clear()
    for path in _linked(api):
        api.client.cookies.clear()
        response = api.get(path)
        assert "set-cookie" not in response.headers, path
    api.client.cookies.clear()
    page = api.get("/")
    assert "lk_csrf=" in page.headers.get("set-cookie", "")


def test_gzip_is_decompressible_and_deterministic():
    from frontend.static_assets import StaticAssets

    first, second = StaticAssets(), StaticAssets()
    for name, asset in first.assets.items():
        if asset.gzipped is not None:
            assert gzip.decompress(asset.gzipped) == asset.content
            assert asset.gzipped == second.assets[name].gzipped
