"""Configuration read from the environment, validated once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
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
    sqlite_busy_timeout_seconds: int = 30
    municipality_name: str = "Fjordvik kommune"
    log_level: str = "INFO"
    extra: dict = field(default_factory=dict)

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
            sqlite_busy_timeout_seconds=_int("SQLITE_BUSY_TIMEOUT", 30, minimum=1),
            municipality_name=os.environ.get("MUNICIPALITY_NAME") or "Fjordvik kommune",
            log_level=(os.environ.get("LOG_LEVEL") or "INFO").upper(),
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
