"""Headers every answer carries and the cookie policy, directly, over TLS and behind a proxy."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ledger.common.clock import FakeClock
from tests.support.apps import PASSWORD, app_config, create_accounts
from tests.support.databases import DatabaseFactory
from tests.support.labels import issue_labels
from web import create_app
from web.services import services

HTTPS = "https://localhost"
FORWARDED_TLS = {"X-Forwarded-Proto": "https"}
ADMIN = "quan-tri"
#: Source expressions that name no origin at all.
NO_ORIGIN = re.compile(r"'self'|'none'|'sha256-[A-Za-z0-9+/]+=*'")


@pytest.fixture(scope="module")
def labels(app: Flask) -> dict[str, list[str]]:
    create_accounts(app, ((ADMIN, "admin", None),))
    return issue_labels(app)


@pytest.fixture(scope="module")
def proxied_app(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """An app behind one trusted reverse proxy that terminates TLS."""
    directory = tmp_path_factory.mktemp("proxied")
    app = create_app(app_config(databases.sqlite(), directory, PROXY_FIX_HOPS=1), clock=FakeClock())
    assert app.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    create_accounts(app, ((ADMIN, "admin", None),))
    yield app
    services(app).log.engine.dispose()


def _cookie(response: TestResponse, name: str) -> dict[str, str]:
    """The attributes of the Set-Cookie for ``name``, lower-cased (``{"": value, ...}``)."""
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        if first.startswith(f"{name}="):
            parsed = {"": first.removeprefix(f"{name}=")}
            for attribute in attributes:
                key, _, value = attribute.partition("=")
                parsed[key.lower()] = value
            return parsed
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.getlist('Set-Cookie')}")


def _sign_in(client: FlaskClient, **kwargs: object) -> TestResponse:
    response = client.post(
        "/api/v1/session", json={"username": ADMIN, "password": PASSWORD}, **kwargs
    )
    assert response.status_code == 200, response.json
    return response


def test_the_session_cookie_over_http_is_lax_and_http_only_not_secure(
    client: FlaskClient, labels: dict[str, list[str]]
) -> None:
    cookie = _cookie(_sign_in(client), "session")
    assert cookie[""]
    assert "httponly" in cookie
    assert cookie.get("samesite") == "Lax"
    assert "secure" not in cookie


def test_the_session_cookie_over_https_is_secure(
    client: FlaskClient, labels: dict[str, list[str]]
) -> None:
    cookie = _cookie(_sign_in(client, base_url=HTTPS), "session")
    assert "secure" in cookie
    assert "httponly" in cookie
    assert cookie.get("samesite") == "Lax"


def test_the_session_cookie_behind_a_tls_proxy_is_secure(proxied_app: Flask) -> None:
    behind_tls = _cookie(_sign_in(proxied_app.test_client(), headers=FORWARDED_TLS), "session")
    assert "secure" in behind_tls
    assert behind_tls.get("samesite") == "Lax"
    assert "httponly" in behind_tls
    plain = _cookie(_sign_in(proxied_app.test_client()), "session")
    assert "secure" not in plain


def test_the_cookie_policy_gives_way_to_the_apps_own_config(
    databases: DatabaseFactory,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What create_app is given wins over the policy, and only that: SameSite=Strict stays
    Strict, the cookie is still Secure over TLS; SESSION_COOKIE_SECURE makes it always Secure
    (for a TLS proxy the app is not told about)."""
    directory = tmp_path_factory.mktemp("configured")
    app = create_app(
        app_config(databases.sqlite(), directory, SESSION_COOKIE_SAMESITE="Strict"),
        clock=FakeClock(),
    )
    assert app.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    create_accounts(app, ((ADMIN, "admin", None),))
    try:
        plain = _cookie(_sign_in(app.test_client()), "session")
        assert (plain.get("samesite"), "secure" in plain) == ("Strict", False)
        over_tls = _cookie(_sign_in(app.test_client(), base_url=HTTPS), "session")
        assert (over_tls.get("samesite"), "secure" in over_tls) == ("Strict", True)
        monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
        always = _cookie(_sign_in(app.test_client()), "session")
        assert "secure" in always
    finally:
        services(app).log.engine.dispose()


def test_the_language_cookie_follows_the_same_policy(
    client: FlaskClient, proxied_app: Flask
) -> None:
    plain = _cookie(client.get("/?lang=en"), "lang")
    assert (plain[""], plain.get("samesite")) == ("en", "Lax")
    assert "httponly" in plain
    assert "secure" not in plain
    over_tls = client.application.test_client().get("/?lang=en", base_url=HTTPS)
    assert "secure" in _cookie(over_tls, "lang")
    behind_tls = proxied_app.test_client().get("/?lang=vi", headers=FORWARDED_TLS)
    assert "secure" in _cookie(behind_tls, "lang")


def _policy(response: TestResponse) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy"
    directives: dict[str, list[str]] = {}
    for directive in header.split(";"):
        name, *sources = directive.split()
        assert name not in directives, f"{name} twice"
        directives[name] = sources
    return directives


def _samples(client: FlaskClient, label: str, **kwargs: object) -> dict[str, TestResponse]:
    """A response of every kind the application gives."""
    label_path = label.removeprefix("http://localhost")
    return {
        "home": client.get("/", **kwargs),
        "label page": client.get(label_path, **kwargs),
        "label JSON": client.get(label_path, headers={"Accept": "application/json"}, **kwargs),
        "API JSON": client.get("/api/openapi.json", **kwargs),
        "API error": client.get("/api/v1/lots", **kwargs),
        "page 404": client.get("/nowhere", **kwargs),
        "API 404": client.get("/api/v1/nowhere", **kwargs),
        "405": client.put("/", **kwargs),
        "static file": client.get("/static/style.css", **kwargs),
        "vendored script": client.get("/static/vendor/noble-ed25519-3.2.0.js", **kwargs),
        "Swagger UI": client.get("/api/docs", **kwargs),
        "Swagger UI asset": client.get("/api/docs/assets/swagger-ui.css", **kwargs),
        "checkpoint": client.get("/ledger/checkpoint", **kwargs),
        "journey": client.get(
            "/traceability/" + label_path.split("/01/")[1].split("/21/")[0].replace("/10/", "/"),
            **kwargs,
        ),
        "sign-in page": client.get("/sign-in", **kwargs),
    }


def test_every_kind_of_response_carries_the_security_headers(
    client: FlaskClient, labels: dict[str, list[str]]
) -> None:
    samples = _samples(client, labels["good"][0])
    statuses = {name: answer.status_code for name, answer in samples.items()}
    assert statuses == {
        **dict.fromkeys(samples, 200),
        "API error": 401,
        "page 404": 404,
        "API 404": 404,
        "405": 405,
    }
    for name, answer in samples.items():
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", name
        assert answer.headers.get("X-Frame-Options") == "DENY", name
        assert answer.headers.get("Referrer-Policy") == "same-origin", name
        assert "Strict-Transport-Security" not in answer.headers, name
        policy = _policy(answer)
        assert policy["default-src"] == ["'self'"], name
        assert policy["frame-ancestors"] == ["'none'"], name
        assert policy["object-src"] == ["'none'"], name
        assert policy["base-uri"] == ["'none'"], name
        for directive, sources in policy.items():
            if name == "Swagger UI" and directive == "img-src":
                # swagger-ui.css draws its icons as data: SVGs
                assert sources == ["'self'", "data:"]
                continue
            for source in sources:
                assert NO_ORIGIN.fullmatch(source), (name, directive, source)
            if name != "Swagger UI":
                assert not any(source.startswith("'sha256-") for source in sources), name


def test_headers_a_route_sets_are_kept(client: FlaskClient, labels: dict[str, list[str]]) -> None:
    samples = _samples(client, labels["good"][0])
    page = samples["label page"]
    assert page.headers["Cache-Control"] == "no-store"
    assert 'rel="linkset"' in page.headers["Link"]
    assert {"Accept", "Accept-Language", "Cookie"} <= set(page.headers["Vary"].split(", "))
    assert samples["journey"].headers["Access-Control-Allow-Origin"] == "*"
    assert samples["checkpoint"].headers["Access-Control-Allow-Origin"] == "*"
    assert samples["checkpoint"].headers["Cache-Control"]
    assert "max-age=86400" in samples["Swagger UI asset"].headers["Cache-Control"]
    assert _policy(page)["frame-ancestors"] == ["'none'"]


def test_the_swagger_ui_may_run_its_own_inline_script_and_no_other(client: FlaskClient) -> None:
    docs = client.get("/api/docs")
    html = docs.get_data(as_text=True)
    inline = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    assert len(inline) == 1, "flask-smorest's page has one inline script"
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    policy = _policy(docs)
    assert policy["script-src"] == ["'self'", f"'sha256-{digest}'"]
    assert "'unsafe-inline'" not in docs.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in docs.headers["Content-Security-Policy"]
    home = _policy(client.get("/"))
    assert home.get("script-src", ["'self'"]) == ["'self'"]


def test_strict_transport_security_only_over_tls(
    client: FlaskClient, proxied_app: Flask, labels: dict[str, list[str]]
) -> None:
    for name, answer in _samples(client, labels["good"][0], base_url=HTTPS).items():
        assert answer.headers.get("Strict-Transport-Security") == "max-age=31536000", name
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", name
    proxied = proxied_app.test_client()
    for path in ("/", "/nowhere", "/api/docs", "/static/style.css"):
        behind_tls = proxied.get(path, headers=FORWARDED_TLS)
        assert behind_tls.headers.get("Strict-Transport-Security") == "max-age=31536000", path
        assert "Strict-Transport-Security" not in proxied.get(path).headers, path
