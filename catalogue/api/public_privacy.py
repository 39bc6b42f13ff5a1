"""/api/v1/public: the published privacy facts parents see, as JSON, so the municipality's own
website can show them. No sign-in; only published information (catalogue.privacy_docs.parents).
A browser on another site may call it when that site is listed in CORS_ORIGINS."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Request, get
from litestar.params import QueryParameter

from catalogue.privacy_docs.parents import Choice, ParentInfo, check_language, choice, parent_info
from catalogue.security.access import PUBLIC, rule

Lang = Annotated[str, QueryParameter(name="lang", max_length=8, description="nb (bokmål) or nn (nynorsk)",
                                      schema_extra={"enum": ["nb", "nn"]})]


@get("/api/v1/public/units", opt=rule(PUBLIC), tags=["public"],
     summary="Kindergartens and schools parents may choose, with their levels")
async def public_units(lang: Lang = "nb") -> Choice:
    return await choice(check_language(lang))


@get("/api/v1/public/privacy", opt=rule(PUBLIC), tags=["public"],
     summary="The resources children use at one unit and level, and how each protects their privacy")
async def public_privacy(
    request: Request,
    unit: Annotated[str, QueryParameter(name="unit", min_length=1, max_length=64, description="unit code")],
    level: Annotated[str, QueryParameter(name="level", min_length=1, max_length=16,
                                         description="barnehage, 1–10, or a band: 1-4, 5-7, 8-10")],
    lang: Lang = "nb",
    limit: Annotated[int, QueryParameter(name="limit", ge=1, le=1000)] = 200,
    offset: Annotated[int, QueryParameter(name="offset", ge=0, le=1_000_000)] = 0,
) -> ParentInfo:
    info = await parent_info(request.app.state.settings, unit, level, check_language(lang))
    return msgspec.structs.replace(info, resources=info.resources[offset:offset + limit])


public_privacy_handlers = [public_units, public_privacy]
