"""Security headers on every response, and production cookies that only
travel over HTTPS, out of reach of scripts and other sites."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import PASSWORD, PublishedClaimFactory

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/api/v1/claims/",
    "/api/v1/nowhere/",
    "/no-such-page/",
    "/admin/login/",
    "/api/v1/docs/",
    "/feed/",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_forbids_sniffing_framing_and_leaking_referrers(path):
    response = Client().get(path)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", [*PAGES, "/oembed/?url=x"])
def test_allowing_embeds_frames_no_page_but_the_verdict_card(path, settings):
    settings.EMBED_ALLOWED_ORIGINS = ["*"]

    response = Client().get(path)

    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_verdict_card_alone_may_be_framed_by_the_allowed_origins(settings):
    settings.EMBED_ALLOWED_ORIGINS = ["https://news.example.org"]
    claim = PublishedClaimFactory()

    response = Client().get(f"/claims/{claim.slug}/embed/")
    directives = policy(response)

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert directives["frame-ancestors"] == ["'self'", "https://news.example.org"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def policy(response) -> dict[str, list[str]]:
    return {
        directive.split()[0]: directive.split()[1:]
        for directive in response["Content-Security-Policy"].split(";")
        if directive.strip()
    }


@pytest.mark.parametrize("path", ["/", "/no-such-page/", "/api/v1/docs/"])
def test_html_pages_get_a_strict_content_security_policy(path):
    response = Client().get(path)
    directives = policy(response)

    assert response["Content-Type"].startswith("text/html")
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert not any("unsafe" in s or "*" in s for s in directives["script-src"])


def test_hsts_is_sent_over_tls(settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    over_tls = Client().get("/api/v1/claims/", secure=True)
    plain = Client().get("/api/v1/claims/")

    assert (
        over_tls["Strict-Transport-Security"]
        == "max-age=31536000; includeSubDomains; preload"
    )
    assert "Strict-Transport-Security" not in plain


def test_a_forwarded_proto_counts_only_behind_a_trusted_proxy(settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_PROXY_SSL_HEADER = None
    forged = Client().get("/", HTTP_X_FORWARDED_PROTO="https")

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = Client().get("/", HTTP_X_FORWARDED_PROTO="https")

    assert "Strict-Transport-Security" not in forged
    assert proxied["Strict-Transport-Security"].startswith("max-age=31536000")


def test_cookies_carry_the_production_flags(settings, editor):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()

    form = client.get("/admin/login/", secure=True)
    signed_in = client.post(
        "/admin/login/",
        {"username": "editor", "password": PASSWORD, "next": "/admin/"},
        secure=True,
    )
    csrf = form.cookies["csrftoken"]
    session = signed_in.cookies["sessionid"]

    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def test_production_settings_make_cookies_secure():
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECURE_SSL_REDIRECT", "EMBED_ALLOWED_ORIGINS"}
        and not key.startswith(("SESSION_", "CSRF_"))
    }
    environment.update(
        DEBUG="0",
        SECRET_KEY="production-like-" + "k" * 50,
        ALLOWED_HOSTS="verifier.example.org",
        DJANGO_SETTINGS_MODULE="verifier.settings",
    )
    names = [
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_SAMESITE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "X_FRAME_OPTIONS",
        "EMBED_ALLOWED_ORIGINS",
        "DEBUG",
    ]
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, django; django.setup(); from django.conf import settings; "
            f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        # Only the site itself frames the verdict card until the operator says.
        "EMBED_ALLOWED_ORIGINS": [],
        "DEBUG": False,
    }
