"""The web application: the public ledger API, pages, and the ``flask ledger`` commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ledger.common.clock import Clock


def create_app(config: Mapping[str, Any] | None = None, *, clock: Clock | None = None) -> Flask:
    """Application factory. ``config`` overrides what the environment says and the cookie
    policy of :mod:`web.security` (tests use it)."""
    from web import (
        account_pages,
        api,
        auth,
        cli,
        errors,
        field,
        i18n,
        inline_assets,
        pages,
        photos,
        printing_pages,
        resolver,
        script_strings,
        security,
        services,
    )
    from web.config import from_environment
    from web.field import lot_pages as field_lot_pages
    from web.field import scan as field_scan
    from web.jsonio import StrictJSONProvider, StrictRequest

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(from_environment(app.instance_path))
    # First: its cookie settings give way to ``config``, and its headers see every response.
    security.init_app(app)
    if config:
        app.config.update(config)
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops:
        # Behind that many trusted reverse proxies: the client's address, scheme and host come
        # from their X-Forwarded-* headers (rate limits and scan counts are per client).
        # Replacing wsgi_app is how Flask takes WSGI middleware; mypy sees a method assigned.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    app.request_class = StrictRequest
    app.json = StrictJSONProvider(app)

    i18n.init_app(app)
    script_strings.init_app(app)
    inline_assets.init_app(app)
    errors.init_app(app)
    services.init_app(app, clock)
    auth.init_app(app)
    photos.init_app(app)  # before the API: both take the sha256 converter
    api.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(resolver.bp)
    app.register_blueprint(printing_pages.bp)
    app.register_blueprint(account_pages.bp)
    field.init_app(app)
    app.register_blueprint(field_scan.bp)
    app.register_blueprint(field_lot_pages.bp)
    cli.init_app(app)
    return app
