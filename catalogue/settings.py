"""Configuration read from the environment, validated once at start-up."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(ValueError):
    """An environment variable has a value the service cannot run with."""


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {raw!r}")


def _list(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name) or ""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _rate(name: str, default: tuple[int, int]) -> tuple[int, int]:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        count, seconds = (int(x) for x in raw.split("/"))
    except ValueError:
        raise ConfigurationError(f"{name} must look like 30/60 (requests per seconds)") from None
    if count < 1 or seconds < 1:
        raise ConfigurationError(f"{name} must be positive")
    return count, seconds


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}")
    return value


DEMO_CONTACTS = {
    "controller_contact": "Rådhusgata 1, 9990 Fjordvik · postmottak@fjordvik.example · 12 34 56 78",
    "dpo_name": "Personvernombudet i Fjordvik kommune",
    "dpo_email": "personvernombud@fjordvik.example",
    "dpo_phone": "12 34 56 79",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _privacy_contacts() -> dict[str, str]:
    """CONTROLLER_* and DPO_*; demo mode fills what is unset with the invented municipality's."""
    values = {name: (os.environ.get(name.upper()) or "").strip()
              for name in ("controller_name", "controller_contact", "dpo_name", "dpo_email", "dpo_phone")}
    if _bool("DEMO_MODE", False):
        values.update({k: v for k, v in DEMO_CONTACTS.items() if not values[k]})
    return values


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment."""

    database_url: str
    var_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    demo_mode: bool = False
    signing_key_file: Path | None = None
    signing_key_pem: str | None = None
    token_issuer: str = "laeremiddelkatalogen"
    token_audience: str = "laeremiddelkatalogen-api"
    token_ttl_seconds: int = 900
    max_body_bytes: int = 1_048_576
    db_pool_size: int = 10
    search_cache_size: int = 512
    sqlite_busy_timeout_seconds: int = 30
    # how long an idle client connection is kept open: longer than the reverse proxy keeps its idle
    # connections to the workers, so the proxy never sends a request on one the worker just closed
    keep_alive_seconds: int = 75
    municipality_name: str = "Fjordvik kommune"
    # where people write about the service (the footer, the accessibility and privacy statements)
    contact_email: str = "postmottak@fjordvik.kommune.no"
    log_level: str = "INFO"
    public_base_url: str = ""
    session_ttl_seconds: int = 8 * 3600
    # OpenID Connect: "feide", "entra" or "" (no identity provider; demo login or CLI tokens only)
    oidc_provider: str = ""
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid profile email"
    oidc_algorithms: tuple[str, ...] = ("RS256",)
    oidc_entra_tenant_id: str = ""
    oidc_feide_realms: tuple[str, ...] = ()
    oidc_feide_affiliations: tuple[str, ...] = ()
    oidc_feide_affiliation_source: str = "userinfo"
    oidc_feide_userinfo_url: str = "https://api.dataporten.no/userinfo/v1/userinfo"
    oidc_feide_groups_url: str = "https://groups-api.dataporten.no/groups/me/groups"
    jwks_cache_seconds: int = 3600
    jwks_min_refresh_seconds: int = 60
    http_timeout_seconds: float = 10.0
    rate_limit_auth: tuple[int, int] = (30, 60)
    trusted_proxies: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    allow_demo_on_network: bool = False
    # the approval workflow
    step_due_days: int = 14
    return_due_days: int = 30
    return_reminder_days: int = 7
    privacy_exceptions_allowed: bool = False
    revision_months: int = 12
    revision_lead_days: int = 30
    attachment_max_bytes: int = 10 * 1024 * 1024
    scheduler_interval_seconds: int = 300
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_tls: bool = False
    smtp_from: str = "laeremiddelkatalogen@localhost"
    notify_max_attempts: int = 6
    digest_hour: int = 7
    # the controller and the data protection officer, named in the record of processing and to parents
    controller_name: str = ""
    controller_contact: str = ""
    dpo_name: str = ""
    dpo_email: str = ""
    dpo_phone: str = ""
    # operation: the log format, and who may read /metrics besides an admin's token
    log_format: str = "json"
    smtp_timeout_seconds: int = 10  # one SMTP exchange; a slower server is retried later
    metrics_networks: tuple[str, ...] = ("127.0.0.1/32", "::1/128")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        var_dir = Path(os.environ.get("VAR_DIR") or PROJECT_ROOT / "var")
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'catalogue.sqlite3'}"
        values = dict(
            database_url=database_url,
            var_dir=var_dir,
            host=os.environ.get("HOST") or "127.0.0.1",
            port=_int("PORT", 8000, minimum=1),
            demo_mode=_bool("DEMO_MODE", False),
            signing_key_file=Path(os.environ.get("SIGNING_KEY_FILE") or var_dir / "signing-key.pem"),
            signing_key_pem=os.environ.get("SIGNING_KEY") or None,
            token_issuer=os.environ.get("TOKEN_ISSUER") or "laeremiddelkatalogen",
            token_audience=os.environ.get("TOKEN_AUDIENCE") or "laeremiddelkatalogen-api",
            token_ttl_seconds=_int("TOKEN_TTL_SECONDS", 900, minimum=60),
            max_body_bytes=_int("MAX_BODY_BYTES", 1_048_576, minimum=1024),
            db_pool_size=_int("DB_POOL_SIZE", 10, minimum=1),
            search_cache_size=_int("SEARCH_CACHE_SIZE", 512, minimum=0),
            sqlite_busy_timeout_seconds=_int("SQLITE_BUSY_TIMEOUT", 30, minimum=1),
            keep_alive_seconds=_int("KEEP_ALIVE_SECONDS", 75, minimum=1),
            municipality_name=os.environ.get("MUNICIPALITY_NAME") or "Fjordvik kommune",
            contact_email=(os.environ.get("CONTACT_EMAIL") or "postmottak@fjordvik.kommune.no").strip(),
            log_level=(os.environ.get("LOG_LEVEL") or "INFO").upper(),
            public_base_url=(os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/"),
            session_ttl_seconds=_int("SESSION_TTL_SECONDS", 8 * 3600, minimum=300),
            oidc_provider=(os.environ.get("OIDC_PROVIDER") or "").strip().lower(),
            oidc_issuer=(os.environ.get("OIDC_ISSUER") or "").strip(),
            oidc_client_id=os.environ.get("OIDC_CLIENT_ID") or "",
            oidc_client_secret=os.environ.get("OIDC_CLIENT_SECRET") or "",
            oidc_scopes=os.environ.get("OIDC_SCOPES") or "openid profile email",
            oidc_algorithms=_list("OIDC_ALGORITHMS") or ("RS256",),
            oidc_entra_tenant_id=(os.environ.get("OIDC_ENTRA_TENANT_ID") or "").strip(),
            oidc_feide_realms=_list("OIDC_FEIDE_REALMS"),
            oidc_feide_affiliations=_list("OIDC_FEIDE_AFFILIATIONS"),
            oidc_feide_affiliation_source=(os.environ.get("OIDC_FEIDE_AFFILIATION_SOURCE") or "userinfo").lower(),
            oidc_feide_userinfo_url=os.environ.get("OIDC_FEIDE_USERINFO_URL")
            or "https://api.dataporten.no/userinfo/v1/userinfo",
            oidc_feide_groups_url=os.environ.get("OIDC_FEIDE_GROUPS_URL")
            or "https://groups-api.dataporten.no/groups/me/groups",
            jwks_cache_seconds=_int("JWKS_CACHE_SECONDS", 3600, minimum=60),
            jwks_min_refresh_seconds=_int("JWKS_MIN_REFRESH_SECONDS", 60, minimum=1),
            rate_limit_auth=_rate("RATE_LIMIT_AUTH", (30, 60)),
            trusted_proxies=_list("TRUSTED_PROXIES"),
            cors_origins=_list("CORS_ORIGINS"),
            allowed_hosts=_list("ALLOWED_HOSTS"),
            allow_demo_on_network=_bool("DEMO_ALLOW_NETWORK", False),
            step_due_days=_int("STEP_DUE_DAYS", 14, minimum=1),
            return_due_days=_int("RETURN_DUE_DAYS", 30, minimum=1),
            return_reminder_days=_int("RETURN_REMINDER_DAYS", 7, minimum=0),
            privacy_exceptions_allowed=_bool("PRIVACY_EXCEPTIONS_ALLOWED", False),
            revision_months=_int("REVISION_MONTHS", 12, minimum=1),
            revision_lead_days=_int("REVISION_LEAD_DAYS", 30, minimum=0),
            attachment_max_bytes=_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024),
            scheduler_interval_seconds=_int("SCHEDULER_INTERVAL_SECONDS", 300, minimum=0),
            smtp_host=os.environ.get("SMTP_HOST") or "",
            smtp_port=_int("SMTP_PORT", 587, minimum=1),
            smtp_username=os.environ.get("SMTP_USERNAME") or "",
            smtp_password=os.environ.get("SMTP_PASSWORD") or "",
            smtp_starttls=_bool("SMTP_STARTTLS", True),
            smtp_tls=_bool("SMTP_TLS", False),
            smtp_from=os.environ.get("SMTP_FROM") or "laeremiddelkatalogen@localhost",
            notify_max_attempts=_int("NOTIFY_MAX_ATTEMPTS", 6, minimum=1),
            digest_hour=_int("DIGEST_HOUR", 7, minimum=0),
            **_privacy_contacts(),
            log_format=(os.environ.get("LOG_FORMAT") or "json").strip().lower(),
            smtp_timeout_seconds=_int("SMTP_TIMEOUT_SECONDS", 10, minimum=1),
            metrics_networks=_list("METRICS_NETWORKS") if "METRICS_NETWORKS" in os.environ
            else ("127.0.0.1/32", "::1/128"),
        )
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if not (self.database_url.startswith("sqlite:///") or self.database_url.startswith(("postgresql://", "postgres://"))):
            raise ConfigurationError("DATABASE_URL must start with sqlite:/// or postgresql://")
        if self.token_ttl_seconds > 24 * 3600:
            raise ConfigurationError("TOKEN_TTL_SECONDS may be at most one day")
        if self.oidc_provider not in ("", "feide", "entra"):
            raise ConfigurationError("OIDC_PROVIDER must be feide, entra or empty")
        if self.oidc_provider:
            for name in ("oidc_client_id", "oidc_client_secret", "public_base_url"):
                if not getattr(self, name):
                    raise ConfigurationError(f"{name.upper()} is required when OIDC_PROVIDER is set")
            if not self.public_base_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
                raise ConfigurationError("PUBLIC_BASE_URL must be https (plain http only on loopback)")
            if any(a.upper().startswith(("HS", "NONE")) for a in self.oidc_algorithms):
                raise ConfigurationError("OIDC_ALGORITHMS may only list asymmetric algorithms such as RS256")
        if self.oidc_provider == "entra":
            if not self.oidc_entra_tenant_id:
                raise ConfigurationError("OIDC_ENTRA_TENANT_ID is required for Entra ID")
        if self.smtp_host and not self.public_base_url:
            raise ConfigurationError("PUBLIC_BASE_URL is required when SMTP_HOST is set: every e-mail links to a page")
        if self.digest_hour > 23:
            raise ConfigurationError("DIGEST_HOUR must be an hour of the day (0–23)")
        if self.dpo_email and not _EMAIL.match(self.dpo_email):
            raise ConfigurationError("DPO_EMAIL must be an e-mail address")
        if self.log_format not in ("json", "console"):
            raise ConfigurationError("LOG_FORMAT must be json or console")
        if self.oidc_feide_affiliation_source not in ("userinfo", "groups"):
            raise ConfigurationError("OIDC_FEIDE_AFFILIATION_SOURCE must be userinfo or groups")

    @property
    def issuer_url(self) -> str:
        """The identity provider's issuer: Feide's by default, Entra's from the tenant."""
        if self.oidc_issuer:
            return self.oidc_issuer.rstrip("/")
        if self.oidc_provider == "feide":
            return "https://auth.dataporten.no"
        if self.oidc_provider == "entra":
            return f"https://login.microsoftonline.com/{self.oidc_entra_tenant_id}/v2.0"
        return ""

    @property
    def controller(self) -> str:
        """The controller's name: CONTROLLER_NAME, or the municipality."""
        return self.controller_name or self.municipality_name

    @property
    def secure_cookies(self) -> bool:
        return self.public_base_url.startswith("https://")
