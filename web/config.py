"""Configuration from the environment. Every variable read here is documented in README.md."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from labels.scans import SHARED_MEMORY
from ledger.common.settings import LedgerSettings

DEFAULT_ORIGIN = "trace.hungyen.example/ledger"


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def from_environment(
    instance_path: str, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    instance = Path(instance_path)
    environment = env.get("HYT_ENV", "production")
    public = public_base_url(env)
    return {
        "HYT_ENV": environment,
        "SECRET_KEY": env.get("SECRET_KEY") or instance_secret(instance),
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{instance / 'hyt.sqlite3'}",
        "LEDGER_ORIGIN": env.get("LEDGER_ORIGIN", DEFAULT_ORIGIN),
        "LEDGER_KEY_FILE": env.get("LEDGER_KEY_FILE") or str(instance / "log-key.pem"),
        "LEDGER_KEY_PASSPHRASE": env.get("LEDGER_KEY_PASSPHRASE") or None,
        "LEDGER_LABEL_KEY_DIR": env.get("LEDGER_LABEL_KEY_DIR") or None,
        "LEDGER_ALLOW_UNENCRYPTED_KEY": environment == "development"
        or _flag(env.get("LEDGER_ALLOW_UNENCRYPTED_KEY")),
        "CHECKPOINT_INTERVAL": float(env.get("CHECKPOINT_INTERVAL", "1")),
        "LEDGER_TILE_HEIGHT": int(env.get("LEDGER_TILE_HEIGHT", "8")),
        "DB_BUSY_TIMEOUT_MS": int(env.get("DB_BUSY_TIMEOUT_MS", "10000")),
        "DB_LOCK_TIMEOUT_MS": int(env.get("DB_LOCK_TIMEOUT_MS", "10000")),
        "HYT_LANGUAGE": env.get("HYT_LANGUAGE", "vi"),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(8 * 1024 * 1024))),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "LOGIN_LIMIT": env.get("LOGIN_LIMIT", "10 per minute"),
        "AUTH_FAILURE_LIMIT": env.get("AUTH_FAILURE_LIMIT", "30 per minute"),
        "EVENT_MAX_FUTURE_SECONDS": int(env.get("EVENT_MAX_FUTURE_SECONDS", "300")),
        "EVENT_MAX_LATE_DAYS": int(env.get("EVENT_MAX_LATE_DAYS", "30")),
        "YIELD_SLAUGHTER_KG_PER_HEAD": env.get("YIELD_SLAUGHTER_KG_PER_HEAD", "0.9..2.8"),
        "YIELD_DRYING": env.get("YIELD_DRYING", "0.08..0.30"),
        "YIELD_RIPENING": env.get("YIELD_RIPENING", "0.85..1"),
        "LABEL_SPARE_PERCENT": env.get("LABEL_SPARE_PERCENT", "2"),
        "SCAN_WARN_CLIENTS_PER_DAY": int(env.get("SCAN_WARN_CLIENTS_PER_DAY", "10")),
        "SCAN_WARN_AREAS": int(env.get("SCAN_WARN_AREAS", "3")),
        "SCAN_WARN_DAYS": int(env.get("SCAN_WARN_DAYS", "30")),
        "SCAN_RETENTION_DAYS": int(env.get("SCAN_RETENTION_DAYS", "90")),
        "SCAN_RECORD_PER_MINUTE": int(env.get("SCAN_RECORD_PER_MINUTE", "30")),
        "SCAN_SALT_DIR": env.get("SCAN_SALT_DIR", str(SHARED_MEMORY)),
        "SCAN_AREA_LIMIT": env.get("SCAN_AREA_LIMIT", "10 per minute"),
        "PROXY_FIX_HOPS": int(env.get("PROXY_FIX_HOPS", "0")),
        "LABEL_PRINT_DIR": env.get("LABEL_PRINT_DIR") or str(instance / "label-prints"),
        "PHOTO_MAX_BYTES": int(env.get("PHOTO_MAX_BYTES", str(10 * 1024 * 1024))),
        "PHOTO_DIR": env.get("PHOTO_DIR") or None,
        "PUBLIC_BASE_URL": public,
        "LABEL_BASE_URL": env.get("LABEL_BASE_URL")
        or public
        or "https://" + env.get("LEDGER_ORIGIN", DEFAULT_ORIGIN).split("/")[0],
    }


def public_base_url(env: Mapping[str, str]) -> str | None:
    """The site's public address, which every absolute URL in an answer starts with.

    ``PUBLIC_BASE_URL``, else an explicitly set ``LABEL_BASE_URL`` (the labels point there, so
    it is the site's address too); never guessed from ``LEDGER_ORIGIN`` like the labels'
    default, nor from a request's ``Host``, which the client chooses. None: answers give
    relative links. Refused unless an http(s) address without query or fragment, since
    anything else would make every link a broken one."""
    name = "PUBLIC_BASE_URL" if env.get("PUBLIC_BASE_URL") else "LABEL_BASE_URL"
    value = (env.get(name) or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            f"{name}={value!r}: PUBLIC_BASE_URL (or LABEL_BASE_URL) must be an http(s) "
            "address without query or fragment, such as https://trace.hungyen.vn"
        )
    return value.rstrip("/")


def instance_secret(instance: Path) -> str:
    """A random key kept in the instance folder, so every worker signs sessions alike and a
    restart does not sign everyone out. Set ``SECRET_KEY`` to manage it yourself."""
    path = instance / "secret-key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(key)
    except FileExistsError:  # another worker wrote it first
        return path.read_text(encoding="ascii").strip()
    return key


def ledger_settings(config: Mapping[str, Any]) -> LedgerSettings:
    return LedgerSettings(
        database_url=config["DATABASE_URL"],
        origin=config["LEDGER_ORIGIN"],
        key_file=Path(config["LEDGER_KEY_FILE"]),
        key_passphrase=config["LEDGER_KEY_PASSPHRASE"],
        allow_unencrypted_key=bool(config["LEDGER_ALLOW_UNENCRYPTED_KEY"]),
        checkpoint_interval=float(config["CHECKPOINT_INTERVAL"]),
        tile_height=int(config["LEDGER_TILE_HEIGHT"]),
        busy_timeout_ms=int(config["DB_BUSY_TIMEOUT_MS"]),
        lock_timeout_ms=int(config["DB_LOCK_TIMEOUT_MS"]),
        label_key_dir=Path(config["LEDGER_LABEL_KEY_DIR"])
        if config.get("LEDGER_LABEL_KEY_DIR")
        else None,
    )
