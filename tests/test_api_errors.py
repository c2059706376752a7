"""Every error under /api/ is a problem details object (RFC 9457) in JSON,
never an HTML page or a trace, whoever produces it: DRF, Django's URL
resolution, a middleware, the CSRF check, the host check."""

import json
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.openapi import operations, schema

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["code"]
    if code is not None:
        assert body["code"] == code
    assert b"Traceback" not in response.content
    assert b"<html" not in response.content.lower()
    return body


def test_an_unknown_address_under_the_api_is_a_problem():
    assert_problem(Client().get("/api/v1/nowhere/"), 404, "not_found")
    assert_problem(Client().get("/api/v2/claims/"), 404, "not_found")


def test_an_unknown_page_elsewhere_stays_html():
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_missing_object_is_a_problem():
    assert_problem(APIClient().get("/api/v1/claims/no-such-claim/"), 404, "not_found")


def test_a_method_not_allowed_is_a_problem_with_allow(api, editor):
    response = api(editor).put("/api/v1/claims/", {}, format="json")

    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


# The API's addresses that its schema leaves out, with the methods they take.
UNDOCUMENTED_PATHS = {
    "/api/v1/auth/session/login/": {"get", "post"},
    "/api/v1/auth/session/logout/": {"post"},
    "/api/v1/docs/": {"get"},
}
METHODS = ["get", "post", "put", "patch", "delete"]


def wrong_methods() -> list[tuple[str, str]]:
    allowed = {
        path: set(methods) & set(METHODS) for path, methods in schema()["paths"].items()
    }
    allowed.update(UNDOCUMENTED_PATHS)
    return [
        (path, method)
        for path, methods in sorted(allowed.items())
        for method in METHODS
        if method not in methods
    ]


@pytest.mark.parametrize("signed_in", [True, False], ids=["token", "anonymous"])
@pytest.mark.parametrize(("path", "method"), wrong_methods())
def test_a_wrong_method_is_a_405_problem_on_every_path(
    superuser, path, method, signed_in
):
    """Whoever asks: the method is wrong before any question of who may use it."""
    from knox.models import AuthToken

    headers = {}
    if signed_in:
        _, token = AuthToken.objects.create(user=superuser)
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    address = path.replace("{slug}", "anything").replace("{id}", "1")

    response = Client().generic(
        method.upper(), address, "{}", content_type="application/json", **headers
    )

    assert_problem(response, 405, "method_not_allowed")
    assert method.upper() not in response["Allow"]


def test_the_docs_page_has_no_options_to_render(client):
    assert_problem(client.options("/api/v1/docs/"), 405, "method_not_allowed")


def test_an_unacceptable_accept_is_a_problem():
    response = APIClient().get("/api/v1/claims/", HTTP_ACCEPT="image/png")

    assert_problem(response, 406, "not_acceptable")


def test_errors_are_json_even_when_the_browsable_api_is_asked_for(editor):
    client = Client()
    client.force_login(editor)

    response = client.get("/api/v1/claims/no-such-claim/", HTTP_ACCEPT="text/html")

    assert_problem(response, 404)


def test_invalid_input_has_messages_per_field(api, editor):
    response = api(editor).post("/api/v1/sources/", {"name": ""}, format="json")

    body = assert_problem(response, 400, "invalid")
    assert set(body["errors"]) >= {"name", "kind"}
    assert body["detail"].startswith("The input is not valid.")


def test_malformed_json_is_a_problem(api, editor):
    response = api(editor).post(
        "/api/v1/events/", b'{"title": ', content_type="application/json"
    )

    assert_problem(response, 400, "parse_error")


def test_no_credentials_is_a_401_problem():
    response = APIClient().post("/api/v1/events/", {"title": "x"}, format="json")

    assert_problem(response, 401, "not_authenticated")


def test_a_role_that_may_not_is_a_403_problem(api, reader):
    response = api(reader).post("/api/v1/events/", {"title": "x"}, format="json")

    assert_problem(response, 403, "permission_denied")


def test_an_oversized_body_is_a_413_problem(api, editor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api(editor).post("/api/v1/events/", {"title": "x" * 2000})

    assert_problem(response, 413, "request_too_large")


def test_a_bad_content_length_is_a_400_problem(editor):
    response = Client().post(
        "/api/v1/events/", "{}", content_type="application/json", CONTENT_LENGTH="x"
    )

    assert_problem(response, 400)


def test_a_csrf_failure_is_a_403_problem(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)

    response = client.post(
        "/api/v1/events/", {"title": "x"}, content_type="application/json"
    )

    assert_problem(response, 403, "permission_denied")


def test_a_csrf_failure_in_django_s_own_views_is_a_403_problem():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/api/v1/auth/session/login/", {"username": "x"})

    assert_problem(response, 403, "csrf_failed")


def test_a_disallowed_host_is_a_400_problem():
    response = Client().get("/api/v1/claims/", HTTP_HOST="evil.example")

    assert_problem(response, 400, "bad_request")


class Explode:
    """A middleware that fails, as a bug in one would."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise RuntimeError("boom: secret details")


def test_a_crash_in_a_middleware_is_a_500_problem_without_details(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.Explode"]

    response = Client(raise_request_exception=False).get("/api/v1/claims/")

    assert_problem(response, 500, "error")
    assert b"boom" not in response.content


def test_a_crash_elsewhere_is_still_django_s_page(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.Explode"]

    response = Client(raise_request_exception=False).get("/")

    assert response.status_code == 500
    assert b"boom" not in response.content
    assert response["Content-Type"].startswith("text/html")


def test_a_crash_in_a_view_is_a_500_problem(api, monkeypatch):
    from claims.api import views

    def explode(*args, **kwargs):
        raise RuntimeError("boom: secret details")

    monkeypatch.setattr(views.ClaimViewSet, "list", explode)

    response = api().get("/api/v1/claims/")

    assert_problem(response, 500, "error")
    assert b"boom" not in response.content


def test_a_stale_if_match_keeps_the_current_version(api, editor):
    from tests.factories import ClaimFactory

    claim = ClaimFactory()
    response = api(editor).patch(
        f"/api/v1/claims/{claim.slug}/",
        {"text": "Changed."},
        format="json",
        HTTP_IF_MATCH=f'"{claim.pk}.999"',
    )

    assert_problem(response, 412, "stale_version")
    assert response["ETag"] == claim.etag


BODY_OPERATIONS = [op for op in operations() if op.method in {"post", "put", "patch"}]


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=str)
def test_every_write_refuses_a_body_that_is_not_json(superuser, operation):
    """A form, XML or text body is a 415 on every write, before anything else."""
    from knox.models import AuthToken

    path = operation.path.replace("{slug}", "anything").replace("{id}", "1")
    _, token = AuthToken.objects.create(user=superuser)
    for content_type, body in [
        ("application/x-www-form-urlencoded", "text=Hello"),
        ("text/plain", '{"text": "Hello"}'),
        ("application/xml", "<text>Hello</text>"),
        ("", '{"text": "Hello"}'),
    ]:
        response = Client().generic(
            operation.method.upper(),
            path,
            body,
            content_type=content_type,
            HTTP_AUTHORIZATION=f"Token {token}",
        )

        assert_problem(response, 415, "unsupported_media_type")


def test_the_schema_documents_the_problem_shape():
    from tests.openapi import schema

    components = schema()["components"]["schemas"]
    assert {"type", "title", "status", "detail", "code"} <= set(
        components["Problem"]["properties"]
    )
    assert "errors" in components["ValidationProblem"]["properties"]
    for path, methods in schema()["paths"].items():
        for method, operation in methods.items():
            for code, response in operation["responses"].items():
                # 414 is gunicorn's own page, answered before the app runs.
                if code >= "400" and code != "414":
                    assert list(response["content"]) == [PROBLEM], (method, path, code)


def test_a_message_quoting_a_lone_surrogate_is_still_valid_utf_8(api, editor):
    response = Client().post(
        "/api/v1/sources/",
        json.dumps({"name": "X", "kind": "\ud800", "affiliation": "other"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=api(editor)._credentials["HTTP_AUTHORIZATION"],
    )

    body = assert_problem(response, 400, "invalid")
    assert "\\ud800" in body["errors"]["kind"][0]


def emitted_codes() -> set[str]:
    """Every problem ``code`` the code base can send, read from its source:
    the ``default_code`` of each exception (ours and DRF's), each code given
    to a problem response, and each one the exception handler picks."""
    import ast
    import inspect
    from pathlib import Path

    from rest_framework import exceptions

    root = Path(__file__).resolve().parent.parent
    codes = {
        cls.default_code
        for _, cls in inspect.getmembers(exceptions, inspect.isclass)
        if issubclass(cls, exceptions.APIException)
    }
    for app in ("verifier", "claims", "sources"):
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Assign):
                    names = {getattr(target, "id", None) for target in node.targets}
                    if names & {"default_code", "code"} and isinstance(
                        node.value, ast.Constant
                    ):
                        codes.add(node.value.value)
                elif isinstance(node, ast.Call):
                    func = node.func
                    name = getattr(func, "id", None) or getattr(func, "attr", None)
                    if name not in {"problem_response", "_drf_problem"}:
                        continue
                    given = [kw.value for kw in node.keywords if kw.arg == "code"]
                    given += node.args[2:3]
                    codes.update(
                        arg.value
                        for arg in given
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    )
    return codes


def test_the_readme_lists_every_error_code_the_api_sends():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    listed = readme.split("`code` is for programs (", 1)[1].split(")", 1)[0]
    documented = set(re.findall(r"`([a-z_]+)`", listed))

    assert emitted_codes() == documented
