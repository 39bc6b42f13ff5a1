"""Server-rendered pages. Norwegian bokmål throughout."""

from __future__ import annotations

from pathlib import Path

from litestar import Request, Response, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from catalogue.domain import CATALOGUE_INSIDERS, ROLE_LABELS, Role
from catalogue.norwegian_dates import format_date, format_time
from catalogue.security.access import PUBLIC, rule

HERE = Path(__file__).resolve().parent

ERROR_TEXT = {
    401: ("Du må logge inn", "Denne siden krever innlogging."),
    403: ("Ingen tilgang", "Rollen din gir ikke tilgang til denne siden."),
    404: ("Fant ikke siden", "Siden finnes ikke, eller du har ikke tilgang til den."),
    500: ("Noe gikk galt", "Tjenesten klarte ikke å svare. Prøv igjen senere."),
    503: ("Tjenesten er midlertidig utilgjengelig",
          "Databasen svarer ikke akkurat nå, og ingenting ble lagret. Prøv igjen om litt."),
}


def _configure(engine: JinjaTemplateEngine) -> None:
    from frontend.forms import field_id

    from frontend.static_assets import ASSETS

    engine.engine.globals["fid"] = field_id
    engine.engine.globals["static_url"] = ASSETS.url
    engine.engine.filters["dato"] = format_date
    engine.engine.filters["tidspunkt"] = format_time


def template_config() -> TemplateConfig:
    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=_configure)


def page_context(request: Request, **values) -> dict:
    """What every page needs: demo banner, municipality, the signed-in user and their roles."""
    settings = request.app.state.settings
    user = request.scope.get("user")
    signed_in = user is not None and not user.is_anonymous
    return {
        "request_path": request.url.path,
        "reviewer": signed_in and user.has_any(CATALOGUE_INSIDERS),
        "demo_mode": settings.demo_mode,
        "municipality": settings.municipality_name,
        "contact_email": settings.contact_email,
        "dpo_email": settings.dpo_email,
        "user": user if signed_in else None,
        "role_labels": [ROLE_LABELS[Role(r)] for r in sorted(user.roles)] if signed_in else [],
        **values,
    }


@get("/", opt=rule(PUBLIC), include_in_schema=False)
async def home(request: Request) -> Template:
    return Template(template_name="index.html", context=page_context(request))


def error_page(request: Request, status: int, headers: dict[str, str] | None = None) -> Response:
    title, text = ERROR_TEXT.get(status, ERROR_TEXT[500])
    return Template(template_name="error.html", context=page_context(request, status=status, title=title, text=text),
                    status_code=status, headers=headers or {})


page_handlers = [home]
