"""The pages' CSS and JavaScript: read once per process, named by their content so that a browser
may keep them for a year, and sent compressed when the browser accepts it.

``/static/site.3f2a9c1be0d4.css`` is the name pages use (:meth:`StaticAssets.url`); it is cached
as immutable, since another content has another name. ``/static/site.css`` still answers, but must
be revalidated, as must a name whose hash is no longer current (a page cached from before a
release)."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from litestar import Request, Response, get
from litestar.params import FromPath

from catalogue.problems import Problem
from catalogue.security.access import PUBLIC, rule

DIRECTORY = Path(__file__).resolve().parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
HASH_LENGTH = 12
VERSIONED = re.compile(r"^(?P<stem>[A-Za-z0-9_-]+)\.(?P<hash>[0-9a-f]{%d})(?P<suffix>\.[a-z0-9]+)$" % HASH_LENGTH)
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt", ".html"}
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True)
class Asset:
    name: str
    content: bytes
    gzipped: bytes | None
    digest: str
    media_type: str

    def etag(self, gzipped: bool) -> str:
        """Each representation has its own strong validator."""
        return f'"{self.digest}-gz"' if gzipped else f'"{self.digest}"'


def _load(path: Path) -> Asset:
    content = path.read_bytes()
    gzipped = None
    if path.suffix in COMPRESSIBLE:
        # mtime=0: the same bytes in every worker, so the ETag of the compressed form is stable too
        packed = gzip.compress(content, compresslevel=9, mtime=0)
        gzipped = packed if len(packed) < len(content) else None
    media_type = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Asset(path.name, content, gzipped, hashlib.sha256(content).hexdigest()[:HASH_LENGTH], media_type)


class StaticAssets:
    """The files of one folder, as they were when the process started."""

    def __init__(self, directory: Path = DIRECTORY) -> None:
        self.assets = {p.name: _load(p) for p in sorted(directory.iterdir()) if p.is_file()}

    def url(self, name: str) -> str:
        """The versioned address of a file, for templates: ``static_url('site.css')``."""
        asset = self.assets[name]
        stem, dot, suffix = name.rpartition(".")
        return f"/static/{stem}.{asset.digest}.{suffix}" if dot else f"/static/{name}"

    def find(self, requested: str) -> tuple[Asset, bool] | None:
        """The file a name asks for, and whether the name carries its current hash."""
        match = VERSIONED.match(requested)
        if match:
            asset = self.assets.get(match["stem"] + match["suffix"])
            if asset is not None:
                return asset, asset.digest == match["hash"]
        asset = self.assets.get(requested)
        return (asset, False) if asset is not None else None


ASSETS = StaticAssets()


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (``gzip;q=0`` refuses it)."""
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            quality = re.search(r"q=([0-9.]+)", params)
            try:
                return quality is None or float(quality.group(1)) > 0
            except ValueError:
                return False
    return False


@get("/static/{name:str}", opt=rule(PUBLIC), include_in_schema=False)
async def static_file(request: Request, name: FromPath[str]) -> Response:
    found = ASSETS.find(name)
    if found is None:
        raise Problem(404, f"No static file {name!r}.")
    asset, current = found
    packed = asset.gzipped is not None and accepts_gzip(request.headers.get("accept-encoding", ""))
    headers = {"Cache-Control": IMMUTABLE if current else REVALIDATE, "ETag": asset.etag(packed),
               "Vary": "Accept-Encoding"}
    body = asset.content
    if packed:
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    if asset.etag(packed) in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=body, media_type=asset.media_type, headers=headers)
